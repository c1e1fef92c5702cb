/**
 * Automatic updates and UPDATE-mode versions through the SDK clients, on the local runtime's update workflow:
 * an item added with PutItems after training becomes recommendable without a FULL retrain, with no new solution
 * version; nothing new means no new generation; an UPDATE version does the same work as a new version, reports its
 * FULL version's metrics and is not auto-updated afterwards.
 */
import {
  CreateCampaignCommand,
  CreateDatasetGroupCommand,
  CreateSolutionVersionCommand,
  DescribeCampaignCommand,
  GetSolutionMetricsCommand,
  ListSolutionVersionsCommand,
  UpdateCampaignCommand,
} from '@aws-sdk/client-personalize';
import { PutItemsCommand } from '@aws-sdk/client-personalize-events';
import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
} from '@aws-sdk/client-personalize-runtime';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { UpdateOutcome } from '../../lambdas/services/automatic-updates';
import { startTestRuntime, type TestRuntime } from './harness';
import { createDataset, importAndWait, smallSolution, trainedVersion } from './workflow';

let t: TestRuntime;
const ITEMS = 150;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime({ updateIntervalMs: 0 });
});
afterAll(() => t?.stop());

/** 120 users × 25 interactions; item k tends to follow item k−1. */
function interactionsCsv(): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP'];
  let time = 1_700_000_000;
  for (let u = 0; u < 120; u++)
    for (let s = 0; s < 25; s++) lines.push(`u${u},i${(u * 13 + s) % ITEMS},${time++}`);
  return `${lines.join('\n')}\n`;
}

function itemsCsv(): string {
  const lines = ['ITEM_ID,GENRES'];
  for (let k = 0; k < ITEMS; k++) lines.push(`i${k},g${k % 3}`);
  return `${lines.join('\n')}\n`;
}

async function dataset(group: string, type: 'Interactions' | 'Items', fields: object[], csv: string) {
  const datasetArn = await createDataset(t, {
    datasetGroupArn: group,
    datasetType: type,
    fields,
    schemaName: `updates-${type.toLowerCase()}`,
    datasetName: `updates-${type}`,
  });
  const job = await importAndWait(t, {
    datasetArn,
    jobName: `updates-${type}`,
    key: `updates/${type}.csv`,
    csv,
  });
  expect(job.status).toBe('ACTIVE');
  return datasetArn;
}

/** Runs the update workflow now and returns its outcome per campaign. */
async function runUpdates(): Promise<{ campaignArns: string[]; results: UpdateOutcome[] }> {
  const run = await t.runtime.automaticUpdate();
  expect(run.status).toBe('SUCCEEDED');
  return run.output as { campaignArns: string[]; results: UpdateOutcome[] };
}

/** The score GetPersonalizedRanking gives `itemId` (undefined: the model does not know the item). */
async function rankingScore(campaignArn: string, itemId: string): Promise<number | undefined> {
  const { personalizedRanking } = await t.personalizeRuntime.send(
    new GetPersonalizedRankingCommand({ campaignArn, userId: 'u3', inputList: ['i1', 'i2', itemId] }),
  );
  return personalizedRanking?.find((x) => x.itemId === itemId)?.score;
}

async function recommended(campaignArn: string): Promise<string[]> {
  const { itemList } = await t.personalizeRuntime.send(
    new GetRecommendationsCommand({ campaignArn, userId: 'u3', numResults: 200 }),
  );
  return (itemList ?? []).map((x) => x.itemId as string);
}

let itemsDataset: string;
let solutionArn: string;
let fullVersion: string;
let campaignArn: string;

beforeAll(async () => {
  const p = t.personalize;
  const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: 'updates' }));
  const group = datasetGroupArn as string;
  await dataset(
    group,
    'Interactions',
    [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
    ],
    interactionsCsv(),
  );
  itemsDataset = await dataset(
    group,
    'Items',
    [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'GENRES', type: 'string', categorical: true },
    ],
    itemsCsv(),
  );
  solutionArn = await smallSolution(t, 'updates', group);
  fullVersion = await trainedVersion(t, solutionArn);
  ({ campaignArn } = (await p.send(
    new CreateCampaignCommand({
      name: 'updates',
      solutionVersionArn: fullVersion,
      // No exploration: a new item can only appear because the model knows it.
      campaignConfig: { itemExplorationConfig: { explorationWeight: '0' } },
    }),
  )) as { campaignArn: string });
});

