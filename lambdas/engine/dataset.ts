/**
 * Streams interactions into compact per-user sequences: ids become int32 indices as records arrive, so no
 * per-interaction object outlives ingestion.
 */
import { type TokenSets, tokensOfAttributes } from './feature-embeddings';
import type { InteractionColumns } from './snapshot';
import type { Interaction } from './types';

/** Growable typed-array column. */
export class Column<T extends Int32Array | Float64Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (size: number) => T,
  ) {}

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = this.make(Math.max(1024, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  trimmed(): T {
    return this.data.subarray(0, this.length) as T;
  }

  /** The values, leaving the column empty, so that its memory goes once the caller drops them. */
  take(): T {
    const values = this.trimmed();
    this.data = this.make(0);
    this.length = 0;
    return values;
  }
}

/** Per-row lists (CSR) that take no memory per row until some row's list is not empty. */
export class SparseLists {
  /** Rows ended before the first non-empty list. */
  private empty = 0;
  private offsets?: Column<Int32Array>;
  readonly values = new Column(new Int32Array(1024), (n) => new Int32Array(n));

  /** Ends a row: its list is what was pushed to `values` since the previous row ended. */
  endRow(): void {
    if (this.offsets === undefined) {
      if (this.values.length === 0) {
        this.empty++;
        return;
      }
      this.offsets = new Column(new Int32Array(Math.max(1024, this.empty + 2)), (n) => new Int32Array(n));
      for (let r = 0; r <= this.empty; r++) this.offsets.push(0);
    }
    this.offsets.push(this.values.length);
  }

  /** The lists in the rows' sorted order ({@link listsInOrder}); undefined when every list is empty. */
  sorted(order: Int32Array): { offsets: Int32Array; values: Int32Array } | undefined {
    return this.offsets === undefined
      ? undefined
      : listsInOrder(this.offsets.trimmed(), this.values.trimmed(), order);
  }
}

/** Interns strings to dense indices in order of first appearance. */
export class IdIndex {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();

  intern(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.index.set(id, i);
    }
    return i;
  }

  get(id: string): number | undefined {
    return this.index.get(id);
  }

  get size(): number {
    return this.ids.length;
  }
}

export interface InteractionFilter {
  /** Keep only interactions of this event type. */
  readonly eventType?: string;
  /** Keep only interactions whose event value is ≥ this (interactions without a value are dropped). */
  readonly eventValueThreshold?: number;
}

/** Interactions grouped by user, each user's items in time order (ties keep input order). */
export interface Sequences {
  readonly users: IdIndex;
  readonly items: IdIndex;
  /** userOffsets[u]..userOffsets[u+1] indexes `itemSeq` for user u. */
  readonly userOffsets: Int32Array;
  readonly itemSeq: Int32Array;
  /** Event type names in order of first appearance. */
  readonly eventTypes: IdIndex;
  /** Per event, aligned with `itemSeq`: 1 + index into `eventTypes`, or 0 for an event without a type. */
  readonly typeSeq: Int32Array;
  /** Interactions per item (after filtering). */
  readonly itemCounts: Float64Array;
  /** Oldest interaction per item, epoch seconds. */
  readonly itemFirstSeen: Float64Array;
  /** Newest interaction in the data, epoch seconds (NaN if none). */
  readonly latestTimestamp: number;
  /** Contextual metadata per event (units aligned with `itemSeq`), where any event has some. */
  readonly context?: TokenSets;
}

export async function ingestInteractions(
  source: AsyncIterable<Interaction> | Iterable<Interaction>,
  filter: InteractionFilter,
  items: IdIndex = new IdIndex(),
): Promise<Sequences> {
  const users = new IdIndex();
  const userCol = new Column(new Int32Array(1024), (s) => new Int32Array(s));
  const itemCol = new Column(new Int32Array(1024), (s) => new Int32Array(s));
  const timeCol = new Column(new Float64Array(1024), (s) => new Float64Array(s));
  const typeCol = new Column(new Int32Array(1024), (s) => new Int32Array(s));
  const eventTypes = new IdIndex();
  const contexts = new ContextColumn();
  for await (const r of source) {
    if (filter.eventType !== undefined && r.eventType !== filter.eventType) continue;
    if (filter.eventValueThreshold !== undefined) {
      if (r.eventValue === undefined || !(r.eventValue >= filter.eventValueThreshold)) continue;
    }
    userCol.push(users.intern(r.userId));
    itemCol.push(items.intern(r.itemId));
    timeCol.push(r.timestamp);
    typeCol.push(r.eventType === undefined || r.eventType === '' ? 0 : eventTypes.intern(r.eventType) + 1);
    contexts.add(r.context);
  }
  const typeOf = typeCol.trimmed();
  const userOf = userCol.trimmed();
  const itemOf = itemCol.trimmed();
  const timeOf = timeCol.trimmed();
  const m = userOf.length;
  const u = users.size;

  const { userOffsets, order } = orderByUserThenTime(userOf, u, timeOf);
  const itemSeq = new Int32Array(m);
  const typeSeq = new Int32Array(m);
  for (let p = 0; p < m; p++) {
    const row = order[p] as number;
    itemSeq[p] = itemOf[row] as number;
    typeSeq[p] = typeOf[row] as number;
  }

  const facts = new ItemFacts(items.size);
  for (let i = 0; i < m; i++) facts.add(itemOf[i] as number, timeOf[i] as number);
  const context = contexts.sorted(order);
  return {
    users,
    items,
    userOffsets,
    itemSeq,
    eventTypes,
    typeSeq,
    ...facts.done(),
    ...(context === undefined ? {} : { context }),
  };
}

