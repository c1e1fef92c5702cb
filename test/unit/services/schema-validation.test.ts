import {
  parseDatasetSchema,
  resolveDatasetType,
  validateSchemaForType,
} from '../../../lambdas/services/schema-validation';

type Field = Record<string, unknown> | string;
const record = (name: string, fields: Field[]) =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'com.amazonaws.personalize.schema',
    fields,
    version: '1.0',
  });

const INTERACTIONS_BASE: Field[] = [
  { name: 'USER_ID', type: 'string' },
  { name: 'ITEM_ID', type: 'string' },
  { name: 'TIMESTAMP', type: 'long' },
];
const interactions = (extra: Field[] = [], base = INTERACTIONS_BASE) =>
  record('Interactions', [...base, ...extra]);
const items = (fields: Field[]) => record('Items', [{ name: 'ITEM_ID', type: 'string' }, ...fields]);
const users = (fields: Field[]) => record('Users', [{ name: 'USER_ID', type: 'string' }, ...fields]);

function refused(schema: string, fragment: RegExp): void {
  let caught: unknown;
  try {
    parseDatasetSchema(schema);
  } catch (err) {
    caught = err;
  }
  expect(caught).toMatchObject({ name: 'InvalidInputException' });
  expect((caught as Error).message).toMatch(fragment);
}

describe('parseDatasetSchema accepts', () => {
  it('a full Interactions schema with every optional reserved field and contextual columns', () => {
    const info = parseDatasetSchema(
      interactions([
        { name: 'EVENT_TYPE', type: 'string' },
        { name: 'EVENT_VALUE', type: ['null', 'float'] },
        { name: 'IMPRESSION', type: ['null', 'string'] },
        { name: 'RECOMMENDATION_ID', type: ['string', 'null'] },
        { name: 'EVENT_ATTRIBUTION_SOURCE', type: ['null', 'string'] },
        { name: 'DEVICE', type: 'string', categorical: true },
        { name: 'LOCATION', type: ['null', 'string'], categorical: true },
      ]),
    );
    expect(info.datasetType).toBe('Interactions');
    expect(info.fields.map((f) => f.name)).toEqual([
      'USER_ID',
      'ITEM_ID',
      'TIMESTAMP',
      'EVENT_TYPE',
      'EVENT_VALUE',
      'IMPRESSION',
      'RECOMMENDATION_ID',
      'EVENT_ATTRIBUTION_SOURCE',
      'DEVICE',
      'LOCATION',
    ]);
    expect(info.fields[4]).toEqual({ name: 'EVENT_VALUE', type: 'float', nullable: true });
    expect(info.fields[9]).toEqual({ name: 'LOCATION', type: 'string', nullable: true, categorical: true });
  });

  it('the minimal Interactions schema', () => {
    expect(parseDatasetSchema(interactions()).fields).toHaveLength(3);
  });

  it('an Items schema with categorical, textual, numeric and creation-timestamp fields', () => {
    const info = parseDatasetSchema(
      items([
        { name: 'GENRES', type: 'string', categorical: true },
        { name: 'DESCRIPTION', type: ['null', 'string'], textual: true },
        { name: 'PRICE', type: 'double' },
        { name: 'CREATION_TIMESTAMP', type: 'long' },
        { name: 'IN_STOCK', type: 'boolean' },
      ]),
    );
    expect(info.datasetType).toBe('Items');
    expect(info.fields.find((f) => f.name === 'DESCRIPTION')).toEqual({
      name: 'DESCRIPTION',
      type: 'string',
      nullable: true,
      textual: true,
    });
  });

  it('a Users schema and a record name in another case', () => {
    const info = parseDatasetSchema(
      JSON.stringify({
        type: 'record',
        name: 'users',
        fields: [
          { name: 'USER_ID', type: 'string' },
          { name: 'AGE', type: 'int' },
        ],
      }),
    );
    expect(info.datasetType).toBe('Users');
  });

  it('exactly the metadata limits: 5 contextual, 100 item and 25 user fields', () => {
    const meta = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `F${i}`, type: 'int' }));
    expect(() => parseDatasetSchema(interactions(meta(5)))).not.toThrow();
    expect(() => parseDatasetSchema(items(meta(100)))).not.toThrow();
    expect(() => parseDatasetSchema(users(meta(25)))).not.toThrow();
  });
});

