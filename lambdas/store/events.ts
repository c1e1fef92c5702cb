/**
 * The Events table (see `EVENTS_TABLE` in `tables.ts`): the only code that reads or writes it.
 *
 * The items are encoded and decoded by `event-items.ts`.
 *
 * - Call item: the events one PutEvents call records for one actor (up to `EVENTS_PER_ITEM`), in one item, so
 *   a call costs the table one write and one index entry, not one per event. `pk` = "<datasetGroupArn>|<actor>"
 *   where the actor is the `userId`, or the `sessionId` of an anonymous event. The attributes that differ between
 *   events (`eventId`, `eventType`, `timestamp`, `itemId`, ...) are lists with one entry per event, in time order
 *   (`null` where an event has none); those the events share (`sessionId`, `userId`, `writtenAt`) are plain values.
 *   `sk` = "<newest event's key>#<digest of the item's events>", where an event's key is "<epoch ms, 15 digits>#
 *   <eventId>": a user's most recent N events are among the newest N items (one reverse Query), and the same call
 *   written twice lands on the same key. `gpk` = "<group ARN>#<shard>" and `gsk` = the oldest event's key put it in
 *   index `byGroup`, which training reads. The shard (0–15, a hash of the item's key) spreads one group's writes
 *   over sixteen index partitions, so PutEvents for a busy group is not capped by one partition's write rate;
 *   training merges the shards back into time order, event by event. The index projects only what training reads.
 * - Event item: one event per item, `sk` = its key (and `gsk` = `sk` in the index), as versions before call items
 *   wrote events and as copies (below) are still written. Every read takes both. Events written before sharding
 *   (`gpk` = the bare group ARN) are read too.
 * - Copy: when a session is tied to a user, its anonymous events are copied into the user's partition so reads of
 *   the user see them. Copies carry no `gpk`, so training (which resolves sessions through links) counts each once.
 * - Link: `pk` = "link|<group>|<sessionId>", `gpk` = "links|<group>": the session's user, written once.
 * - Mark: `pk` = "marks|<group>": when events were written and which event times they carry (`event-marks.ts`, which
 *   owns those items); `put` and `linkSession` keep them ahead of the data, and `writtenSince` reads what they name.
 * Event ARNs start with `arn:`, so the `link|` and `marks|` prefixes never collide with an event partition.
 *
 * Event ids: a call sent again unchanged (a retry) lands on its own key and overwrites itself; an event stored twice
 * in one partition under one key (a retry inside another call) is read once. An event that reuses another's
 * `eventId` with other content (another time, item or user) is written like any other, and dropped when read: of a
 * group's events sharing an id, reads use the one with the earliest key (its time, then its id; for one time and id
 * the first index shard holding one) and skip the rest (`firstOfId`). Personalize
 * drops the later-received one; here "later" is the event's own time, which, unlike the time of writing, a retry
 * cannot change. Dropping at read time keeps every write a plain batched put: deciding at write time takes one
 * conditional write per event, since DynamoDB makes conditional writes atomic together only in transactions.
 * Training reads drop repeats across the group; a user's recent events drop repeats among those returned.
 * (Tables written by earlier versions may hold `eid|…` claim items: no read looks at them.)
 *
 * Every item records when it was written. A dataset group deleted and created again under the same name has the
 * same ARN, so reads take a `since` (the group's creation time) and ignore what an earlier group of that name left.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  callItems,
  copyItem,
  eventPk,
  expand,
  fromItem,
  GROUP_SHARDS,
  type KeyedRecord,
  newestKey,
  type StoredEvent,
  shardGpk,
  sortedEvents,
  TIME_WIDTH,
} from './event-items';
import { EventMarks } from './event-marks';
import { WriteCoalescer } from './write-coalescer';

/** What {@link EventStore.recentInteractions} reads of an event. */
export type RecentInteraction = Pick<
  StoredEvent,
  'itemId' | 'eventType' | 'timestamp' | 'eventValue' | 'writtenAt'
>;

const BY_GROUP = 'byGroup';
/** Events per merged page {@link EventStore.groupEvents} yields. */
const MERGED_PAGE = 1000;
/** BatchWriteItem accepts at most 25 requests. */
const BATCH = 25;
const MAX_ATTEMPTS = 8;

const linkPk = (group: string, sessionId: string) => `link|${group}|${sessionId}`;
const linksGpk = (group: string) => `links|${group}`;

const itemKey = (item: Record<string, unknown>) => `${item.pk}\u0000${item.sk}`;

export class EventStore {
  /** Concurrent calls of this process share BatchWriteItem requests. */
  private readonly writer = new WriteCoalescer<Record<string, unknown>>(
    (items) =>
      batchWrite(
        this.ddb,
        this.tableName,
        items.map((Item) => ({ PutRequest: { Item } })),
        this.sleep,
      ),
    itemKey,
    BATCH,
  );