/**
 * The same sequences from a snapshot's columns, which are already grouped by user and time-sorted: users in
 * snapshot order, items (after those `items` already holds) and event types in the order of the snapshot's tables.
 * Rows that `keep` marks 0 and rows the filter rejects are left out; users left without rows are dropped.
 */
export function ingestColumns(
  c: InteractionColumns,
  filter: InteractionFilter,
  items: IdIndex = new IdIndex(),
  keep?: Uint8Array,
): Sequences {
  const builder = new SequencesBuilder(filter, c.item.length);
  builder.add(c, keep);
  return builder.finish(items);
}

/**
 * {@link ingestColumns} of a snapshot given as parts that each hold the next users (its shards, in order, from
 * `StoredSnapshot.shard`), one part at a time: the sequences of the whole, without its columns in memory at once.
 * Rows are collected with their snapshot item and event-type numbers and renumbered at the end, once every part has
 * said which items and types the kept rows use.
 */
export class SequencesBuilder {
  private readonly users = new IdIndex();
  private readonly offsets = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly item: Column<Int32Array>;
  private readonly type: Column<Int32Array>;
  private readonly contextIds = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly contextOffsets = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private tables?: {
    readonly itemIds: readonly string[];
    readonly eventTypes: readonly string[];
    readonly contextTokens?: readonly string[];
    readonly counts: Float64Array;
    readonly firstSeen: Float64Array;
    readonly typeUsed: Uint8Array;
  };
  private latest = Number.NaN;

  /** `rows`: how many rows to make room for at once (the snapshot's, so that no column grows). */
  constructor(
    private readonly filter: InteractionFilter,
    rows = 1024,
  ) {
    const size = Math.max(1, rows);
    this.item = new Column(new Int32Array(size), (n) => new Int32Array(n));
    this.type = new Column(new Int32Array(size), (n) => new Int32Array(n));
    this.offsets.push(0);
    this.contextOffsets.push(0);
  }

  /** The next users' columns; the rows `keep` marks 0 are left out. */
  add(c: InteractionColumns, keep?: Uint8Array): void {
    this.tables ??= {
      itemIds: c.itemIds,
      eventTypes: c.eventTypes,
      ...(c.contextTokens === undefined ? {} : { contextTokens: c.contextTokens }),
      counts: new Float64Array(c.itemIds.length),
      firstSeen: new Float64Array(c.itemIds.length).fill(Number.NaN),
      typeUsed: new Uint8Array(c.eventTypes.length),
    };
    const t = this.tables;
    if (
      c.itemIds.length !== t.itemIds.length ||
      c.eventTypes.length !== t.eventTypes.length ||
      c.contextTokens?.length !== t.contextTokens?.length
    )
      throw new Error('The parts are not of one snapshot');
    const wantedType =
      this.filter.eventType === undefined ? undefined : c.eventTypes.indexOf(this.filter.eventType);
    const threshold = this.filter.eventValueThreshold;
    const { contextOffsets: from, contextIds: ids } = c;
    const withContext = t.contextTokens !== undefined && from !== undefined && ids !== undefined;
    for (let u = 0; u < c.userIds.length; u++) {
      const start = this.item.length;
      for (let r = c.userOffsets[u] as number; r < (c.userOffsets[u + 1] as number); r++) {
        if (keep !== undefined && keep[r] === 0) continue;
        const type = c.type[r] as number;
        if (wantedType !== undefined && type !== wantedType) continue;
        if (threshold !== undefined) {
          const value = c.value?.[r];
          if (value === undefined || !(value >= threshold)) continue;
        }
        const item = c.item[r] as number;
        const time = c.time[r] as number;
        this.item.push(item);
        this.type.push(type);
        if (type >= 0) t.typeUsed[type] = 1;
        t.counts[item] = (t.counts[item] as number) + 1;
        const first = t.firstSeen[item] as number;
        if (Number.isNaN(first) || time < first) t.firstSeen[item] = time;
        if (Number.isNaN(this.latest) || time > this.latest) this.latest = time;
        if (withContext) {
          for (let e = from[r] as number; e < (from[r + 1] as number); e++)
            this.contextIds.push(ids[e] as number);
          this.contextOffsets.push(this.contextIds.length);
        }
      }
      if (this.item.length === start) continue;
      this.users.intern(c.userIds[u] as string);
      this.offsets.push(this.item.length);
    }
  }

