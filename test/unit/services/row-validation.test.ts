import {
  coerceValue,
  type FieldDef,
  ImportValidationError,
  layoutFor,
  parseProperties,
  propertyKeyOf,
  validateCsvRow,
} from '../../../lambdas/services/row-validation';

const INTERACTIONS: FieldDef[] = [
  { name: 'USER_ID', type: 'string', nullable: false },
  { name: 'ITEM_ID', type: 'string', nullable: false },
  { name: 'TIMESTAMP', type: 'long', nullable: false },
  { name: 'EVENT_TYPE', type: 'string', nullable: true },
  { name: 'EVENT_VALUE', type: 'float', nullable: true },
  { name: 'IMPRESSION', type: 'string', nullable: true },
];

const ITEMS: FieldDef[] = [
  { name: 'ITEM_ID', type: 'string', nullable: false },
  { name: 'GENRES', type: 'string', nullable: true, categorical: true },
  { name: 'PRICE', type: 'double', nullable: true },
  { name: 'STOCK', type: 'int', nullable: true },
  { name: 'IN_STOCK', type: 'boolean', nullable: true },
  { name: 'DESCRIPTION', type: 'string', nullable: true, textual: true },
  { name: 'CREATION_TIMESTAMP', type: 'long', nullable: true },
];

describe('coerceValue', () => {
  const field = (type: FieldDef['type'], extra: Partial<FieldDef> = {}): FieldDef => ({
    name: 'X',
    type,
    nullable: false,
    ...extra,
  });

  it('parses numbers and booleans from text and accepts JSON scalars', () => {
    expect(coerceValue(field('int'), '-42')).toEqual({ ok: true, value: -42 });
    expect(coerceValue(field('long'), '1700000000')).toEqual({ ok: true, value: 1700000000 });
    expect(coerceValue(field('float'), '2.5e1')).toEqual({ ok: true, value: 25 });
    expect(coerceValue(field('double'), '.5')).toEqual({ ok: true, value: 0.5 });
    expect(coerceValue(field('double'), 3)).toEqual({ ok: true, value: 3 });
    expect(coerceValue(field('boolean'), 'true')).toEqual({ ok: true, value: true });
    expect(coerceValue(field('boolean'), false)).toEqual({ ok: true, value: false });
  });

  it('refuses malformed and out-of-range values', () => {
    expect(coerceValue(field('long'), 'abc')).toEqual({ ok: false, reason: "'abc' is not a valid long." });
    expect(coerceValue(field('int'), '2147483648')).toEqual({
      ok: false,
      reason: "'2147483648' is not a valid int.",
    });
    expect(coerceValue(field('long'), '1.5').ok).toBe(false);
    expect(coerceValue(field('float'), 'NaN').ok).toBe(false);
    expect(coerceValue(field('float'), '1e400').ok).toBe(false);
    expect(coerceValue(field('boolean'), 'True').ok).toBe(false);
    expect(coerceValue(field('string'), 12).ok).toBe(false);
  });

  it('treats empty as null, which only nullable fields accept', () => {
    expect(coerceValue(field('string'), '')).toEqual({ ok: false, reason: 'a value is required.' });
    expect(coerceValue(field('string', { nullable: true }), '')).toEqual({ ok: true, value: null });
    expect(coerceValue(field('int', { nullable: true }), null)).toEqual({ ok: true, value: null });
  });

  it('enforces id, categorical and timestamp limits and truncates text', () => {
    expect(coerceValue({ name: 'ITEM_ID', type: 'string', nullable: false }, 'x'.repeat(256)).ok).toBe(true);
    expect(coerceValue({ name: 'ITEM_ID', type: 'string', nullable: false }, 'x'.repeat(257)).ok).toBe(false);
    expect(coerceValue(field('string', { categorical: true }), 'x'.repeat(1001)).ok).toBe(false);
    expect(coerceValue({ name: 'TIMESTAMP', type: 'long', nullable: false }, '1700000000000')).toEqual({
      ok: false,
      reason: "'1700000000000' is not a Unix epoch time in seconds.",
    });
    expect(coerceValue({ name: 'TIMESTAMP', type: 'long', nullable: false }, '-1').ok).toBe(false);
    const text = coerceValue(field('string', { textual: true }), 'y'.repeat(20001));
    expect(text.ok && typeof text.value === 'string' && text.value.length).toBe(20000);
  });
});

