/**
 * The whole path at scale in the local runtime, through the SDK: a synthetic sequential interactions CSV (the
 * `large` preset's 100k-item catalog) is imported with CreateDatasetImportJob from the embedded S3, a FULL solution
 * version trains to ACTIVE, a campaign is created, and the first GetRecommendations is answered (model and history
 * tails cold), then a second one (warm).
 *
 *   npm run bench:scale -- --interactions 1000000 [--seed 1] [--tmp-dir DIR] [--csv FILE] [--shard-interactions N]
 *
 * Prints the command, the machine and its load average, per step the wall time and the peak RSS of this process
 * tree (every process under this one, sampled from /proc every 200 ms), the training workflow's states and each
 * shard of its Distributed Map as the local Step Functions' execution history times them, and as a reference
 * measured in the same run a plain streaming read of the same CSV (the least any import has to do).
 *
 * `--csv FILE` keeps the generated CSV there and reuses it on the next run with the same size and seed (writing
 * 50M interactions takes longer than importing them). `--shard-interactions N` splits the training's sums into
 * shards of about N interactions, as on AWS (locally the runtime plans one shard), summed one after another.
 */
import { createReadStream } from 'node:fs';
import { access, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  CreateCampaignCommand,
  CreateDatasetImportJobCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeCampaignCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
} from '@aws-sdk/client-personalize';
import { GetRecommendationsCommand } from '@aws-sdk/client-personalize-runtime';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { ENV } from '../lambdas/env';
import { logger } from '../lambdas/observability';
import type { LoadTimes } from '../lambdas/services/model-cache';
import { historyTailsKey, modelKey, snapshotKey } from '../lambdas/store/artifacts';
import { startRuntime } from '../local/runtime';
import { runtimeClients } from './lib/clients';
import { quietRequestLogs } from './lib/quiet';
import { BASIC_INTERACTION_FIELDS, createInteractionsDataset, RECIPE, ROLE } from './lib/setup';
import { TreeRssSampler } from './lib/tree-rss';
import { writeInteractionsInChild } from './lib/write-interactions';

const UPLOAD_BUCKET = 'bench-uploads';

const POLL_MS = 250;

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function until<T>(poll: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await poll();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Lines of a file read as a stream: what reading the CSV costs with no parsing or storing at all. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

async function firstLines(path: string): Promise<string[]> {
  const file = await open(path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4096), 0, 4096, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n');
  } finally {
    await file.close();
  }
}

/** Each state of an execution (when it started and its wall seconds) and each iteration of its Map, from its history. */
async function stateTimes(
  sfn: SFNClient,
  executionArn: string,
): Promise<{ states: { name: string; since: number; seconds: number }[]; iterations: number[] }> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  const at = (e: HistoryEvent): number => (e.timestamp as Date).getTime();
  const states: { name: string; since: number; seconds: number }[] = [];
  const iterationStart = new Map<number, number>();
  const iterations: number[] = [];
  // The workflow's states run one after another; between a Map's entry and exit, states belong to its iterations.
  let current: { name: string; since: number; map: boolean } | undefined;
  for (const e of events) {
    const type = e.type ?? '';
    const entered = e.stateEnteredEventDetails?.name;
    const exited = e.stateExitedEventDetails?.name;
    if (type === 'MapIterationStarted') {
      iterationStart.set(e.mapIterationStartedEventDetails?.index ?? -1, at(e));
    } else if (type === 'MapIterationSucceeded') {
      const index = e.mapIterationSucceededEventDetails?.index ?? -1;
      iterations[index] = (at(e) - (iterationStart.get(index) ?? at(e))) / 1000;
    } else if (entered !== undefined && (current === undefined || !current.map)) {
      current = { name: entered, since: at(e), map: type === 'MapStateEntered' };
    } else if (exited !== undefined && exited === current?.name) {
      states.push({ name: exited, since: current.since, seconds: (at(e) - current.since) / 1000 });
      current = undefined;
    }
  }
  return { states, iterations };
}

