import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EVENTS_PER_ITEM, eventSk, type StoredEvent } from '../../../lambdas/store/event-items';
import { EventStore } from '../../../lambdas/store/events';
import { RecordStore } from '../../../lambdas/store/records';
import { EVENTS_TABLE, RECORDS_TABLE } from '../../../lambdas/store/tables';
import { type LocalDynamo, startDynalite } from '../services/dynalite-table';

let local: LocalDynamo;
let events: EventStore;
let records: RecordStore;

beforeAll(async () => {
  local = await startDynalite([
    { def: EVENTS_TABLE, name: 'events' },
    { def: RECORDS_TABLE, name: 'records' },
  ]);
  events = new EventStore(local.ddb, 'events');
  records = new RecordStore(local.ddb, 'records');
});
afterAll(async () => {
  await local.close();
});

const GROUP = 'arn:aws:personalize:us-east-1:000000000000:dataset-group/events-test';

function event(
  actorId: string,
  timestamp: number,
  eventId: string,
  extra: Partial<StoredEvent> = {},
): StoredEvent {
  return {
    datasetGroupArn: GROUP,
    actorId,
    sessionId: `s-${actorId}`,
    eventId,
    eventType: 'click',
    itemId: `i-${eventId}`,
    timestamp,
    writtenAt: 1_000,
    ...extra,
  };
}

async function collect(group: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const page of events.groupEvents(group, 0)) out.push(...page);
  return out;
}

