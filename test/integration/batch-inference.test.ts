/**
 * Batch inference jobs through the official SDK clients against the local runtime, run by the same Step Functions
 * definition as on AWS: JSON Lines in, `<name>.out` out in Personalize's line shape, an error per bad line while the
 * rest succeeds, numResults, a filter with per-line filterValues, prefixes with several files, a job whose input is
 * missing, and the request errors.
 */
import {
  CreateBatchInferenceJobCommand,
  CreateFilterCommand,
  DescribeBatchInferenceJobCommand,
  ListBatchInferenceJobsCommand,
} from '@aws-sdk/client-personalize';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { signedCall, startTestRuntime, type TestRuntime } from './harness';
import {
  createDataset,
  groupWithInteractions,
  importAndWait,
  ROLE,
  smallSolution,
  trainedVersion,
} from './workflow';

let t: TestRuntime;
const CATALOG = 30;
const GENRES = ['Comedy', 'Drama', 'Horror'];
const item = (k: number) => `i${((k % CATALOG) + CATALOG) % CATALOG}`;
const genreOf = (id: string) => GENRES[Number(id.slice(1)) % 3] as string;

let version: string;
let genreFilter: string;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  let time = 1_700_000_000;
  for (let u = 0; u < 60; u++)
    for (let s = 0; s < 20; s++) lines.push(`u${u},${item(u * 7 + s)},${time++},click`);
  const group = await groupWithInteractions(t, 'batch', `${lines.join('\n')}\n`);
  const items = await createDataset(t, {
    datasetGroupArn: group,
    datasetType: 'Items',
    fields: [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'GENRE', type: 'string', categorical: true },
    ],
    schemaName: 'batch-items',
  });
  const itemsCsv = [
    'ITEM_ID,GENRE',
    ...Array.from({ length: CATALOG }, (_, i) => `${item(i)},${genreOf(item(i))}`),
  ];
  await importAndWait(t, {
    datasetArn: items,
    jobName: 'batch-items',
    key: 'batch/items.csv',
    csv: `${itemsCsv.join('\n')}\n`,
  });
  const solutionArn = await smallSolution(t, 'batch-solution', group, { performAutoTraining: false });
  version = await trainedVersion(t, solutionArn, 'FULL');
  genreFilter = (
    await t.personalize.send(
      new CreateFilterCommand({
        name: 'batch-genre',
        datasetGroupArn: group,
        filterExpression: 'EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)',
      }),
    )
  ).filterArn as string;
}, 300_000);
afterAll(() => t?.stop());

