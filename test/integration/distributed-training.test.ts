/**
 * The training workflow's Distributed Map on the local runtime: with a small shard size a FULL training runs one
 * ShardSums child per user shard, one at a time, and reaches ACTIVE with the metrics of a one-shard (undistributed) training; a failing shard ends
 * CREATE FAILED with a readable reason; StopSolutionVersionCreation during the shards ends CREATE STOPPED.
 */
import {
  CreateSolutionVersionCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
  StopSolutionVersionCreationCommand,
} from '@aws-sdk/client-personalize';
import { ENV } from '../../lambdas/env';
import { type Handler, requireHandler } from '../../local/functions';
import { startTestRuntime, type TestRuntime } from './harness';
import { chainInteractionsCsv, groupWithInteractions, smallSolution } from './workflow';

let t: TestRuntime;
/** The shards each ShardSums child was invoked with, in call order. */
const shardCalls: number[] = [];
/** ShardSums children running now, and the most at once. */
let running = 0;
let mostAtOnce = 0;
/** Runs before a shard's handler; a test may make it throw or stop the version. */
let beforeShard: (event: { solutionVersionArn: string; shard: number }) => Promise<void> = async () => {};

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime({
    loadHandler: (file) => {
      const handler = requireHandler(file);
      if (file !== 'training-shard-sums') return handler;
      const spied: Handler = async (event) => {
        const e = event as { solutionVersionArn: string; shard: number };
        shardCalls.push(e.shard);
        mostAtOnce = Math.max(mostAtOnce, ++running);
        try {
          await beforeShard(e);
          return await handler(event);
        } finally {
          running--;
        }
      };
      return spied;
    },
  });
});
afterAll(async () => {
  delete process.env[ENV.TRAINING_SHARD_INTERACTIONS];
  await t?.stop();
});

let group: string;
beforeAll(async () => {
  // 120 users × 25 = 3,000 interactions: three shards at 1,000 interactions each.
  group = await groupWithInteractions(t, 'distributed', chainInteractionsCsv(120, 25));
});

async function train(name: string, shardInteractions: number): Promise<string> {
  process.env[ENV.TRAINING_SHARD_INTERACTIONS] = String(shardInteractions);
  const solutionArn = await smallSolution(t, name, group);
  const { solutionVersionArn } = await t.personalize.send(new CreateSolutionVersionCommand({ solutionArn }));
  return solutionVersionArn as string;
}

const describeVersion = async (solutionVersionArn: string) =>
  (await t.personalize.send(new DescribeSolutionVersionCommand({ solutionVersionArn }))).solutionVersion;

it('trains over three shards to ACTIVE with the metrics of one shard', async () => {
  shardCalls.length = 0;
  const three = await train('three-shards', 1000);
  await t.idle();
  expect(await describeVersion(three)).toMatchObject({ status: 'ACTIVE' });
  expect([...shardCalls].sort()).toEqual([0, 1, 2]);
  // The local runtime's plan runs the shards one at a time (they share one process).
  expect(mostAtOnce).toBe(1);

  shardCalls.length = 0;
  const one = await train('one-shard', 1_000_000);
  await t.idle();
  expect(await describeVersion(one)).toMatchObject({ status: 'ACTIVE' });
  // One shard is not distributed: the train step sums it itself.
  expect(shardCalls).toEqual([]);

  // The sums differ by rounding only, so the models judge the same held-out users alike.
  const metricsOf = async (solutionVersionArn: string) =>
    (await t.personalize.send(new GetSolutionMetricsCommand({ solutionVersionArn }))).metrics ?? {};
  const a = await metricsOf(three);
  const b = await metricsOf(one);
  expect(Object.keys(a).length).toBeGreaterThan(5);
  for (const [name, value] of Object.entries(b)) expect(a[name]).toBeCloseTo(value, 9);
});

it('ends CREATE FAILED with a readable reason when a shard fails', async () => {
  beforeShard = async ({ shard }) => {
    if (shard === 1) throw new Error('disk full while summing');
  };
  try {
    const arn = await train('failing-shard', 1000);
    await t.idle();
    const version = await describeVersion(arn);
    expect(version?.status).toBe('CREATE FAILED');
    expect(version?.failureReason).toMatch(/^Create failed\. .*disk full while summing/);
  } finally {
    beforeShard = async () => {};
  }
});

it('stops the whole run when the version is stopped during the shards', async () => {
  let stopped = false;
  beforeShard = async ({ solutionVersionArn }) => {
    if (stopped) return;
    stopped = true;
    await t.personalize.send(new StopSolutionVersionCreationCommand({ solutionVersionArn }));
  };
  try {
    shardCalls.length = 0;
    const arn = await train('stopped-shards', 1000);
    await t.idle();
    expect(stopped).toBe(true);
    expect((await describeVersion(arn))?.status).toBe('CREATE STOPPED');
  } finally {
    beforeShard = async () => {};
  }
});
