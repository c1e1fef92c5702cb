/**
 * Properties of the CSV reader and of dataset schema validation, over generated inputs.
 */
import fc from 'fast-check';
import { PersonalizeError } from '../../../lambdas/errors';
import { CsvSyntaxError, parseCsv } from '../../../lambdas/services/csv';
import { parseDatasetSchema } from '../../../lambdas/services/schema-validation';

/** RFC 4180 writing: a field with a comma, quote, CR or LF is quoted and its quotes doubled. */
function writeCsv(rows: readonly (readonly string[])[]): string {
  const field = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
  return rows.map((r) => r.map(field).join(',')).join('\r\n');
}

async function readCsv(chunks: readonly Uint8Array[]): Promise<string[][]> {
  const rows: string[][] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const batch of parseCsv(source())) for (const r of batch) rows.push([...r.fields]);
  return rows;
}

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('CSV reader', () => {
  // Fields with commas, quotes, line breaks and multi-byte characters; rows of one width, as a header imposes.
  const field = fc.string({
    unit: fc.constantFrom('a', 'é', '😀', ',', '"', '\n', '\r\n', ' ', 'x'),
    maxLength: 8,
  });
  const table = fc
    .integer({ min: 1, max: 4 })
    .chain((width) =>
      fc.array(fc.array(field, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 12 }),
    )
    // A lone empty field is an empty line, which the reader skips as RFC 4180 readers do.
    .filter((rows) => rows.every((r) => !(r.length === 1 && r[0] === '')));

  it('reads back what an RFC 4180 writer wrote, however the bytes are split', async () => {
    await fc.assert(
      fc.asyncProperty(table, fc.array(fc.nat(), { maxLength: 6 }), async (rows, cuts) => {
        const bytes = new TextEncoder().encode(writeCsv(rows));
        expect(await readCsv(split(bytes, cuts))).toEqual(rows);
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it('either reads any input or refuses it with a CsvSyntaxError naming a line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' '), maxLength: 40 }),
        async (text) => {
          try {
            await readCsv([new TextEncoder().encode(text)]);
          } catch (err) {
            expect(err).toBeInstanceOf(CsvSyntaxError);
            expect((err as CsvSyntaxError).line).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });
});

describe('dataset schema validation', () => {
  const name = fc
    .stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/)
    .filter((n) => !['USER_ID', 'ITEM_ID', 'TIMESTAMP'].includes(n));
  const type = fc.constantFrom('string', 'int', 'long', 'float', 'double', 'boolean');
  const extra = fc.uniqueArray(fc.record({ name, type, nullable: fc.boolean() }), {
    selector: (f) => f.name,
    maxLength: 4,
  });
  const schema = (fields: readonly object[]) =>
    JSON.stringify({
      type: 'record',
      name: 'Interactions',
      namespace: 'com.amazonaws.personalize.schema',
      fields,
      version: '1.0',
    });
  const required = [
    { name: 'USER_ID', type: 'string' },
    { name: 'ITEM_ID', type: 'string' },
    { name: 'TIMESTAMP', type: 'long' },
  ];

  it('accepts an Interactions schema with the required fields and any extra fields, keeping their order', () => {
    fc.assert(
      fc.property(extra, (fields) => {
        const declared = fields.map((f) => ({ name: f.name, type: f.nullable ? ['null', f.type] : f.type }));
        let info: ReturnType<typeof parseDatasetSchema>;
        try {
          info = parseDatasetSchema(schema([...required, ...declared]));
        } catch (err) {
          // Some extra fields are refused by rule (e.g. a non-categorical type Personalize does not allow there);
          // the refusal must be typed.
          expect(err).toBeInstanceOf(PersonalizeError);
          return;
        }
        expect(info.datasetType).toBe('Interactions');
        expect(info.fields.map((f) => f.name)).toEqual([...required, ...declared].map((f) => f.name));
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  it('refuses a schema missing a required field with InvalidInputException', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), extra, (drop, fields) => {
        const kept = required.filter((_, i) => i !== drop);
        expect(() =>
          parseDatasetSchema(schema([...kept, ...fields.map((f) => ({ name: f.name, type: f.type }))])),
        ).toThrow(expect.objectContaining({ errorName: 'InvalidInputException' }));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('answers any JSON document with a schema or an InvalidInputException, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        try {
          parseDatasetSchema(text);
        } catch (err) {
          expect(err).toBeInstanceOf(PersonalizeError);
          expect((err as PersonalizeError).errorName).toBe('InvalidInputException');
        }
      }),
      { numRuns: 500, seed: 8 },
    );
  });
});
