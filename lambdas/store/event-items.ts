/**
 * How the Events table's items hold events (`events.ts` reads and writes them): the keys, call items (one
 * PutEvents call's events for one actor, per-event attributes as lists), event items, and the way back from an item
 * to its events. The module comment of `events.ts` describes the item kinds.
 */
import { createHash } from 'node:crypto';

export type EventValue = string | number | boolean | null;

export interface StoredEvent {
  readonly datasetGroupArn: string;
  /** The partition the event lives in: the user id, or the session id of an anonymous event. */
  readonly actorId: string;
  readonly userId?: string;
  readonly sessionId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly itemId?: string;
  /** Epoch seconds; fractional seconds are kept. */
  readonly timestamp: number;
  readonly eventValue?: number;
  readonly impression?: readonly string[];
  readonly recommendationId?: string;
  readonly eventAttributionSource?: string;
  /** Other Interactions columns from `properties`, by column name. */
  readonly columns?: Readonly<Record<string, EventValue>>;
  /** Epoch milliseconds of the PutEvents call that recorded the event. */
  readonly writtenAt: number;
}

/** Index partitions per dataset group. */
export const GROUP_SHARDS = 16;
/** Digits of an event key's epoch milliseconds. */
export const TIME_WIDTH = 15;
/** Events per call item: as many as one PutEvents call carries. */
export const EVENTS_PER_ITEM = 10;
/**
 * The most event bytes (as JSON) a call item takes: DynamoDB caps an item at 400 KB, and ten events that each
 * expand a 500-item recommendation into impressions may exceed it; those are cut into more items.
 */
const ITEM_EVENT_BYTES = 300_000;
/** The attributes of a call item that hold one entry per event. */
const PER_EVENT = [
  'eventId',
  'eventType',
  'timestamp',
  'itemId',
  'eventValue',
  'impression',
  'recommendationId',
  'eventAttributionSource',
  'columns',
] as const;

export function eventPk(datasetGroupArn: string, actorId: string): string {
  return `${datasetGroupArn}|${actorId}`;
}

export function eventSk(timestamp: number, eventId: string): string {
  return `${String(Math.round(timestamp * 1000)).padStart(TIME_WIDTH, '0')}#${eventId}`;
}

