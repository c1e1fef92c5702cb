/**
 * Training time in the local runtime: from CreateSolutionVersion to ACTIVE on a synthetic interactions data set,
 * through the SDK, the local Step Functions runner and the same step handlers as on AWS. Default hyperparameters.
 *
 *   node --import tsx bench/training-time.ts [--interactions 100000] [--items N] [--seed 1] [--runs 1]
 *   node --import tsx bench/training-time.ts --csv <interactions.csv>
 *   node --import tsx bench/training-time.ts --dataset ml1m [--data-dir bench/data]
 *
 * `--csv` trains on a Personalize interactions file (USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE]) instead; `--dataset`
 * on one of the accuracy suite's public data sets (`bench/datasets/public.ts`, fetched as the README says). The reference
 * measured in the same run is the EASE baseline (`bench/baselines/ease.ts`, its default λ and input decay) fitted
 * in this process on the same interactions.
 *
 * Prints the command, the data set, the machine's load average before the run, and per run the wall time to
 * ACTIVE, the train step's own time (`trainingHours`), and the CPU time and peak RSS of this process and its
 * descendants (API, emulators, the runtime's child process running the steps, the engine's threads) meanwhile — on a
 * busy machine the CPU time says more than the wall time.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  CreateDatasetImportJobCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionVersionCommand,
} from '@aws-sdk/client-personalize';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Interaction } from '../lambdas/engine/types';
import { startRuntime } from '../local/runtime';
import { EaseBaseline } from './baselines/ease';
import { findDataset } from './datasets/public';
import { runtimeClients } from './lib/clients';
import { treeCpuMs, treeCpuSince } from './lib/process-cpu';
import { quietRequestLogs } from './lib/quiet';
import { createInteractionsDataset, RECIPE, ROLE } from './lib/setup';
import { syntheticRows } from './lib/synthetic-rows';
import { TreeRssSampler } from './lib/tree-rss';

const UPLOAD_BUCKET = 'bench-uploads';
const POLL_MS = 100;
/** Mean interactions per synthetic user; users are added until the data set has the requested size. */
const EVENTS_PER_USER = 25;

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

interface BenchData {
  readonly csv: string;
  readonly interactions: Interaction[];
  readonly users: number;
  readonly items: number;
  readonly description: string;
}

function fromFile(path: string): BenchData {
  const csv = readFileSync(path, 'utf8');
  const [header = '', ...lines] = csv.split('\n').filter((l) => l.trim() !== '');
  const cols = header.split(',').map((c) => c.trim().toUpperCase());
  const at = (name: string): number => cols.indexOf(name);
  const interactions: Interaction[] = lines.map((line) => {
    const f = line.split(',');
    const type = at('EVENT_TYPE') >= 0 ? f[at('EVENT_TYPE')] : undefined;
    return {
      userId: f[at('USER_ID')] as string,
      itemId: f[at('ITEM_ID')] as string,
      timestamp: Number(f[at('TIMESTAMP')]),
      ...(type ? { eventType: type } : {}),
    };
  });
  return {
    csv,
    interactions,
    users: new Set(interactions.map((x) => x.userId)).size,
    items: new Set(interactions.map((x) => x.itemId)).size,
    description: `${path}`,
  };
}

function csvOf(target: number, seed: number, itemCount: number | undefined): BenchData {
  const rows = syntheticRows(target, {
    ...(itemCount === undefined ? {} : { items: itemCount }),
    eventsPerUser: EVENTS_PER_USER,
    seed,
  });
  return fromInteractions(rows, `synthetic, seed ${seed}`);
}

/** A public data set of the accuracy suite, by name, from the data directory. */
function fromDataset(name: string, dataDir: string): BenchData {
  const dataset = findDataset(name);
  if (dataset === undefined) throw new Error(`unknown data set ${name}`);
  const path = join(dataDir, dataset.file);
  return fromInteractions(dataset.load(path).interactions, `${name} (${path})`);
}

/** The import file of these interactions (events without a type import as `click`). */
function fromInteractions(rows: readonly Interaction[], description: string): BenchData {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  for (const x of rows)
    lines.push(`${x.userId},${x.itemId},${Math.floor(x.timestamp)},${x.eventType ?? 'click'}`);
  return {
    csv: `${lines.join('\n')}\n`,
    interactions: [...rows],
    users: new Set(rows.map((x) => x.userId)).size,
    items: new Set(rows.map((x) => x.itemId)).size,
    description,
  };
}

