/**
 * The training snapshot: a group's interactions as typed-array columns, partitioned by user and time-sorted within
 * each user, with the ids, event types and item/user metadata in a small JSON header. Training, evaluation and
 * serving read the columns as they are; nothing on the way builds one object per interaction.
 *
 * Layout (little-endian), in the style of `model.bin`:
 *
 *   u32 magic "OPPS" | u32 header length | header JSON (UTF-8) | pad to 8 | arrays, each padded to 8
 *
 * The header names every array with its element type, offset from the start of the array data, and length.
 * A user's events are rows `userOffsets[u] .. userOffsets[u+1]`, oldest first (equal timestamps keep source order).
 * Users are grouped by the distributed training's shard (`shardOfUser`), shard 0 first, and within a shard numbered
 * in order of first appearance in the source; the header's `shardUsers` gives each shard's users, so that a shard
 * reads its own users' rows by byte range (`openSnapshot`) and nothing else of the columns. Items and event
 * types are numbered in order of first appearance.
 */

import { Column, ContextColumn, IdIndex, orderByUserThenTime, SparseLists } from './dataset';
import { attributesOfTokens } from './feature-embeddings';
import { align8, framedChunks, readFrame } from './framing';
import { shardOfUser } from './hash';
import type { Interaction, ItemMeta, UserMeta } from './types';

export const SNAPSHOT_FORMAT = 'open-personalize/interactions';
export const SNAPSHOT_FORMAT_VERSION = 3;
/** Version 2 had no shards: one shard of every user. It is still read. */
const VERSIONS_READ = [2, SNAPSHOT_FORMAT_VERSION];
const MAGIC = 0x5350504f; // "OPPS" little-endian
const NO_TYPE = -1;

/** Interactions by user, as columns. */
export interface InteractionColumns {
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly eventTypes: readonly string[];
  /** users + 1 entries: user u's rows are userOffsets[u] .. userOffsets[u+1]. */
  readonly userOffsets: Int32Array;
  /** Per row: index into `itemIds`. */
  readonly item: Int32Array;
  /** Per row: epoch seconds; Int32 when every timestamp is a whole number of seconds that fits. */
  readonly time: Float64Array | Int32Array;
  /** Per row: index into `eventTypes`, or −1 for an event without a type. */
  readonly type: Int32Array;
  /** Per row: the event value, NaN where there is none; absent when no row has one. */
  readonly value?: Float64Array;
  /** rows + 1 entries: row r's impression list is impressionItems[impressionOffsets[r] .. [r+1]); absent if none. */
  readonly impressionOffsets?: Int32Array;
  readonly impressionItems?: Int32Array;
  /**
   * Contextual metadata: the `FIELD=value` tokens of the events' categorical Interactions columns, and per row
   * (rows + 1 offsets) indices into them; absent when no row has any.
   */
  readonly contextTokens?: readonly string[];
  readonly contextOffsets?: Int32Array;
  readonly contextIds?: Int32Array;
}

export interface TrainingSnapshot {
  readonly columns: InteractionColumns;
  readonly items: readonly ItemMeta[];
  readonly users: readonly UserMeta[];
  /** The user shards the columns are grouped by (`SnapshotBuilder.finish`). @default 1 */
  readonly shards?: number;
}

type ArrayName =
  | 'userOffsets'
  | 'item'
  | 'time'
  | 'type'
  | 'value'
  | 'impressionOffsets'
  | 'impressionItems'
  | 'contextOffsets'
  | 'contextIds';
type ArrayType = 'int32' | 'float64';

interface Header {
  format: string;
  version: number;
  interactions: number;
  userIds: readonly string[];
  itemIds: readonly string[];
  eventTypes: readonly string[];
  contextTokens?: readonly string[];
  items: readonly ItemMeta[];
  users: readonly UserMeta[];
  /** shards + 1 entries: shard s's users are shardUsers[s] .. shardUsers[s+1]; absent in version 2 (one shard). */
  shardUsers?: readonly number[];
  arrays: { name: ArrayName; type: ArrayType; offset: number; length: number }[];
}

/** Rows in the snapshot. */
export const rowCount = (c: InteractionColumns): number => c.item.length;

