/**
 * Write marks against dynalite: PutEvents pays one small write per group and write bucket (not per event or per
 * call), a reader learns what was written since a moment and reads only those event-time spans of the index.
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../../lambdas/store/event-items';
import { MARK_BUCKET_MS, MARK_RETENTION_MS, SPAN_MS, spanRuns } from '../../../lambdas/store/event-marks';
import { EventStore } from '../../../lambdas/store/events';
import { EVENTS_TABLE } from '../../../lambdas/store/tables';
import { type LocalDynamo, startDynalite } from '../services/dynalite-table';

let local: LocalDynamo;
let events: EventStore;
let markWrites = 0;

function counting(ddb: DynamoDBDocumentClient): DynamoDBDocumentClient {
  const send = ddb.send.bind(ddb) as (command: unknown) => Promise<unknown>;
  return new Proxy(ddb, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: unknown) => {
        if (command instanceof PutCommand && String(command.input.Item?.pk).startsWith('marks|'))
          markWrites++;
        return send(command);
      };
    },
  });
}

beforeAll(async () => {
  local = await startDynalite([{ def: EVENTS_TABLE, name: 'events' }]);
  events = new EventStore(counting(local.ddb), 'events');
});
afterAll(async () => {
  await local.close();
});

const GROUP = 'arn:aws:personalize:us-east-1:000000000000:dataset-group/marks-test';
const T0 = 1_800_000_000_000;
let ids = 0;

function event(timestamp: number, writtenAt: number, group = GROUP): StoredEvent {
  const id = ids++;
  return {
    datasetGroupArn: group,
    actorId: `u${id % 7}`,
    userId: `u${id % 7}`,
    sessionId: `s${id % 7}`,
    eventId: `m${id}`,
    eventType: 'click',
    itemId: `i${id}`,
    timestamp,
    writtenAt,
  };
}

it('writes one mark per group and write bucket while events stay in the spans it covers', async () => {
  markWrites = 0;
  // 200 calls of 10 real-time events within one write bucket.
  for (let call = 0; call < 200; call++) {
    const at = T0 + call * 10;
    await events.put(Array.from({ length: 10 }, () => event(at / 1000, at)));
  }
  expect(markWrites).toBe(1);
  // The next bucket takes one more; another group its own.
  await events.put([event((T0 + MARK_BUCKET_MS) / 1000, T0 + MARK_BUCKET_MS)]);
  await events.put([event(T0 / 1000, T0, `${GROUP}-other`)]);
  expect(markWrites).toBe(3);
});

it('bounds the marks of events with scattered old times, then covers all time', async () => {
  markWrites = 0;
  const at = T0 + 10 * MARK_BUCKET_MS;
  for (let call = 0; call < 50; call++) await events.put([event(1_500_000_000 + call * 86_400, at)]);
  expect(markWrites).toBe(8);
  const since = await events.marks.since(GROUP, at, at);
  expect(since?.ranges).toEqual([[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]]);
});

it('says what was written since a moment, and the events read are exactly those', async () => {
  const group = `${GROUP}-since`;
  const before = T0 + 100 * MARK_BUCKET_MS;
  const after = before + 5 * MARK_BUCKET_MS;
  await events.put(Array.from({ length: 30 }, (_, k) => event(1_700_000_000 + k, before, group)));
  expect(await events.marks.since(group, after, after)).toEqual({ ranges: [], links: false, marks: 0 });

  const late = [event(1_700_000_005, after, group), event(1_750_000_000, after + 1, group)];
  await events.put(late);
  const since = await events.marks.since(group, after, after);
  expect(since?.ranges).toEqual([
    [
      Math.floor(1_700_000_005_000 / SPAN_MS) * SPAN_MS,
      (Math.floor(1_700_000_005_000 / SPAN_MS) + 1) * SPAN_MS,
    ],
    [
      Math.floor(1_750_000_000_000 / SPAN_MS) * SPAN_MS,
      (Math.floor(1_750_000_000_000 / SPAN_MS) + 1) * SPAN_MS,
    ],
  ]);
  const read = await events.writtenSince(group, after, since?.ranges ?? []);
  expect(read.map((e) => e.eventId)).toEqual(late.map((e) => e.eventId));

  await events.linkSession(group, 's1', 'u1', after + 2, 0);
  expect((await events.marks.since(group, after, after))?.links).toBe(true);
  // Older than marks are kept: unknown.
  expect(await events.marks.since(group, after, after + MARK_RETENTION_MS)).toBeUndefined();
});

it('merges spans into runs, closest first beyond the cap', () => {
  expect(spanRuns([5, 3, 4, 9, 9])).toEqual([
    [3, 5],
    [9, 9],
  ]);
  const many = Array.from({ length: 300 }, (_, k) => k * 10 + (k === 7 ? 1 : 0));
  const runs = spanRuns(many);
  expect(runs).toHaveLength(256);
  for (const s of many) expect(runs.some(([from, to]) => from <= s && s <= to)).toBe(true);
});
