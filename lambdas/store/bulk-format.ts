/**
 * The binary format of a bulk generation (`bulk-data.ts`): columnar blocks of rows instead of a JSON array per row.
 *
 *   file  := frame(FILE_MAGIC, {format, version, columns}) block*
 *   block := u32 byte length of the frame that follows | frame(BLOCK_MAGIC, {rows, strings, arrays}) arrays
 *
 * (frame: `engine/framing.ts`, the layout of the model and the snapshot.) Within a block each column has a kind per
 * row (null, string, number, false, true; one byte each), the numbers as float64 where the column holds any, and
 * the strings as int32 indices into the block's string table (each distinct string once, in order of first
 * appearance), where it holds any. A reader decodes a block into rows again; equal strings of a block decode to one
 * string, so their hash is computed once by whoever interns them. A block is cut at {@link BLOCK_ROWS} rows, or
 * sooner once its strings reach {@link BLOCK_CHARS} characters (long text fields), so writing and reading need
 * memory for one block only.
 */
import { align8, framedChunks, frameHeader, readFrame } from '../engine/framing';

export type BulkValue = string | number | boolean | null;

export const BULK_FORMAT = 'open-personalize/bulk';
export const BULK_FORMAT_VERSION = 2;
const FILE_MAGIC = 0x4b4c5542; // "BULK" little-endian
const BLOCK_MAGIC = 0x4b4c4f42; // "BOLK"
/** Most rows per block. */
export const BLOCK_ROWS = 8192;
/** Characters of string values after which a block is cut even if it has fewer rows. */
export const BLOCK_CHARS = 1 << 22;

/** The characters of a row's string values (what {@link BLOCK_CHARS} counts). */
export function stringChars(row: readonly BulkValue[]): number {
  let chars = 0;
  for (const v of row) if (typeof v === 'string') chars += v.length;
  return chars;
}

const KIND_NULL = 0;
const KIND_STRING = 1;
const KIND_NUMBER = 2;
const KIND_FALSE = 3;
const KIND_TRUE = 4;

interface ArrayDesc {
  readonly column: number;
  readonly type: 'kinds' | 'numbers' | 'strings';
  readonly offset: number;
  readonly length: number;
}

const WIDTH: Readonly<Record<ArrayDesc['type'], number>> = { kinds: 1, numbers: 8, strings: 4 };

interface BlockHeader {
  readonly rows: number;
  readonly strings: readonly string[];
  readonly arrays: readonly ArrayDesc[];
}

/** Whether `bytes` (at least the first 4 of an object) start a generation in this format. */
export function isBinaryGeneration(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === FILE_MAGIC
  );
}

/** The start of a generation file: its framed header. */
export function encodeFileHeader(columns: readonly string[]): Uint8Array {
  return frameHeader(FILE_MAGIC, { format: BULK_FORMAT, version: BULK_FORMAT_VERSION, columns });
}

/** The columns of a generation file whose framed header is `bytes`' start; `undefined` until the header is whole. */
export function decodeFileHeader(
  bytes: Uint8Array,
  key: string,
): { columns: string[]; length: number } | undefined {
  if (bytes.length < 8) return undefined;
  const length = align8(8 + new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true));
  if (bytes.length < length) return undefined;
  const { header } = readFrame(bytes.subarray(0, length), FILE_MAGIC, 'bulk generation');
  const h = header as { format?: string; version?: number; columns?: string[] };
  if (h.format !== BULK_FORMAT || h.version !== BULK_FORMAT_VERSION || !Array.isArray(h.columns))
    throw new Error(`${key}: unknown bulk data format ${h.format} v${h.version}`);
  return { columns: h.columns, length };
}

