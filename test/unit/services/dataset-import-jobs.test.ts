import type { Interaction, ItemMeta } from '../../../lambdas/engine/types';
import { groupInteractions, groupItems } from '../../../lambdas/services/dataset-data';
import {
  createDatasetImportJob,
  describeDatasetImportJob,
  listDatasetImportJobs,
  parseDataLocation,
  runDatasetImportJob,
} from '../../../lambdas/services/dataset-import-jobs';
import { BulkDataStore } from '../../../lambdas/store/bulk-data';
import { type DataEnv, interactionsCsv, ROLE_ARN, startDataEnv } from './data-env';

let env: DataEnv;
beforeAll(async () => {
  env = await startDataEnv();
});
afterAll(async () => {
  await env.close();
});

/** Creates a job without starting it (the test runs the worker itself) and returns its ARN. */
async function create(
  datasetArn: string,
  jobName: string,
  dataLocation: string,
  importMode?: 'FULL' | 'INCREMENTAL',
): Promise<string> {
  const started: string[] = [];
  const out = await createDatasetImportJob(
    env.ctx,
    { jobName, datasetArn, dataSource: { dataLocation }, roleArn: ROLE_ARN, importMode },
    async (_, arn) => {
      started.push(arn);
    },
  );
  expect(started).toEqual([out.datasetImportJobArn]);
  return out.datasetImportJobArn as string;
}

async function importNow(
  datasetArn: string,
  jobName: string,
  dataLocation: string,
  importMode?: 'FULL' | 'INCREMENTAL',
) {
  const arn = await create(datasetArn, jobName, dataLocation, importMode);
  await runDatasetImportJob(env.ctx, arn);
  return (await describeDatasetImportJob(env.ctx, { datasetImportJobArn: arn })).datasetImportJob;
}

async function interactionsOf(group: string): Promise<Interaction[]> {
  const all: Interaction[] = [];
  for await (const batch of groupInteractions(env.ctx, group)) all.push(...batch);
  return all;
}

async function itemsOf(group: string): Promise<ItemMeta[]> {
  const all: ItemMeta[] = [];
  for await (const batch of groupItems(env.ctx, group)) all.push(...batch);
  return all;
}

describe('parseDataLocation', () => {
  it('accepts an object or a folder and refuses other schemes', () => {
    expect(parseDataLocation('s3://bucket-1/a/b.csv')).toEqual({ bucket: 'bucket-1', key: 'a/b.csv' });
    expect(parseDataLocation('s3://bucket-1/a/')).toEqual({ bucket: 'bucket-1', key: 'a/' });
    expect(() => parseDataLocation('https://bucket-1.s3.amazonaws.com/a.csv')).toThrow(/is not valid/);
    expect(() => parseDataLocation('s3://bucket-1')).toThrow(/is not valid/);
  });
});

