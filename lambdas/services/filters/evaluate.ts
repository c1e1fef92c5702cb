/**
 * Evaluates a checked filter for one request over a catalog (spec FILTERS.md §1), producing the {@link CatalogMask}
 * scoring excludes.
 *
 * result = (union of the applicable INCLUDE statements' matches, or every item when none applies)
 *          minus (union of the applicable EXCLUDE statements' matches)
 *
 * - A statement applies when its `IF CurrentUser…` conditions all hold for the requesting user (a user without
 *   Users metadata satisfies none), and, for EXCLUDE, when at least one of its parameters is given (or it has
 *   none). In an EXCLUDE statement, a condition whose parameter is missing matches nothing, so that part of the
 *   statement is ignored; INCLUDE statements must get all their parameters (checked before).
 * - `IN` matches when the item's value (any of the `|`-joined values of a categorical field) is one of the listed
 *   values; `NOT IN` is its negation, so an item without the field passes `NOT IN` and fails `IN`. Comparisons fail
 *   on a missing value.
 * - Interactions conditions match the items among the user's recent interactions of the listed event types
 *   (case-insensitively; `"*"` any type). `NOT IN` matches the items the user recently interacted with through an
 *   event type not listed.
 */
import { invalidInput } from '../../errors';
import type { BulkValue } from '../../store/bulk-data';
import type { FieldDef } from '../row-validation';
import type { SchemaFields } from './compile';
import { isNumericField } from './compile';
import {
  type FilterCondition,
  type FilterOperator,
  type FilterRhs,
  type FilterStatement,
  type FilterTree,
  statementParameters,
  type UserCondition,
} from './expression';
import { CatalogMask } from './mask';

/** The items scoring ranks: ids by catalog index, and the reverse lookup. */
export interface FilterCatalog {
  readonly ids: readonly string[];
  indexOf(id: string): number | undefined;
}

export type AttributeRow = Readonly<Record<string, BulkValue>>;

/** Item attributes as a column per field, aligned with the catalog. */
export interface ItemColumns {
  column(field: string): readonly (BulkValue | undefined)[];
}

/** What a request's filter is evaluated against; only the parts the filter uses need to be present. */
export interface FilterData {
  readonly schemas: SchemaFields;
  readonly items?: ItemColumns;
  /** The requesting user's Users row; `undefined` when the user has none. */
  readonly user?: AttributeRow;
  /** The user's recent interactions: lower-case event type → item ids. */
  readonly interactions?: ReadonlyMap<string, readonly string[]>;
}

type Test = (value: BulkValue | undefined) => boolean;

const never: Test = () => false;

function fieldOf(schemas: SchemaFields, dataset: 'Items' | 'Users', name: string): FieldDef {
  const field = schemas[dataset]?.find((f) => f.name.toUpperCase() === name);
  if (field === undefined) {
    throw invalidInput(`The filter uses ${dataset}.${name}, which the ${dataset} schema no longer has.`);
  }
  return field;
}

/** The operand values of a condition; `undefined` when its parameter was not given. */
function operands(
  rhs: FilterRhs,
  params: ReadonlyMap<string, readonly string[]>,
): readonly string[] | undefined {
  switch (rhs.kind) {
    case 'param':
      return params.get(rhs.name);
    case 'number':
      return [String(rhs.value)];
    case 'values':
      return rhs.values.map((v) => (v.kind === 'wildcard' ? '*' : v.value));
  }
}

function toNumbers(values: readonly string[], label: string): number[] {
  return values.map((v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) {
      throw invalidInput(`${label} compares a numeric field; "${v}" is not a number.`);
    }
    return n;
  });
}

/** A predicate over one attribute value. */
function valueTest(field: FieldDef, op: FilterOperator, values: readonly string[], label: string): Test {
  if (isNumericField(field)) {
    const numbers = toNumbers(values, label);
    const num = (v: BulkValue | undefined): number | undefined =>
      typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined;
    if (op === 'IN' || op === '=' || op === 'NOT IN' || op === '!=') {
      const set = new Set(numbers);
      const hit = (v: BulkValue | undefined) => {
        const n = num(v);
        return n !== undefined && set.has(n);
      };
      return op === 'IN' || op === '=' ? hit : (v) => !hit(v);
    }
    if (numbers.length !== 1) throw invalidInput(`${label} needs exactly one number; got ${numbers.length}.`);
    const x = numbers[0] as number;
    const cmp: (n: number) => boolean =
      op === '<' ? (n) => n < x : op === '<=' ? (n) => n <= x : op === '>' ? (n) => n > x : (n) => n >= x;
    return (v) => {
      const n = num(v);
      return n !== undefined && cmp(n);
    };
  }
  const set = new Set(values);
  const multi = field.categorical === true;
  const hit = (v: BulkValue | undefined): boolean => {
    if (v === undefined || v === null) return false;
    const s = String(v);
    if (set.has(s)) return true;
    return multi && s.includes('|') && s.split('|').some((part) => set.has(part));
  };
  return op === 'IN' || op === '=' ? hit : (v) => !hit(v);
}

function userConditionHolds(
  c: UserCondition | FilterCondition,
  data: FilterData,
  params: ReadonlyMap<string, readonly string[]>,
): boolean {
  const values = operands(c.rhs, params);
  if (values === undefined || data.user === undefined) return false;
  const field = fieldOf(data.schemas, 'Users', c.field);
  const test = valueTest(field, c.op, values, `Users.${c.field} ${c.op}`);
  return test(data.user[field.name]);
}