it('makes an item added after training recommendable, with no new solution version', async () => {
  // Nothing new since training: no generation.
  const idle = await runUpdates();
  expect(idle.campaignArns).toEqual([campaignArn]);
  expect(idle.results).toEqual([expect.objectContaining({ campaignArn, status: 'UNCHANGED' })]);

  await t.events.send(
    new PutItemsCommand({
      datasetArn: itemsDataset,
      items: [{ itemId: 'brand-new', properties: '{"genres":"g1"}' }],
    }),
  );
  expect(await rankingScore(campaignArn, 'brand-new')).toBeUndefined();
  expect(await recommended(campaignArn)).not.toContain('brand-new');

  const updated = await runUpdates();
  expect(updated.results).toEqual([
    expect.objectContaining({ campaignArn, status: 'UPDATED', generation: 1, addedItems: 1 }),
  ]);
  expect(await rankingScore(campaignArn, 'brand-new')).toBeGreaterThan(0);
  expect(await recommended(campaignArn)).toContain('brand-new');

  const p = t.personalize;
  const { campaign } = await p.send(new DescribeCampaignCommand({ campaignArn }));
  expect(campaign).toMatchObject({ status: 'ACTIVE', solutionVersionArn: fullVersion });
  const { solutionVersions } = await p.send(new ListSolutionVersionsCommand({ solutionArn }));
  expect(solutionVersions?.map((v) => v.solutionVersionArn)).toEqual([fullVersion]);

  // Again with nothing new: the campaign keeps its generation.
  const again = await runUpdates();
  expect(again.results).toEqual([expect.objectContaining({ campaignArn, status: 'UNCHANGED' })]);
});

it('trains an UPDATE version that folds in new items, keeps the FULL metrics and is not auto-updated', async () => {
  const p = t.personalize;
  await t.events.send(
    new PutItemsCommand({
      datasetArn: itemsDataset,
      items: [{ itemId: 'newer', properties: '{"genres":"g2"}' }],
    }),
  );
  const solutionVersionArn = await trainedVersion(t, solutionArn, 'UPDATE');
  const metrics = async (arn: string) =>
    (await p.send(new GetSolutionMetricsCommand({ solutionVersionArn: arn }))).metrics;
  expect(await metrics(solutionVersionArn)).toEqual(await metrics(fullVersion));

  await p.send(new UpdateCampaignCommand({ campaignArn, solutionVersionArn }));
  expect(await rankingScore(campaignArn, 'newer')).toBeGreaterThan(0);
  expect(await rankingScore(campaignArn, 'brand-new')).toBeGreaterThan(0);

  // Serving an UPDATE version, the campaign no longer qualifies.
  await t.events.send(
    new PutItemsCommand({
      datasetArn: itemsDataset,
      items: [{ itemId: 'newest', properties: '{"genres":"g0"}' }],
    }),
  );
  const run = await runUpdates();
  expect(run.campaignArns).toEqual([]);
  expect(await rankingScore(campaignArn, 'newest')).toBeUndefined();
});

it('leaves a version superseded by a newer FULL version alone, and updates the newer one', async () => {
  const p = t.personalize;
  const { solutionVersionArn: newer } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
  await t.idle();
  await p.send(new UpdateCampaignCommand({ campaignArn, solutionVersionArn: fullVersion }));
  expect((await runUpdates()).campaignArns).toEqual([]);

  await p.send(new UpdateCampaignCommand({ campaignArn, solutionVersionArn: newer }));
  // Trained on the data as it is: nothing to fold in yet.
  expect((await runUpdates()).results).toEqual([
    expect.objectContaining({ campaignArn, status: 'UNCHANGED' }),
  ]);
  await t.events.send(
    new PutItemsCommand({
      datasetArn: itemsDataset,
      items: [{ itemId: 'latest', properties: '{"genres":"g0"}' }],
    }),
  );
  expect((await runUpdates()).results).toEqual([
    expect.objectContaining({ campaignArn, status: 'UPDATED', generation: 1, addedItems: 1 }),
  ]);
  expect(await rankingScore(campaignArn, 'latest')).toBeGreaterThan(0);
});

it('keeps an UpdateCampaign made while an update runs, and deletes the generation it did not publish', async () => {
  const { applyUpdate } = await import('../../lambdas/services/automatic-updates');
  const { serviceContext } = await import('../../lambdas/services/context');
  const p = t.personalize;
  await t.events.send(
    new PutItemsCommand({
      datasetArn: itemsDataset,
      items: [{ itemId: 'raced', properties: '{"genres":"g2"}' }],
    }),
  );
  const written: string[] = [];
  const outcome = await applyUpdate(serviceContext(), campaignArn, {
    // Runs after the generation is written and before the campaign is switched to it.
    refreshStats: async (_, update) => {
      written.push(update.modelKey);
      await p.send(new UpdateCampaignCommand({ campaignArn, solutionVersionArn: `${solutionArn}/$LATEST` }));
    },
  });
  expect(outcome).toMatchObject({ campaignArn, status: 'SKIPPED' });
  const { campaign } = await p.send(new DescribeCampaignCommand({ campaignArn }));
  expect(campaign?.solutionVersionArn).toBe(`${solutionArn}/$LATEST`);
  expect(await rankingScore(campaignArn, 'raced')).toBeUndefined();
  expect(written).toHaveLength(1);
  await expect(
    t.s3.send(new HeadObjectCommand({ Bucket: t.runtime.dataBucket, Key: written[0] })),
  ).rejects.toMatchObject({ name: 'NotFound' });
  // The next run publishes it.
  expect((await runUpdates()).results).toEqual([expect.objectContaining({ campaignArn, status: 'UPDATED' })]);
  expect(await rankingScore(campaignArn, 'raced')).toBeGreaterThan(0);
});
