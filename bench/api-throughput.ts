/**
 * Throughput of the local runtime through the official AWS SDK clients (`npm run bench:api`):
 *
 *   import      a synthetic interactions CSV of N rows (streamed to a temp file), uploaded to the embedded S3 and
 *               imported with one FULL CreateDatasetImportJob; rows/s from the CreateDatasetImportJob call until
 *               DescribeDatasetImportJob reports ACTIVE, wall time, peak RSS and RSS sampled during the import.
 *   put-events  PutEvents calls of 10 events each from 1 and from 16 concurrent loops; events/s, calls/s and
 *               per-call latency percentiles; each level is repeated, with the same client, against a plain Node
 *               HTTP echo server in a child process (the ceiling: SDK client and HTTP, no API).
 *
 * By default the runtime runs in this process, so the client (SigV4 signing, HTTP) and the server (router, handler,
 * dynalite, s3rver, the import worker) share the same event loop and cores: the figures are for the whole local
 * stack on one Node process, not for the server alone. `--workers N` serves the API from N cluster workers (as
 * `npm start` does), leaving this process the load loops and the emulators. `--endpoint` targets an `npm start`
 * running elsewhere.
 *
 *   npm run bench:api -- import --rows 1000000
 *   npm run bench:api -- put-events --events 100000 --concurrency 1,16 --workers 2
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  type DatasetImportJob,
  DescribeDatasetImportJobCommand,
  DescribeEventTrackerCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { type Event, PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../lambdas/env';
import { BulkDataStore } from '../lambdas/store/bulk-data';
import { RESOURCES_TABLE } from '../lambdas/store/tables';
import { S3_CREDENTIALS } from '../local/emulators';
import { type Credentials, DEFAULT_API_CREDENTIALS, DEFAULT_REGION } from '../local/runtime';
import { startEchoServer } from './lib/echo-server';
import { echoLine, runtimeLine, startBenchRuntime } from './lib/local-runtime';
import { quietRequestLogs } from './lib/quiet';
import { createInteractionsDataset } from './lib/setup';
import {
  environmentLines,
  formatLoad,
  type ImportArgs,
  type LoopResult,
  type PutEventsArgs,
  parseThroughputArgs,
  peakRssMiB,
  percentile,
  RssSampler,
  runLoops,
  samplesAt,
  type ThroughputArgs,
} from './lib/throughput';
import { writeInteractionsInChild } from './lib/write-interactions';

/** The role ARN is required by CreateDatasetImportJob; the local runtime reads the bucket with its own identity. */
const ROLE_ARN = 'arn:aws:iam::000000000000:role/PersonalizeS3Access';
const UPLOAD_BUCKET = 'bench-uploads';
const POLL_MS = 250;
const RSS_SAMPLE_MS = 250;
/** A job that has not settled by then is reported as stuck rather than waited for forever. */
const IMPORT_TIMEOUT_MS = 60 * 60_000;

interface Target {
  readonly personalize: PersonalizeClient;
  readonly events: PersonalizeEventsClient;
  readonly s3: S3Client;
  readonly inProcess: boolean;
  /**
   * Rows in a dataset's bulk data, read from the runtime's own store; only when the runtime runs here. Confirms
   * that an ACTIVE job really imported every row.
   */
  importedRows?(datasetArn: string): Promise<number>;
  stop(): Promise<void>;
}

function envValue(key: string): string | undefined {
  const v = process.env[key];
  return v === undefined || v === '' ? undefined : v;
}

function buildClients(
  endpoint: string,
  s3Endpoint: string,
  region: string,
  api: Credentials,
  s3: Credentials,
): Omit<Target, 'inProcess' | 'stop'> {
  // maxAttempts 1: a retried call would hide an error and skew the latencies.
  const common = { endpoint, region, credentials: api, maxAttempts: 1 };
  return {
    personalize: new PersonalizeClient(common),
    events: new PersonalizeEventsClient(common),
    s3: new S3Client({
      endpoint: s3Endpoint,
      region,
      credentials: s3,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
    }),
  };
}

