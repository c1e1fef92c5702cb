/**
 * Streaming CSV parser for dataset imports (spec §2.5): UTF-8, comma-separated, records end with LF, CRLF or CR,
 * fields may be wrapped in double quotes. Inside quotes a quote is written `""` (RFC 4180) or `\"` (Personalize's
 * documented form) and `\\` is one backslash; any other backslash is kept as written, so Windows paths and regexes
 * in text fields survive. Outside quotes every character is literal.
 *
 * The parser is push-based and keeps only the record being built, so memory does not grow with the file.
 */

export interface CsvRecord {
  /** 1-based physical line on which the record starts (the header is line 1). */
  readonly line: number;
  readonly fields: string[];
}

/** Malformed CSV (an unterminated quote, text after a closing quote); names the line the record started on. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`Line ${line}: ${reason}`);
    this.name = 'CsvSyntaxError';
  }
}

const COMMA = 44;
const QUOTE = 34;
const BACKSLASH = 92;
const LF = 10;
const CR = 13;

enum State {
  /** At the start of a field. */
  FieldStart,
  /** Inside an unquoted field. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just read a quote inside a quoted field: either the closing quote or the first half of `""`. */
  QuoteInQuoted,
  /** Just read a backslash inside a quoted field. */
  BackslashInQuoted,
  /** After the closing quote: only a comma or a line end may follow. */
  AfterQuoted,
}

export class CsvParser {
  private state = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  /** The previous chunk ended with CR: a LF at the start of the next chunk belongs to the same line end. */
  private pendingCr = false;
  /** A quoted field's text ended a chunk with CR: the next chunk decides whether it was a lone CR line break. */
  private crInQuoted = false;
  private started = false;

  /** The physical line the parser has reached. */
  get currentLine(): number {
    return this.line;
  }

  /** Parses a chunk of text and returns the records it completes. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    const n = chunk.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (this.pendingCr && i < n) {
      this.pendingCr = false;
      if (chunk.charCodeAt(i) === LF) i++;
    }
    while (i < n) {
      const c = chunk.charCodeAt(i);
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            i++;
            break;
          }
          this.state = State.Unquoted;
          continue;
        case State.Unquoted: {
          // Fast path: copy the run up to the next delimiter in one slice.
          let j = i;
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === COMMA || d === LF || d === CR) break;
            j++;
          }
          if (j > i) this.field += chunk.slice(i, j);
          i = j;
          if (i < n) i = this.delimiter(chunk, i, out);
          break;
        }
        case State.Quoted: {
          let j = i;
          if (this.crInQuoted) {
            this.crInQuoted = false;
            if (c !== LF) this.line++;
          }
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === QUOTE || d === BACKSLASH) break;
            if (d === LF) this.line++;
            else if (d === CR) {
              if (j + 1 === n) this.crInQuoted = true;
              else if (chunk.charCodeAt(j + 1) !== LF) this.line++;
            }
            j++;
          }
          if (j > i) this.field += chunk.slice(i, j);
          i = j;
          if (i < n) {
            this.state = chunk.charCodeAt(i) === QUOTE ? State.QuoteInQuoted : State.BackslashInQuoted;
            i++;
          }
          break;
        }
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            i++;
          } else {
            this.state = State.AfterQuoted;
          }
          break;
        case State.BackslashInQuoted:
          if (c === QUOTE || c === BACKSLASH) {
            this.field += String.fromCharCode(c);
            i++;
          } else {
            this.field += '\\';
          }
          this.state = State.Quoted;
          break;
        case State.AfterQuoted:
          if (c === COMMA || c === LF || c === CR) {
            i = this.delimiter(chunk, i, out);
          } else {
            throw new CsvSyntaxError(
              this.recordLine,
              this.fields.length + 1,
              'unexpected character after a closing quote.',
            );
          }
          break;
      }
    }
    return out;
  }

  /** Flushes the last record (a file need not end with a line break). Throws on an unterminated quote. */
  end(): CsvRecord[] {
    if (this.state === State.Quoted || this.state === State.BackslashInQuoted) {
      throw new CsvSyntaxError(this.recordLine, this.fields.length + 1, 'unterminated quoted field.');
    }
    const out: CsvRecord[] = [];
    if (this.state !== State.FieldStart || this.fields.length > 0) this.finishRecord(out);
    return out;
  }

  /** Handles the comma or line end at `chunk[i]`; returns the index after it. */
  private delimiter(chunk: string, i: number, out: CsvRecord[]): number {
    const c = chunk.charCodeAt(i);
    if (c === COMMA) {
      this.fields.push(this.field);
      this.field = '';
      this.state = State.FieldStart;
      return i + 1;
    }
    this.finishRecord(out);
    this.line++;
    this.recordLine = this.line;
    if (c === CR) {
      if (i + 1 === chunk.length) {
        this.pendingCr = true;
        return i + 1;
      }
      if (chunk.charCodeAt(i + 1) === LF) return i + 2;
    }
    return i + 1;
  }

  private finishRecord(out: CsvRecord[]): void {
    this.fields.push(this.field);
    // A blank line is a single empty unquoted field: skip it rather than report a record with too few columns.
    const blank = this.fields.length === 1 && this.fields[0] === '' && this.state !== State.AfterQuoted;
    if (!blank) out.push({ line: this.recordLine, fields: this.fields });
    this.fields = [];
    this.field = '';
    this.state = State.FieldStart;
  }
}

/**
 * Parses a byte or text stream (an S3 `GetObject` body, a file stream) into batches of records, one batch per input
 * chunk, decoding UTF-8 across chunk boundaries.
 */
export async function* parseCsv(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<CsvRecord[]> {
  const parser = new CsvParser();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes?: Uint8Array): string => {
    try {
      return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
    } catch {
      throw new CsvSyntaxError(parser.currentLine, 0, 'the file is not valid UTF-8.');
    }
  };
  for await (const chunk of source) {
    const records = parser.push(typeof chunk === 'string' ? chunk : decode(chunk));
    if (records.length > 0) yield records;
  }
  const tail = parser.push(decode());
  const last = parser.end();
  if (tail.length + last.length > 0) yield [...tail, ...last];
}
