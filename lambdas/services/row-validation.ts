/**
 * Row validation against a dataset's schema (spec §2.3, §5), shared by bulk imports (CSV text) and PutEvents /
 * PutItems / PutUsers (JSON `properties`). Values are normalised to JSON scalars: numbers for int/long/float/double,
 * booleans, strings (multi-values stay `|`-joined; readers split categorical fields), `null` for empty.
 */

export type FieldType = 'string' | 'int' | 'long' | 'float' | 'double' | 'boolean';

/** One schema field, as the schema parser reports it. */
export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  readonly categorical?: boolean;
  readonly textual?: boolean;
}

export type Value = string | number | boolean | null;

export type DatasetKind = 'Interactions' | 'Items' | 'Users';

/** Limits from the Personalize quotas (spec §5). */
export const LIMITS = {
  idLength: 256,
  categoricalLength: 1000,
  /** Longer text is truncated, as Personalize documents, not refused. */
  textualLength: 20000,
  minInteractionsPerImport: 1000,
} as const;

const ID_FIELDS = new Set(['USER_ID', 'ITEM_ID']);
const TIMESTAMP_FIELDS = new Set(['TIMESTAMP', 'CREATION_TIMESTAMP']);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/**
 * Epoch seconds after 5138-11-16 are refused: such values are almost always milliseconds, and training on them
 * would silently put every event in the far future.
 */
const MAX_EPOCH_SECONDS = 1e11;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `Ok` carries the normalised value; `Err` the reason, phrased to follow "column X: ". */
export type Coerced =
  | { readonly ok: true; readonly value: Value }
  | { readonly ok: false; readonly reason: string };

const ok = (value: Value): Coerced => ({ ok: true, value });
const err = (reason: string): Coerced => ({ ok: false, reason });

function quote(text: string): string {
  return `'${text.length > 100 ? `${text.slice(0, 100)}…` : text}'`;
}

/**
 * Checks one value against its field. Text (from CSV) is parsed by type; JSON numbers and booleans are accepted for
 * numeric and boolean fields. `null`, `undefined` and the empty string are "no value".
 */
export function coerceValue(field: FieldDef, raw: unknown): Coerced {
  if (raw === null || raw === undefined || raw === '') {
    return field.nullable ? ok(null) : err('a value is required.');
  }
  switch (field.type) {
    case 'string': {
      if (typeof raw !== 'string') return err(`${quote(String(raw))} is not a string.`);
      if (ID_FIELDS.has(field.name) && raw.length > LIMITS.idLength) {
        return err(`the value is longer than ${LIMITS.idLength} characters.`);
      }
      if (
        (field.categorical === true || field.name === 'IMPRESSION') &&
        raw.length > LIMITS.categoricalLength
      ) {
        return err(`the value is longer than ${LIMITS.categoricalLength} characters.`);
      }
      if (field.textual === true && raw.length > LIMITS.textualLength) {
        return ok(raw.slice(0, LIMITS.textualLength));
      }
      return ok(raw);
    }
    case 'boolean':
      if (typeof raw === 'boolean') return ok(raw);
      if (raw === 'true') return ok(true);
      if (raw === 'false') return ok(false);
      return err(`${quote(String(raw))} is not a valid boolean (use lowercase true or false).`);
    case 'int':
    case 'long': {
      const n = integerOf(raw);
      const valid =
        n !== undefined &&
        (field.type === 'int' ? n >= INT32_MIN && n <= INT32_MAX : Number.isSafeInteger(n));
      if (!valid) return err(`${quote(String(raw))} is not a valid ${field.type}.`);
      if (TIMESTAMP_FIELDS.has(field.name) && (n < 0 || n > MAX_EPOCH_SECONDS)) {
        return err(`${quote(String(raw))} is not a Unix epoch time in seconds.`);
      }
      return ok(n);
    }
    case 'float':
    case 'double': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return err(`${quote(String(raw))} is not a valid ${field.type}.`);
      return ok(n);
    }
  }
}

function integerOf(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw === 'string' && INTEGER.test(raw)) return Number(raw);
  return undefined;
}