async function openTarget(args: ThroughputArgs): Promise<Target> {
  if (args.endpoint !== undefined) {
    const api = new URL(args.endpoint);
    const s3Endpoint = args.s3Endpoint ?? `${api.protocol}//${api.hostname}:${Number(api.port || '80') + 1}`;
    const clients = buildClients(
      args.endpoint,
      s3Endpoint,
      envValue('AWS_REGION') ?? DEFAULT_REGION,
      {
        accessKeyId: envValue(ENV.ACCESS_KEY_ID) ?? DEFAULT_API_CREDENTIALS.accessKeyId,
        secretAccessKey: envValue(ENV.SECRET_ACCESS_KEY) ?? DEFAULT_API_CREDENTIALS.secretAccessKey,
      },
      S3_CREDENTIALS,
    );
    return {
      ...clients,
      inProcess: false,
      stop: async () => {
        for (const c of [clients.personalize, clients.events, clients.s3]) c.destroy();
      },
    };
  }
  const runtime = await startBenchRuntime({
    workers: args.workers,
    ...(args.dataDir === undefined ? {} : { dataDir: args.dataDir }),
  });
  const clients = buildClients(
    runtime.endpoint,
    runtime.s3Endpoint,
    runtime.region,
    runtime.apiCredentials,
    runtime.s3Credentials,
  );
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: runtime.internalEndpoints.dynamodb,
      region: runtime.region,
      credentials: runtime.s3Credentials,
    }),
  );
  const bulk = new BulkDataStore(ddb, RESOURCES_TABLE.id, clients.s3, runtime.dataBucket);
  return {
    ...clients,
    inProcess: true,
    importedRows: async (datasetArn) =>
      (await bulk.state(datasetArn)).generations.reduce((sum, g) => sum + g.rows, 0),
    stop: async () => {
      for (const c of [clients.personalize, clients.events, clients.s3, ddb]) c.destroy();
      await runtime.stop();
    },
  };
}

function runPrefix(kind: string): string {
  return `bench-${kind}-${Date.now().toString(36)}`;
}

function print(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Process CPU (user + system, all threads) since `before`: unlike wall time it does not grow with others' load. */
function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1e6;
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
const rate = (n: number, seconds: number): string => Math.round(n / seconds).toLocaleString('en-US');

async function ensureBucket(s3: S3Client): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: UPLOAD_BUCKET }));
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

