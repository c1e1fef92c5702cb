import fc from 'fast-check';
import { PersonalizeError } from '../../../../lambdas/errors';
import {
  checkFilter,
  checkRequiredParameters,
  parseParameterValue,
  resolveParameters,
  type SchemaFields,
} from '../../../../lambdas/services/filters/compile';
import {
  type AttributeRow,
  evaluateFilter,
  type FilterCatalog,
  type FilterData,
} from '../../../../lambdas/services/filters/evaluate';
import { parseFilter } from '../../../../lambdas/services/filters/expression';
import { CatalogMask } from '../../../../lambdas/services/filters/mask';
import type { FieldDef } from '../../../../lambdas/services/row-validation';

const ITEM_FIELDS: FieldDef[] = [
  { name: 'ITEM_ID', type: 'string', nullable: false },
  { name: 'GENRES', type: 'string', nullable: true, categorical: true },
  { name: 'PRICE', type: 'float', nullable: true },
  { name: 'DESCRIPTION', type: 'string', nullable: true, textual: true },
  { name: 'IN_STOCK', type: 'boolean', nullable: true },
];
const USER_FIELDS: FieldDef[] = [
  { name: 'USER_ID', type: 'string', nullable: false },
  { name: 'AGE', type: 'int', nullable: true },
  { name: 'TIER', type: 'string', nullable: true, categorical: true },
];
const INTERACTION_FIELDS: FieldDef[] = [
  { name: 'USER_ID', type: 'string', nullable: false },
  { name: 'ITEM_ID', type: 'string', nullable: false },
  { name: 'TIMESTAMP', type: 'long', nullable: false },
  { name: 'EVENT_TYPE', type: 'string', nullable: false },
];
const SCHEMAS: SchemaFields = { Items: ITEM_FIELDS, Users: USER_FIELDS, Interactions: INTERACTION_FIELDS };

const ROWS: Record<string, AttributeRow> = {
  a: { GENRES: 'Comedy|Drama', PRICE: 5 },
  b: { GENRES: 'Horror', PRICE: 20 },
  c: { GENRES: 'Comedy', PRICE: 12.5 },
  d: { GENRES: null, PRICE: null },
  e: { GENRES: 'Drama', PRICE: 50 },
};
const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];

function catalogOf(ids: readonly string[]): FilterCatalog {
  const index = new Map(ids.map((id, i) => [id, i]));
  return { ids, indexOf: (id) => index.get(id) };
}

function dataFor(
  rows: Record<string, AttributeRow>,
  ids: readonly string[],
  extra: Partial<FilterData> = {},
): FilterData {
  return {
    schemas: SCHEMAS,
    items: { column: (field) => ids.map((id) => rows[id]?.[field]) },
    ...extra,
  };
}

/** The ids the filter keeps. */
function kept(
  expression: string,
  values: Record<string, string> = {},
  extra: Partial<FilterData> = {},
): string[] {
  const tree = parseFilter(expression);
  checkFilter(tree, SCHEMAS);
  const params = resolveParameters(tree, values);
  checkRequiredParameters(tree, params);
  const mask = evaluateFilter(tree, catalogOf(IDS), dataFor(ROWS, IDS, extra), params);
  return IDS.filter((_, i) => mask.allows(i));
}

function error(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(PersonalizeError);
    return `${(err as PersonalizeError).name}: ${(err as Error).message}`;
  }
  throw new Error('no error');
}

const recent = new Map([
  ['click', ['a', 'b']],
  ['purchase', ['c']],
]);