  /** The sequences, items numbered after those `items` already holds. The builder must not be used afterwards. */
  finish(items: IdIndex = new IdIndex()): Sequences {
    const t = this.tables ?? {
      itemIds: [],
      eventTypes: [],
      counts: new Float64Array(0),
      firstSeen: new Float64Array(0),
      typeUsed: new Uint8Array(0),
    };
    const itemMap = new Int32Array(t.itemIds.length);
    for (let i = 0; i < itemMap.length; i++)
      itemMap[i] = (t.counts[i] as number) > 0 ? items.intern(t.itemIds[i] as string) : -1;
    const eventTypes = new IdIndex();
    // typeSeq holds 1 + the event type's index, 0 for none.
    const typeMap = new Int32Array(t.eventTypes.length);
    for (let k = 0; k < typeMap.length; k++)
      typeMap[k] = t.typeUsed[k] ? eventTypes.intern(t.eventTypes[k] as string) + 1 : 0;
    const itemSeq = exact(this.item);
    const typeSeq = exact(this.type);
    for (let p = 0; p < itemSeq.length; p++) {
      itemSeq[p] = itemMap[itemSeq[p] as number] as number;
      const type = typeSeq[p] as number;
      typeSeq[p] = type >= 0 ? (typeMap[type] as number) : 0;
    }
    const itemCounts = new Float64Array(items.size);
    const itemFirstSeen = new Float64Array(items.size).fill(Number.NaN);
    itemMap.forEach((to, i) => {
      if (to < 0) return;
      itemCounts[to] = t.counts[i] as number;
      itemFirstSeen[to] = t.firstSeen[i] as number;
    });
    return {
      users: this.users,
      items,
      userOffsets: exact(this.offsets),
      itemSeq,
      eventTypes,
      typeSeq,
      itemCounts,
      itemFirstSeen,
      latestTimestamp: this.latest,
      ...(t.contextTokens === undefined
        ? {}
        : {
            context: {
              tokens: t.contextTokens,
              offsets: exact(this.contextOffsets),
              ids: exact(this.contextIds),
            },
          }),
    };
  }
}

/**
 * A column's values: a view when its buffer has little room to spare (rows left out), else a copy of their own
 * length, since a worker thread is sent a view's whole buffer.
 */
function exact(column: Column<Int32Array>): Int32Array {
  const spare = column.data.length - column.length;
  return spare <= column.length / 8 ? column.trimmed() : column.trimmed().slice();
}

/** Per-item interaction counts and first times, and the newest time, counted event by event. */
class ItemFacts {
  private readonly itemCounts: Float64Array;
  private readonly itemFirstSeen: Float64Array;
  private latestTimestamp = Number.NaN;

  constructor(items: number) {
    this.itemCounts = new Float64Array(items);
    this.itemFirstSeen = new Float64Array(items).fill(Number.NaN);
  }

  add(item: number, t: number): void {
    this.itemCounts[item] = (this.itemCounts[item] as number) + 1;
    const f = this.itemFirstSeen[item] as number;
    if (Number.isNaN(f) || t < f) this.itemFirstSeen[item] = t;
    if (Number.isNaN(this.latestTimestamp) || t > this.latestTimestamp) this.latestTimestamp = t;
  }

  done(): Pick<Sequences, 'itemCounts' | 'itemFirstSeen' | 'latestTimestamp'> {
    return {
      itemCounts: this.itemCounts,
      itemFirstSeen: this.itemFirstSeen,
      latestTimestamp: this.latestTimestamp,
    };
  }
}

/**
 * Which users train the model: those whose history length lies between the two percentiles of all users'
 * history lengths (nearest-rank on the sorted lengths). Percentile 0 and 1 keep everyone on that side.
 */
export function selectUsersByHistoryLength(
  userOffsets: Int32Array,
  minPercentile: number,
  maxPercentile: number,
): Uint8Array {
  return usersWithin(userOffsets, historyLengthBounds(userOffsets, minPercentile, maxPercentile));
}

