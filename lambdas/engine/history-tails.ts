/**
 * Each training user's history tail: the user's last items (at most the horizon the model reads), their event types
 * and the time of the newest, for serving. The publish step writes them as one compact artifact that serving reads
 * as it is downloaded: every array is a view of the artifact's bytes, and a user is found by probing a hash table
 * built at publish time, so loading decodes no user id and builds no per-user object; a request decodes only the
 * tail it asks for.
 *
 * Layout (little-endian), in the framing of the engine's other artifacts (`framing.ts`):
 *
 *   u32 magic "OPHT" | u32 header length | header JSON (UTF-8) | pad to 8 | arrays, each padded to 8
 *
 * The header holds the event types, the row encoding and where each array is:
 * - `slots` (u32 × a power of two): an open-addressing table, linear probing; 0 is an empty slot, else user + 1.
 *   A user's home slot is the top bits of FNV-1a of the id times 2654435761 (Fibonacci hashing); the table is at
 *   most three quarters full, so a probe meets an empty slot soon;
 * - `idOffsets` (u32 × users + 1) and `ids` (UTF-8): user u's id is `ids[idOffsets[u] .. idOffsets[u+1])`,
 *   compared byte for byte when probing, so colliding hashes are told apart;
 * - `rowOffsets` (u32 × users + 1): user u's tail is rows `rowOffsets[u] .. rowOffsets[u+1]`, oldest first;
 * - `lastTimes` (f64 × users): the epoch seconds of each user's newest row;
 * - `events` (`eventWidth` bytes per row, unsigned): item × `typeCodes` + type code, where the item numbers the
 *   items the tails name and a type code is 0 for no event type, else 1 + the index into `eventTypes`; when every
 *   row has the same code (`sameType`), `typeCodes` is 1 and the code is not stored;
 * - `itemIdOffsets` (u32 × items + 1) and `itemIds` (UTF-8): item i's id, decoded when a tail first names it.
 * 3 bytes per row at 100k items and a few event types, where a snapshot of the tails takes 12 plus every id in JSON.
 */
import { Column } from './dataset';
import { align8, framedChunks, readFrame } from './framing';
import { fnv1a } from './hash';
import type { InteractionColumns } from './snapshot';

export const HISTORY_TAILS_FORMAT = 'open-personalize/history-tails';
export const HISTORY_TAILS_FORMAT_VERSION = 1;
const MAGIC = 0x5448504f; // "OPHT" little-endian
const GOLDEN = 0x9e3779b1;
const MIN_SLOTS = 2;

/** A training user's most recent items (oldest first), their event types and the time of the newest. */
export interface HistoryTail {
  readonly itemIds: readonly string[];
  readonly eventTypes: readonly (string | undefined)[];
  /** Epoch seconds. */
  readonly lastTimestamp: number;
}

/** History tails by user id, each decoded when asked for. */
export interface HistoryTails {
  get(userId: string): HistoryTail | undefined;
  /** Users with a tail. */
  readonly size: number;
}

type ArrayName =
  | 'slots'
  | 'idOffsets'
  | 'ids'
  | 'rowOffsets'
  | 'lastTimes'
  | 'events'
  | 'itemIdOffsets'
  | 'itemIds';

interface Header {
  format: string;
  version: number;
  users: number;
  rows: number;
  items: number;
  eventTypes: readonly string[];
  eventWidth: number;
  typeCodes: number;
  sameType: number;
  arrays: { name: ArrayName; offset: number; byteLength: number }[];
}

/** Bytes per unsigned value for values below `count` (up to 6, exact in a double). */
function widthFor(count: number): number {
  let width = 1;
  while (count > 2 ** (8 * width)) width++;
  return width;
}

/** Home slot of a hash in a table of 2^bits slots (bits ≥ 1). */
const homeSlot = (hash: number, bits: number): number => Math.imul(hash, GOLDEN) >>> (32 - bits);

/** The table's size: a power of two, at least 4/3 of the users (and at least {@link MIN_SLOTS}). */
function slotBits(users: number): number {
  let bits = 1;
  while (1 << bits < Math.max(MIN_SLOTS, Math.ceil((users * 4) / 3))) bits++;
  return bits;
}

