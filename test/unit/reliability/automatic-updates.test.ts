/**
 * Automatic-update races: an update must not revert a `$LATEST` campaign that moved to a newer version while the
 * update ran, and update runs must not overlap.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Model } from '../../../lambdas/engine/model';
import { FREQUENCY_BOUNDS, RECENCY_BOUNDS } from '../../../lambdas/engine/repeat';
import { applyUpdate, scanCampaigns } from '../../../lambdas/services/automatic-updates';
import { CAMPAIGN, createCampaign, followLatest } from '../../../lambdas/services/campaigns';
import { createDatasetImportJob, runDatasetImportJob } from '../../../lambdas/services/dataset-import-jobs';
import { createSolution } from '../../../lambdas/services/solutions';
import { modelKey } from '../../../lambdas/store/artifacts';
import { faultyS3Client, Gate } from '../../fault/faults';
import { DATA_BUCKET, type DataEnv, interactionsCsv, ROLE_ARN, startDataEnv } from '../services/data-env';

const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';
let env: DataEnv;
let holdGeneration: Gate | undefined;
let solutionArn: string;
let groupArn: string;
let campaignArn: string;

function tinyModel(items: number, d = 4): Model {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  return new Model({
    itemIds: Array.from({ length: items }, (_, i) => `i${i}`),
    hiddenDimension: d,
    historyWeights: Float64Array.from({ length: 8 }, (_, k) => 0.8 ** k),
    temperature: 1,
    successorOffsets: new Int32Array(items + 1),
    successorItems: new Int32Array(0),
    successorWeights: new Float32Array(0),
    transitionWeight: 0,
    repeat: {
      eventTypes: [],
      probabilities: new Float64Array(RECENCY_BOUNDS.length * FREQUENCY_BOUNDS.length),
      itemFactors: new Float32Array(items).fill(1),
    },
    inputEmbeddings: Float32Array.from({ length: (items + 1) * d }, next),
    outputEmbeddings: Float32Array.from({ length: items * d }, next),
    itemCounts: new Float32Array(items).fill(1),
    itemCreationTimestamps: new Float64Array(items),
    latestInteractionTimestamp: 0,
    seed: 0,
  });
}

/** Stores an ACTIVE FULL version of the solution with a model, as training leaves it. */
async function activeVersion(id: string): Promise<string> {
  const arn = `${solutionArn}/${id}`;
  const now = env.ctx.now();
  await env.s3.send(
    new PutObjectCommand({ Bucket: DATA_BUCKET, Key: modelKey(arn), Body: tinyModel(200).serialize() }),
  );
  await env.ctx.resources.create({
    arn,
    type: 'solution-version',
    parentArn: solutionArn,
    status: 'ACTIVE',
    doc: {
      solutionVersionArn: arn,
      solutionArn,
      datasetGroupArn: groupArn,
      trainingMode: 'FULL',
      solutionConfig: {},
      status: 'ACTIVE',
    },
    createdAt: now.getTime(),
  });
  return arn;
}

beforeAll(async () => {
  env = await startDataEnv({
    wrapS3: (s3) =>
      faultyS3Client(s3, {
        before: async (call) => {
          if (holdGeneration !== undefined && String(call.input.Key ?? '').includes('/updates/')) {
            const gate = holdGeneration;
            holdGeneration = undefined;
            await gate.wait();
          }
        },
      }),
  });
  const g = await env.group('auto');
  groupArn = g.group;
  const location = await env.upload('auto.csv', interactionsCsv(1000));
  const { datasetImportJobArn } = await createDatasetImportJob(
    env.ctx,
    {
      jobName: 'auto',
      datasetArn: g.interactions,
      dataSource: { dataLocation: location },
      roleArn: ROLE_ARN,
    },
    async () => undefined,
  );
  await runDatasetImportJob(env.ctx, datasetImportJobArn as string);
  solutionArn = (await createSolution(env.ctx, { name: 'auto', datasetGroupArn: g.group, recipeArn: RECIPE }))
    .solutionArn as string;
  await activeVersion('00000001');
  campaignArn = (
    await createCampaign(env.ctx, {
      name: 'auto',
      solutionVersionArn: `${solutionArn}/$LATEST`,
      campaignConfig: { syncWithLatestSolutionVersion: true },
    })
  ).campaignArn as string;
});
afterAll(async () => {
  await env.close();
});

it('an automatic update does not revert a $LATEST campaign that moved to a newer version meanwhile', async () => {
  holdGeneration = new Gate();
  const gate = holdGeneration;
  const update = applyUpdate(env.ctx, campaignArn);
  await gate.reached;
  const newer = await activeVersion('00000002');
  const campaign = await env.ctx.resources.require(campaignArn, CAMPAIGN);
  expect((await followLatest(env.ctx, campaign)).servingVersionArn).toBe(newer);
  gate.open();
  const outcome = await update;
  expect(outcome.status).toBe('SKIPPED');
  const after = await env.ctx.resources.require(campaignArn, CAMPAIGN);
  expect(after.attrs.servingVersionArn).toBe(newer);
  expect(after.attrs.modelKey).toBe(modelKey(newer));
});

it('an update run that starts while another is updating gets no campaigns', async () => {
  const first = await scanCampaigns(env.ctx);
  expect(first.campaignArns).toEqual([campaignArn]);
  expect((await scanCampaigns(env.ctx)).campaignArns).toEqual([]);
  expect((await applyUpdate(env.ctx, campaignArn)).status).toBe('UPDATED');
  // The first run is done: the next one runs.
  expect((await scanCampaigns(env.ctx)).campaignArns).toEqual([campaignArn]);
  await applyUpdate(env.ctx, campaignArn);
});
