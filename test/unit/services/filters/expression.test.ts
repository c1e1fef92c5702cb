import fc from 'fast-check';
import { PersonalizeError } from '../../../../lambdas/errors';
import {
  type FilterCondition,
  type FilterLiteral,
  type FilterOperator,
  type FilterRhs,
  type FilterTree,
  formatFilter,
  parseFilter,
  type UserCondition,
} from '../../../../lambdas/services/filters/expression';

const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,11}$/);
const paramName = fc.stringMatching(/^[A-Za-z0-9_]{1,10}$/);
const literal: fc.Arbitrary<FilterLiteral> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 12 }).map((value) => ({ kind: 'string' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wildcard' as const }) },
);
// A string literal "*" reads back as the wildcard, so generated strings never are exactly "*".
const safeLiteral = literal.filter((l) => l.kind === 'wildcard' || l.value !== '*');
const number = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
const listOp = fc.constantFrom<FilterOperator>('IN', 'NOT IN');
const cmpOp = fc.constantFrom<FilterOperator>('=', '!=', '<', '<=', '>', '>=');
const comparison: fc.Arbitrary<{ op: FilterOperator; rhs: FilterRhs }> = fc.oneof(
  fc.record({
    op: listOp,
    rhs: fc.oneof(
      fc
        .array(safeLiteral, { minLength: 1, maxLength: 4 })
        .map((values) => ({ kind: 'values' as const, values })),
      paramName.map((n) => ({ kind: 'param' as const, name: n })),
    ),
  }),
  fc.record({
    op: cmpOp,
    rhs: fc.oneof(
      number.map((value) => ({ kind: 'number' as const, value: Object.is(value, -0) ? 0 : value })),
      paramName.map((n) => ({ kind: 'param' as const, name: n })),
    ),
  }),
);
const condition: fc.Arbitrary<FilterCondition> = fc
  .tuple(
    fc.constantFrom('Items', 'Interactions', 'Users') as fc.Arbitrary<FilterCondition['dataset']>,
    name,
    comparison,
  )
  .map(([dataset, field, c]) => ({ dataset, field, ...c }));
const userCondition: fc.Arbitrary<UserCondition> = fc
  .tuple(name, comparison)
  .map(([field, c]) => ({ field, ...c }));
const tree: fc.Arbitrary<FilterTree> = fc.record({
  statements: fc.array(
    fc.record({
      action: fc.constantFrom('INCLUDE' as const, 'EXCLUDE' as const),
      where: fc.array(fc.array(condition, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
      when: fc.array(userCondition, { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/** Random case for every letter of a keyword. */
function scramble(text: string, flips: readonly boolean[]): string {
  return [...text].map((c, i) => (flips[i % flips.length] ? c.toLowerCase() : c.toUpperCase())).join('');
}

function invalidAt(expression: string): { message: string } {
  try {
    parseFilter(expression);
  } catch (err) {
    expect(err).toBeInstanceOf(PersonalizeError);
    expect((err as PersonalizeError).name).toBe('InvalidInputException');
    return { message: (err as Error).message };
  }
  throw new Error(`${expression} parsed`);
}

describe('parseFilter', () => {
  it('parses the forms of AWS samples', () => {
    expect(parseFilter('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')).toEqual({
      statements: [
        {
          action: 'EXCLUDE',
          where: [
            [
              {
                dataset: 'Interactions',
                field: 'EVENT_TYPE',
                op: 'IN',
                rhs: { kind: 'values', values: [{ kind: 'wildcard' }] },
              },
            ],
          ],
          when: [],
        },
      ],
    });
    const mixed = parseFilter(
      'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE interactions.event_type in ("click", "stream")',
    );
    expect(mixed.statements.map((s) => s.action)).toEqual(['INCLUDE', 'EXCLUDE']);
    expect(mixed.statements[0]?.where[0]?.[0]?.rhs).toEqual({ kind: 'param', name: 'GENRE' });
    expect(mixed.statements[1]?.where[0]?.[0]).toMatchObject({
      dataset: 'Interactions',
      field: 'EVENT_TYPE',
    });
    const conditional = parseFilter('EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE');
    expect(conditional.statements[0]?.when).toEqual([
      { field: 'AGE', op: '=', rhs: { kind: 'param', name: 'AGE' } },
    ]);
    expect(
      parseFilter('INCLUDE ItemID WHERE ITEMS.CATEGORY_L1 IN ("shoes")').statements[0]?.where[0]?.[0],
    ).toEqual({
      dataset: 'Items',
      field: 'CATEGORY_L1',
      op: 'IN',
      rhs: { kind: 'values', values: [{ kind: 'string', value: 'shoes' }] },
    });
    expect(parseFilter('INCLUDE ItemID WHERE Items.PRICE <= $PRICE').statements[0]?.where[0]?.[0]?.op).toBe(
      '<=',
    );
  });

  it('binds AND tighter than OR', () => {
    const t = parseFilter(
      'INCLUDE ItemID WHERE Items.A IN ("1") OR Items.B IN ("2") AND Items.C IN ("3") OR Items.D > 4',
    );
    expect(t.statements[0]?.where.map((g) => g.map((c) => c.field))).toEqual([['A'], ['B', 'C'], ['D']]);
  });

  it('says where and what it expected', () => {
    expect(invalidAt('INCLUDE ItemID WHERE Items.GENRE IN "Comedy"').message).toMatch(
      /expected '\(' or a \$PARAMETER at position 37/,
    );
    expect(invalidAt('INCLUDE ItemID Items.GENRE IN ("a")').message).toMatch(/expected WHERE at position 16/);
    expect(invalidAt('KEEP ItemID WHERE Items.A IN ("a")').message).toMatch(
      /expected INCLUDE or EXCLUDE at position 1/,
    );
    expect(invalidAt('INCLUDE ItemID WHERE Items.A IN ("a"').message).toMatch(
      /expected ',' or '\)' at position 37 \(near end of expression\)/,
    );
    expect(invalidAt('INCLUDE ItemID WHERE Items.A IN ("a)').message).toMatch(
      /unterminated string at position 34/,
    );
    expect(invalidAt('INCLUDE ItemID WHERE Things.A IN ("a")').message).toMatch(/not 'Things'/);
    expect(invalidAt('INCLUDE ItemID WHERE CurrentUser.A IN ("a")').message).toMatch(
      /only in the trailing IF/,
    );
    expect(invalidAt('INCLUDE ItemID WHERE Items.A ~ 3').message).toMatch(
      /unexpected character '~' at position 30/,
    );
    expect(invalidAt('INCLUDE ItemID WHERE Items.A IN ("a") AND Items.B "x"').message).toMatch(
      /expected an operator \(IN, NOT IN, =, !=, <, <=, >, >=\) at position 51/,
    );
    expect(invalidAt('INCLUDE UserID WHERE Users.A IN ("a")').message).toMatch(/only item filters/);
    expect(invalidAt('INCLUDE ItemID WHERE Items.A IN ("a") IF Items.B = 3').message).toMatch(/CurrentUser/);
    expect(invalidAt('INCLUDE ItemID WHERE Items.A IN ("a") |').message).toMatch(
      /INCLUDE or EXCLUDE at position 40/,
    );
    expect(invalidAt('').message).toMatch(/position 1/);
  });

  it('reads back every tree it prints (property)', () => {
    fc.assert(
      fc.property(tree, (t) => {
        expect(parseFilter(formatFilter(t))).toEqual(t);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores the case of keywords, datasets and fields and the amount of white space (property)', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        fc.constantFrom(' ', '  ', '\n', '\t '),
        (t, flips, gap) => {
          const text = formatFilter(t);
          // Re-case keywords and identifiers outside quoted values (not $PARAMETER names, which keep their case);
          // widen the spaces between tokens.
          const varied = text
            .split(/("(?:[^"\\]|\\.)*")/)
            .map((part, i) =>
              i % 2 === 1
                ? part
                : part
                    .replace(
                      /(?<!\$)\b(INCLUDE|EXCLUDE|ItemID|WHERE|AND|OR|NOT|IN|IF|Items|Interactions|Users|CurrentUser)\b/g,
                      (w) => scramble(w, flips),
                    )
                    .replace(/ /g, gap),
            )
            .join('');
          expect(parseFilter(varied)).toEqual(t);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers any text with a tree or an InvalidInputException, never another error (property)', () => {
    const tokens = fc.constantFrom(
      'INCLUDE',
      'EXCLUDE',
      'ItemID',
      'WHERE',
      'Items',
      'Interactions',
      'Users',
      'CurrentUser',
      '.',
      'GENRE',
      'IN',
      'NOT',
      'AND',
      'OR',
      'IF',
      '(',
      ')',
      ',',
      '|',
      '"x"',
      '"*"',
      '*',
      '$P',
      '3',
      '-2.5',
      '=',
      '<=',
      '!=',
      '"',
      '\\',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.array(tokens, { maxLength: 20 }).map((a) => a.join(' ')),
        ),
        (text) => {
          try {
            parseFilter(text);
          } catch (err) {
            expect(err).toBeInstanceOf(PersonalizeError);
            expect((err as PersonalizeError).name).toBe('InvalidInputException');
            expect((err as Error).message).toMatch(/at position \d+/);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('fails on every strict prefix of a one-condition statement that ends inside it (property)', () => {
    fc.assert(
      fc.property(condition, fc.nat(), (c, cut) => {
        const text = formatFilter({ statements: [{ action: 'INCLUDE', where: [[c]], when: [] }] });
        const at = cut % text.length;
        const prefix = text.slice(0, at);
        // A prefix that drops only trailing characters of a bare number or $PARAMETER is itself valid; no other is.
        const bare =
          c.rhs.kind === 'number' || (c.rhs.kind === 'param' && c.op !== 'IN' && c.op !== 'NOT IN');
        if (bare && at > text.lastIndexOf(' ') + 1) return;
        invalidAt(prefix);
      }),
      { numRuns: 300 },
    );
  });
});