describe('dataset import jobs', () => {
  it('imports a FULL file; a later bad file fails naming line and column and changes nothing', async () => {
    const g = await env.group('full-then-bad');
    const good = await importNow(
      g.interactions,
      'good',
      await env.upload('full/good.csv', interactionsCsv(1200)),
    );
    expect(good?.status).toBe('ACTIVE');
    expect(good?.importMode).toBe('FULL');
    const before = await interactionsOf(g.group);
    expect(before.length).toBe(1200);
    expect(before[3]).toEqual({
      userId: 'u3',
      itemId: 'i3',
      timestamp: 1_700_000_003,
      eventType: 'click',
      eventValue: 3,
    });
    const stateBefore = await new BulkDataStore(env.ctx.ddb, 'resources', env.s3, 'op-data').state(
      g.interactions,
    );

    const badCsv = interactionsCsv(2000, (line) => (line === 1234 ? 'u1,i1,abc,click,1' : undefined));
    const bad = await importNow(g.interactions, 'bad', await env.upload('full/bad.csv', badCsv));
    expect(bad?.status).toBe('CREATE FAILED');
    expect(bad?.failureReason).toBe("Line 1234, column TIMESTAMP: 'abc' is not a valid long.");
    expect(
      await new BulkDataStore(env.ctx.ddb, 'resources', env.s3, 'op-data').state(g.interactions),
    ).toEqual(stateBefore);
    expect(await interactionsOf(g.group)).toEqual(before);
    expect(await env.dataKeys('datasets/full-then-bad/INTERACTIONS/')).toEqual([
      'datasets/full-then-bad/INTERACTIONS/imports/good.bin',
    ]);
  });

  it('refuses INCREMENTAL before the first import, then appends; FULL replaces and removes old data', async () => {
    const g = await env.group('modes');
    const csv = await env.upload('modes/a.csv', interactionsCsv(1000));
    await expect(create(g.interactions, 'inc-first', csv, 'INCREMENTAL')).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
    expect((await importNow(g.interactions, 'first', csv))?.status).toBe('ACTIVE');
    expect((await importNow(g.interactions, 'second', csv, 'INCREMENTAL'))?.status).toBe('ACTIVE');
    expect((await interactionsOf(g.group)).length).toBe(2000);
    expect((await importNow(g.interactions, 'third', csv, 'FULL'))?.status).toBe('ACTIVE');
    expect((await interactionsOf(g.group)).length).toBe(1000);
    // Replaced data stays readable for a grace period (a training run may be reading it), then goes.
    expect(await env.dataKeys('datasets/modes/')).toHaveLength(3);
    await env.ctx.bulk.sweepRetired(g.interactions, 0, Date.now() + 1);
    expect(await env.dataKeys('datasets/modes/')).toEqual(['datasets/modes/INTERACTIONS/imports/third.bin']);
  });

  it('imports every file under a folder, columns in any order, quoted fields', async () => {
    const g = await env.group('folder');
    const header = 'TIMESTAMP,USER_ID,EVENT_TYPE,ITEM_ID';
    const part = (from: number) =>
      [
        header,
        ...Array.from({ length: 600 }, (_, r) => `${1_700_000_000 + from + r},"u,${r % 7}",view,i${r}`),
      ].join('\r\n');
    await env.upload('folder/in/part-1.csv', part(0));
    await env.upload('folder/in/part-2.csv', part(600));
    const job = await importNow(g.interactions, 'folder', 's3://customer-data/folder/in/');
    expect(job?.status).toBe('ACTIVE');
    const all = await interactionsOf(g.group);
    expect(all.length).toBe(1200);
    expect(all[601]).toEqual({ userId: 'u,1', itemId: 'i1', timestamp: 1_700_000_601, eventType: 'view' });
  });

  it('fails with a reason for unknown columns, too few interactions, a missing file and a bad row in a folder', async () => {
    const g = await env.group('failures');
    const unknown = await importNow(
      g.interactions,
      'unknown-col',
      await env.upload('f/unknown.csv', 'USER_ID,ITEM_ID,TIMESTAMP,COLOUR\nu,i,1,red\n'),
    );
    expect(unknown?.failureReason).toMatch(/^Line 1: header columns not in the schema: COLOUR\./);
    const few = await importNow(g.interactions, 'few', await env.upload('f/few.csv', interactionsCsv(999)));
    expect(few?.failureReason).toBe(
      'The import has 999 interaction records; at least 1000 are required per import job.',
    );
    const missing = await importNow(g.interactions, 'missing', 's3://customer-data/f/nothing.csv');
    expect(missing?.failureReason).toBe('No data found at s3://customer-data/f/nothing.csv.');
    await env.upload(
      'f/dir/a.csv',
      interactionsCsv(10, (line) => (line === 5 ? 'u,i,1,click,x' : undefined)),
    );
    const inFolder = await importNow(g.interactions, 'in-folder', 's3://customer-data/f/dir/');
    expect(inFolder?.failureReason).toBe(
      "File s3://customer-data/f/dir/a.csv: Line 5, column EVENT_VALUE: 'x' is not a valid float.",
    );
    expect(await env.dataKeys('datasets/failures/')).toEqual([]);
    expect(await interactionsOf(g.group)).toEqual([]);
  });

  it('checks the dataset, the name, the role and the number of running jobs', async () => {
    const g = await env.group('checks');
    const csv = await env.upload('checks/a.csv', interactionsCsv(1000));
    await expect(create(`${g.interactions}-nope`, 'x', csv)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      createDatasetImportJob(env.ctx, {
        jobName: 'no-role',
        datasetArn: g.interactions,
        dataSource: { dataLocation: csv },
      }),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/roleArn is required/),
    });
    const pending: string[] = [];
    try {
      for (let i = 0; i < 5; i++) pending.push(await create(g.interactions, `pending-${i}`, csv));
      await expect(create(g.interactions, 'pending-0', csv)).rejects.toMatchObject({
        name: 'ResourceAlreadyExistsException',
      });
      await expect(create(g.interactions, 'sixth', csv)).rejects.toMatchObject({
        name: 'LimitExceededException',
        message: 'More than 5 resources with PENDING or IN_PROGRESS status.',
      });
      const listed = await listDatasetImportJobs(env.ctx, { datasetArn: g.interactions, maxResults: 3 });
      expect(listed.datasetImportJobs?.map((j) => j.jobName)).toEqual([
        'pending-4',
        'pending-3',
        'pending-2',
      ]);
      expect(listed.datasetImportJobs?.[0]).toMatchObject({ status: 'CREATE PENDING', importMode: 'FULL' });
      expect(listed.nextToken).toBeDefined();
    } finally {
      // The quota is region-wide: leave nothing pending for the other tests.
      for (const arn of pending) await runDatasetImportJob(env.ctx, arn);
    }
    // A repeated delivery of the same invocation does nothing.
    expect((await runDatasetImportJob(env.ctx, pending[0] as string)).status).toBe('ACTIVE');
  });

  it('fails a running job whose worker stopped sending heartbeats, freeing its quota slot', async () => {
    const g = await env.group('stale');
    const csv = await env.upload('stale/a.csv', interactionsCsv(1000));
    const stale = await create(g.interactions, 'stale-job', csv);
    const alive = await create(g.interactions, 'alive-job', csv);
    const now = env.ctx.now().getTime();
    for (const [arn, heartbeatAt] of [
      [stale, now - 5 * 60_000 - 1],
      [alive, now],
    ] as const) {
      await env.ctx.resources.update(arn, {
        status: 'CREATE IN_PROGRESS',
        doc: { status: 'CREATE IN_PROGRESS' },
        attrs: { heartbeatAt },
      });
    }
    const described = await describeDatasetImportJob(env.ctx, { datasetImportJobArn: stale });
    expect(described.datasetImportJob?.status).toBe('CREATE FAILED');
    expect(described.datasetImportJob?.failureReason).toMatch(/^The import stopped without finishing/);
    expect(
      (await describeDatasetImportJob(env.ctx, { datasetImportJobArn: alive })).datasetImportJob?.status,
    ).toBe('CREATE IN_PROGRESS');
    const listed = await listDatasetImportJobs(env.ctx, { datasetArn: g.interactions });
    expect(listed.datasetImportJobs?.map((j) => [j.jobName, j.status])).toEqual([
      ['alive-job', 'CREATE IN_PROGRESS'],
      ['stale-job', 'CREATE FAILED'],
    ]);
    // Describe and List only read; creating a job (which counts running jobs) records the failure.
    expect((await env.ctx.resources.require(stale)).status).toBe('CREATE IN_PROGRESS');
    const next = await create(g.interactions, 'after-stale', csv);
    expect((await env.ctx.resources.require(stale)).status).toBe('CREATE FAILED');
    // The worker, delivered late, leaves a job that is no longer pending alone.
    expect((await runDatasetImportJob(env.ctx, stale)).status).toBe('CREATE FAILED');
    await env.ctx.resources.update(alive, { status: 'CREATE FAILED', doc: { status: 'CREATE FAILED' } });
    expect((await runDatasetImportJob(env.ctx, next)).status).toBe('ACTIVE');
  });

  it('imports items: categorical values split, text unescaped, empty cells absent', async () => {
    const g = await env.group('items');
    const csv = [
      'ITEM_ID,GENRES,PRICE,DESCRIPTION,CREATION_TIMESTAMP',
      'i1,Action|Comedy,9.5,"A ""quoted"" \\"text\\"",1690000000',
      'i2,,,,',
    ].join('\n');
    expect((await importNow(g.items, 'items', await env.upload('items/a.csv', csv)))?.status).toBe('ACTIVE');
    expect(await itemsOf(g.group)).toEqual([
      {
        itemId: 'i1',
        categorical: { GENRES: ['Action', 'Comedy'] },
        numeric: { PRICE: 9.5 },
        text: 'A "quoted" "text"',
        creationTimestamp: 1690000000,
      },
      { itemId: 'i2' },
    ]);
  });
});