describe('CSV layout and rows', () => {
  it('maps header columns in any order onto schema order, missing nullable columns as null', () => {
    const layout = layoutFor(INTERACTIONS, ['TIMESTAMP', 'ITEM_ID', 'USER_ID', 'EVENT_VALUE']);
    expect(validateCsvRow(layout, 2, ['1700000000', 'i1', 'u1', '4.5'])).toEqual([
      'u1',
      'i1',
      1700000000,
      null,
      4.5,
      null,
    ]);
  });

  it('names unknown, duplicated and missing header columns', () => {
    expect(() => layoutFor(INTERACTIONS, ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'COLOUR'])).toThrow(
      /^Line 1: header columns not in the schema: COLOUR\./,
    );
    expect(() => layoutFor(INTERACTIONS, ['USER_ID', 'USER_ID'])).toThrow(
      'Line 1: column USER_ID appears twice.',
    );
    expect(() => layoutFor(INTERACTIONS, ['USER_ID', 'EVENT_TYPE'])).toThrow(
      'Line 1: required columns missing from the header: ITEM_ID, TIMESTAMP.',
    );
  });

  it('reports the line, column and reason of a bad cell, and a wrong column count', () => {
    const layout = layoutFor(INTERACTIONS, ['USER_ID', 'ITEM_ID', 'TIMESTAMP']);
    expect(() => validateCsvRow(layout, 1234, ['u1', 'i1', 'abc'])).toThrow(
      new ImportValidationError("Line 1234, column TIMESTAMP: 'abc' is not a valid long."),
    );
    expect(() => validateCsvRow(layout, 7, ['u1', '', '1'])).toThrow(
      'Line 7, column ITEM_ID: a value is required.',
    );
    expect(() => validateCsvRow(layout, 9, ['u1', 'i1'])).toThrow('Line 9: expected 3 columns, found 2.');
  });
});

describe('properties', () => {
  it('maps camelCase keys to UPPER_SNAKE columns', () => {
    expect(propertyKeyOf('NUMBER_OF_RATINGS')).toBe('numberOfRatings');
    expect(propertyKeyOf('CREATION_TIMESTAMP')).toBe('creationTimestamp');
    const values = parseProperties(
      '{"genres":"Action|Comedy","price":"9.5","stock":3,"inStock":true,"CREATIONTIMESTAMP":1700000000}',
      ITEMS,
      'items[0]',
    );
    expect(Object.fromEntries(values)).toEqual({
      GENRES: 'Action|Comedy',
      PRICE: 9.5,
      STOCK: 3,
      IN_STOCK: true,
      CREATION_TIMESTAMP: 1700000000,
    });
  });

  it('joins a JSON array for a categorical column', () => {
    expect(parseProperties('{"genres":["A","B"]}', ITEMS, 'x').get('GENRES')).toBe('A|B');
  });

  it('refuses unknown or excluded keys, bad JSON and bad values, naming where', () => {
    expect(() => parseProperties('{"colour":"red"}', ITEMS, 'items[1]')).toThrow(
      'items[1]: property colour does not match a column of the schema.',
    );
    expect(() => parseProperties('{"itemId":"x"}', ITEMS, 'items[0]', new Set(['ITEM_ID']))).toThrow(
      /property itemId does not match/,
    );
    expect(() => parseProperties('{bad', ITEMS, 'items[0]')).toThrow(
      'items[0]: properties is not valid JSON.',
    );
    expect(() => parseProperties('[1]', ITEMS, 'items[0]')).toThrow(/must be a JSON object/);
    expect(() => parseProperties('{"stock":"many"}', ITEMS, 'items[0]')).toThrow(
      "items[0]: property stock: 'many' is not a valid int.",
    );
  });
});