/**
 * Collects interactions in any order and sorts them into columns. Memory while collecting: 20 bytes per interaction
 * (user, item, time, event type), 8 more from the first one with an event value on, impression and context lists
 * from the first one that has one on (`SparseLists`), and the ids once each; the columns grow by doubling. The
 * builder's columns are handed over one by one as `finish` sorts them, and it must not be used afterwards.
 */
export class SnapshotBuilder {
  private readonly users = new IdIndex();
  private readonly items = new IdIndex();
  private readonly types = new IdIndex();
  private readonly user = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly item = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly time = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  private readonly type = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  /** Event values, from the first row that has one (earlier rows: NaN). */
  private value?: Column<Float64Array>;
  private readonly shown = new SparseLists();
  private readonly contexts = new ContextColumn();

  get size(): number {
    return this.user.length;
  }

  add(x: Interaction): void {
    if (x.impression !== undefined)
      for (const id of x.impression) this.shown.values.push(this.items.intern(id));
    this.shown.endRow();
    this.contexts.add(x.context);
    if (this.value === undefined && x.eventValue !== undefined) {
      this.value = new Column(new Float64Array(Math.max(1024, this.size + 1)), (n) => new Float64Array(n));
      for (let r = 0; r < this.size; r++) this.value.push(Number.NaN);
    }
    this.value?.push(x.eventValue ?? Number.NaN);
    this.user.push(this.users.intern(x.userId));
    this.item.push(this.items.intern(x.itemId));
    this.time.push(x.timestamp);
    this.type.push(x.eventType === undefined ? NO_TYPE : this.types.intern(x.eventType));
  }

  /** Interactions per user so far, indexed like the snapshot's `userIds`. */
  userCounts(): Uint32Array {
    const counts = new Uint32Array(this.users.size);
    const user = this.user.trimmed();
    for (let i = 0; i < user.length; i++)
      counts[user[i] as number] = (counts[user[i] as number] as number) + 1;
    return counts;
  }

  /**
   * The columns, sorted by user and time, the users grouped by their shard of `shards` (in order of first
   * appearance within a shard). The builder must not be used afterwards.
   */
  finish(shards = 1): InteractionColumns {
    const grouped = groupUsersByShard(this.users.ids, shards);
    // Each column is taken from the builder as it is sorted, so its memory can go before the next one's is made.
    const userOf = this.user.take();
    if (grouped !== undefined)
      for (let r = 0; r < userOf.length; r++) userOf[r] = grouped.rank[userOf[r] as number] as number;
    const m = userOf.length;
    const timeOf = this.time.take();
    const { userOffsets, order } = orderByUserThenTime(userOf, this.users.size, timeOf);
    const permute = <T extends Int32Array | Float64Array>(src: Int32Array | Float64Array, out: T): T => {
      for (let p = 0; p < m; p++) out[p] = src[order[p] as number] as number;
      return out;
    };
    const wholeSeconds = timeOf.every((t) => Number.isInteger(t) && t >= -2147483648 && t <= 2147483647);
    const time = wholeSeconds ? permute(timeOf, new Int32Array(m)) : permute(timeOf, new Float64Array(m));
    let columns: InteractionColumns = {
      userIds: grouped === undefined ? this.users.ids : grouped.ids,
      itemIds: this.items.ids,
      eventTypes: this.types.ids,
      userOffsets,
      time,
      item: permute(this.item.take(), new Int32Array(m)),
      type: permute(this.type.take(), new Int32Array(m)),
      ...(this.value === undefined ? {} : { value: permute(this.value.take(), new Float64Array(m)) }),
    };
    const impressions = this.shown.sorted(order);
    if (impressions !== undefined) {
      columns = { ...columns, impressionOffsets: impressions.offsets, impressionItems: impressions.values };
    }
    const context = this.contexts.sorted(order);
    if (context !== undefined) {
      columns = {
        ...columns,
        contextTokens: context.tokens,
        contextOffsets: context.offsets,
        contextIds: context.ids,
      };
    }
    return columns;
  }
}

/** Users renumbered by shard, first appearance within a shard: each old number's new one, and the ids in new order. */
function groupUsersByShard(
  ids: readonly string[],
  shards: number,
): { rank: Int32Array; ids: string[] } | undefined {
  if (shards <= 1) return undefined;
  const shardOf = Int32Array.from(ids, (id) => shardOfUser(id, shards));
  const next = new Int32Array(shards + 1);
  for (const s of shardOf) next[s + 1] = (next[s + 1] as number) + 1;
  for (let s = 0; s < shards; s++) next[s + 1] = (next[s + 1] as number) + (next[s] as number);
  const rank = new Int32Array(ids.length);
  const out = new Array<string>(ids.length);
  for (let u = 0; u < ids.length; u++) {
    const s = shardOf[u] as number;
    const r = next[s] as number;
    next[s] = r + 1;
    rank[u] = r;
    out[r] = ids[u] as string;
  }
  return { rank, ids: out };
}