  /** What was written when (`event-marks.ts`); `put` and `linkSession` keep the marks ahead of the data. */
  readonly marks: EventMarks;

  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.marks = new EventMarks(ddb, tableName);
  }

  /**
   * Writes events in call items (idempotently: the same events → the same item), retrying unprocessed items. Events
   * of one actor, session, user and write time share items; the same event given twice is stored once.
   */
  async put(events: readonly StoredEvent[]): Promise<void> {
    const marking = this.marks.cover(events);
    if (marking !== undefined) await marking;
    await this.batchPut(callItems(events));
  }

  /** Copies events into `userId`'s partition, outside index `byGroup`, an item each. */
  async copyToUser(events: readonly StoredEvent[], userId: string): Promise<void> {
    await this.batchPut(events.map((e) => copyItem({ ...e, actorId: userId, userId })));
  }

  /** The user a session was tied to (at or after `since`), if any. */
  async sessionUser(datasetGroupArn: string, sessionId: string, since: number): Promise<string | undefined> {
    const link = await this.sessionLink(datasetGroupArn, sessionId);
    return link === undefined || link.linkedAt < since ? undefined : link.userId;
  }

  /** A session's link item, however old: the user and when the link was made (epoch ms). */
  async sessionLink(
    datasetGroupArn: string,
    sessionId: string,
  ): Promise<{ readonly userId: string; readonly linkedAt: number } | undefined> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: linkPk(datasetGroupArn, sessionId), sk: 'L' },
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) return undefined;
    return { userId: out.Item.userId as string, linkedAt: out.Item.linkedAt as number };
  }

  /**
   * Ties a session to a user unless it is tied already; returns the session's user (this one, or the one that was
   * recorded first — a session belongs to one user).
   */
  async linkSession(
    datasetGroupArn: string,
    sessionId: string,
    userId: string,
    linkedAt: number,
    since: number,
  ): Promise<string> {
    // Side by side with the link's write (tying a session is on PutEvents' path): if the mark fails, so does the
    // call.
    const marking = this.marks.coverLink(datasetGroupArn, linkedAt);
    try {
      await Promise.all([
        marking,
        this.ddb.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: linkPk(datasetGroupArn, sessionId),
              sk: 'L',
              gpk: linksGpk(datasetGroupArn),
              gsk: sessionId,
              sessionId,
              userId,
              linkedAt,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR linkedAt < :since',
            ExpressionAttributeValues: { ':since': since },
          }),
        ),
      ]);
      return userId;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    return (await this.sessionUser(datasetGroupArn, sessionId, since)) ?? userId;
  }

  /** Every session → user link of a group made at or after `since`. */
  async links(datasetGroupArn: string, since: number): Promise<Map<string, string>> {
    const links = new Map<string, string>();
    for await (const page of this.pages({
      TableName: this.tableName,
      IndexName: BY_GROUP,
      KeyConditionExpression: 'gpk = :g',
      FilterExpression: 'linkedAt >= :since',
      ExpressionAttributeValues: { ':g': linksGpk(datasetGroupArn), ':since': since },
    })) {
      for (const item of page) links.set(item.sessionId as string, item.userId as string);
    }
    return links;
  }

  /**
   * The actor's most recent `limit` events written at or after `since` (with copies from tied sessions), oldest
   * first. One Query (DynamoDB applies the limit before the `since` filter, so fewer may come back right after a
   * group was re-created under the same name).
   */
  async recent(
    datasetGroupArn: string,
    actorId: string,
    limit: number,
    since: number,
  ): Promise<StoredEvent[]> {
    return (await this.newest(datasetGroupArn, actorId, limit, since)).map(fromItem);
  }

  /**
   * {@link recent} reduced to what real-time personalisation reads of each event (item, type, time, value, when it
   * was written): the same Query, with a projection, so less is read, sent and decoded per request.
   */
  async recentInteractions(
    datasetGroupArn: string,
    actorId: string,
    limit: number,
    since: number,
  ): Promise<RecentInteraction[]> {
    const items = await this.newest(datasetGroupArn, actorId, limit, since, {
      ProjectionExpression: '#item, #type, #time, #value, #written, #id',
      ExpressionAttributeNames: {
        '#id': 'eventId',
        '#item': 'itemId',
        '#type': 'eventType',
        '#time': 'timestamp',
        '#value': 'eventValue',
        '#written': 'writtenAt',
      },
    });
    return items.map((item) => ({
      eventType: item.eventType as string,
      timestamp: item.timestamp as number,
      writtenAt: item.writtenAt as number,
      ...(item.itemId === undefined || item.itemId === null ? {} : { itemId: item.itemId as string }),
      ...(item.eventValue === undefined || item.eventValue === null
        ? {}
        : { eventValue: item.eventValue as number }),
    }));
  }

  /**
   * The actor's newest `limit` events written at or after `since`, as event records, oldest first: one reverse Query
   * of `limit` items (an item holds at least one event, and no event of an older item is newer than an item's
   * newest). An `eventId` repeated among them is kept once (its earliest), so a reused id can leave fewer than
   * `limit`.
   */
  private async newest(
    datasetGroupArn: string,
    actorId: string,
    limit: number,
    since: number,
    projection: Pick<QueryCommandInput, 'ProjectionExpression' | 'ExpressionAttributeNames'> = {},
  ): Promise<Record<string, unknown>[]> {
    const out = await this.ddb.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'writtenAt >= :since',
        ExpressionAttributeValues: { ':pk': eventPk(datasetGroupArn, actorId), ':since': since },
        ScanIndexForward: false,
        Limit: limit,
        ...projection,
      }),
    );
    const items = out.Items ?? [];
    let events = sortedEvents(items.flatMap(expand));
    const oldest = items[items.length - 1];
    if (out.LastEvaluatedKey !== undefined && oldest !== undefined) {
      // Older items were left unread: only what is at least as new as the oldest item's newest event is certain.
      const floor = newestKey(oldest);
      events = events.filter((e) => e.key >= floor);
    }
    const seen = new Set<string>();
    return events
      .map((e) => e.record)
      .filter((record) => firstOfId(record, seen))
      .slice(-limit);
  }

  /** Every event stored in an actor's partition at or after `since`, oldest first, each key once. */
  async all(datasetGroupArn: string, actorId: string, since: number): Promise<StoredEvent[]> {
    const records: Record<string, unknown>[] = [];
    for await (const page of this.pages({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'writtenAt >= :since',
      ExpressionAttributeValues: { ':pk': eventPk(datasetGroupArn, actorId), ':since': since },
    })) {
      records.push(...page.flatMap(expand));
    }
    const events: StoredEvent[] = [];
    let lastKey: string | undefined;
    for (const { key, record } of sortedEvents(records)) {
      if (key !== lastKey) events.push(fromItem(record));
      lastKey = key;
    }
    return events;
  }

  /**
   * Every event recorded for a group at or after `since` (copies excluded), a page at a time, in time order, each
   * `eventId` once (its earliest event; see the module comment). `repeats` keeps the events that reuse an id too.
   * Dropping repeats keeps the ids read so far in memory: about 100 bytes per event.
   */
  async *groupEvents(
    datasetGroupArn: string,
    since: number,
    options: { readonly repeats?: boolean } = {},
  ): AsyncGenerator<StoredEvent[]> {
    const query = (gpk: string): QueryCommandInput => ({
      TableName: this.tableName,
      IndexName: BY_GROUP,
      KeyConditionExpression: 'gpk = :g',
      FilterExpression: 'writtenAt >= :since',
      ExpressionAttributeValues: { ':g': gpk, ':since': since },
    });
    const sources = [
      datasetGroupArn,
      ...Array.from({ length: GROUP_SHARDS }, (_, shard) => shardGpk(datasetGroupArn, shard)),
    ].map((gpk) => new PagedCursor(this.pages(query(gpk))));
    for (const source of sources) await source.fill();
    // A k-way merge of the shards on `gsk` (an item's oldest event key), then of the items' events on their keys
    // (time, then event id): an event waits until no unread item can hold an older one. An id's first event in
    // this order is the one used; an event stored twice under one key in one partition is one event.
    const seen = options.repeats === true ? undefined : new Set<string>();
    const waiting = new EventHeap();
    let lastKey = '';
    let partitionsAtKey = new Set<unknown>();
    let page: StoredEvent[] = [];
    for (;;) {
      let best: PagedCursor | undefined;
      for (const source of sources) {
        const head = source.head();
        if (head !== undefined && (best === undefined || (head.gsk as string) < (best.head()?.gsk as string)))
          best = source;
      }
      const bound = best?.head()?.gsk as string | undefined;
      for (let next = waiting.peek(); next !== undefined && (bound === undefined || next.key < bound); ) {
        waiting.pop();
        if (next.key !== lastKey) {
          lastKey = next.key;
          partitionsAtKey = new Set();
        }
        const repeated = partitionsAtKey.has(next.record.pk);
        partitionsAtKey.add(next.record.pk);
        if (!repeated && (seen === undefined || firstOfId(next.record, seen)))
          page.push(fromItem(next.record));
        if (page.length >= MERGED_PAGE) {
          yield page;
          page = [];
        }
        next = waiting.peek();
      }
      if (best === undefined) break;
      for (const event of sortedEvents(expand(best.take()))) waiting.push(event);
      await best.fill();
    }
    if (page.length > 0) yield page;
  }

  /**
   * The group's events written at or after `writtenSince` (epoch ms) whose event time (epoch ms) falls in one of
   * `ranges` ([from, to), as `event-marks.ts` reports them), copies excluded, in time order, each `eventId` once
   * (its earliest among these). Reads only those time ranges of each index shard; DynamoDB still reads, and filters
   * out, the events of those ranges written earlier. Like every index read it is eventually consistent: a reader
   * asks for some time before the moment it needs.
   */
  async writtenSince(
    datasetGroupArn: string,
    writtenSince: number,
    ranges: readonly (readonly [number, number])[],
  ): Promise<StoredEvent[]> {
    const bound = (ms: number, open: string) =>
      Number.isFinite(ms) ? String(Math.max(0, Math.round(ms))).padStart(TIME_WIDTH, '0') : open;
    const gpks = [
      datasetGroupArn,
      ...Array.from({ length: GROUP_SHARDS }, (_, shard) => shardGpk(datasetGroupArn, shard)),
    ];
    // The shards side by side, each shard's ranges one after another.
    const reads = gpks.map(async (gpk) => {
      const items: Record<string, unknown>[] = [];
      for (const [from, to] of ranges) {
        for await (const page of this.pages({
          TableName: this.tableName,
          IndexName: BY_GROUP,
          KeyConditionExpression: 'gpk = :g AND gsk BETWEEN :from AND :to',
          FilterExpression: 'writtenAt >= :since',
          ExpressionAttributeValues: {
            ':g': gpk,
            ':from': bound(from, '0'),
            ':to': bound(to, '~'),
            ':since': writtenSince,
          },
        }))
          items.push(...page);
      }
      return items;
    });
    // A call item is found by its oldest event's time, which the marks cover as they cover all of its events.
    const events = sortedEvents((await Promise.all(reads)).flat().flatMap(expand));
    const seen = new Set<string>();
    return events
      .map((e) => e.record)
      .filter((record) => firstOfId(record, seen))
      .map(fromItem);
  }

  private async *pages(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      yield out.Items ?? [];
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  private async batchPut(items: Record<string, unknown>[]): Promise<void> {
    // One request may not name the same key twice; identical events map to the same key, so keep the last.
    const unique = new Map(items.map((item) => [itemKey(item), item]));
    await this.writer.put([...unique.values()]);
  }
}