/** One block of rows (each `columns` long), as chunks to write one after another. */
export function encodeBlock(rows: readonly (readonly BulkValue[])[], columns: number): Uint8Array[] {
  const n = rows.length;
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const arrays: ArrayBufferView[] = [];
  const descs: ArrayDesc[] = [];
  let offset = 0;
  const add = (column: number, type: ArrayDesc['type'], a: ArrayBufferView, length: number): void => {
    descs.push({ column, type, offset, length });
    arrays.push(a);
    offset += align8(a.byteLength);
  };
  for (let c = 0; c < columns; c++) {
    const kinds = new Uint8Array(n);
    let numbers: Float64Array | undefined;
    let indices: Int32Array | undefined;
    for (let r = 0; r < n; r++) {
      const v = (rows[r] as readonly BulkValue[])[c];
      if (typeof v === 'string') {
        kinds[r] = KIND_STRING;
        let i = stringIndex.get(v);
        if (i === undefined) {
          i = strings.length;
          strings.push(v);
          stringIndex.set(v, i);
        }
        indices ??= new Int32Array(n);
        indices[r] = i;
      } else if (typeof v === 'number') {
        kinds[r] = KIND_NUMBER;
        numbers ??= new Float64Array(n);
        numbers[r] = v;
      } else if (typeof v === 'boolean') {
        kinds[r] = v ? KIND_TRUE : KIND_FALSE;
      } else if (v === null || v === undefined) {
        kinds[r] = KIND_NULL;
      } else {
        throw new Error(`bulk values are strings, numbers, booleans or null, got ${typeof v}`);
      }
    }
    add(c, 'kinds', kinds, n);
    if (numbers !== undefined) add(c, 'numbers', numbers, n);
    if (indices !== undefined) add(c, 'strings', indices, n);
  }
  const chunks = framedChunks(BLOCK_MAGIC, { rows: n, strings, arrays: descs } satisfies BlockHeader, arrays);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(
    0,
    chunks.reduce((s, c) => s + c.byteLength, 0),
    true,
  );
  return [length, ...chunks];
}

/**
 * The byte length of the whole block (its u32 length included) that starts `bytes`, or `undefined` while fewer than
 * four bytes are there.
 */
export function blockLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 4) return undefined;
  return 4 + new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}

/** The rows of the whole block `bytes` (as {@link blockLength} measured it), each `columns` long. */
export function decodeBlock(bytes: Uint8Array, columns: number, key: string): BulkValue[][] {
  const frame = bytes.subarray(4);
  const { header, dataStart } = readFrame(frame, BLOCK_MAGIC, `block of ${key}`);
  const { rows: n, strings, arrays } = header as BlockHeader;
  // A copy of its own at offset 0, so that every array is aligned (the block sits anywhere in the bytes read, and a
  // Buffer's `slice` would not copy).
  const data = new Uint8Array(frame.subarray(dataStart));
  const view = (d: ArrayDesc): Uint8Array | Float64Array | Int32Array => {
    if (d.offset + d.length * WIDTH[d.type] > data.byteLength)
      throw new Error(`block of ${key} is truncated`);
    if (d.type === 'kinds') return new Uint8Array(data.buffer, d.offset, d.length);
    return d.type === 'numbers'
      ? new Float64Array(data.buffer, d.offset, d.length)
      : new Int32Array(data.buffer, d.offset, d.length);
  };
  const byColumn = Array.from(
    { length: columns },
    () => ({}) as Partial<Record<ArrayDesc['type'], ArrayLike<number>>>,
  );
  for (const d of arrays) {
    const slot = byColumn[d.column];
    if (slot === undefined) throw new Error(`block of ${key} names column ${d.column} of ${columns}`);
    slot[d.type] = view(d);
  }
  const rows: BulkValue[][] = Array.from({ length: n }, () => new Array<BulkValue>(columns));
  byColumn.forEach((slot, c) => {
    const { kinds, numbers, strings: indices } = slot;
    if (kinds === undefined) throw new Error(`block of ${key} lacks column ${c}`);
    for (let r = 0; r < n; r++) {
      const row = rows[r] as BulkValue[];
      switch (kinds[r]) {
        case KIND_STRING:
          row[c] = strings[(indices as ArrayLike<number>)[r] as number] as string;
          break;
        case KIND_NUMBER:
          row[c] = (numbers as ArrayLike<number>)[r] as number;
          break;
        case KIND_TRUE:
          row[c] = true;
          break;
        case KIND_FALSE:
          row[c] = false;
          break;
        default:
          row[c] = null;
      }
    }
  });
  return rows;
}