function writeUnsigned(out: Uint8Array, at: number, width: number, value: number): void {
  for (let b = 0; b < width; b++) out[at + b] = (value / 2 ** (8 * b)) & 0xff;
}

function readUnsigned(bytes: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let b = width - 1; b >= 0; b--) value = value * 256 + (bytes[at + b] as number);
  return value;
}

/**
 * The history tails artifact of a training snapshot (each user's last `tail` rows; users without rows are left out),
 * as chunks to be written in sequence.
 */
export function encodeHistoryTails(c: InteractionColumns, tail: number): Uint8Array[] {
  const builder = new HistoryTailsBuilder(tail);
  builder.scan(c);
  builder.fill(c);
  return builder.chunks();
}

/**
 * {@link encodeHistoryTails} of a snapshot given as parts that each hold the next users (its shards, in order), in
 * two passes: `scan` every part (the users, their tails' lengths and newest times, the items the tails name), then
 * `fill` every part in the same order (the tails' events), then `chunks`. Memory holds the artifact and one part.
 */
export class HistoryTailsBuilder {
  private readonly userIds: string[] = [];
  private readonly rowOffsets = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  private readonly lastTimes = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  // Items renumbered in order of first use by the tails; type codes 1 + type, 0 for none.
  private itemMap = new Int32Array(0);
  private readonly itemIds: string[] = [];
  private eventTypes: readonly string[] = [];
  private sameType = -1;
  private mixedTypes = false;
  private events?: { readonly bytes: Uint8Array; readonly width: number; readonly typeCodes: number };
  private filled = 0;

  constructor(private readonly tail: number) {
    this.rowOffsets.push(0);
  }

  /** The first pass, over one part. */
  scan(c: InteractionColumns): void {
    if (this.events !== undefined) throw new Error('The tails are being filled');
    if (this.itemMap.length === 0) {
      this.itemMap = new Int32Array(c.itemIds.length).fill(-1);
      this.eventTypes = c.eventTypes;
    }
    if (c.itemIds.length !== this.itemMap.length) throw new Error('The parts are not of one snapshot');
    this.eachTail(c, (u, from, to) => {
      this.userIds.push(c.userIds[u] as string);
      this.rowOffsets.push((this.rowOffsets.data[this.rowOffsets.length - 1] as number) + (to - from));
      this.lastTimes.push(c.time[to - 1] as number);
      for (let r = from; r < to; r++) {
        const old = c.item[r] as number;
        if (this.itemMap[old] === -1) {
          this.itemMap[old] = this.itemIds.length;
          this.itemIds.push(c.itemIds[old] as string);
        }
        const code = (c.type[r] as number) + 1;
        if (this.sameType === -1) this.sameType = code;
        else if (code !== this.sameType) this.mixedTypes = true;
      }
    });
  }

  /** The second pass, over one part: the parts must come in the order `scan` saw them. */
  fill(c: InteractionColumns): void {
    if (this.events === undefined) {
      const typeCodes = this.mixedTypes ? this.eventTypes.length + 1 : 1;
      const width = widthFor(this.itemIds.length * typeCodes);
      this.events = { bytes: new Uint8Array(this.rows() * width), width, typeCodes };
    }
    const { bytes, width, typeCodes } = this.events;
    const offsets = this.rowOffsets.data;
    this.eachTail(c, (u, from, to) => {
      const k = this.filled++;
      if (this.userIds[k] !== c.userIds[u]) throw new Error('The parts were filled in another order');
      let p = offsets[k] as number;
      for (let r = from; r < to; r++, p++) {
        const code = this.mixedTypes ? (c.type[r] as number) + 1 : 0;
        writeUnsigned(
          bytes,
          p * width,
          width,
          (this.itemMap[c.item[r] as number] as number) * typeCodes + code,
        );
      }
    });
  }