/** One index partition's pages, read one item at a time. */
class PagedCursor {
  private items: Record<string, unknown>[] = [];
  private done = false;

  constructor(private readonly source: AsyncGenerator<Record<string, unknown>[]>) {}

  /** Reads pages until an item is buffered or the partition is exhausted. */
  async fill(): Promise<void> {
    while (this.items.length === 0 && !this.done) {
      const next = await this.source.next();
      if (next.done === true) this.done = true;
      else this.items = next.value;
    }
  }

  head(): Record<string, unknown> | undefined {
    return this.items[0];
  }

  take(): Record<string, unknown> {
    return this.items.shift() as Record<string, unknown>;
  }
}

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } };

/** BatchWriteItem with retries of unprocessed items and exponential back-off. */
export async function batchWrite(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= MAX_ATTEMPTS)
      throw new Error(`${pending.length} writes to ${tableName} stayed unprocessed`);
    if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
    const out = await ddb.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    pending = (out.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
  }
}

/** A binary min-heap of events on (key, arrival), so events of one key leave in the order they came. */
class EventHeap {
  private readonly heap: { readonly event: KeyedRecord; readonly order: number }[] = [];
  private arrivals = 0;

  peek(): KeyedRecord | undefined {
    return this.heap[0]?.event;
  }

  push(event: KeyedRecord): void {
    const heap = this.heap;
    heap.push({ event, order: this.arrivals++ });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.less(left, least)) least = left;
      if (right < heap.length && this.less(right, least)) least = right;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a] as (typeof this.heap)[number];
    const y = this.heap[b] as (typeof this.heap)[number];
    return x.event.key < y.event.key || (x.event.key === y.event.key && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    [heap[a], heap[b]] = [heap[b] as (typeof heap)[number], heap[a] as (typeof heap)[number]];
  }
}

/**
 * Whether `item` is the first read (in time order) of the events with its `eventId`; records the id in `seen`.
 * Items without an id (none are written so) always count.
 */
function firstOfId(item: Record<string, unknown>, seen: Set<string>): boolean {
  const id = item.eventId;
  if (typeof id !== 'string') return true;
  if (seen.has(id)) return false;
  seen.add(id);
  return true;
}

function isConditionFailure(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && 'name' in err && err.name === 'ConditionalCheckFailedException'
  );
}