async function readOut(key: string): Promise<unknown[]> {
  const out = await t.s3.send(new GetObjectCommand({ Bucket: t.uploadBucket, Key: key }));
  const text = (await out.Body?.transformToString('utf8')) ?? '';
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

async function job(name: string, inputPath: string, extra: object = {}) {
  const { batchInferenceJobArn } = await t.personalize.send(
    new CreateBatchInferenceJobCommand({
      jobName: name,
      solutionVersionArn: version,
      jobInput: { s3DataSource: { path: inputPath } },
      jobOutput: { s3DataDestination: { path: `s3://${t.uploadBucket}/${name}-out/` } },
      roleArn: ROLE,
      ...extra,
    }),
  );
  await t.idle();
  const { batchInferenceJob } = await t.personalize.send(
    new DescribeBatchInferenceJobCommand({ batchInferenceJobArn }),
  );
  return batchInferenceJob!;
}

describe('batch inference jobs', () => {
  it('writes one output line per input line, with an error for each bad line, filtered per line', async () => {
    const input = [
      JSON.stringify({ userId: 'u0' }),
      JSON.stringify({ userId: 'u1', filterValues: { GENRE: '"Drama"' } }),
      '{not json',
      JSON.stringify({ userId: 5 }),
      '',
      JSON.stringify({ userId: 'u2', filterValues: { GENRE: 'Drama' } }),
      JSON.stringify({ userId: 'stranger' }),
    ].join('\n');
    const path = await t.upload('batch-in/users.json', `${input}\n`);
    const done = await job('lines', path, {
      numResults: 5,
      filterArn: genreFilter,
      batchInferenceJobConfig: { itemExplorationConfig: { explorationWeight: '0' } },
    });
    expect(done).toMatchObject({
      status: 'ACTIVE',
      numResults: 5,
      filterArn: genreFilter,
      batchInferenceJobConfig: {
        itemExplorationConfig: { explorationWeight: '0', explorationItemAgeCutOff: '30' },
      },
    });
    const out = (await readOut('lines-out/users.json.out')) as {
      input: unknown;
      output: { recommendedItems: string[]; scores: number[] } | null;
      error: string | null;
    }[];
    expect(out).toHaveLength(6);
    expect(out[0]).toMatchObject({ input: { userId: 'u0' }, error: null });
    // u0 walked i0…i19: the cycle continues with i20.
    expect(out[0]?.output?.recommendedItems).toHaveLength(5);
    expect(out[0]?.output?.recommendedItems[0]).toBe(item(20));
    expect(out[0]?.output?.scores).toHaveLength(5);
    expect(out[1]?.output?.recommendedItems.map(genreOf)).not.toContain('Drama');
    expect(out[1]?.output?.recommendedItems).toHaveLength(5);
    expect(out[2]).toEqual({ input: '{not json', output: null, error: 'The line is not valid JSON.' });
    expect(out[3]).toMatchObject({
      input: { userId: 5 },
      output: null,
      error: expect.stringMatching(/userId/),
    });
    expect(out[4]).toMatchObject({ output: null, error: expect.stringMatching(/filterValues.GENRE/) });
    expect(out[5]).toMatchObject({ input: { userId: 'stranger' }, error: null });
    expect(out[5]?.output?.recommendedItems).toHaveLength(5);

    // Progress, in a member the SDKs do not model.
    const raw = await signedCall(t.runtime, {
      target: 'AmazonPersonalize.DescribeBatchInferenceJob',
      body: JSON.stringify({ batchInferenceJobArn: done.batchInferenceJobArn }),
    });
    expect(JSON.parse(raw.text).batchInferenceJob.progress).toEqual({
      chunks: 1,
      chunksDone: 1,
      lines: 6,
      linesFailed: 3,
    });
  });

  it('reads every object under a prefix and writes a .out per object', async () => {
    for (let f = 0; f < 2; f++) {
      const body = Array.from({ length: 40 }, (_, u) => JSON.stringify({ userId: `u${u + f}` })).join('\n');
      await t.upload(`batch-prefix/part-${f}.jsonl`, body);
    }
    const done = await job('prefix', `s3://${t.uploadBucket}/batch-prefix/`);
    expect(done.status).toBe('ACTIVE');
    for (let f = 0; f < 2; f++) {
      const out = (await readOut(`prefix-out/part-${f}.jsonl.out`)) as {
        input: { userId: string };
        output: unknown;
      }[];
      expect(out.map((l) => l.input.userId)).toEqual(Array.from({ length: 40 }, (_, u) => `u${u + f}`));
      expect(
        out.every((l) => (l.output as { recommendedItems: string[] }).recommendedItems.length === 25),
      ).toBe(true);
    }
    const listed = await t.personalize.send(
      new ListBatchInferenceJobsCommand({ solutionVersionArn: version }),
    );
    expect(listed.batchInferenceJobs?.map((j) => j.jobName)).toEqual(
      expect.arrayContaining(['prefix', 'lines']),
    );
  });

  it('fails a job whose input does not exist, with a readable reason', async () => {
    const done = await job('missing', `s3://${t.uploadBucket}/nothing-here.json`);
    expect(done.status).toBe('CREATE FAILED');
    expect(done.failureReason).toMatch(/input .*nothing-here.json cannot be read/);
  });

  it('refuses bad requests', async () => {
    const create = (extra: object) =>
      t.personalize.send(
        new CreateBatchInferenceJobCommand({
          jobName: 'bad',
          solutionVersionArn: version,
          jobInput: { s3DataSource: { path: `s3://${t.uploadBucket}/x.json` } },
          jobOutput: { s3DataDestination: { path: `s3://${t.uploadBucket}/out/` } },
          roleArn: ROLE,
          ...extra,
        }),
      );
    await expect(create({ solutionVersionArn: `${version}0` })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(create({ batchInferenceJobMode: 'THEME_GENERATION' })).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
    await expect(
      create({ jobInput: { s3DataSource: { path: 'https://example.com/x' } } }),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
    await expect(create({ numResults: 501 })).rejects.toMatchObject({ name: 'InvalidInputException' });
    await expect(
      create({ batchInferenceJobConfig: { itemExplorationConfig: { explorationWeight: '2' } } }),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });
    await expect(create({ filterArn: `${genreFilter}-gone` })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
