/**
 * Checks a parsed filter against the dataset group's schemas (spec FILTERS.md §1) and against the values a request
 * gives its parameters. CreateFilter stores only expressions that pass {@link checkFilter}; requests resolve
 * parameters with {@link resolveParameters}.
 *
 * Rules (documented ones, and our choices where the documentation is silent):
 * - All conditions of one statement use the dataset of its first condition; that dataset must exist in the group.
 * - Interactions conditions test only `EVENT_TYPE`, with `IN` / `NOT IN`; `"*"` (every event type) only there.
 * - Items and Users fields must exist in their schema and be neither textual nor boolean. `<`, `<=`, `>`, `>=`
 *   need a numeric field (int, long, float, double); `=` and `!=` also work on string fields (one exact value).
 *   `IN` / `NOT IN` work on any filterable field: numeric fields compare numbers, so their literals must be numbers.
 * - `NOT IN` cannot take a parameter. At most {@link MAX_FIELDS_PER_FILTER} distinct fields per filter.
 * - A Users condition in an item filter is about the requesting user, like `IF CurrentUser…`: it holds for every
 *   item or for none.
 */
import { invalidInput } from '../../errors';
import type { FieldDef } from '../row-validation';
import type {
  FilterCondition,
  FilterDataset,
  FilterOperator,
  FilterRhs,
  FilterStatement,
  FilterTree,
  UserCondition,
} from './expression';
import { statementParameters } from './expression';

/** Personalize's current limit (spec §5). */
export const MAX_FIELDS_PER_FILTER = 10;
/** `filterValues` entries (the model's size limit). */
export const MAX_FILTER_VALUES = 25;

export type SchemaFields = Partial<Record<FilterDataset, readonly FieldDef[]>>;

const NUMERIC = new Set(['int', 'long', 'float', 'double']);
const ORDERING: ReadonlySet<FilterOperator> = new Set(['<', '<=', '>', '>=']);
const LIST_OPS: ReadonlySet<FilterOperator> = new Set(['IN', 'NOT IN']);

export const isNumericField = (field: FieldDef): boolean => NUMERIC.has(field.type);

function checkField(
  schemas: SchemaFields,
  dataset: FilterDataset,
  name: string,
  op: FilterOperator,
  rhs: FilterRhs,
  label: string,
): void {
  const fields = schemas[dataset];
  if (fields === undefined) {
    throw invalidInput(
      `Invalid filter expression: ${label} needs a ${dataset} dataset in the dataset group.`,
    );
  }
  if (dataset === 'Interactions') {
    if (name !== 'EVENT_TYPE') {
      throw invalidInput(
        `Invalid filter expression: ${label}: Interactions conditions can only test EVENT_TYPE.`,
      );
    }
    if (!LIST_OPS.has(op)) {
      throw invalidInput(`Invalid filter expression: ${label}: EVENT_TYPE takes IN or NOT IN.`);
    }
  } else {
    const field = fields.find((f) => f.name.toUpperCase() === name);
    if (field === undefined) {
      throw invalidInput(`Invalid filter expression: ${label}: the ${dataset} schema has no field ${name}.`);
    }
    if (field.textual === true || field.type === 'boolean') {
      throw invalidInput(
        `Invalid filter expression: ${label}: ${field.type === 'boolean' ? 'boolean' : 'textual'} fields ` +
          'cannot be filtered on.',
      );
    }
    const numeric = isNumericField(field);
    if (ORDERING.has(op) && !numeric) {
      throw invalidInput(
        `Invalid filter expression: ${label}: ${op} needs a numeric field; ${name} is not one.`,
      );
    }
    if (!numeric && rhs.kind === 'number') {
      throw invalidInput(
        `Invalid filter expression: ${label}: compare string field ${name} with "quoted" values.`,
      );
    }
    if (numeric && rhs.kind === 'values') {
      for (const v of rhs.values) {
        if (v.kind === 'string' && !Number.isFinite(Number(v.value))) {
          throw invalidInput(
            `Invalid filter expression: ${label}: ${name} is numeric; "${v.value}" is not a number.`,
          );
        }
      }
    }
  }
  if (rhs.kind === 'values' && rhs.values.some((v) => v.kind === 'wildcard') && dataset !== 'Interactions') {
    throw invalidInput(`Invalid filter expression: ${label}: "*" is only for Interactions.EVENT_TYPE.`);
  }
  if (op === 'NOT IN' && rhs.kind === 'param') {
    throw invalidInput(`Invalid filter expression: ${label}: NOT IN cannot take a parameter.`);
  }
}