describe('evaluateFilter', () => {
  it("reuses a column's matches per condition and values, and tests a new column (new Items data) afresh", () => {
    const tree = parseFilter('INCLUDE ItemID WHERE Items.GENRES IN ($G)');
    const catalog = catalogOf(IDS);
    const genres = IDS.map((id) => ROWS[id]?.GENRES);
    const data: FilterData = { schemas: SCHEMAS, items: { column: () => genres } };
    const keep = (d: FilterData, g: string) => {
      const mask = evaluateFilter(tree, catalog, d, resolveParameters(tree, { G: g }));
      return IDS.filter((_, i) => mask.allows(i));
    };
    expect(keep(data, '"Comedy"')).toEqual(['a', 'c']);
    expect(keep(data, '"Horror"')).toEqual(['b']);
    expect(keep(data, '"Comedy"')).toEqual(['a', 'c']);
    // PutItems moved b to Comedy: the table builds a new column.
    const changed = genres.map((g, i) => (IDS[i] === 'b' ? 'Comedy' : g));
    expect(keep({ ...data, items: { column: () => changed } }, '"Comedy"')).toEqual(['a', 'b', 'c']);
    expect(keep(data, '"Comedy"')).toEqual(['a', 'c']);
  });

  it('keeps and removes items by Items values (categorical any-of, numbers, missing values)', () => {
    expect(kept('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")')).toEqual(['a', 'c']);
    expect(kept('EXCLUDE ItemID WHERE Items.GENRES IN ("Comedy", "Horror")')).toEqual(['d', 'e', 'f']);
    expect(kept('INCLUDE ItemID WHERE Items.GENRES NOT IN ("Comedy")')).toEqual(['b', 'd', 'e', 'f']);
    expect(kept('INCLUDE ItemID WHERE Items.PRICE <= 12.5')).toEqual(['a', 'c']);
    expect(kept('INCLUDE ItemID WHERE Items.PRICE > $P', { P: '12.5' })).toEqual(['b', 'e']);
    expect(kept('INCLUDE ItemID WHERE Items.PRICE = $P', { P: '"20"' })).toEqual(['b']);
    expect(kept('INCLUDE ItemID WHERE Items.PRICE != 20')).toEqual(['a', 'c', 'd', 'e', 'f']);
    expect(kept('INCLUDE ItemID WHERE Items.PRICE IN ("5", "50")')).toEqual(['a', 'e']);
    expect(kept('INCLUDE ItemID WHERE Items.GENRES IN ($G)', { G: '"Drama","Horror"' })).toEqual([
      'a',
      'b',
      'e',
    ]);
  });

  it('combines AND, OR and statements as (union of INCLUDEs) minus (union of EXCLUDEs)', () => {
    expect(kept('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy") AND Items.PRICE > 10')).toEqual(['c']);
    expect(kept('INCLUDE ItemID WHERE Items.GENRES IN ("Horror") OR Items.PRICE < 10')).toEqual(['a', 'b']);
    const both = 'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy") | INCLUDE ItemID WHERE Items.PRICE >= 50';
    expect(kept(both)).toEqual(['a', 'c', 'e']);
    const mixed =
      'EXCLUDE ItemID WHERE Items.PRICE < 10 | INCLUDE ItemID WHERE Items.GENRES IN ("Comedy", "Drama")';
    expect(kept(mixed)).toEqual(['c', 'e']);
    const reversed =
      'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy", "Drama") | EXCLUDE ItemID WHERE Items.PRICE < 10';
    expect(kept(reversed)).toEqual(kept(mixed));
  });

  it("removes the user's recent interactions by event type, case-insensitively, with * for any", () => {
    expect(
      kept('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")', {}, { interactions: recent }),
    ).toEqual(['d', 'e', 'f']);
    expect(
      kept('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")', {}, { interactions: recent }),
    ).toEqual(['a', 'b', 'd', 'e', 'f']);
    expect(
      kept('INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("purchase")', {}, { interactions: recent }),
    ).toEqual(['a', 'b']);
    expect(
      kept('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")', {}, { interactions: new Map() }),
    ).toEqual(IDS);
  });

  it('applies a statement only when IF CurrentUser holds, and Users conditions to every item or none', () => {
    const f = 'EXCLUDE ItemID WHERE Items.GENRES IN ("Horror") IF CurrentUser.AGE < 18';
    expect(kept(f, {}, { user: { AGE: 12 } })).toEqual(['a', 'c', 'd', 'e', 'f']);
    expect(kept(f, {}, { user: { AGE: 40 } })).toEqual(IDS);
    expect(kept(f)).toEqual(IDS);
    const users = 'INCLUDE ItemID WHERE Users.TIER IN ("gold")';
    expect(kept(users, {}, { user: { TIER: 'silver|gold' } })).toEqual(IDS);
    expect(kept(users, {}, { user: { TIER: 'silver' } })).toEqual([]);
  });

  it('needs every INCLUDE parameter, skips an EXCLUDE without its parameters and ignores the missing part', () => {
    expect(error(() => kept('INCLUDE ItemID WHERE Items.GENRES IN ($G)'))).toMatch(
      /InvalidInputException: .*needs filterValues for \$G/,
    );
    expect(kept('EXCLUDE ItemID WHERE Items.GENRES IN ($G)')).toEqual(IDS);
    expect(kept('EXCLUDE ItemID WHERE Items.GENRES IN ($G) OR Items.PRICE > $P', { P: '15' })).toEqual([
      'a',
      'c',
      'd',
      'f',
    ]);
  });

  it('refuses bad parameter values', () => {
    expect(error(() => parseParameterValue('G', '"Comedy'))).toMatch(/filterValues.G must be double-quoted/);
    expect(error(() => parseParameterValue('G', 'Comedy'))).toMatch(/InvalidInputException/);
    expect(parseParameterValue('G', ' "a\\"b" , "c",3 ')).toEqual(['a"b', 'c', '3']);
    expect(error(() => kept('INCLUDE ItemID WHERE Items.PRICE < $P', { P: '"cheap"' }))).toMatch(
      /not a number/,
    );
    expect(error(() => kept('INCLUDE ItemID WHERE Items.PRICE < $P', { P: '1,2' }))).toMatch(
      /exactly one number/,
    );
  });
});