/** Writes 1 into `out` at every catalog index matching the condition. */
function markCondition(
  c: FilterCondition,
  catalog: FilterCatalog,
  data: FilterData,
  params: ReadonlyMap<string, readonly string[]>,
  out: Uint8Array,
): void {
  const values = operands(c.rhs, params);
  if (values === undefined) return;
  if (c.dataset === 'Users') {
    if (userConditionHolds(c, data, params)) out.fill(1);
    return;
  }
  if (c.dataset === 'Interactions') {
    const recent = data.interactions;
    if (recent === undefined) return;
    const types = new Set(values.map((v) => v.toLowerCase()));
    const any = types.has('*');
    const wanted = c.op === 'IN' ? (t: string) => any || types.has(t) : (t: string) => !any && !types.has(t);
    for (const [type, ids] of recent) {
      if (!wanted(type)) continue;
      for (const id of ids) {
        const j = catalog.indexOf(id);
        if (j !== undefined) out[j] = 1;
      }
    }
    return;
  }
  const field = fieldOf(data.schemas, 'Items', c.field);
  const column = data.items?.column(field.name);
  const n = catalog.ids.length;
  const matches =
    column === undefined
      ? itemMatches(
          field,
          c.op,
          values,
          Array.from({ length: n }, () => undefined),
        )
      : cachedItemMatches(column, field, c.op, values);
  for (let j = 0; j < n; j++) if (matches[j]) out[j] = 1;
}

/** The catalog positions whose value in `column` meets `field op values`. */
function itemMatches(
  field: FieldDef,
  op: FilterOperator,
  values: readonly string[],
  column: readonly (BulkValue | undefined)[],
): Uint8Array {
  const test = values.length === 0 ? never : valueTest(field, op, values, `Items.${field.name} ${op}`);
  const out = new Uint8Array(column.length);
  for (let j = 0; j < column.length; j++) if (test(column[j])) out[j] = 1;
  return out;
}

/** Conditions whose matches a column keeps; the oldest is dropped beyond this. */
const MATCHES_PER_COLUMN = 64;
/**
 * {@link itemMatches} per column and condition. A column is never changed once built (new Items data builds new
 * columns), so requests with the same condition and parameter values reuse its matches instead of testing every
 * item again.
 */
const matchesByColumn = new WeakMap<readonly unknown[], Map<string, Uint8Array>>();

function cachedItemMatches(
  column: readonly (BulkValue | undefined)[],
  field: FieldDef,
  op: FilterOperator,
  values: readonly string[],
): Uint8Array {
  let byCondition = matchesByColumn.get(column);
  if (byCondition === undefined) {
    byCondition = new Map();
    matchesByColumn.set(column, byCondition);
  }
  const key = JSON.stringify([field.name, field.type, field.categorical === true, op, values]);
  let matches = byCondition.get(key);
  if (matches === undefined) {
    matches = itemMatches(field, op, values, column);
    if (byCondition.size >= MATCHES_PER_COLUMN) byCondition.delete(byCondition.keys().next().value as string);
    byCondition.set(key, matches);
  }
  return matches;
}

/** The statement's matches over the catalog, or `undefined` when it does not apply to this request. */
function statementMatches(
  statement: FilterStatement,
  catalog: FilterCatalog,
  data: FilterData,
  params: ReadonlyMap<string, readonly string[]>,
): Uint8Array | undefined {
  if (statement.action === 'EXCLUDE') {
    const names = statementParameters(statement);
    if (names.length > 0 && names.every((p) => !params.has(p))) return undefined;
  }
  for (const c of statement.when) if (!userConditionHolds(c, data, params)) return undefined;
  const n = catalog.ids.length;
  const any = new Uint8Array(n);
  const part = new Uint8Array(n);
  for (const group of statement.where) {
    let all: Uint8Array | undefined;
    for (const c of group) {
      part.fill(0);
      markCondition(c, catalog, data, params, part);
      if (all === undefined) all = part.slice();
      else for (let j = 0; j < n; j++) all[j] = (all[j] as number) & (part[j] as number);
    }
    if (all !== undefined) for (let j = 0; j < n; j++) any[j] = (any[j] as number) | (all[j] as number);
  }
  return any;
}

/** The catalog positions the filter keeps from this request (as a mask of what it removes). */
export function evaluateFilter(
  tree: FilterTree,
  catalog: FilterCatalog,
  data: FilterData,
  params: ReadonlyMap<string, readonly string[]>,
): CatalogMask {
  const n = catalog.ids.length;
  let included: Uint8Array | undefined;
  const excluded = new Uint8Array(n);
  for (const statement of tree.statements) {
    const matches = statementMatches(statement, catalog, data, params);
    if (matches === undefined) continue;
    if (statement.action === 'INCLUDE') {
      if (included === undefined) included = matches;
      else for (let j = 0; j < n; j++) included[j] = (included[j] as number) | (matches[j] as number);
    } else {
      for (let j = 0; j < n; j++) excluded[j] = (excluded[j] as number) | (matches[j] as number);
    }
  }
  if (included !== undefined) {
    for (let j = 0; j < n; j++) excluded[j] = (excluded[j] as number) | ((included[j] as number) ^ 1);
  }
  return CatalogMask.of(excluded);
}

/** Which data a filter reads, so requests load only that. */
export function filterNeeds(tree: FilterTree): { items: boolean; users: boolean; interactions: boolean } {
  const conditions = tree.statements.flatMap((s) => s.where.flat());
  return {
    items: conditions.some((c) => c.dataset === 'Items'),
    users: conditions.some((c) => c.dataset === 'Users') || tree.statements.some((s) => s.when.length > 0),
    interactions: conditions.some((c) => c.dataset === 'Interactions'),
  };
}