describe('parseDatasetSchema refuses, naming the problem', () => {
  it('text that is not JSON, or JSON that is not a record', () => {
    refused('{"type": "record",', /not valid JSON/);
    refused('[]', /JSON object/);
    refused(JSON.stringify({ type: 'enum', name: 'Items', fields: [] }), /"record"/);
  });

  it('a record name that is not a supported dataset type', () => {
    refused(record('Movies', INTERACTIONS_BASE), /record name "Movies"/);
    refused(record('Actions', [{ name: 'ACTION_ID', type: 'string' }]), /not support/);
    refused(JSON.stringify({ type: 'record', fields: INTERACTIONS_BASE }), /record "name"/);
  });

  it('missing or empty fields', () => {
    refused(JSON.stringify({ type: 'record', name: 'Items' }), /"fields"/);
    refused(record('Items', []), /"fields"/);
  });

  it('a missing required reserved field per type', () => {
    refused(interactions([], INTERACTIONS_BASE.slice(0, 2)), /requires the field TIMESTAMP/);
    refused(interactions([], INTERACTIONS_BASE.slice(1)), /requires the field USER_ID/);
    refused(
      record('Items', [{ name: 'GENRE', type: 'string', categorical: true }]),
      /requires the field ITEM_ID/,
    );
    refused(record('Users', [{ name: 'AGE', type: 'int' }]), /requires the field USER_ID/);
  });

  it('a reserved field with the wrong type, nullability or flag', () => {
    refused(
      interactions([], [INTERACTIONS_BASE[0]!, INTERACTIONS_BASE[1]!, { name: 'TIMESTAMP', type: 'string' }]),
      /TIMESTAMP must be of type long/,
    );
    refused(
      interactions([], [{ name: 'USER_ID', type: ['null', 'string'] }, ...INTERACTIONS_BASE.slice(1)]),
      /USER_ID is required and cannot be nullable/,
    );
    refused(
      interactions([{ name: 'EVENT_TYPE', type: 'string', categorical: true }]),
      /EVENT_TYPE cannot be categorical/,
    );
    refused(
      interactions([{ name: 'EVENT_VALUE', type: 'string' }]),
      /EVENT_VALUE must be of type float or double/,
    );
    refused(
      items([
        { name: 'CREATION_TIMESTAMP', type: 'int' },
        { name: 'G', type: 'int' },
      ]),
      /CREATION_TIMESTAMP must be of type long/,
    );
  });

  it('nested, unknown and malformed types', () => {
    refused(
      interactions([{ name: 'TAGS', type: { type: 'array', items: 'string' } }]),
      /TAGS has a nested type/,
    );
    refused(interactions([{ name: 'TAGS', type: 'array' }]), /only flat primitive/);
    refused(interactions([{ name: 'X', type: 'date' }]), /unknown type "date"/);
    refused(interactions([{ name: 'X', type: ['null', 'string', 'int'] }]), /union/);
    refused(interactions([{ name: 'X', type: ['int', 'string'] }]), /union/);
    refused(interactions([{ name: 'X', type: 'null' }]), /"null" alone/);
    refused(interactions([{ name: 'X' }]), /must have a "type"/);
    refused(interactions([{ name: '1X', type: 'int' }]), /invalid name/);
    refused(interactions(['X']), /fields\[3\]/);
  });

  it('categorical and textual misuse', () => {
    refused(
      items([{ name: 'PRICE', type: 'double', categorical: true }]),
      /PRICE is categorical but of type double/,
    );
    refused(items([{ name: 'PRICE', type: 'int', textual: true }]), /PRICE is textual but of type int/);
    refused(users([{ name: 'BIO', type: 'string', textual: true }]), /only allowed in an Items schema/);
    refused(
      items([{ name: 'D', type: 'string', textual: true, categorical: true }]),
      /both categorical and textual/,
    );
    refused(
      items([{ name: 'D', type: 'string', categorical: 'yes' }]),
      /"categorical" that is not a boolean/,
    );
    refused(
      items([
        { name: 'D1', type: 'string', textual: true },
        { name: 'D2', type: 'string', textual: true },
      ]),
      /at most 1 textual field; it has 2 \(D1, D2\)/,
    );
  });

  it('names that collide when compared alphanumerically, and exact duplicates', () => {
    refused(
      items([
        { name: 'GENRES_FIELD_1', type: 'int' },
        { name: 'GENRESFIELD1', type: 'int' },
      ]),
      /GENRES_FIELD_1 and GENRESFIELD1/,
    );
    refused(
      items([
        { name: 'A', type: 'int' },
        { name: 'A', type: 'int' },
      ]),
      /A appears more than once/,
    );
  });

  it('metadata counts outside the limits', () => {
    const meta = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `F${i}`, type: 'int' }));
    refused(interactions(meta(6)), /at most 5 metadata fields; it has 6/);
    refused(items(meta(101)), /at most 100 metadata fields; it has 101/);
    refused(users(meta(26)), /at most 25 metadata fields; it has 26/);
    refused(items([]), /Items schema needs at least 1 metadata field/);
    refused(users([]), /Users schema needs at least 1 metadata field/);
  });
});

describe('dataset types', () => {
  it('resolves case-insensitively and refuses unsupported or unknown types', () => {
    expect(resolveDatasetType('INTERACTIONS')).toBe('Interactions');
    expect(resolveDatasetType('items')).toBe('Items');
    expect(() => resolveDatasetType('Action_Interactions')).toThrow(/not supported/);
    expect(() => resolveDatasetType('Movies')).toThrow(/not valid/);
  });

  it('validateSchemaForType requires the record name to match the dataset type', () => {
    expect(validateSchemaForType(interactions(), 'Interactions').datasetType).toBe('Interactions');
    expect(() => validateSchemaForType(interactions(), 'Items')).toThrow(/record name/);
  });
});
