/**
 * Import races: a job reaped as stale while its worker still runs must not publish; replaced data must stay
 * readable for a reader that listed it before the replacement; a dataset takes more INCREMENTAL imports than one
 * item could list.
 */
import type { Interaction } from '../../../lambdas/engine/types';
import { groupInteractions } from '../../../lambdas/services/dataset-data';
import { createDatasetImportJob, runDatasetImportJob } from '../../../lambdas/services/dataset-import-jobs';
import { BulkDataStore, type Generation } from '../../../lambdas/store/bulk-data';
import { faultyS3Client, Gate } from '../../fault/faults';
import { type DataEnv, interactionsCsv, ROLE_ARN, startDataEnv } from '../services/data-env';

let env: DataEnv;
/** Set to hold the next upload of imported data in the data bucket. */
let holdUpload: Gate | undefined;

beforeAll(async () => {
  env = await startDataEnv({
    wrapS3: (s3) =>
      faultyS3Client(s3, {
        before: async (call) => {
          const key = String(call.input.Key ?? '');
          if (holdUpload !== undefined && call.name === 'PutObjectCommand' && key.startsWith('datasets/')) {
            const gate = holdUpload;
            holdUpload = undefined;
            await gate.wait();
          }
        },
      }),
  });
});
afterAll(async () => {
  await env.close();
});

async function createJob(datasetArn: string, jobName: string, location: string, mode = 'FULL') {
  const { datasetImportJobArn } = await createDatasetImportJob(
    env.ctx,
    {
      jobName,
      datasetArn,
      dataSource: { dataLocation: location },
      roleArn: ROLE_ARN,
      importMode: mode as 'FULL' | 'INCREMENTAL',
    },
    async () => undefined,
  );
  return datasetImportJobArn as string;
}

it('a job reaped as stale while its worker runs never publishes its data', async () => {
  const g = await env.group('reaped');
  const location = await env.upload('reaped.csv', interactionsCsv(1000));
  const job = await createJob(g.interactions, 'reaped-job', location);
  holdUpload = new Gate();
  const gate = holdUpload;
  const worker = runDatasetImportJob(env.ctx, job);
  await gate.reached;
  // The worker is silent past the staleness limit; five new jobs need the quota, so the stale one is reaped.
  env.advance(10 * 60_000);
  const others: string[] = [];
  for (let i = 0; i < 5; i++) others.push(await createJob(g.interactions, `reaped-other-${i}`, location));
  expect((await env.ctx.resources.require(job)).status).toBe('CREATE FAILED');
  gate.open();
  const outcome = await worker;
  expect(outcome.status).toBe('CREATE FAILED');
  expect((await env.ctx.resources.require(job)).status).toBe('CREATE FAILED');
  expect((await env.ctx.bulk.state(g.interactions)).generations.map((x) => x.jobArn)).not.toContain(job);
  expect(await env.dataKeys('datasets/reaped/')).toEqual([]);
  for (const other of others) await runDatasetImportJob(env.ctx, other);
});

it('data replaced by a FULL import stays readable to a reader that listed it before', async () => {
  const g = await env.group('replaced');
  const first = await env.upload('replaced-1.csv', interactionsCsv(1000));
  const second = await env.upload(
    'replaced-2.csv',
    interactionsCsv(1000, (line) => `x${line},y,1700000000,click,1`),
  );
  await runDatasetImportJob(env.ctx, await createJob(g.interactions, 'replaced-full', first));
  await runDatasetImportJob(env.ctx, await createJob(g.interactions, 'replaced-incr', second, 'INCREMENTAL'));
  // A training run lists the two generations and reads the first...
  const reader = groupInteractions(env.ctx, g.group);
  const batches: Interaction[][] = [];
  const firstBatch = await reader.next();
  if (firstBatch.done !== true) batches.push(firstBatch.value);
  // ...while a FULL import replaces both...
  expect(
    (await runDatasetImportJob(env.ctx, await createJob(g.interactions, 'replaced-new', first))).status,
  ).toBe('ACTIVE');
  // ...and then reads the second.
  for await (const batch of reader) batches.push(batch);
  expect(batches.flat()).toHaveLength(2000);
});

it('a dataset takes more INCREMENTAL generations than fit in one 400 KB item', async () => {
  const store = new BulkDataStore(env.ctx.ddb, 'resources', env.s3, 'op-data');
  const ds = 'arn:aws:personalize:us-east-1:000000000000:dataset/many/INTERACTIONS';
  // ~1.1 KB per entry: one item listing them all would pass 400 KB at about 360 generations.
  const generation = (i: number): Generation => ({
    key: `datasets/many/INTERACTIONS/imports/${'k'.repeat(900)}-${i}.jsonl`,
    jobArn: `arn:aws:personalize:us-east-1:000000000000:dataset-import-job/${'j'.repeat(120)}-${i}`,
    rows: 1000,
    mode: i === 0 ? 'FULL' : 'INCREMENTAL',
    publishedAt: 1_700_000_000_000 + i,
  });
  const count = 420;
  for (let i = 0; i < count; i++) await store.publish(ds, generation(i));
  const state = await store.state(ds);
  expect(state.generations).toHaveLength(count);
  expect(state.generations.map((x) => x.publishedAt)).toEqual(
    Array.from({ length: count }, (_, i) => 1_700_000_000_000 + i),
  );
  // A FULL import replaces them all and retires every one of them.
  const replaced = await store.publish(ds, { ...generation(count), mode: 'FULL' });
  expect(replaced).toHaveLength(count);
  expect((await store.state(ds)).generations).toHaveLength(1);
}, 120_000);