/** Each shard's first user and the end: throws unless the users are grouped by shard in shard order. */
function shardUsersOf(userIds: readonly string[], shards: number): number[] {
  const bounds = [0];
  for (let u = 0; u < userIds.length; u++) {
    const s = shards <= 1 ? 0 : shardOfUser(userIds[u] as string, shards);
    if (s < bounds.length - 1) throw new Error(`The snapshot's users are not grouped into ${shards} shards`);
    while (bounds.length - 1 < s) bounds.push(u);
  }
  while (bounds.length <= shards) bounds.push(userIds.length);
  return bounds;
}

/**
 * The snapshot's bytes as a list of chunks (the header, then each array as a view of its own memory, with padding),
 * to be written in sequence: no copy of the columns and no single string of the data is made.
 */
export function encodeSnapshot(snapshot: TrainingSnapshot): Uint8Array[] {
  const c = snapshot.columns;
  const arrays: [ArrayName, Int32Array | Float64Array][] = [
    ['userOffsets', c.userOffsets],
    ['item', c.item],
    ['time', c.time],
    ['type', c.type],
  ];
  if (c.value !== undefined) arrays.push(['value', c.value]);
  if (c.impressionOffsets !== undefined && c.impressionItems !== undefined) {
    arrays.push(['impressionOffsets', c.impressionOffsets], ['impressionItems', c.impressionItems]);
  }
  if (c.contextOffsets !== undefined && c.contextIds !== undefined) {
    arrays.push(['contextOffsets', c.contextOffsets], ['contextIds', c.contextIds]);
  }
  let offset = 0;
  const descriptors: Header['arrays'] = arrays.map(([name, a]) => {
    const d = {
      name,
      type: (a instanceof Float64Array ? 'float64' : 'int32') as ArrayType,
      offset,
      length: a.length,
    };
    offset += align8(a.byteLength);
    return d;
  });
  const header: Header = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_FORMAT_VERSION,
    interactions: rowCount(c),
    userIds: c.userIds,
    itemIds: c.itemIds,
    eventTypes: c.eventTypes,
    ...(c.contextTokens === undefined ? {} : { contextTokens: c.contextTokens }),
    items: snapshot.items,
    users: snapshot.users,
    shardUsers: shardUsersOf(c.userIds, snapshot.shards ?? 1),
    arrays: descriptors,
  };
  return framedChunks(
    MAGIC,
    header,
    arrays.map(([, a]) => a),
  );
}

/** Reads a snapshot. Arrays are views of `bytes` where aligned (copies otherwise), so keep `bytes` unmodified. */
export function decodeSnapshot(bytes: Uint8Array): TrainingSnapshot {
  const frame = readFrame(bytes, MAGIC, 'training snapshot');
  const header = checkedHeader(frame.header);
  const arrays = {} as Arrays;
  for (const d of header.arrays) {
    const start = frame.dataStart + d.offset;
    const end = start + d.length * (d.type === 'float64' ? 8 : 4);
    if (end > bytes.length) throw new Error('training snapshot is truncated');
    arrays[d.name] = typedView(bytes, start, end, d.type);
  }
  const columns = assembleColumns(header, arrays, header.userIds);
  if (
    columns.userOffsets.length !== columns.userIds.length + 1 ||
    columns.userOffsets[columns.userIds.length] !== header.interactions ||
    columns.item.length !== header.interactions
  ) {
    throw new Error('training snapshot is inconsistent');
  }
  return { columns, items: header.items, users: header.users, shards: shardBounds(header).length - 1 };
}

/** Reads bytes [start, end) of an object. */
export type ByteRangeReader = (start: number, end: number) => Promise<Uint8Array>;

