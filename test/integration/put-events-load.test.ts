/**
 * PutEvents from 16 concurrent clients, small scale: every acknowledged event is stored exactly once, exact
 * re-sends included, and an event that re-uses an acknowledged eventId is dropped by reads.
 */
import { CreateEventTrackerCommand } from '@aws-sdk/client-personalize';
import { countStored, runPutEventsLoad } from '../../bench/lib/put-events-load';
import { createInteractionsDataset } from '../../bench/lib/setup';
import { EVENTS_TABLE } from '../../lambdas/store/tables';
import { startTestRuntime, type TestRuntime } from './harness';

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t.stop();
});

it('stores every acknowledged event exactly once under 16 concurrent clients', async () => {
  const { datasetGroupArn } = await createInteractionsDataset(t.personalize, 'load');
  const { trackingId } = await t.personalize.send(
    new CreateEventTrackerCommand({ name: 'load', datasetGroupArn }),
  );
  const load = await runPutEventsLoad({
    endpoint: t.runtime.endpoint,
    region: t.runtime.region,
    credentials: t.runtime.apiCredentials,
    trackingId: trackingId as string,
    clients: 16,
    callsPerClient: 12,
    batch: 10,
    retryEvery: 4,
  });
  expect(load.failedCalls).toBe(0);
  expect(load.acknowledged.size).toBe(16 * 12 * 10);
  expect(load.retries).toBe(16 * 3);
  const count = await countStored(
    t.runtime.internalEndpoints.dynamodb,
    t.runtime.region,
    EVENTS_TABLE.id,
    datasetGroupArn,
    load.acknowledged,
  );
  expect(count).toEqual({
    stored: load.acknowledged.size,
    missing: 0,
    duplicated: 0,
    unexpected: 0,
    // Each re-used id is an item of its own that reads drop; exact re-sends add no item.
    items: load.acknowledged.size + load.conflicting,
    reuses: load.conflicting,
  });
  expect(load.conflicting).toBe(16 * 3);
  // 1,920 events take a few seconds alone; the margin is for a machine busy with other suites.
}, 240_000);