/** FNV-1a of the event's table key, so an event rewritten lands in the same shard. */
export function groupShard(pk: string, sk: string): number {
  let h = 0x811c9dc5;
  const text = `${pk}\u0000${sk}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % GROUP_SHARDS;
}

export const shardGpk = (group: string, shard: number) => `${group}#${shard}`;

/** An event item (one event) outside index `byGroup`. */
export function copyItem(e: StoredEvent): Record<string, unknown> {
  const item: Record<string, unknown> = {
    pk: eventPk(e.datasetGroupArn, e.actorId),
    sk: eventSk(e.timestamp, e.eventId),
    datasetGroupArn: e.datasetGroupArn,
    actorId: e.actorId,
    sessionId: e.sessionId,
    eventId: e.eventId,
    eventType: e.eventType,
    timestamp: e.timestamp,
    userId: e.userId,
    itemId: e.itemId,
    eventValue: e.eventValue,
    impression: e.impression === undefined ? undefined : [...e.impression],
    recommendationId: e.recommendationId,
    eventAttributionSource: e.eventAttributionSource,
    columns: e.columns,
    writtenAt: e.writtenAt,
  };
  for (const key of Object.keys(item)) if (item[key] === undefined) delete item[key];
  return item;
}

/**
 * Call items for `events`: grouped by what a call item's events share, each group in key order with one event per
 * key (the last given), cut into items of at most {@link EVENTS_PER_ITEM} events and {@link ITEM_EVENT_BYTES}.
 */
export function callItems(events: readonly StoredEvent[]): Record<string, unknown>[] {
  const groups = new Map<string, Map<string, StoredEvent>>();
  for (const e of events) {
    const shared = JSON.stringify([e.datasetGroupArn, e.actorId, e.sessionId, e.userId ?? null, e.writtenAt]);
    const group = groups.get(shared) ?? new Map<string, StoredEvent>();
    groups.set(shared, group);
    group.set(eventSk(e.timestamp, e.eventId), e);
  }
  const items: Record<string, unknown>[] = [];
  for (const group of groups.values()) {
    const ordered = [...group].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let chunk: (readonly [string, StoredEvent])[] = [];
    let bytes = 0;
    for (const keyed of ordered) {
      const size = eventBytes(keyed[1]);
      if (chunk.length >= EVENTS_PER_ITEM || (chunk.length > 0 && bytes + size > ITEM_EVENT_BYTES)) {
        items.push(callItem(chunk));
        chunk = [];
        bytes = 0;
      }
      chunk.push(keyed);
      bytes += size;
    }
    if (chunk.length > 0) items.push(callItem(chunk));
  }
  return items;
}

/**
 * An event's size in bytes, or a bound on it: without impressions and columns, an event is a handful of strings
 * the API caps at 256 characters (1,024 for an attribution source).
 */
function eventBytes(e: StoredEvent): number {
  return e.impression === undefined && e.columns === undefined
    ? 16_384
    : Buffer.byteLength(JSON.stringify(e));
}

/** One call item from events (with their keys, in key order) sharing actor, session, user and write time. */
function callItem(keyed: readonly (readonly [string, StoredEvent])[]): Record<string, unknown> {
  const events = keyed.map(([, e]) => e);
  const first = events[0] as StoredEvent;
  const lists: Record<string, unknown[]> = {};
  for (const field of PER_EVENT) {
    if (events.some((e) => e[field] !== undefined)) {
      lists[field] = events.map((e) => (e[field] === undefined ? null : e[field]));
    }
  }
  const digest = createHash('sha256').update(JSON.stringify(lists)).digest('hex').slice(0, 16);
  const pk = eventPk(first.datasetGroupArn, first.actorId);
  const sk = `${(keyed[keyed.length - 1] as readonly [string, StoredEvent])[0]}#${digest}`;
  const item: Record<string, unknown> = {
    pk,
    sk,
    gpk: shardGpk(first.datasetGroupArn, groupShard(pk, sk)),
    gsk: (keyed[0] as readonly [string, StoredEvent])[0],
    datasetGroupArn: first.datasetGroupArn,
    actorId: first.actorId,
    sessionId: first.sessionId,
    writtenAt: first.writtenAt,
    ...lists,
  };
  if (first.userId !== undefined) item.userId = first.userId;
  return item;
}

/** An item's events as event records (an event item's, itself): a call item's lists taken apart. */
export function expand(item: Record<string, unknown>): Record<string, unknown>[] {
  const ids = item.eventId;
  if (!Array.isArray(ids)) return [item];
  return ids.map((_, i) => {
    const record = { ...item };
    for (const field of PER_EVENT) {
      const list = item[field];
      if (Array.isArray(list)) record[field] = list[i];
    }
    return record;
  });
}

export interface KeyedRecord {
  /** The event's key: its time, then its id (see {@link eventSk}). */
  readonly key: string;
  readonly record: Record<string, unknown>;
}

const keyOf = (record: Record<string, unknown>) =>
  eventSk(record.timestamp as number, record.eventId as string);

/** Event records with their keys, in key order (records of one key in the order given). */
export function sortedEvents(records: readonly Record<string, unknown>[]): KeyedRecord[] {
  return records
    .map((record) => ({ key: keyOf(record), record }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The key of an item's newest event. */
export function newestKey(item: Record<string, unknown>): string {
  return sortedEvents(expand(item)).at(-1)?.key ?? '';
}

export function fromItem(item: Record<string, unknown>): StoredEvent {
  const optional = <K extends string>(key: K) =>
    item[key] === undefined || item[key] === null ? {} : { [key]: item[key] };
  return {
    datasetGroupArn: item.datasetGroupArn as string,
    actorId: item.actorId as string,
    sessionId: item.sessionId as string,
    eventId: item.eventId as string,
    eventType: item.eventType as string,
    timestamp: item.timestamp as number,
    writtenAt: item.writtenAt as number,
    ...optional('userId'),
    ...optional('itemId'),
    ...optional('eventValue'),
    ...optional('impression'),
    ...optional('recommendationId'),
    ...optional('eventAttributionSource'),
    ...optional('columns'),
  } as StoredEvent;
}
