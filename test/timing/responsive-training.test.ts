/**
 * The local runtime stays responsive while a model trains: the training steps run in child processes, so a
 * GetRecommendations made during a FULL training on a larger data set is answered by the primary (which also hosts
 * the embedded DynamoDB the request reads) in under 100 ms, and the training still ends ACTIVE.
 *
 * On a 2-core machine that also runs the test runner, a request now and then waits for the scheduler or a garbage
 * collection (up to 110–163 ms seen in CI runs of a few hundred requests), so 95 % of the requests must answer in
 * under 100 ms and every one in under a second. With the steps in-process, a request made during the training
 * waited for the whole of it: seconds.
 */

import { Worker } from 'node:worker_threads';
import {
  CreateCampaignCommand,
  CreateSolutionVersionCommand,
  DescribeSolutionVersionCommand,
} from '@aws-sdk/client-personalize';
import { GetRecommendationsCommand } from '@aws-sdk/client-personalize-runtime';
import { startTestRuntime, type TestRuntime } from '../integration/harness';
import {
  chainInteractionsCsv,
  groupWithInteractions,
  smallSolution,
  trainedVersion,
} from '../integration/workflow';

let t: TestRuntime;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
});
afterAll(() => t?.stop());

const solution = (name: string, datasetGroupArn: string): Promise<string> =>
  smallSolution(t, name, datasetGroupArn, { performAutoTraining: false });

/** Milliseconds one GetRecommendations takes, end to end through the SDK. */
async function timedRecommendations(campaignArn: string, userId: string): Promise<number> {
  const started = performance.now();
  const { itemList } = await t.personalizeRuntime.send(
    new GetRecommendationsCommand({ campaignArn, userId, numResults: 10 }),
  );
  const elapsed = performance.now() - started;
  expect(itemList?.length).toBe(10);
  return elapsed;
}

/**
 * GetRecommendations sent every 100 ms from a thread of its own, so the time it measures includes any time the
 * runtime's event loop (which is this test's too) was held: a client in this thread would not even send its request
 * until the loop was free. Resolves, once stopped, with each request's milliseconds.
 */
function startSampler(campaignArn: string): { stop(): Promise<number[]> } {
  const worker = new Worker(SAMPLER, {
    eval: true,
    workerData: {
      campaignArn,
      endpoint: t.runtime.endpoint,
      region: t.runtime.region,
      credentials: t.runtime.apiCredentials,
    },
  });
  const result = new Promise<number[]>((resolve, reject) => {
    worker.once('message', (timings: number[]) => resolve(timings));
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const timings = await result;
      await worker.terminate();
      return timings;
    },
  };
}

const SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { GetRecommendationsCommand, PersonalizeRuntimeClient } = require('@aws-sdk/client-personalize-runtime');
const { campaignArn, endpoint, region, credentials } = workerData;
const client = new PersonalizeRuntimeClient({ endpoint, region, credentials, maxAttempts: 1 });
const timings = [];
let stopping = false;
parentPort.once('message', () => { stopping = true; });
(async () => {
  for (let user = 0; !stopping; user++) {
    const started = performance.now();
    const { itemList } = await client.send(
      new GetRecommendationsCommand({ campaignArn, userId: 'u' + (user % 80), numResults: 10 }),
    );
    if (itemList.length !== 10) throw new Error('expected 10 items, got ' + itemList.length);
    timings.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
  client.destroy();
  parentPort.postMessage(timings);
})();
`;

async function status(solutionVersionArn: string): Promise<string | undefined> {
  const { solutionVersion } = await t.personalize.send(
    new DescribeSolutionVersionCommand({ solutionVersionArn }),
  );
  return solutionVersion?.status;
}

it('answers GetRecommendations in under 100 ms (95 %, all under 1 s) while a FULL training runs', async () => {
  const small = await groupWithInteractions(t, 'served', chainInteractionsCsv(80, 15, 60));
  const served = await trainedVersion(t, await solution('served', small), 'FULL');
  const { campaignArn } = await t.personalize.send(
    new CreateCampaignCommand({ name: 'served', solutionVersionArn: served }),
  );
  // The first requests load the model and warm the connections; only the ones during the training count.
  for (let i = 0; i < 5; i++) await timedRecommendations(campaignArn as string, `u${i}`);

  const large = await groupWithInteractions(t, 'large', chainInteractionsCsv(300, 12, 400));
  const { solutionVersionArn } = await t.personalize.send(
    new CreateSolutionVersionCommand({ solutionArn: await solution('large', large), trainingMode: 'FULL' }),
  );
  const sampler = startSampler(campaignArn as string);
  let current = await status(solutionVersionArn as string);
  while (current === 'CREATE PENDING' || current === 'CREATE IN_PROGRESS') {
    await new Promise((r) => setTimeout(r, 200));
    current = await status(solutionVersionArn as string);
  }
  const during = await sampler.stop();
  await t.idle();
  expect(await status(solutionVersionArn as string)).toBe('ACTIVE');
  const sorted = [...during].sort((a, b) => a - b);
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1] as number;
  const max = sorted[sorted.length - 1] as number;
  console.log(
    `GetRecommendations during the training: ${during.length} requests, p50 ${(sorted[sorted.length >> 1] as number).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
  );
  expect(p95).toBeLessThan(100);
  expect(max).toBeLessThan(1000);
  // The training lasted long enough to be sampled a number of times.
  expect(during.length).toBeGreaterThanOrEqual(10);
}, 120_000);