/** A stored snapshot opened by its header: its tables, its shards, and each shard's users read on demand. */
export interface StoredSnapshot {
  readonly interactions: number;
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly items: readonly ItemMeta[];
  readonly users: readonly UserMeta[];
  readonly shards: number;
  /** Every user's row offsets (users + 1 entries), read by one byte range. */
  userOffsets(): Promise<Int32Array>;
  /**
   * Shard `shard`'s users, read by byte ranges: only their slices of each array, so that a shard's memory and
   * transfer follow its own rows. The columns keep the whole snapshot's item, event-type and context tables; user
   * numbers and row offsets start from 0. `users` (the Users metadata) is cut to the shard's users.
   */
  shard(shard: number): Promise<TrainingSnapshot>;
}

/** Opens a stored snapshot: reads its header, and nothing of its arrays yet. */
export async function openSnapshot(read: ByteRangeReader): Promise<StoredSnapshot> {
  const prefix = await read(0, 8);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getUint32(4, true);
  const frame = readFrame(await read(0, 8 + length), MAGIC, 'training snapshot');
  const header = checkedHeader(frame.header);
  const bounds = shardBounds(header);
  const slice = async (name: ArrayName, from: number, to: number) => {
    const d = header.arrays.find((a) => a.name === name);
    if (d === undefined) return undefined;
    if (from < 0 || to > d.length || from > to) throw new Error('training snapshot is inconsistent');
    const width = d.type === 'float64' ? 8 : 4;
    const at = frame.dataStart + d.offset;
    const bytes = to > from ? await read(at + from * width, at + to * width) : new Uint8Array(0);
    return typedView(bytes, 0, bytes.length, d.type);
  };
  const shard = async (s: number): Promise<TrainingSnapshot> => {
    if (!Number.isInteger(s) || s < 0 || s >= bounds.length - 1)
      throw new Error(`The training snapshot has no shard ${s} of ${bounds.length - 1}`);
    const u0 = bounds[s] as number;
    const u1 = bounds[s + 1] as number;
    const arrays = {} as Arrays;
    const userRows = (await slice('userOffsets', u0, u1 + 1)) as Int32Array;
    const r0 = userRows[0] as number;
    const r1 = userRows[u1 - u0] as number;
    arrays.userOffsets = userRows.map((x) => x - r0);
    for (const name of ['item', 'time', 'type', 'value'] as const) arrays[name] = await slice(name, r0, r1);
    for (const [from, items] of [
      ['impressionOffsets', 'impressionItems'],
      ['contextOffsets', 'contextIds'],
    ] as const) {
      const rowsAt = (await slice(from, r0, r1 + 1)) as Int32Array | undefined;
      if (rowsAt === undefined) continue;
      arrays[from] = rowsAt.map((x) => x - (rowsAt[0] as number));
      arrays[items] = await slice(items, rowsAt[0] as number, rowsAt[r1 - r0] as number);
    }
    const userIds = header.userIds.slice(u0, u1);
    const columns = assembleColumns(header, arrays, userIds);
    if (columns.userOffsets.length !== userIds.length + 1 || columns.item.length !== r1 - r0)
      throw new Error('training snapshot is inconsistent');
    const mine = new Set(userIds);
    return {
      columns,
      items: header.items,
      users: header.users.filter((user) => mine.has(user.userId)),
      shards: bounds.length - 1,
    };
  };
  return {
    interactions: header.interactions,
    userIds: header.userIds,
    itemIds: header.itemIds,
    items: header.items,
    users: header.users,
    shards: bounds.length - 1,
    userOffsets: async () => (await slice('userOffsets', 0, header.userIds.length + 1)) as Int32Array,
    shard,
  };
}

type Arrays = Partial<Record<ArrayName, Int32Array | Float64Array>>;

function checkedHeader(header: unknown): Header {
  const h = header as Header;
  if (h.format !== SNAPSHOT_FORMAT || !VERSIONS_READ.includes(h.version)) {
    throw new Error(`unsupported training snapshot format ${h.format} v${h.version}`);
  }
  return h;
}

/** The header's shard bounds; one shard of every user for a version 2 snapshot. */
const shardBounds = (header: Header): readonly number[] => header.shardUsers ?? [0, header.userIds.length];