describe('checkFilter', () => {
  const check =
    (expression: string, schemas: SchemaFields = SCHEMAS) =>
    () =>
      checkFilter(parseFilter(expression), schemas);
  it('refuses what the schemas or the rules do not allow', () => {
    expect(error(check('INCLUDE ItemID WHERE Items.NOPE IN ("x")'))).toMatch(
      /Items schema has no field NOPE/,
    );
    expect(error(check('INCLUDE ItemID WHERE Items.DESCRIPTION IN ("x")'))).toMatch(/textual fields/);
    expect(error(check('INCLUDE ItemID WHERE Items.IN_STOCK IN ("true")'))).toMatch(/boolean fields/);
    expect(error(check('INCLUDE ItemID WHERE Items.GENRES > 3'))).toMatch(/needs a numeric field/);
    expect(error(check('INCLUDE ItemID WHERE Items.GENRES IN ("*")'))).toMatch(
      /only for Interactions.EVENT_TYPE/,
    );
    expect(error(check('INCLUDE ItemID WHERE Items.GENRES NOT IN ($G)'))).toMatch(
      /NOT IN cannot take a parameter/,
    );
    expect(error(check('INCLUDE ItemID WHERE Items.PRICE IN ("cheap")'))).toMatch(/is not a number/);
    expect(error(check('EXCLUDE ItemID WHERE Interactions.ITEM_ID IN ("a")'))).toMatch(
      /only test EVENT_TYPE/,
    );
    expect(error(check('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE = $E'))).toMatch(/IN or NOT IN/);
    expect(error(check('EXCLUDE ItemID WHERE Items.PRICE > 3 AND Interactions.EVENT_TYPE IN ("*")'))).toMatch(
      /mixes Items and Interactions/,
    );
    expect(error(check('INCLUDE ItemID WHERE Items.PRICE > 3 IF CurrentUser.NOPE = 1'))).toMatch(
      /Users schema/,
    );
    expect(
      error(check('INCLUDE ItemID WHERE Items.PRICE > 3', { Interactions: INTERACTION_FIELDS })),
    ).toMatch(/needs a Items dataset/);
    expect(() =>
      check(
        'include itemid where items.genres in ("x") | exclude itemid where interactions.event_type in ("*")',
      )(),
    ).not.toThrow();
  });

  it('counts at most 10 distinct fields per filter', () => {
    const many: FieldDef[] = Array.from({ length: 11 }, (_, i) => ({
      name: `F${i}`,
      type: 'int',
      nullable: true,
    }));
    const schemas = { Items: many };
    const ten = many
      .slice(0, 10)
      .map((f) => `Items.${f.name} > 1`)
      .join(' AND ');
    expect(() => checkFilter(parseFilter(`INCLUDE ItemID WHERE ${ten}`), schemas)).not.toThrow();
    expect(() => checkFilter(parseFilter(`INCLUDE ItemID WHERE ${ten} AND Items.F10 > 1`), schemas)).toThrow(
      /at most 10 distinct fields/,
    );
  });
});