/** How a CSV file's columns map onto the schema's fields. */
export interface CsvLayout {
  /** Schema fields in schema order: the order of values in a normalised row. */
  readonly fields: readonly FieldDef[];
  /** For each schema field, the CSV column holding it, or -1 when the file has no such column. */
  readonly sourceColumn: readonly number[];
  readonly width: number;
}

/** Failure of a whole import: the message becomes the job's `failureReason`. */
export class ImportValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportValidationError';
  }
}

/**
 * Matches a header row to the schema: names must be schema fields (any order, each once), and every field that is
 * not nullable must be present.
 */
export function layoutFor(fields: readonly FieldDef[], header: readonly string[], line = 1): CsvLayout {
  const position = new Map<string, number>();
  const unknown: string[] = [];
  header.forEach((raw, i) => {
    const name = raw.trim();
    if (!fields.some((f) => f.name === name)) unknown.push(name === '' ? `(empty, column ${i + 1})` : name);
    else if (position.has(name))
      throw new ImportValidationError(`Line ${line}: column ${name} appears twice.`);
    else position.set(name, i);
  });
  if (unknown.length > 0) {
    throw new ImportValidationError(
      `Line ${line}: header columns not in the schema: ${unknown.join(', ')}. Schema fields: ${fields
        .map((f) => f.name)
        .join(', ')}.`,
    );
  }
  const missing = fields.filter((f) => !f.nullable && !position.has(f.name)).map((f) => f.name);
  if (missing.length > 0) {
    throw new ImportValidationError(
      `Line ${line}: required columns missing from the header: ${missing.join(', ')}.`,
    );
  }
  return { fields, sourceColumn: fields.map((f) => position.get(f.name) ?? -1), width: header.length };
}

/** Validates one CSV record; returns the normalised row (schema order) or throws naming line, column and reason. */
export function validateCsvRow(layout: CsvLayout, line: number, cells: readonly string[]): Value[] {
  if (cells.length !== layout.width) {
    throw new ImportValidationError(`Line ${line}: expected ${layout.width} columns, found ${cells.length}.`);
  }
  const row: Value[] = new Array(layout.fields.length);
  for (let f = 0; f < layout.fields.length; f++) {
    const field = layout.fields[f] as FieldDef;
    const column = layout.sourceColumn[f] as number;
    const result = coerceValue(field, column < 0 ? null : cells[column]);
    if (!result.ok) throw new ImportValidationError(`Line ${line}, column ${field.name}: ${result.reason}`);
    row[f] = result.value;
  }
  return row;
}

/** `NUMBER_OF_RATINGS` → `numberOfRatings`: the `properties` key Personalize uses for a schema column. */
export function propertyKeyOf(column: string): string {
  return column.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Parses a PutEvents / PutItems / PutUsers `properties` JSON string into schema columns. Keys are matched to
 * columns by their camelCase form, case-insensitively; `excluded` columns (those set by dedicated members) and
 * unknown keys are refused with a message naming the key.
 */
export function parseProperties(
  json: string | undefined,
  fields: readonly FieldDef[],
  where: string,
  excluded: ReadonlySet<string> = new Set(),
): Map<string, Value> {
  const out = new Map<string, Value>();
  if (json === undefined) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ImportValidationError(`${where}: properties is not valid JSON.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ImportValidationError(`${where}: properties must be a JSON object.`);
  }
  const byKey = new Map(fields.map((f) => [propertyKeyOf(f.name).toLowerCase(), f]));
  for (const [key, raw] of Object.entries(parsed)) {
    const field = byKey.get(key.toLowerCase());
    if (field === undefined || excluded.has(field.name)) {
      throw new ImportValidationError(`${where}: property ${key} does not match a column of the schema.`);
    }
    const value = Array.isArray(raw) && field.categorical === true ? raw.map(String).join('|') : raw;
    const result = coerceValue(field, value);
    if (!result.ok) throw new ImportValidationError(`${where}: property ${key}: ${result.reason}`);
    out.set(field.name, result.value);
  }
  return out;
}
