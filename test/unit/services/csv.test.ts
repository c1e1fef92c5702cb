import { CsvParser, type CsvRecord, CsvSyntaxError, parseCsv } from '../../../lambdas/services/csv';

function parseWhole(text: string): CsvRecord[] {
  const parser = new CsvParser();
  return [...parser.push(text), ...parser.end()];
}

/** Parses the text fed in pieces split at every position, to catch state lost across chunk boundaries. */
function expectSameAtEverySplit(text: string): void {
  const whole = parseWhole(text);
  for (let k = 0; k <= text.length; k++) {
    const parser = new CsvParser();
    const got = [...parser.push(text.slice(0, k)), ...parser.push(text.slice(k)), ...parser.end()];
    expect({ k, got }).toEqual({ k, got: whole });
  }
}

describe('CsvParser', () => {
  it('splits plain records and keeps empty fields', () => {
    expect(parseWhole('USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,100\nu2,,200\n')).toEqual([
      { line: 1, fields: ['USER_ID', 'ITEM_ID', 'TIMESTAMP'] },
      { line: 2, fields: ['u1', 'i1', '100'] },
      { line: 3, fields: ['u2', '', '200'] },
    ]);
  });

  it('accepts CRLF, lone CR and a missing final line break', () => {
    expect(parseWhole('a,b\r\nc,d\re,f')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c', 'd'] },
      { line: 3, fields: ['e', 'f'] },
    ]);
  });

  it('unquotes fields with commas, line breaks, doubled quotes and backslash escapes', () => {
    const text = 'ID,TEXT\n1,"a, b"\n2,"two\r\nlines"\n3,"say ""hi"""\n4,"say \\"hi\\" \\\\ C:\\dir"\n5,x\n';
    expect(parseWhole(text)).toEqual([
      { line: 1, fields: ['ID', 'TEXT'] },
      { line: 2, fields: ['1', 'a, b'] },
      { line: 3, fields: ['2', 'two\r\nlines'] },
      { line: 5, fields: ['3', 'say "hi"'] },
      { line: 6, fields: ['4', 'say "hi" \\ C:\\dir'] },
      { line: 7, fields: ['5', 'x'] },
    ]);
  });

  it('keeps multi-values joined by | for the schema layer to split', () => {
    expect(parseWhole('i1,Action|Comedy\n')).toEqual([{ line: 1, fields: ['i1', 'Action|Comedy'] }]);
  });

  it('skips blank lines but keeps a quoted empty field', () => {
    expect(parseWhole('a\n\n""\n\r\nb\n')).toEqual([
      { line: 1, fields: ['a'] },
      { line: 3, fields: [''] },
      { line: 5, fields: ['b'] },
    ]);
  });

  it('strips a UTF-8 byte order mark', () => {
    expect(parseWhole('\ufeffUSER_ID\nu1\n')[0]).toEqual({ line: 1, fields: ['USER_ID'] });
  });

  it('gives the same records wherever a chunk boundary falls, including inside quotes and CRLF', () => {
    expectSameAtEverySplit('A,B\r\n"x ""y""\r\nz",\\q\r\n"\\"e\\\\",2\r"c\rd",3\n');
  });

  it('reports an unterminated quote and text after a closing quote with the record line', () => {
    expect(() => parseWhole('a,b\nc,"open\n')).toThrow(
      new CsvSyntaxError(2, 2, 'unterminated quoted field.'),
    );
    expect(() => parseWhole('a\n"x"y,1\n')).toThrow(/^Line 2: unexpected character after a closing quote\.$/);
  });
});

describe('parseCsv', () => {
  it('decodes UTF-8 split across byte chunks', async () => {
    const bytes = Buffer.from('ID,NAME\n1,"café ☕"\n', 'utf8');
    const chunks = async function* () {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    };
    const records: CsvRecord[] = [];
    for await (const batch of parseCsv(chunks())) records.push(...batch);
    expect(records).toEqual([
      { line: 1, fields: ['ID', 'NAME'] },
      { line: 2, fields: ['1', 'café ☕'] },
    ]);
  });

  it('rejects invalid UTF-8', async () => {
    const chunks = async function* () {
      yield Buffer.from('a\n', 'utf8');
      yield Buffer.from([0x61, 0xff, 0x0a]);
    };
    await expect(async () => {
      for await (const _ of parseCsv(chunks())) {
        // drain
      }
    }).rejects.toThrow(new CsvSyntaxError(2, 0, 'the file is not valid UTF-8.'));
  });
});