const describe = (c: FilterCondition) => `${c.dataset}.${c.field} ${c.op}`;
const describeUser = (c: UserCondition) => `CurrentUser.${c.field} ${c.op}`;

/** Throws `InvalidInputException` when the tree breaks a rule above for these schemas. */
export function checkFilter(tree: FilterTree, schemas: SchemaFields): void {
  const fields = new Set<string>();
  tree.statements.forEach((statement, s) => {
    const conditions = statement.where.flat();
    const first = conditions[0] as FilterCondition;
    for (const c of conditions) {
      if (c.dataset !== first.dataset) {
        throw invalidInput(
          `Invalid filter expression: statement ${s + 1} mixes ${first.dataset} and ${c.dataset} conditions; ` +
            'use one dataset per statement and chain statements with |.',
        );
      }
      checkField(schemas, c.dataset, c.field, c.op, c.rhs, describe(c));
      fields.add(`${c.dataset}.${c.field}`);
    }
    for (const c of statement.when) {
      checkField(schemas, 'Users', c.field, c.op, c.rhs, describeUser(c));
      fields.add(`Users.${c.field}`);
    }
  });
  if (fields.size > MAX_FIELDS_PER_FILTER) {
    throw new LimitError(fields.size);
  }
}

/** Thrown by {@link checkFilter} when a filter names too many fields; the service maps it to LimitExceeded. */
export class LimitError extends Error {
  constructor(readonly count: number) {
    super(`A filter can use at most ${MAX_FIELDS_PER_FILTER} distinct fields; this one uses ${count}.`);
  }
}

/** Every parameter name of the tree. */
export function filterParameters(tree: FilterTree): string[] {
  return [...new Set(tree.statements.flatMap(statementParameters))];
}

/**
 * The values of one `filterValues` entry: double-quoted literals (`\"` and `\\` escape) or bare numbers, separated
 * by commas, e.g. `"\"Comedy\",\"Drama\""` or `"10"`.
 */
export function parseParameterValue(name: string, text: string): string[] {
  const values: string[] = [];
  let i = 0;
  const fail = (): never => {
    throw invalidInput(
      `filterValues.${name} must be double-quoted values separated by commas (e.g. "\\"a\\",\\"b\\""), ` +
        `or a number; got ${JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text)}.`,
    );
  };
  const skip = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  for (;;) {
    skip();
    if (text[i] === '"') {
      let value = '';
      i++;
      while (text[i] !== '"') {
        if (i >= text.length) fail();
        if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
        value += text[i];
        i++;
      }
      i++;
      values.push(value);
    } else {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
      if (m === null) fail();
      values.push((m as RegExpExecArray)[0]);
      i += (m as RegExpExecArray)[0].length;
    }
    skip();
    if (i >= text.length) return values;
    if (text[i] !== ',') fail();
    i++;
  }
}

/** Parameter name → its values, for the parameters a filter uses; unknown names are ignored, as in Personalize. */
export function resolveParameters(
  tree: FilterTree,
  filterValues: Readonly<Record<string, string>> | undefined,
): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, string[]>();
  for (const name of filterParameters(tree)) {
    const text = filterValues?.[name];
    if (text !== undefined) out.set(name, parseParameterValue(name, text));
  }
  return out;
}

/** The INCLUDE statements whose parameters are not all given → `InvalidInputException`. */
export function checkRequiredParameters(
  tree: FilterTree,
  params: ReadonlyMap<string, readonly string[]>,
): void {
  for (const statement of tree.statements) {
    if (statement.action !== 'INCLUDE') continue;
    const missing = statementParameters(statement).filter((p) => !params.has(p));
    if (missing.length > 0) {
      throw invalidInput(
        `The filter's INCLUDE expression needs filterValues for ${missing.map((m) => `$${m}`).join(', ')}.`,
      );
    }
  }
}

export type { FilterStatement };