/** The serving path's model loads, taken from the logger while the run lasts. */
function captureLoadTimess(): { loads: LoadTimes[]; restore: () => void } {
  const loads: LoadTimes[] = [];
  const original = logger.info;
  logger.info = ((message: unknown, ...rest: unknown[]) => {
    if (message === 'serving model loaded') {
      loads.push(rest[0] as LoadTimes);
      return;
    }
    (original as (...args: unknown[]) => void).call(logger, message, ...rest);
  }) as typeof logger.info;
  return {
    loads,
    restore: () => {
      logger.info = original;
    },
  };
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  quietRequestLogs();
  const argv = process.argv.slice(2);
  const rows = option(argv, 'interactions', 1_000_000);
  const seed = option(argv, 'seed', 1);
  const tmpAt = argv.indexOf('--tmp-dir');
  print(`command: npm run bench:scale -- ${argv.join(' ')}`.trimEnd());
  const [load1, load5] = loadavg();
  print(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; ` +
      `load average ${load1?.toFixed(2)} (1 min) ${load5?.toFixed(2)} (5 min) at start`,
  );
  const csvDirAt = argv.indexOf('--csv-dir');
  const shardAt = argv.indexOf('--shard-interactions');
  if (shardAt >= 0) {
    process.env[ENV.TRAINING_SHARD_INTERACTIONS] = String(option(argv, 'shard-interactions', 1));
  }
  const dir = await mkdtemp(join(tmpAt >= 0 ? (argv[tmpAt + 1] as string) : tmpdir(), 'op-bench-scale-'));
  const csvPath =
    csvDirAt >= 0
      ? join(argv[csvDirAt + 1] as string, `interactions-${rows}-seed-${seed}.csv`)
      : join(dir, 'interactions.csv');
  try {
    let t = performance.now();
    const data = `${rows.toLocaleString('en-US')} synthetic sequential interactions (100k-item catalog, seed ${seed})`;
    if (csvDirAt >= 0 && (await exists(csvPath))) {
      print(`data: ${data}, ${((await stat(csvPath)).size / 2 ** 20).toFixed(0)} MiB CSV of an earlier run`);
    } else {
      // Written under another name first, so a run cut short never leaves a partial file to be reused.
      const writer = await writeInteractionsInChild(`${csvPath}.partial`, rows, seed);
      await rename(`${csvPath}.partial`, csvPath);
      print(
        `data: ${data}, ${((await stat(csvPath)).size / 2 ** 20).toFixed(0)} MiB CSV written in ` +
          `${((performance.now() - t) / 1000).toFixed(1)} s by a child process ` +
          `(peak RSS ${writer.peakRssMiB.toFixed(0)} MiB; not in the figures below)`,
      );
    }
    const { size } = await stat(csvPath);
    const userId = (await firstLines(csvPath))[1]?.split(',')[0];
    if (userId === undefined) throw new Error('the CSV has no rows');

    t = performance.now();
    const lines = await countLines(csvPath);
    const referenceSeconds = (performance.now() - t) / 1000;

    const sampler = new TreeRssSampler();
    print('step                                                  wall s   peak RSS of the process tree, MiB');
    const step = (name: string, started: number): void => {
      const seconds = (performance.now() - started) / 1000;
      const peak = sampler.mark();
      print(`${name.padEnd(52)} ${seconds.toFixed(1).padStart(8)}   ${peak.toFixed(0).padStart(8)}`);
    };
    t = performance.now();
    const runtime = await startRuntime({ port: 0, s3Port: 0 });
    const clients = runtimeClients(runtime);
    const { personalize: p, personalizeRuntime: rt, s3 } = clients;
    const sfn = new SFNClient({
      endpoint: runtime.internalEndpoints.stepFunctions,
      region: runtime.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const capture = captureLoadTimess();
    try {
      await s3.send(new CreateBucketCommand({ Bucket: UPLOAD_BUCKET }));
      await s3.send(
        new PutObjectCommand({
          Bucket: UPLOAD_BUCKET,
          Key: 'interactions.csv',
          Body: createReadStream(csvPath),
          ContentLength: size,
          ContentType: 'text/csv',
        }),
      );
      step('start runtime + upload CSV', t);

      t = performance.now();
      const { datasetGroupArn, datasetArn } = await createInteractionsDataset(p, 'scale', [
        ...BASIC_INTERACTION_FIELDS,
        { name: 'EVENT_VALUE', type: ['null', 'float'] },
      ]);
      const { datasetImportJobArn } = await p.send(
        new CreateDatasetImportJobCommand({
          jobName: 'scale-import',
          datasetArn,
          dataSource: { dataLocation: `s3://${UPLOAD_BUCKET}/interactions.csv` },
          roleArn: ROLE,
        }),
      );
      const job = await until(
        async () =>
          (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn }))).datasetImportJob,
        (j) => j?.status === 'ACTIVE' || j?.status === 'CREATE FAILED',
      );
      if (job?.status !== 'ACTIVE') throw new Error(`import ended ${job?.status}: ${job?.failureReason}`);
      step('import (CreateDatasetImportJob → ACTIVE)', t);

      t = performance.now();
      const describeVersion = async (solutionVersionArn: string) =>
        (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn }))).solutionVersion;
      const { solutionArn } = await p.send(
        new CreateSolutionCommand({ name: 'scale', datasetGroupArn, recipeArn: RECIPE }),
      );
      const { solutionVersionArn } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
      const version = await until(
        () => describeVersion(solutionVersionArn as string),
        (v) => v?.status === 'ACTIVE' || v?.status === 'CREATE FAILED' || v?.status === 'CREATE STOPPED',
      );
      if (version?.status !== 'ACTIVE')
        throw new Error(`training ended ${version?.status}: ${version?.failureReason}`);
      step('FULL training (CreateSolutionVersion → ACTIVE)', t);
      const sizes: string[] = [];
      for (const [name, key] of [
        ['training snapshot', snapshotKey],
        ['history tails', historyTailsKey],
        ['model', modelKey],
      ] as const) {
        const head = await s3.send(
          new HeadObjectCommand({
            Bucket: runtime.dataBucket,
            Key: key(version.solutionVersionArn as string),
          }),
        );
        const bytes = head.ContentLength ?? 0;
        sizes.push(
          `${name} ${(bytes / 2 ** 20).toFixed(1)} MiB (${(bytes / rows).toFixed(1)} B per interaction)`,
        );
      }
      const { metrics } = await p.send(
        new GetSolutionMetricsCommand({ solutionVersionArn: version.solutionVersionArn }),
      );

      t = performance.now();
      const { campaignArn } = await p.send(
        new CreateCampaignCommand({ name: 'scale', solutionVersionArn: version.solutionVersionArn }),
      );
      await until(
        async () => (await p.send(new DescribeCampaignCommand({ campaignArn }))).campaign?.status,
        (s) => s === 'ACTIVE' || s === 'CREATE FAILED',
      );
      step('campaign (CreateCampaign → ACTIVE)', t);

      t = performance.now();
      const first = await rt.send(new GetRecommendationsCommand({ campaignArn, userId, numResults: 25 }));
      const firstMs = performance.now() - t;
      step('first GetRecommendations (model and tails cold)', t);
      const servingRss = process.memoryUsage().rss;
      t = performance.now();
      await rt.send(new GetRecommendationsCommand({ campaignArn, userId, numResults: 25 }));
      step('second GetRecommendations (warm)', t);
      if (first.itemList?.length !== 25) throw new Error('the first recommendation returned no items');

      print(`overall peak RSS of the process tree: ${sampler.overall.toFixed(0)} MiB`);
      const load = capture.loads[0];
      if (load !== undefined) {
        const accounted = load.downloadMs + load.modelMs + load.scoringMs + load.tailsMs;
        print(
          `cold model load (as the serving path logs it): download ${load.downloadMs} ms (model ${mib(load.modelBytes)} MiB ` +
            `and history tails ${mib(load.tailsBytes)} MiB in parallel), Model.load ${load.modelMs} ms, ` +
            `prepareScoring ${load.scoringMs} ms, history tails ${load.tailsMs} ms; ` +
            `the rest of the first request ${Math.max(0, firstMs - accounted).toFixed(0)} ms`,
        );
      }
      print(
        `serving process RSS after the first recommendation: ${mib(servingRss)} MiB (the process serving the API, ` +
          'with the embedded DynamoDB and S3; training ran in its child)',
      );
      // The version is ACTIVE before the workflow's last state ends: wait for the execution to finish.
      const training = await until(
        async () =>
          (
            await sfn.send(
              new ListExecutionsCommand({ stateMachineArn: process.env[ENV.TRAINING_STATE_MACHINE_ARN] }),
            )
          ).executions?.[0],
        (e) => e?.status !== 'RUNNING',
      );
      const { states, iterations } = await stateTimes(sfn, training?.executionArn as string);
      print(`training states: ${states.map((x) => `${x.name} ${x.seconds.toFixed(1)} s`).join(', ')}`);
      const peakOf = (x: (typeof states)[number]) => sampler.peakBetween(x.since, x.since + x.seconds * 1000);
      print(
        `peak RSS of the process tree per state: ${states.map((x) => `${x.name} ${peakOf(x).toFixed(0)} MiB`).join(', ')}`,
      );
      const sorted = [...iterations].sort((a, b) => a - b);
      print(
        iterations.length === 0
          ? 'shards of the Distributed Map: none (a one-shard plan: Train sums in its own process)'
          : `shards of the Distributed Map: ${iterations.length}, each ${iterations.map((x) => x.toFixed(1)).join(' ')} s ` +
              `(median ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} s, summed one at a time)`,
      );
      print(`artifacts: ${sizes.join('; ')}`);
      print(
        `model: ${version.trainingMode} ${JSON.stringify(version.tunedHPOParams?.algorithmHyperParameters ?? {})}; ` +
          `ndcg@25 ${metrics?.normalized_discounted_cumulative_gain_at_25?.toFixed(4)}, ` +
          `coverage ${metrics?.coverage?.toFixed(4)}`,
      );
      print(
        `reference: a plain streaming read of the same CSV (${lines.toLocaleString('en-US')} lines) took ` +
          `${referenceSeconds.toFixed(2)} s`,
      );
      const [end1, end5] = loadavg();
      print(`load average at the end: ${end1?.toFixed(2)} (1 min) ${end5?.toFixed(2)} (5 min)`);
      sampler.stop();
    } finally {
      sfn.destroy();
      clients.destroy();
      await runtime.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
