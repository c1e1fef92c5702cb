/**
 * The local runtime stays responsive while a model trains: the training steps run in child processes, so a
 * GetRecommendations made during a FULL training on a larger data set is answered by the primary (which also hosts
 * the embedded DynamoDB the request reads) in under 100 ms, and the training still ends ACTIVE.
 */
import {
  CreateCampaignCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeSolutionVersionCommand,
} from '@aws-sdk/client-personalize';
import { GetRecommendationsCommand } from '@aws-sdk/client-personalize-runtime';
import { startTestRuntime, type TestRuntime } from './harness';
import { groupWithInteractions, RECIPE, trainedVersion } from './workflow';

let t: TestRuntime;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
});
afterAll(() => t?.stop());

/** `users` users with `each` interactions over `items` items; item k tends to follow item k−1. */
function interactionsCsv(users: number, each: number, items: number): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  let time = 1_700_000_000;
  for (let u = 0; u < users; u++) {
    for (let s = 0; s < each; s++) lines.push(`u${u},i${(u * 13 + s) % items},${time++},click`);
  }
  return `${lines.join('\n')}\n`;
}

async function solution(name: string, datasetGroupArn: string): Promise<string> {
  const { solutionArn } = await t.personalize.send(
    new CreateSolutionCommand({
      name,
      datasetGroupArn,
      recipeArn: RECIPE,
      performAutoTraining: false,
      solutionConfig: { algorithmHyperParameters: { hidden_dimension: '32' } },
    }),
  );
  return solutionArn as string;
}

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

async function status(solutionVersionArn: string): Promise<string | undefined> {
  const { solutionVersion } = await t.personalize.send(
    new DescribeSolutionVersionCommand({ solutionVersionArn }),
  );
  return solutionVersion?.status;
}

it('answers GetRecommendations in under 100 ms while a FULL training runs', async () => {
  const small = await groupWithInteractions(t, 'served', interactionsCsv(80, 15, 60));
  const served = await trainedVersion(t, await solution('served', small), 'FULL');
  const { campaignArn } = await t.personalize.send(
    new CreateCampaignCommand({ name: 'served', solutionVersionArn: served }),
  );
  // The first requests load the model and warm the connections; only the ones during the training count.
  for (let i = 0; i < 5; i++) await timedRecommendations(campaignArn as string, `u${i}`);

  const large = await groupWithInteractions(t, 'large', interactionsCsv(300, 12, 400));
  const { solutionVersionArn } = await t.personalize.send(
    new CreateSolutionVersionCommand({ solutionArn: await solution('large', large), trainingMode: 'FULL' }),
  );
  const during: number[] = [];
  let user = 0;
  for (;;) {
    const current = await status(solutionVersionArn as string);
    if (current !== 'CREATE PENDING' && current !== 'CREATE IN_PROGRESS') break;
    during.push(await timedRecommendations(campaignArn as string, `u${user++ % 80}`));
    await new Promise((r) => setTimeout(r, 100));
  }
  await t.idle();
  expect(await status(solutionVersionArn as string)).toBe('ACTIVE');
  // The training lasted long enough to be sampled a number of times.
  expect(during.length).toBeGreaterThanOrEqual(10);
  console.log(
    `GetRecommendations during the training: ${during.length} requests, max ${Math.max(...during).toFixed(1)} ms`,
  );
  for (const ms of during) expect(ms).toBeLessThan(100);
}, 120_000);