async function benchImport(args: ImportArgs, json: Record<string, unknown>): Promise<void> {
  const dir = await mkdtemp(join(args.tmpDir ?? tmpdir(), 'op-bench-import-'));
  const csvPath = join(dir, 'interactions.csv');
  let target: Target | undefined;
  try {
    let t = performance.now();
    const writer = await writeInteractionsInChild(csvPath, args.rows, args.seed);
    const { size } = await stat(csvPath);
    const generateSeconds = (performance.now() - t) / 1000;
    print(
      `csv         ${args.rows.toLocaleString('en-US')} rows, ${mib(size)}, generated in ${generateSeconds.toFixed(1)} s by a child process (peak RSS ${writer.peakRssMiB.toFixed(0)} MiB; not part of the import figures)`,
    );

    target = await openTarget(args);
    const { personalize, s3 } = target;
    await ensureBucket(s3);
    const prefix = runPrefix('import');
    const key = `${prefix}/interactions.csv`;
    t = performance.now();
    await s3.send(
      new PutObjectCommand({
        Bucket: UPLOAD_BUCKET,
        Key: key,
        Body: createReadStream(csvPath),
        ContentLength: size,
        ContentType: 'text/csv',
      }),
    );
    const uploadSeconds = (performance.now() - t) / 1000;
    print(
      `upload      PutObject to the embedded S3 in ${uploadSeconds.toFixed(1)} s (not part of the import figures)`,
    );

    const { datasetArn } = await createInteractionsDataset(personalize, prefix, [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      { name: 'EVENT_TYPE', type: 'string' },
      { name: 'EVENT_VALUE', type: ['null', 'float'] },
    ]);

    const peakBefore = peakRssMiB();
    const sampler = new RssSampler(RSS_SAMPLE_MS);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const { datasetImportJobArn } = await personalize.send(
      new CreateDatasetImportJobCommand({
        jobName: `${prefix}-full`,
        datasetArn,
        dataSource: { dataLocation: `s3://${UPLOAD_BUCKET}/${key}` },
        roleArn: ROLE_ARN,
        importMode: 'FULL',
      }),
    );
    let job: DatasetImportJob | undefined;
    for (;;) {
      ({ datasetImportJob: job } = await personalize.send(
        new DescribeDatasetImportJobCommand({ datasetImportJobArn }),
      ));
      if (job?.status === 'ACTIVE' || job?.status === 'CREATE FAILED') break;
      if (performance.now() - started > IMPORT_TIMEOUT_MS) {
        throw new Error(
          `import still ${job?.status ?? 'unknown'} after ${IMPORT_TIMEOUT_MS / 60_000} minutes`,
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cpuSecondsSince(cpuBefore);
    const samples = sampler.stop();
    if (job?.status !== 'ACTIVE') {
      throw new Error(`import ended ${job?.status ?? 'unknown'}: ${job?.failureReason ?? 'no reason given'}`);
    }
    const created = job.creationDateTime?.getTime();
    const finished = job.lastUpdatedDateTime?.getTime();
    const serverSeconds =
      created === undefined || finished === undefined ? undefined : (finished - created) / 1000;
    const peakAfter = peakRssMiB();
    const imported = await target.importedRows?.(datasetArn);
    if (imported !== undefined && imported !== args.rows) {
      throw new Error(`the job is ACTIVE but the dataset holds ${imported} rows, not ${args.rows}`);
    }
    const rss = samples.map((s) => s.rssMiB);
    const heap = samples.map((s) => s.heapUsedMiB);
    const at = samplesAt(samples, [0, 0.25, 0.5, 0.75, 1]);

    print(
      `import      ${args.rows.toLocaleString('en-US')} rows ACTIVE in ${seconds.toFixed(1)} s = ${rate(args.rows, seconds)} rows/s` +
        ` (CreateDatasetImportJob sent → DescribeDatasetImportJob ACTIVE, polled every ${POLL_MS} ms)`,
    );
    if (serverSeconds !== undefined) {
      print(
        `            server-side ${serverSeconds.toFixed(1)} s = ${rate(args.rows, serverSeconds)} rows/s (job creationDateTime → lastUpdatedDateTime)`,
      );
    }
    if (imported !== undefined) {
      print(`check       the dataset's bulk data holds ${imported.toLocaleString('en-US')} rows`);
    }
    print(
      `cpu         ${cpuSeconds.toFixed(1)} s of process CPU (user + system) during the import = ${rate(args.rows, cpuSeconds)} rows per CPU-second` +
        (target.inProcess ? '' : ' (this client process only)'),
    );
    print(
      `rss         during import: min ${Math.min(...rss).toFixed(0)} MiB, max ${Math.max(...rss).toFixed(0)} MiB` +
        ` (${samples.length} samples every ${RSS_SAMPLE_MS} ms); at 0/25/50/75/100 %: ${at.map((s) => s.rssMiB.toFixed(0)).join(' / ')} MiB`,
      `heap used   during import: max ${Math.max(...heap).toFixed(0)} MiB; at 0/25/50/75/100 %: ${at.map((s) => s.heapUsedMiB.toFixed(0)).join(' / ')} MiB`,
      `peak rss    ${peakBefore.toFixed(0)} MiB before the import (runtime start, upload), ${peakAfter.toFixed(0)} MiB at the end` +
        (target.inProcess
          ? ' (process maxRSS; the import ran in this process)'
          : ' (this client process only)'),
    );
    Object.assign(json, {
      rows: args.rows,
      csvBytes: size,
      generateSeconds,
      generatorPeakRssMiB: writer.peakRssMiB,
      uploadSeconds,
      importSeconds: seconds,
      rowsPerSecond: args.rows / seconds,
      serverImportSeconds: serverSeconds,
      cpuSeconds,
      rssDuringImportMiB: { min: Math.min(...rss), max: Math.max(...rss), samples: rss.length },
      maxHeapUsedDuringImportMiB: Math.max(...heap),
      peakRssBeforeImportMiB: peakBefore,
      peakRssMiB: peakAfter,
    });
  } finally {
    await target?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A call's events: distinct items and increasing times, so none is de-duplicated as a repeat. */
function eventList(call: number, batch: number): Event[] {
  const base = 1_700_000_000_000 + call * batch * 1000;
  return Array.from({ length: batch }, (_, j) => ({
    eventType: 'click',
    itemId: `item-${(call * batch + j) % 100_000}`,
    sentAt: new Date(base + j * 1000),
  }));
}

const LEVEL_COLUMNS = [
  'server',
  'concurrency',
  'events/s',
  'calls/s',
  'p50 ms',
  'p99 ms',
  'max ms',
  'wall s',
  'cpu ms/call',
];

function row(cells: readonly string[]): string {
  return cells.map((c, i) => c.padStart((LEVEL_COLUMNS[i] ?? '').length)).join('  ');
}

function summarise(
  server: string,
  level: number,
  batch: number,
  result: LoopResult,
  cpuSeconds: number,
): string {
  const events = result.calls * batch;
  const l = result.latenciesMs;
  return row([
    server,
    String(level),
    rate(events, result.seconds),
    rate(result.calls, result.seconds),
    percentile(l, 50).toFixed(1),
    percentile(l, 99).toFixed(1),
    (l[l.length - 1] ?? Number.NaN).toFixed(1),
    result.seconds.toFixed(1),
    ((cpuSeconds * 1000) / result.calls).toFixed(1),
  ]);
}

async function benchPutEvents(args: PutEventsArgs, json: Record<string, unknown>): Promise<void> {
  const target = await openTarget(args);
  try {
    const { personalize, events } = target;
    const prefix = runPrefix('events');
    const { datasetGroupArn } = await createInteractionsDataset(personalize, prefix, [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      { name: 'EVENT_TYPE', type: 'string' },
    ]);
    const { eventTrackerArn, trackingId } = await personalize.send(
      new CreateEventTrackerCommand({ name: `${prefix}-tracker`, datasetGroupArn }),
    );
    for (let i = 0; ; i++) {
      const { eventTracker } = await personalize.send(new DescribeEventTrackerCommand({ eventTrackerArn }));
      if (eventTracker?.status === 'ACTIVE') break;
      if (i > 120) throw new Error(`event tracker is ${eventTracker?.status} after 30 s`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }

    const calls = Math.ceil(args.events / args.batch);
    // Each level (even a repeated one) has its own users and sessions, so every level pays the same one-off session
    // link per user and none of its events repeats an earlier level's (which would be de-duplicated).
    // Loads the handler modules and opens the keep-alive sockets before anything is timed.
    await runLoops(args.warmup, Math.max(...args.concurrency), (i) =>
      events.send(
        new PutEventsCommand({
          trackingId,
          userId: `warmup-user-${i % args.users}`,
          sessionId: `warmup-session-${i % args.users}`,
          eventList: eventList(i, args.batch),
        }),
      ),
    );

    print(
      `put-events  ${calls.toLocaleString('en-US')} calls × ${args.batch} events per level, ${args.users} users, every call SigV4-signed by the SDK client` +
        (!target.inProcess
          ? '; cpu ms/call is this client alone (signing, HTTP)'
          : args.workers > 0
            ? "; cpu ms/call is this process's (client, emulators), not the workers'"
            : '; cpu ms/call is client and server together'),
      '',
      row(LEVEL_COLUMNS),
    );
    const levels: Record<string, unknown>[] = [];
    const echo = await startEchoServer(args.workers);
    // The same client code and the same requests against a server that only echoes them: the ceiling.
    const echoEvents = new PersonalizeEventsClient({
      endpoint: echo.url,
      region: DEFAULT_REGION,
      credentials: DEFAULT_API_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const sendTo = (client: PersonalizeEventsClient, level: string, call: number) =>
        client.send(
          new PutEventsCommand({
            trackingId,
            userId: `${level}-user-${call % args.users}`,
            sessionId: `${level}-session-${call % args.users}`,
            eventList: eventList(call, args.batch),
          }),
        );
      await runLoops(args.warmup, Math.max(...args.concurrency), (i) => sendTo(echoEvents, 'warmup', i));
      for (const [position, level] of args.concurrency.entries()) {
        for (const [server, client] of [
          ['api', events],
          ['echo', echoEvents],
        ] as const) {
          const cpuBefore = process.cpuUsage();
          const result = await runLoops(calls, level, (i) => sendTo(client, `run${position}-c${level}`, i));
          const cpuSeconds = cpuSecondsSince(cpuBefore);
          const memory = process.memoryUsage();
          print(
            `${summarise(server, level, args.batch, result, cpuSeconds)}   (load ${formatLoad()}; rss ${mib(memory.rss)}, heap used ${mib(memory.heapUsed)})`,
          );
          levels.push({
            server,
            concurrency: level,
            calls,
            events: calls * args.batch,
            seconds: result.seconds,
            eventsPerSecond: (calls * args.batch) / result.seconds,
            callsPerSecond: calls / result.seconds,
            p50Ms: percentile(result.latenciesMs, 50),
            p99Ms: percentile(result.latenciesMs, 99),
            cpuMsPerCall: (cpuSeconds * 1000) / calls,
            rssMiBAfter: memory.rss / (1024 * 1024),
            heapUsedMiBAfter: memory.heapUsed / (1024 * 1024),
            loadAverage: formatLoad(),
          });
        }
      }
    } finally {
      echoEvents.destroy();
      await echo.stop();
    }
    print('', `peak rss    ${peakRssMiB().toFixed(0)} MiB (process maxRSS)`);
    Object.assign(json, { batch: args.batch, users: args.users, levels });
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  quietRequestLogs();
  let args: ThroughputArgs;
  try {
    args = parseThroughputArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const header = [
    ...environmentLines(),
    args.endpoint !== undefined
      ? `runtime     ${args.endpoint} (another process: RSS below is this client's only)`
      : runtimeLine(args.workers),
    echoLine(args.workers),
  ];
  process.stdout.write(`${header.join('\n')}\n\n`);
  const json: Record<string, unknown> = {
    command: args.command,
    node: process.version,
    argv: process.argv.slice(2),
    inProcess: args.endpoint === undefined,
  };
  if (args.command === 'import') await benchImport(args, json);
  else await benchPutEvents(args, json);
  print(
    `load avg    ${formatLoad()} (1, 5, 15 min) at the end`,
    `wall        ${(performance.now() / 1000).toFixed(1)} s for the whole run (process start to here)`,
  );
  if (args.json) process.stdout.write(`${JSON.stringify(json)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