/** The least and most history length of the users that train; ±∞ keeps everyone on that side. */
export interface LengthBounds {
  readonly lo: number;
  readonly hi: number;
}

/** The history lengths at the two percentiles (nearest rank on the sorted lengths of every user). */
export function historyLengthBounds(
  userOffsets: Int32Array,
  minPercentile: number,
  maxPercentile: number,
): LengthBounds {
  const u = userOffsets.length - 1;
  const sorted = new Float64Array(u);
  for (let i = 0; i < u; i++) sorted[i] = (userOffsets[i + 1] as number) - (userOffsets[i] as number);
  sorted.sort();
  const at = (p: number): number => sorted[Math.min(u - 1, Math.max(0, Math.ceil(p * u) - 1))] as number;
  return {
    lo: minPercentile <= 0 ? Number.NEGATIVE_INFINITY : at(minPercentile),
    hi: maxPercentile >= 1 ? Number.POSITIVE_INFINITY : at(maxPercentile),
  };
}

/** Which users' history lengths lie within the bounds (1) or not (0). */
export function usersWithin(userOffsets: Int32Array, bounds: LengthBounds): Uint8Array {
  const u = userOffsets.length - 1;
  const keep = new Uint8Array(u);
  for (let i = 0; i < u; i++) {
    const len = (userOffsets[i + 1] as number) - (userOffsets[i] as number);
    keep[i] = len >= bounds.lo && len <= bounds.hi ? 1 : 0;
  }
  return keep;
}

/**
 * The rows grouped by user, each user's rows in time order (ties in input order): `order[p]` is the row at position
 * p, and user u's positions are [userOffsets[u], userOffsets[u + 1]). A counting sort by user keeps input order
 * within a user; a user's slice is then sorted by time unless it already is.
 */
export function orderByUserThenTime(
  userOf: Int32Array,
  users: number,
  timeOf: Float64Array,
): { userOffsets: Int32Array; order: Int32Array } {
  const m = userOf.length;
  const userOffsets = new Int32Array(users + 1);
  for (let i = 0; i < m; i++) {
    const slot = (userOf[i] as number) + 1;
    userOffsets[slot] = (userOffsets[slot] as number) + 1;
  }
  for (let i = 0; i < users; i++)
    userOffsets[i + 1] = (userOffsets[i + 1] as number) + (userOffsets[i] as number);
  const cursor = userOffsets.slice(0, users);
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const user = userOf[i] as number;
    order[cursor[user] as number] = i;
    cursor[user] = (cursor[user] as number) + 1;
  }
  for (let user = 0; user < users; user++) {
    const slice = order.subarray(userOffsets[user] as number, userOffsets[user + 1] as number);
    if (isSortedByTime(slice, timeOf)) continue;
    slice.set(Array.from(slice).sort((x, y) => (timeOf[x] as number) - (timeOf[y] as number) || x - y));
  }
  return { userOffsets, order };
}

function isSortedByTime(rows: Int32Array, time: Float64Array): boolean {
  for (let i = 1; i < rows.length; i++) {
    if ((time[rows[i] as number] as number) < (time[rows[i - 1] as number] as number)) return false;
  }
  return true;
}

/** Each arriving row's context tokens, interned in order of first appearance (CSR by row). */
export class ContextColumn {
  private readonly tokens = new IdIndex();
  private readonly lists = new SparseLists();

  add(context: Interaction['context']): void {
    if (context !== undefined)
      for (const token of tokensOfAttributes(context)) this.lists.values.push(this.tokens.intern(token));
    this.lists.endRow();
  }

  /** The rows' tokens in their sorted order (`order[p]` is the row at position p); undefined when none has any. */
  sorted(order: Int32Array): TokenSets | undefined {
    const lists = this.lists.sorted(order);
    return lists === undefined
      ? undefined
      : { tokens: this.tokens.ids, offsets: lists.offsets, ids: lists.values };
  }
}

/** Per-row lists (CSR) in the rows' sorted order (`order[p]` is the row at position p); undefined when all are empty. */
export function listsInOrder(
  offsets: Int32Array,
  values: Int32Array,
  order: Int32Array,
): { offsets: Int32Array; values: Int32Array } | undefined {
  if (values.length === 0) return undefined;
  const m = order.length;
  const sortedOffsets = new Int32Array(m + 1);
  const sorted = new Int32Array(values.length);
  let at = 0;
  for (let p = 0; p < m; p++) {
    const r = order[p] as number;
    const a = offsets[r] as number;
    const b = offsets[r + 1] as number;
    sorted.set(values.subarray(a, b), at);
    at += b - a;
    sortedOffsets[p + 1] = at;
  }
  return { offsets: sortedOffsets, values: sorted };
}
