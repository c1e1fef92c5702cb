/**
 * Conditions of conditional writes to the Resources table, rendered as DynamoDB condition expressions, and the
 * recognition of a failed condition.
 */

export interface Condition {
  /** The item's `status` must be one of these. */
  readonly statusIn?: readonly string[];
  /** These counters must be absent or zero. */
  readonly countersZero?: readonly string[];
  /** These top-level `doc` members must currently have these (scalar) values: optimistic concurrency. */
  readonly docEquals?: Readonly<Record<string, string | number | boolean>>;
  /** These top-level `attrs` members must currently have these (scalar) values. */
  readonly attrsEquals?: Readonly<Record<string, string | number | boolean>>;
  /** These top-level `attrs` members must be absent. */
  readonly attrsAbsent?: readonly string[];
  /** These membership sets (see `members.ts`) must be absent or empty. */
  readonly membersEmpty?: readonly string[];
}

/** Appends the expression parts of `condition`, registering its names and values. */
export function conditionParts(
  condition: Condition,
  names: Record<string, string>,
  values: Record<string, unknown>,
) {
  const parts: string[] = [];
  if (condition.statusIn !== undefined) {
    names['#cstatus'] = 'status';
    const refs = condition.statusIn.map((s, i) => {
      values[`:cs${i}`] = s;
      return `:cs${i}`;
    });
    parts.push(refs.length === 0 ? 'attribute_not_exists(#cstatus)' : `#cstatus IN (${refs.join(', ')})`);
  }
  if (condition.countersZero !== undefined && condition.countersZero.length > 0) {
    names['#ccounters'] = 'counters';
    values[':czero'] = 0;
    condition.countersZero.forEach((c, i) => {
      names[`#cc${i}`] = c;
      parts.push(`(attribute_not_exists(#ccounters.#cc${i}) OR #ccounters.#cc${i} = :czero)`);
    });
  }
  if (condition.docEquals !== undefined) {
    names['#cdoc'] = 'doc';
    Object.entries(condition.docEquals).forEach(([key, value], i) => {
      names[`#cd${i}`] = key;
      values[`:cd${i}`] = value;
      parts.push(`#cdoc.#cd${i} = :cd${i}`);
    });
  }
  if (condition.attrsEquals !== undefined) {
    names['#cattrs'] = 'attrs';
    Object.entries(condition.attrsEquals).forEach(([key, value], i) => {
      names[`#ca${i}`] = key;
      values[`:ca${i}`] = value;
      parts.push(`#cattrs.#ca${i} = :ca${i}`);
    });
  }
  if (condition.attrsAbsent !== undefined && condition.attrsAbsent.length > 0) {
    names['#cattrs'] = 'attrs';
    condition.attrsAbsent.forEach((key, i) => {
      names[`#cx${i}`] = key;
      parts.push(`attribute_not_exists(#cattrs.#cx${i})`);
    });
  }
  if (condition.membersEmpty !== undefined && condition.membersEmpty.length > 0) {
    names['#cmembers'] = 'members';
    values[':cmzero'] = 0;
    condition.membersEmpty.forEach((set, i) => {
      names[`#cm${i}`] = set;
      parts.push(`(attribute_not_exists(#cmembers.#cm${i}) OR size(#cmembers.#cm${i}) = :cmzero)`);
    });
  }
  return parts;
}

export function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : undefined;
}

export function isConditionFailure(err: unknown): boolean {
  return errorName(err) === 'ConditionalCheckFailedException';
}