/** Bytes [start, end) as an array of `type`: a view where aligned, else a copy. */
function typedView(
  bytes: Uint8Array,
  start: number,
  end: number,
  type: ArrayType,
): Int32Array | Float64Array {
  const width = type === 'float64' ? 8 : 4;
  const aligned = (bytes.byteOffset + start) % width === 0;
  const buffer = aligned ? bytes.buffer : bytes.slice(start, end).buffer;
  const at = aligned ? bytes.byteOffset + start : 0;
  const length = (end - start) / width;
  return type === 'float64' ? new Float64Array(buffer, at, length) : new Int32Array(buffer, at, length);
}

/** The columns from the header's tables and these arrays. */
function assembleColumns(header: Header, arrays: Arrays, userIds: readonly string[]): InteractionColumns {
  const need = (name: ArrayName): Int32Array | Float64Array => {
    const a = arrays[name];
    if (a === undefined) throw new Error(`training snapshot lacks ${name}`);
    return a;
  };
  const { value, impressionOffsets, impressionItems, contextOffsets, contextIds } = arrays;
  return {
    userIds,
    itemIds: header.itemIds,
    eventTypes: header.eventTypes,
    userOffsets: need('userOffsets') as Int32Array,
    item: need('item') as Int32Array,
    time: need('time'),
    type: need('type') as Int32Array,
    ...(value === undefined ? {} : { value: value as Float64Array }),
    ...(impressionOffsets === undefined || impressionItems === undefined
      ? {}
      : {
          impressionOffsets: impressionOffsets as Int32Array,
          impressionItems: impressionItems as Int32Array,
        }),
    ...(contextOffsets === undefined || contextIds === undefined || header.contextTokens === undefined
      ? {}
      : {
          contextTokens: header.contextTokens,
          contextOffsets: contextOffsets as Int32Array,
          contextIds: contextIds as Int32Array,
        }),
  };
}

/**
 * Rows as `Interaction` objects, one at a time and in snapshot order, those `keep` rejects left out: for code that
 * takes interactions over a part of the data, without an array of them.
 */
export function* interactionRows(
  c: InteractionColumns,
  keep: (row: number) => boolean = () => true,
): Generator<Interaction> {
  for (let u = 0; u < c.userIds.length; u++) {
    const userId = c.userIds[u] as string;
    for (let r = c.userOffsets[u] as number; r < (c.userOffsets[u + 1] as number); r++) {
      if (!keep(r)) continue;
      yield rowInteraction(c, r, userId);
    }
  }
}

/** Row `r` of user `userId` as an `Interaction`. */
export function rowInteraction(c: InteractionColumns, r: number, userId: string): Interaction {
  const type = c.type[r] as number;
  const value = c.value?.[r];
  const shownFrom = c.impressionOffsets?.[r];
  const shownTo = c.impressionOffsets?.[r + 1];
  const context = rowContext(c, r);
  return {
    userId,
    itemId: c.itemIds[c.item[r] as number] as string,
    timestamp: c.time[r] as number,
    ...(type === NO_TYPE ? {} : { eventType: c.eventTypes[type] as string }),
    ...(value === undefined || Number.isNaN(value) ? {} : { eventValue: value }),
    ...(shownFrom !== undefined && shownTo !== undefined && shownTo > shownFrom
      ? {
          impression: Array.from(
            (c.impressionItems as Int32Array).subarray(shownFrom, shownTo),
            (i) => c.itemIds[i] as string,
          ),
        }
      : {}),
    ...(context === undefined ? {} : { context }),
  };
}

/** Row `r`'s contextual metadata, as `Interaction.context` holds it; undefined for a row without. */
export function rowContext(c: InteractionColumns, r: number): Interaction['context'] {
  const from = c.contextOffsets?.[r];
  const to = c.contextOffsets?.[r + 1];
  if (from === undefined || to === undefined || to === from) return undefined;
  const ids = (c.contextIds as Int32Array).subarray(from, to);
  const tokens = c.contextTokens as readonly string[];
  return attributesOfTokens(Array.from(ids, (id) => tokens[id] as string));
}

/** Whether row `r` carries an impression list. */
export const hasImpression = (c: InteractionColumns, r: number): boolean =>
  c.impressionOffsets !== undefined &&
  (c.impressionOffsets[r + 1] as number) > (c.impressionOffsets[r] as number);

/** Newest timestamp of the rows (NaN if none). */
export function latestTime(c: InteractionColumns): number {
  let latest = Number.NaN;
  for (let r = 0; r < c.time.length; r++) {
    const t = c.time[r] as number;
    if (!(t <= latest)) latest = t;
  }
  return latest;
}
