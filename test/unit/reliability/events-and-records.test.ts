/**
 * Event writes spread over index partitions with a lean projection, and recommendation records expire.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { eventSk, type StoredEvent } from '../../../lambdas/store/event-items';
import { EventStore } from '../../../lambdas/store/events';
import { RecommendationStore } from '../../../lambdas/store/recommendations';
import { EVENTS_TABLE } from '../../../lambdas/store/tables';
import { type LocalDynamo, startDynalite } from '../services/dynalite-table';

const GROUP = 'arn:aws:personalize:us-east-1:000000000000:dataset-group/sharded';
let local: LocalDynamo;

beforeAll(async () => {
  local = await startDynalite([{ def: EVENTS_TABLE, name: 'events' }]);
});
afterAll(async () => {
  await local.close();
});

function event(i: number): StoredEvent {
  return {
    datasetGroupArn: GROUP,
    actorId: `u${i % 40}`,
    sessionId: `s${i % 40}`,
    eventId: `e${i}`,
    eventType: 'click',
    itemId: `i${i % 7}`,
    timestamp: 1_700_000_000 + i,
    writtenAt: 1_000,
    columns: { DEVICE: 'phone' },
    recommendationId: `r${i}`,
  };
}

it('spreads one group over many index partitions, projects only what training reads, reads back in time order', async () => {
  const events = new EventStore(local.ddb, 'events');
  await events.put(Array.from({ length: 400 }, (_, i) => event(i)));
  // An event written before sharding, under the bare group key, is still read.
  await local.ddb.send(
    new PutCommand({
      TableName: 'events',
      Item: {
        pk: `${GROUP}|legacy`,
        sk: eventSk(1_700_000_000.5, 'old'),
        gpk: GROUP,
        gsk: eventSk(1_700_000_000.5, 'old'),
        datasetGroupArn: GROUP,
        actorId: 'legacy',
        sessionId: 'legacy',
        eventId: 'old',
        eventType: 'click',
        itemId: 'i0',
        timestamp: 1_700_000_000.5,
        writtenAt: 1_000,
      },
    }),
  );
  const scanned = await local.ddb.send(new ScanCommand({ TableName: 'events' }));
  const partitions = new Set((scanned.Items ?? []).map((item) => item.gpk));
  expect(partitions.size).toBeGreaterThanOrEqual(12);

  const read: StoredEvent[] = [];
  for await (const page of events.groupEvents(GROUP, 0)) read.push(...page);
  expect(read).toHaveLength(401);
  expect(read.map((e) => e.timestamp)).toEqual([...read.map((e) => e.timestamp)].sort((a, b) => a - b));
  expect(read[1]?.eventId).toBe('old');
  // The index carries the columns (training's contextual metadata), not what only serving reads.
  expect(read.filter((e) => e.columns?.DEVICE === 'phone')).toHaveLength(400);
  expect(read.every((e) => e.recommendationId === undefined)).toBe(true);

  const table = await local.ddb.send(new DescribeTableCommand({ TableName: 'events' }));
  expect(table.Table?.GlobalSecondaryIndexes?.[0]?.Projection?.ProjectionType).toBe('INCLUDE');
});

it('recommendation records expire: reads ignore them and the sweep deletes them', async () => {
  let now = 1_800_000_000_000;
  const store = new RecommendationStore(local.ddb, 'events', () => now);
  const record = (id: string, createdAt: number) => ({
    recommendationId: id,
    campaignArn: 'arn:aws:personalize:us-east-1:000000000000:campaign/c',
    datasetGroupArn: GROUP,
    solutionVersionArn: 'arn:aws:personalize:us-east-1:000000000000:solution/s/1',
    userId: 'u1',
    itemIds: ['a', 'b'],
    scores: [0.5, 0.25],
    createdAt,
  });
  await store.put(record('old', now - 31 * 86_400_000));
  await store.put(record('new', now - 60_000));
  expect(await store.get('old')).toBeUndefined();
  expect((await store.get('new'))?.itemIds).toEqual(['a', 'b']);
  expect(await store.sweepExpired()).toBe(1);
  const left = await local.ddb.send(
    new ScanCommand({
      TableName: 'events',
      FilterExpression: 'begins_with(pk, :r)',
      ExpressionAttributeValues: { ':r': 'rec|' },
    }),
  );
  expect((left.Items ?? []).map((i) => i.recommendationId)).toEqual(['new']);
  now += 31 * 86_400_000;
  expect(await store.sweepExpired()).toBe(1);
});