describe('CatalogMask', () => {
  it('exposes the blocked positions as index and id set views', () => {
    const mask = CatalogMask.of(Uint8Array.from([1, 0, 1, 0]));
    const ids = ['w', 'x', 'y', 'z'];
    const byId = mask.ids(ids, (id) => (ids.indexOf(id) >= 0 ? ids.indexOf(id) : undefined));
    expect([...mask.indices()]).toEqual([0, 2]);
    expect(mask.indices().has(2)).toBe(true);
    expect(mask.indices().has(1)).toBe(false);
    expect(mask.indices().has(9)).toBe(false);
    expect([...byId]).toEqual(['w', 'y']);
    expect(byId.has('y')).toBe(true);
    expect(byId.has('q')).toBe(false);
    expect(byId.size).toBe(2);
    expect(mask.allowedCount).toBe(2);
    expect([...mask.or(CatalogMask.of(Uint8Array.from([0, 1, 0, 0]))).indices()]).toEqual([0, 1, 2]);
  });
});

describe('evaluateFilter against a per-item reference (property)', () => {
  // The reference evaluates the documented semantics item by item, written independently of the column code.
  const genres = ['Comedy', 'Drama', 'Horror'];
  const rowArb = fc.record({
    GENRES: fc.option(
      fc.subarray(genres, { minLength: 1 }).map((g) => g.join('|')),
      { nil: null },
    ),
    PRICE: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
  });
  const cond = fc.oneof(
    fc.record({
      field: fc.constant('GENRES'),
      op: fc.constantFrom('IN', 'NOT IN'),
      values: fc.subarray(genres, { minLength: 1 }),
    }),
    fc.record({
      field: fc.constant('PRICE'),
      op: fc.constantFrom('<', '<=', '>', '>=', '=', '!='),
      values: fc.integer({ min: 0, max: 10 }).map((n) => [String(n)]),
    }),
  );
  const stmt = fc.record({
    action: fc.constantFrom('INCLUDE', 'EXCLUDE'),
    where: fc.array(fc.array(cond, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }),
  });
  type Cond = { field: string; op: string; values: string[] };
  const text = (c: Cond) =>
    c.op === 'IN' || c.op === 'NOT IN'
      ? `Items.${c.field} ${c.op} (${c.values.map((v) => `"${v}"`).join(', ')})`
      : `Items.${c.field} ${c.op} ${c.values[0]}`;
  const holds = (c: Cond, row: AttributeRow | undefined): boolean => {
    const v = row?.[c.field];
    if (c.field === 'GENRES') {
      const any = typeof v === 'string' && v.split('|').some((g) => c.values.includes(g));
      return c.op === 'IN' ? any : !any;
    }
    const x = Number(c.values[0]);
    if (c.op === '!=') return !(typeof v === 'number' && v === x);
    if (typeof v !== 'number') return false;
    return { '<': v < x, '<=': v <= x, '>': v > x, '>=': v >= x, '=': v === x }[c.op] as boolean;
  };

  it('agrees on every item', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 12 }),
        fc.array(stmt, { minLength: 1, maxLength: 3 }),
        (rows, stmts) => {
          const ids = rows.map((_, i) => `i${i}`);
          const table = Object.fromEntries(rows.map((r, i) => [`i${i}`, r]));
          const expression = stmts
            .map(
              (s) => `${s.action} ItemID WHERE ${s.where.map((g) => g.map(text).join(' AND ')).join(' OR ')}`,
            )
            .join(' | ');
          const tree = parseFilter(expression);
          checkFilter(tree, SCHEMAS);
          const mask = evaluateFilter(tree, catalogOf(ids), dataFor(table, ids), new Map());
          const matches = (s: (typeof stmts)[number], id: string) =>
            s.where.some((g) => g.every((c) => holds(c, table[id])));
          const includes = stmts.filter((s) => s.action === 'INCLUDE');
          const excludes = stmts.filter((s) => s.action === 'EXCLUDE');
          ids.forEach((id, i) => {
            const inc = includes.length === 0 || includes.some((s) => matches(s, id));
            const exc = excludes.some((s) => matches(s, id));
            expect(mask.allows(i)).toBe(inc && !exc);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
