/**
 * Crash safety of `npm start`: the runtime runs as a child process on a data directory and is killed with SIGKILL
 * in the middle of an import, a training and an automatic update, then started again on the same directory.
 * Afterwards no job is left running, earlier data and models still serve, and new work succeeds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateCampaignCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionVersionCommand,
  ListDatasetGroupsCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestRuntime } from './harness';
import { createDataset, INTERACTION_FIELDS, RECIPE, ROLE } from './workflow';

const ROOT = join(__dirname, '..', '..');
const CREDENTIALS = { accessKeyId: 'OPENPERSONALIZELOCAL', secretAccessKey: 'open-personalize-local-secret' };
const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BUCKET = 'crash-data';

let dataDir: string;
let port: number;
let s3Port: number;
let child: ChildProcess | undefined;
let output = '';
let personalize: PersonalizeClient;
let runtimeClient: PersonalizeRuntimeClient;
let s3: S3Client;

/** Two distinct free ports, held open together so they differ (the API's and the embedded S3's). */
async function freePorts(): Promise<[number, number]> {
  const servers = [createServer(), createServer()];
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return [ports[0] as number, ports[1] as number];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}; output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(): Promise<void> {
  output = '';
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/main.ts',
      '--port',
      String(port),
      '--s3-port',
      String(s3Port),
      '--data-dir',
      dataDir,
      '--update-interval',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  await until('the runtime to answer', async () => {
    await personalize.send(new ListDatasetGroupsCommand({}));
    return true;
  });
}

async function kill9(): Promise<void> {
  const proc = child;
  child = undefined;
  if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

function interactions(rows: number, users: number, items: number, from = 0): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  for (let r = from; r < from + rows; r++) {
    lines.push(`u${r % users},i${(r * 7 + Math.floor(r / users)) % items},${1_700_000_000 + r},click`);
  }
  return `${lines.join('\n')}\n`;
}

async function upload(key: string, body: string): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return `s3://${BUCKET}/${key}`;
}

async function importJob(
  datasetArn: string,
  jobName: string,
  location: string,
  mode = 'FULL',
): Promise<string> {
  const out = await personalize.send(
    new CreateDatasetImportJobCommand({
      jobName,
      datasetArn,
      dataSource: { dataLocation: location },
      roleArn: ROLE,
      importMode: mode as 'FULL' | 'INCREMENTAL',
    }),
  );
  return out.datasetImportJobArn as string;
}

const importStatus = async (arn: string) =>
  (await personalize.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn: arn })))
    .datasetImportJob;
const versionStatus = async (arn: string) =>
  (await personalize.send(new DescribeSolutionVersionCommand({ solutionVersionArn: arn }))).solutionVersion;

async function settled<T extends { status?: string }>(what: string, describe: () => Promise<T | undefined>) {
  return until(what, async () => {
    const current = await describe();
    return current?.status === 'ACTIVE' || current?.status?.includes('FAILED') ? current : undefined;
  });
}

async function recommend(campaignArn: string): Promise<number> {
  const out = await runtimeClient.send(
    new GetRecommendationsCommand({ campaignArn, userId: 'u1', numResults: 5 }),
  );
  return out.itemList?.length ?? 0;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'crash-recovery-'));
  [port, s3Port] = await freePorts();
  const common = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  };
  personalize = new PersonalizeClient(common);
  runtimeClient = new PersonalizeRuntimeClient(common);
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${s3Port}`,
    region: 'us-east-1',
    credentials: S3_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  await kill9();
  personalize.destroy();
  runtimeClient.destroy();
  s3.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

it('recovers from kill -9 during an import, a training and an automatic update', async () => {
  await start();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const { datasetGroupArn } = await personalize.send(new CreateDatasetGroupCommand({ name: 'crash' }));
  const datasetArn = await createDataset({ personalize } as unknown as TestRuntime, {
    datasetGroupArn: datasetGroupArn as string,
    datasetType: 'Interactions',
    fields: INTERACTION_FIELDS,
    schemaName: 'crash-interactions',
  });
  const first = await importJob(datasetArn, 'first', await upload('first.csv', interactions(3000, 100, 60)));
  expect((await settled('the first import', () => importStatus(first))).status).toBe('ACTIVE');
  const { solutionArn } = await personalize.send(
    new CreateSolutionCommand({ name: 'crash', datasetGroupArn, recipeArn: RECIPE }),
  );
  const { solutionVersionArn: v1 } = await personalize.send(
    new CreateSolutionVersionCommand({ solutionArn }),
  );
  expect((await settled('the first training', () => versionStatus(v1 as string))).status).toBe('ACTIVE');
  const { campaignArn } = await personalize.send(
    new CreateCampaignCommand({ name: 'crash', solutionVersionArn: v1 }),
  );
  expect(await recommend(campaignArn as string)).toBe(5);

  // 1. Killed during an import.
  const big = await importJob(datasetArn, 'big', await upload('big.csv', interactions(400_000, 5000, 3000)));
  await until('the big import to run', async () =>
    (await importStatus(big))?.status === 'CREATE IN_PROGRESS' ? true : undefined,
  );
  await kill9();
  await start();
  const interrupted = await importStatus(big);
  expect(interrupted?.status).toBe('CREATE FAILED');
  expect(interrupted?.failureReason).toMatch(/restarted/);
  expect((await importStatus(first))?.status).toBe('ACTIVE');
  expect(await recommend(campaignArn as string)).toBe(5);
  // The dataset's data survived: an INCREMENTAL import (which needs earlier bulk data) goes through.
  const more = await importJob(
    datasetArn,
    'more',
    await upload('more.csv', interactions(1000, 100, 80, 3000)),
    'INCREMENTAL',
  );
  expect((await settled('the incremental import', () => importStatus(more))).status).toBe('ACTIVE');

  // 2. Killed during a training.
  const { solutionVersionArn: v2 } = await personalize.send(
    new CreateSolutionVersionCommand({ solutionArn }),
  );
  await until('the second training to run', async () =>
    (await versionStatus(v2 as string))?.status === 'CREATE IN_PROGRESS' ? true : undefined,
  );
  await kill9();
  await start();
  const failed = await versionStatus(v2 as string);
  expect(failed?.status).toBe('CREATE FAILED');
  expect(failed?.failureReason).toMatch(/restarted/);
  expect((await versionStatus(v1 as string))?.status).toBe('ACTIVE');
  expect(await recommend(campaignArn as string)).toBe(5);

  // 3. Killed during an automatic update.
  child?.kill('SIGUSR2');
  await until('the automatic update to start', async () => (output.includes('SIGUSR2') ? true : undefined));
  await new Promise((r) => setTimeout(r, 150));
  await kill9();
  await start();
  expect(await recommend(campaignArn as string)).toBe(5);
  // Nothing the killed run held keeps the next one out.
  child?.kill('SIGUSR2');
  const report = await until('the next automatic update', async () =>
    /Automatic update \w+: \d+ campaign/.test(output) ? output : undefined,
  );
  expect(report).toMatch(/Automatic update SUCCEEDED: 1 campaign\(s\)/);
  expect(report).toMatch(/: (UPDATED|UNCHANGED)/);
  expect(await recommend(campaignArn as string)).toBe(5);
}, 300_000);