async function main(): Promise<void> {
  quietRequestLogs();
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(
      'usage: node --import tsx bench/training-time.ts [--interactions N (100000)] [--items N] [--seed N (1)] ' +
        '[--runs N (1)] | --csv <interactions.csv> | --dataset <name> [--data-dir bench/data]\n',
    );
    return;
  }
  const target = option(argv, 'interactions', 100_000);
  const seed = option(argv, 'seed', 1);
  const runs = option(argv, 'runs', 1);
  process.stdout.write(
    `command: node --import tsx bench/training-time.ts ${argv.join(' ')}`.trimEnd() + '\n',
  );
  const csvAt = argv.indexOf('--csv');
  const datasetAt = argv.indexOf('--dataset');
  const dataDirAt = argv.indexOf('--data-dir');
  const itemsAt = argv.indexOf('--items');
  const data =
    csvAt >= 0
      ? fromFile(argv[csvAt + 1] as string)
      : datasetAt >= 0
        ? fromDataset(
            argv[datasetAt + 1] as string,
            dataDirAt >= 0 ? (argv[dataDirAt + 1] as string) : 'bench/data',
          )
        : csvOf(target, seed, itemsAt >= 0 ? option(argv, 'items', 1) : undefined);
  process.stdout.write(
    `data: ${data.interactions.length} interactions, ${data.users} users, ${data.items} items (${data.description})\n`,
  );

  const runtime = await startRuntime({ port: 0, s3Port: 0 });
  const clients = runtimeClients(runtime);
  const { personalize: p, s3 } = clients;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: UPLOAD_BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: UPLOAD_BUCKET, Key: 'interactions.csv', Body: data.csv }));
    const { datasetGroupArn, datasetArn } = await createInteractionsDataset(p, 'bench');
    const { datasetImportJobArn } = await p.send(
      new CreateDatasetImportJobCommand({
        jobName: 'bench-import',
        datasetArn,
        dataSource: { dataLocation: `s3://${UPLOAD_BUCKET}/interactions.csv` },
        roleArn: ROLE,
      }),
    );
    await runtime.idle();
    const { datasetImportJob } = await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn }));
    if (datasetImportJob?.status !== 'ACTIVE')
      throw new Error(`import ended ${datasetImportJob?.status}: ${datasetImportJob?.failureReason ?? ''}`);
    const { solutionArn } = await p.send(
      new CreateSolutionCommand({ name: 'bench', datasetGroupArn, recipeArn: RECIPE }),
    );

    const [load1, load5] = loadavg();
    process.stdout.write(
      `machine: ${cpus().length} cores, load average ${load1?.toFixed(2)} (1 min) ${load5?.toFixed(2)} (5 min) before training\n`,
    );
    for (let run = 1; run <= runs; run++) {
      const started = performance.now();
      const cpuBefore = treeCpuMs();
      const rss = new TreeRssSampler();
      const { solutionVersionArn } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
      let status: string | undefined;
      let trainingHours: number | undefined;
      let failureReason: string | undefined;
      for (;;) {
        const { solutionVersion } = await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn }));
        status = solutionVersion?.status;
        trainingHours = solutionVersion?.trainingHours;
        failureReason = solutionVersion?.failureReason;
        if (status === 'ACTIVE' || status === 'CREATE FAILED' || status === 'CREATE STOPPED') break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const seconds = (performance.now() - started) / 1000;
      // The process tree: the training steps run in the local runtime's child process.
      const cpuSeconds = treeCpuSince(cpuBefore) / 1000;
      const peakRss = rss.mark();
      rss.stop();
      if (status !== 'ACTIVE') throw new Error(`version ended ${status}: ${failureReason}`);
      process.stdout.write(
        `run ${run}: CreateSolutionVersion -> ACTIVE in ${seconds.toFixed(1)} s ` +
          `(train step ${((trainingHours ?? 0) * 3600).toFixed(1)} s; CPU time of the process tree ` +
          `${cpuSeconds.toFixed(1)} s; its peak RSS ${peakRss.toFixed(0)} MiB)\n`,
      );
      const { solutionVersion } = await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn }));
      process.stdout.write(
        `  tunedHPOParams: ${JSON.stringify(solutionVersion?.tunedHPOParams?.algorithmHyperParameters ?? {})}\n`,
      );
    }
    const easeStarted = performance.now();
    new EaseBaseline().fit({ interactions: data.interactions });
    process.stdout.write(
      `reference: EASE baseline fit on the same interactions in ${((performance.now() - easeStarted) / 1000).toFixed(1)} s\n`,
    );
  } finally {
    clients.destroy();
    await runtime.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