describe('EventStore', () => {
  it('returns the most recent N events oldest first, with fractional timestamps kept', async () => {
    const written = Array.from({ length: 30 }, (_, i) =>
      event('u-recent', 1_700_000_000 + i + 0.25, `e${i}`),
    );
    // Write out of order and in more than one BatchWrite (25 per call).
    await events.put([...written].reverse());
    const recent = await events.recent(GROUP, 'u-recent', 5, 0);
    expect(recent.map((e) => e.eventId)).toEqual(['e25', 'e26', 'e27', 'e28', 'e29']);
    expect(recent[4]).toEqual(written[29]);
  });

  it('reads recent interactions as the full read does, reduced to item, type, time, value and write time', async () => {
    await events.put([
      event('u-projected', 1_700_000_000.5, 'p1', {
        eventValue: 2.5,
        impression: ['a', 'b'],
        columns: { X: 1 },
      }),
      event('u-projected', 1_700_000_001, 'p2', { itemId: undefined, eventType: 'watch', writtenAt: 3_000 }),
      event('u-projected', 1_700_000_002, 'p3', { writtenAt: 500 }),
    ]);
    const full = await events.recent(GROUP, 'u-projected', 10, 1_000);
    const reduced = await events.recentInteractions(GROUP, 'u-projected', 10, 1_000);
    expect(reduced).toEqual([
      { itemId: 'i-p1', eventType: 'click', timestamp: 1_700_000_000.5, eventValue: 2.5, writtenAt: 1_000 },
      { eventType: 'watch', timestamp: 1_700_000_001, writtenAt: 3_000 },
    ]);
    expect(reduced).toEqual(
      full.map(({ itemId, eventType, timestamp, eventValue, writtenAt }) =>
        JSON.parse(JSON.stringify({ itemId, eventType, timestamp, eventValue, writtenAt })),
      ),
    );
    expect((await events.recentInteractions(GROUP, 'u-projected', 1, 0)).map((e) => e.timestamp)).toEqual([
      1_700_000_002,
    ]);
  });

  it('stores an event written twice once', async () => {
    const e = event('u-twice', 1_700_000_100, 'same', { impression: ['a', 'b'], columns: { DEVICE: 'ios' } });
    await events.put([e, e]);
    await events.put([e]);
    expect(await events.all(GROUP, 'u-twice', 0)).toEqual([e]);
  });

  it('reads each event id once: a retry overwrites itself, a reuse with other content is dropped by reads', async () => {
    const group = `${GROUP}-ids`;
    const inGroup = (e: StoredEvent): StoredEvent => ({ ...e, datasetGroupArn: group });
    const first = inGroup(event('u-id', 1_700_000_200, 'client-id-1'));
    const other = inGroup(event('u-id', 1_700_000_201, 'client-id-2'));
    // Reuses of client-id-1: later in the same partition, later in another user's, and one from an earlier group
    // of the same ARN (written before `since`), which must not shadow anything.
    const later = { ...first, timestamp: 1_700_000_300, itemId: 'i-later' };
    const elsewhere = inGroup(event('u-other', 1_700_000_250, 'client-id-1', { itemId: 'i-elsewhere' }));
    const stale = { ...first, timestamp: 1_700_000_100, itemId: 'i-stale', writtenAt: 500 };
    await events.put([first, other]);
    await events.put([first, later, elsewhere, stale]);
    await events.put([first]);

    const read = async (repeats: boolean) => {
      const out: StoredEvent[] = [];
      for await (const page of events.groupEvents(group, 1_000, { repeats })) out.push(...page);
      return out;
    };
    expect(await read(false)).toEqual([first, other]);
    // The retried event is one item; each reuse is an item of its own, left to reads to drop.
    expect((await read(true)).map((e) => e.itemId)).toEqual([
      'i-client-id-1',
      'i-client-id-2',
      'i-elsewhere',
      'i-later',
    ]);
    expect((await events.recentInteractions(group, 'u-id', 10, 1_000)).map((e) => e.itemId)).toEqual([
      'i-client-id-1',
      'i-client-id-2',
    ]);
    expect((await events.recent(group, 'u-id', 10, 1_000)).map((e) => e.itemId)).toEqual([
      'i-client-id-1',
      'i-client-id-2',
    ]);
    // Reads that count the earlier group's events see its event under that id first.
    expect((await events.recent(group, 'u-id', 10, 0)).map((e) => e.itemId)).toEqual([
      'i-stale',
      'i-client-id-2',
    ]);
  });

  it('uses one of two events written concurrently with one id: the earlier', async () => {
    const group = `${GROUP}-race`;
    const a = { ...event('u-race-a', 1_700_000_401, 'client-race'), datasetGroupArn: group };
    const b = { ...event('u-race-b', 1_700_000_400, 'client-race'), datasetGroupArn: group };
    await Promise.all([events.put([a]), events.put([b])]);
    expect(await collect(group)).toEqual([b]);
  });

  it('links a session to its first user only and lists links per group', async () => {
    const group = `${GROUP}-links`;
    expect(await events.sessionUser(group, 'sess-1', 0)).toBeUndefined();
    expect(await events.linkSession(group, 'sess-1', 'alice', 1_000, 0)).toBe('alice');
    expect(await events.linkSession(group, 'sess-1', 'bob', 1_001, 0)).toBe('alice');
    expect(await events.sessionUser(group, 'sess-1', 0)).toBe('alice');
    expect(await events.links(group, 0)).toEqual(new Map([['sess-1', 'alice']]));
    // After the group is re-created (since = 2000) the old link is void and the session can be tied again.
    expect(await events.sessionUser(group, 'sess-1', 2_000)).toBeUndefined();
    expect(await events.links(group, 2_000)).toEqual(new Map());
    expect(await events.linkSession(group, 'sess-1', 'bob', 3_000, 2_000)).toBe('bob');
    expect(await events.links(group, 2_000)).toEqual(new Map([['sess-1', 'bob']]));
  });

  it('reads a group in time order; copies into a user partition are visible to the user but not to the group', async () => {
    const group = `${GROUP}-copies`;
    const anon = [1, 2].map((t) => ({
      ...event('sess-x', 1_700_000_000 + t, `a${t}`),
      datasetGroupArn: group,
    }));
    const known = { ...event('carol', 1_700_000_010, 'k1'), datasetGroupArn: group, userId: 'carol' };
    await events.put([...anon, known]);
    await events.copyToUser(anon, 'carol');
    expect((await events.recent(group, 'carol', 10, 0)).map((e) => e.eventId)).toEqual(['a1', 'a2', 'k1']);
    expect((await collect(group)).map((e) => e.eventId)).toEqual(['a1', 'a2', 'k1']);
    expect(await events.links(group, 0)).toEqual(new Map());
  });

  it('stores the events of one call in one item, and reads them back one by one', async () => {
    const group = `${GROUP}-calls`;
    const call = Array.from({ length: EVENTS_PER_ITEM }, (_, i) => ({
      ...event(
        'erin',
        1_700_000_000 + i,
        `call-${i}`,
        i === 3 ? { impression: ['x', 'y'], eventValue: 4 } : {},
      ),
      datasetGroupArn: group,
      ...(i === 5 ? { itemId: undefined } : {}),
    }));
    await events.put(call);
    // A retried call lands on the same item.
    await events.put([...call].reverse());
    const items = await local.ddb.send(
      new QueryCommand({
        TableName: 'events',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${group}|erin` },
      }),
    );
    expect(items.Items).toHaveLength(1);
    expect(await events.all(group, 'erin', 0)).toEqual(call);
    expect(await collect(group)).toEqual(call);
    expect(await events.recent(group, 'erin', 3, 0)).toEqual(call.slice(-3));
  });

  it('cuts a call whose events exceed what one item holds into more items', async () => {
    const group = `${GROUP}-large`;
    // Ten events, each with 500 shown items of 100 characters: about 500 KB, over DynamoDB's 400 KB per item.
    const call = Array.from({ length: 10 }, (_, i) => ({
      ...event('jo', 1_700_000_000 + i, `large-${i}`),
      datasetGroupArn: group,
      impression: Array.from({ length: 500 }, (_, k) => `${String(k).padStart(4, '0')}-${'x'.repeat(95)}`),
    }));
    await events.put(call);
    expect(await events.all(group, 'jo', 0)).toEqual(call);
    expect((await collect(group)).map((e) => e.eventId)).toEqual(call.map((e) => e.eventId));
  });

  it('merges calls whose times overlap into time order, for the group and for the newest N of an actor', async () => {
    const group = `${GROUP}-overlap`;
    const at = (actor: string, t: number, id: string): StoredEvent => ({
      ...event(actor, 1_700_000_000 + t, id),
      datasetGroupArn: group,
    });
    // One call spans t = 1…9; others fall in between, in the same partition and in other ones.
    await events.put([at('fay', 1, 'wide-1'), at('fay', 9, 'wide-9')]);
    await events.put([at('fay', 3, 'mid-3'), at('fay', 4, 'mid-4')]);
    await events.put([at('gus', 2, 'other-2'), at('gus', 10, 'other-10')]);
    await events.put([{ ...at('fay', 5, 'late-5'), writtenAt: 2_000 }]);
    // An event item as earlier versions wrote them, in the index under the bare group key.
    const sk = eventSk(1_700_000_006, 'legacy-6');
    await local.ddb.send(
      new PutCommand({
        TableName: 'events',
        Item: { pk: `${group}|fay`, sk, gpk: group, gsk: sk, ...at('fay', 6, 'legacy-6') },
      }),
    );
    expect((await collect(group)).map((e) => e.eventId)).toEqual([
      'wide-1',
      'other-2',
      'mid-3',
      'mid-4',
      'late-5',
      'legacy-6',
      'wide-9',
      'other-10',
    ]);
    // The two newest items of fay hold the newest of her events but not the oldest of them: only those certain
    // (not older than the older item's newest) are returned.
    expect((await events.recent(group, 'fay', 2, 0)).map((e) => e.eventId)).toEqual(['legacy-6', 'wide-9']);
    expect((await events.recent(group, 'fay', 3, 0)).map((e) => e.eventId)).toEqual([
      'late-5',
      'legacy-6',
      'wide-9',
    ]);
    expect((await events.recentInteractions(group, 'fay', 10, 0)).map((e) => e.timestamp)).toEqual(
      [1, 3, 4, 5, 6, 9].map((t) => 1_700_000_000 + t),
    );
    expect((await events.all(group, 'fay', 0)).map((e) => e.eventId)).toEqual([
      'wide-1',
      'mid-3',
      'mid-4',
      'late-5',
      'legacy-6',
      'wide-9',
    ]);
  });

  it('returns of the newest N items only the events no unread item can outdate', async () => {
    const group = `${GROUP}-floor`;
    const at = (t: number, id: string, writtenAt: number): StoredEvent => ({
      ...event('ivy', 1_700_000_000 + t, id),
      datasetGroupArn: group,
      writtenAt,
    });
    await events.put([at(1, 'old-1', 500), at(9, 'old-9', 500)]);
    await events.put([at(2, 'new-2', 1_000), at(8, 'new-8', 1_000)]);
    await events.put([at(7, 'new-7', 1_000)]);
    // The Query reads the two newest items and the `since` filter drops one: new-2 is left out, as new-7 (unread)
    // is newer.
    expect((await events.recent(group, 'ivy', 2, 1_000)).map((e) => e.eventId)).toEqual(['new-8']);
    // Every item read: nothing unread can be newer.
    expect((await events.recent(group, 'ivy', 4, 1_000)).map((e) => e.eventId)).toEqual([
      'new-2',
      'new-7',
      'new-8',
    ]);
  });

  it('reads an event once that a retry stored again inside another call', async () => {
    const group = `${GROUP}-inside`;
    const a = { ...event('hal', 1_700_000_001, 'in-a'), datasetGroupArn: group };
    const b = { ...event('hal', 1_700_000_002, 'in-b'), datasetGroupArn: group };
    await events.put([a]);
    await events.put([a, b]);
    const withRepeats: StoredEvent[] = [];
    for await (const page of events.groupEvents(group, 0, { repeats: true })) withRepeats.push(...page);
    expect(withRepeats).toEqual([a, b]);
    expect(await events.all(group, 'hal', 0)).toEqual([a, b]);
    expect(await events.recent(group, 'hal', 10, 0)).toEqual([a, b]);
  });

  it('leaves out events written before `since`', async () => {
    const group = `${GROUP}-since`;
    const old = { ...event('dave', 1_700_000_001, 'old'), datasetGroupArn: group, writtenAt: 1_000 };
    const young = { ...event('dave', 1_700_000_002, 'new'), datasetGroupArn: group, writtenAt: 3_000 };
    await events.put([old, young]);
    expect((await events.recent(group, 'dave', 10, 2_000)).map((e) => e.eventId)).toEqual(['new']);
    expect((await events.all(group, 'dave', 2_000)).map((e) => e.eventId)).toEqual(['new']);
    const fromGroup: string[] = [];
    for await (const page of events.groupEvents(group, 2_000)) fromGroup.push(...page.map((e) => e.eventId));
    expect(fromGroup).toEqual(['new']);
  });
});

describe('RecordStore', () => {
  it('upserts by id, last write wins, and lists a dataset', async () => {
    const dataset = 'arn:aws:personalize:us-east-1:000000000000:dataset/g/ITEMS';
    await records.put(dataset, [
      { id: 'i1', values: { GENRES: 'A', PRICE: 1 }, updatedAt: 1 },
      { id: 'i2', values: { GENRES: null }, updatedAt: 1 },
      { id: 'i1', values: { GENRES: 'B', PRICE: 2 }, updatedAt: 2 },
    ]);
    await records.put(dataset, [{ id: 'i2', values: { GENRES: 'C' }, updatedAt: 3 }]);
    const all = [];
    for await (const page of records.list(dataset)) all.push(...page);
    expect(all).toEqual([
      { id: 'i1', values: { GENRES: 'B', PRICE: 2 }, updatedAt: 2 },
      { id: 'i2', values: { GENRES: 'C' }, updatedAt: 3 },
    ]);
  });
});