  /** The artifact's chunks, once every part was filled. */
  chunks(): Uint8Array[] {
    const n = this.userIds.length;
    if (this.filled !== n) throw new Error(`Filled ${this.filled} of ${n} users' tails`);
    const events = this.events ?? { bytes: new Uint8Array(0), width: widthFor(0), typeCodes: 1 };
    const rowOffsets = Uint32Array.from(this.rowOffsets.trimmed());
    const lastTimes = this.lastTimes.trimmed().slice();
    const { offsets: idOffsets, bytes: ids } = encodeStrings(this.userIds);
    const { offsets: itemIdOffsets, bytes: itemIdBytes } = encodeStrings(this.itemIds);
    const bits = slotBits(n);
    const slots = new Uint32Array(2 ** bits);
    const mask = slots.length - 1;
    for (let k = 0; k < n; k++) {
      let s = homeSlot(fnv1a(this.userIds[k] as string), bits);
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = k + 1;
    }

    const arrays: [ArrayName, Uint8Array | Uint32Array | Float64Array][] = [
      ['lastTimes', lastTimes],
      ['slots', slots],
      ['idOffsets', idOffsets],
      ['rowOffsets', rowOffsets],
      ['itemIdOffsets', itemIdOffsets],
      ['ids', ids],
      ['events', events.bytes],
      ['itemIds', itemIdBytes],
    ];
    let offset = 0;
    const descriptors: Header['arrays'] = arrays.map(([name, a]) => {
      const d = { name, offset, byteLength: a.byteLength };
      offset += align8(a.byteLength);
      return d;
    });
    const header: Header = {
      format: HISTORY_TAILS_FORMAT,
      version: HISTORY_TAILS_FORMAT_VERSION,
      users: n,
      rows: this.rows(),
      items: this.itemIds.length,
      eventTypes: this.eventTypes,
      eventWidth: events.width,
      typeCodes: events.typeCodes,
      sameType: Math.max(0, this.sameType),
      arrays: descriptors,
    };
    return framedChunks(
      MAGIC,
      header,
      arrays.map(([, a]) => a),
    );
  }

  private rows(): number {
    return this.rowOffsets.data[this.rowOffsets.length - 1] as number;
  }

  /** Calls `each` with every user of the part that has rows, and the rows of its tail. */
  private eachTail(c: InteractionColumns, each: (u: number, from: number, to: number) => void): void {
    for (let u = 0; u < c.userIds.length; u++) {
      const to = c.userOffsets[u + 1] as number;
      const length = to - (c.userOffsets[u] as number);
      if (length > 0) each(u, to - Math.min(this.tail, length), to);
    }
  }
}

/** The strings' UTF-8 bytes end to end, and where each starts. */
function encodeStrings(strings: readonly string[]): { offsets: Uint32Array; bytes: Uint8Array } {
  let most = 0;
  for (const text of strings) most += text.length * 3;
  const buffer = new Uint8Array(most);
  const encoder = new TextEncoder();
  const offsets = new Uint32Array(strings.length + 1);
  let at = 0;
  strings.forEach((text, k) => {
    at += encoder.encodeInto(text, buffer.subarray(at)).written;
    offsets[k + 1] = at;
  });
  return { offsets, bytes: buffer.subarray(0, at) };
}

/** Whether `bytes` start like a history tails artifact (rather than a training snapshot of the tails). */
export function isHistoryTails(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MAGIC;
}

/**
 * Reads a history tails artifact. Its arrays are views of `bytes` where aligned (copies otherwise), so keep `bytes`
 * unmodified; only the header is parsed here.
 */
export function decodeHistoryTails(bytes: Uint8Array): HistoryTails {
  const frame = readFrame(bytes, MAGIC, 'history tails artifact');
  const header = frame.header as Header;
  if (header.format !== HISTORY_TAILS_FORMAT || header.version !== HISTORY_TAILS_FORMAT_VERSION) {
    throw new Error(`unsupported history tails format ${header.format} v${header.version}`);
  }
  const { dataStart } = frame;
  const span = (name: ArrayName): { start: number; byteLength: number } => {
    const d = header.arrays.find((a) => a.name === name);
    if (d === undefined) throw new Error(`history tails artifact lacks ${name}`);
    const start = dataStart + d.offset;
    if (start + d.byteLength > bytes.length) throw new Error('history tails artifact is truncated');
    return { start, byteLength: d.byteLength };
  };
  const bytesOf = (name: ArrayName): Uint8Array => {
    const { start, byteLength } = span(name);
    return bytes.subarray(start, start + byteLength);
  };
  const wordsOf = <T extends Uint32Array | Float64Array>(
    name: ArrayName,
    make: (buffer: ArrayBufferLike, at: number, length: number) => T,
    width: number,
  ): T => {
    const { start, byteLength } = span(name);
    const at = bytes.byteOffset + start;
    if (at % width === 0) return make(bytes.buffer, at, byteLength / width);
    return make(bytes.slice(start, start + byteLength).buffer, 0, byteLength / width);
  };
  const u32 = (b: ArrayBufferLike, at: number, length: number) => new Uint32Array(b, at, length);
  const slots = wordsOf('slots', u32, 4);
  const idOffsets = wordsOf('idOffsets', u32, 4);
  const rowOffsets = wordsOf('rowOffsets', u32, 4);
  const lastTimes = wordsOf('lastTimes', (b, at, length) => new Float64Array(b, at, length), 8);
  const itemIdOffsets = wordsOf('itemIdOffsets', u32, 4);
  const ids = bytesOf('ids');
  const events = bytesOf('events');
  const itemIdBytes = bytesOf('itemIds');
  const { users, rows, items, eventWidth, typeCodes } = header;
  const bits = Math.log2(slots.length);
  if (
    !Number.isInteger(bits) ||
    bits < 1 ||
    slots.length < users ||
    idOffsets.length !== users + 1 ||
    rowOffsets.length !== users + 1 ||
    lastTimes.length !== users ||
    idOffsets[users] !== ids.length ||
    rowOffsets[users] !== rows ||
    itemIdOffsets.length !== items + 1 ||
    itemIdOffsets[items] !== itemIdBytes.length ||
    events.length !== rows * eventWidth ||
    !(typeCodes >= 1)
  ) {
    throw new Error('history tails artifact is inconsistent');
  }
  const mask = slots.length - 1;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const typeOf = (code: number): string | undefined => (code === 0 ? undefined : header.eventTypes[code - 1]);
  const itemIds: (string | undefined)[] = [];
  const itemId = (i: number): string => {
    let id = itemIds[i];
    if (id === undefined) {
      id = decoder.decode(itemIdBytes.subarray(itemIdOffsets[i], itemIdOffsets[i + 1]));
      itemIds[i] = id;
    }
    return id;
  };

  const isUser = (u: number, key: Uint8Array): boolean => {
    const from = idOffsets[u] as number;
    if ((idOffsets[u + 1] as number) - from !== key.length) return false;
    for (let b = 0; b < key.length; b++) if (ids[from + b] !== key[b]) return false;
    return true;
  };
  const tailOf = (u: number): HistoryTail => {
    const tailItems: string[] = [];
    const eventTypes: (string | undefined)[] = [];
    for (let r = rowOffsets[u] as number; r < (rowOffsets[u + 1] as number); r++) {
      const value = readUnsigned(events, r * eventWidth, eventWidth);
      const code = value % typeCodes;
      tailItems.push(itemId((value - code) / typeCodes));
      eventTypes.push(typeOf(typeCodes === 1 ? header.sameType : code));
    }
    return { itemIds: tailItems, eventTypes, lastTimestamp: lastTimes[u] as number };
  };
  return {
    size: users,
    get(userId) {
      const key = encoder.encode(userId);
      let s = homeSlot(fnv1a(userId), bits);
      for (let probes = 0; probes < slots.length; probes++, s = (s + 1) & mask) {
        const entry = slots[s] as number;
        if (entry === 0) return undefined;
        if (entry <= users && isUser(entry - 1, key)) return tailOf(entry - 1);
      }
      return undefined;
    },
  };
}

/**
 * The history tails of a training snapshot, in the artifact's form (for versions published without one): the
 * snapshot itself need not be kept.
 */
export function historyTailsOf(c: InteractionColumns, tail: number): HistoryTails {
  const chunks = encodeHistoryTails(c, tail);
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return decodeHistoryTails(bytes);
}
