/**
 * Training time in the local runtime: from CreateSolutionVersion to ACTIVE on a synthetic interactions data set,
 * through the SDK, the local Step Functions runner and the same step handlers as on AWS. Default hyperparameters.
 *
 *   node --import tsx bench/training-time.ts [--interactions 100000] [--seed 1] [--runs 1]
 *
 * Prints the command, the data set, the machine's load average before the run, and per run the wall time to
 * ACTIVE, the train step's own time (`trainingHours`) and the CPU time this process (every thread: API, emulators,
 * steps, the engine's workers) spent meanwhile — on a busy machine the CPU time says more than the wall time.
 */
import { cpus, loadavg } from 'node:os';
import {
  CreateDatasetImportJobCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionVersionCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { generateSynthetic } from '../lambdas/engine/synthetic';
import { startRuntime } from '../local/runtime';
import { createInteractionsDataset } from './lib/setup';

const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';
const ROLE = 'arn:aws:iam::000000000000:role/PersonalizeS3';
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

function csvOf(target: number, seed: number): { csv: string; users: number; items: number } {
  // Log-normal user lengths: generate comfortably more, then keep the first `target` interactions in time order.
  const users = Math.ceil((target / EVENTS_PER_USER) * 1.3);
  const data = generateSynthetic({
    users,
    items: Math.ceil(users * 0.75),
    meanEventsPerUser: EVENTS_PER_USER,
    seed,
  });
  const rows = [...data.interactions].sort((a, b) => a.timestamp - b.timestamp).slice(0, target);
  if (rows.length < target)
    throw new Error(`generator gave ${rows.length} interactions, fewer than ${target}`);
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  for (const x of rows)
    lines.push(`${x.userId},${x.itemId},${Math.floor(x.timestamp)},${x.eventType ?? 'click'}`);
  return {
    csv: `${lines.join('\n')}\n`,
    users: new Set(rows.map((x) => x.userId)).size,
    items: new Set(rows.map((x) => x.itemId)).size,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(
      'usage: node --import tsx bench/training-time.ts [--interactions N (100000)] [--seed N (1)] [--runs N (1)]\n',
    );
    return;
  }
  const target = option(argv, 'interactions', 100_000);
  const seed = option(argv, 'seed', 1);
  const runs = option(argv, 'runs', 1);
  process.stdout.write(
    `command: node --import tsx bench/training-time.ts ${argv.join(' ')}`.trimEnd() + '\n',
  );
  const data = csvOf(target, seed);
  process.stdout.write(
    `data: ${target} interactions, ${data.users} users, ${data.items} items (synthetic, seed ${seed})\n`,
  );

  const runtime = await startRuntime({ port: 0, s3Port: 0 });
  const client = { endpoint: runtime.endpoint, region: runtime.region, credentials: runtime.apiCredentials };
  const p = new PersonalizeClient(client);
  const s3 = new S3Client({
    endpoint: runtime.s3Endpoint,
    region: runtime.region,
    credentials: runtime.s3Credentials,
    forcePathStyle: true,
  });
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
    if (datasetImportJob?.status !== 'ACTIVE') throw new Error(`import ended ${datasetImportJob?.status}`);
    const { solutionArn } = await p.send(
      new CreateSolutionCommand({ name: 'bench', datasetGroupArn, recipeArn: RECIPE }),
    );

    const [load1, load5] = loadavg();
    process.stdout.write(
      `machine: ${cpus().length} cores, load average ${load1?.toFixed(2)} (1 min) ${load5?.toFixed(2)} (5 min) before training\n`,
    );
    for (let run = 1; run <= runs; run++) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
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
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      if (status !== 'ACTIVE') throw new Error(`version ended ${status}: ${failureReason}`);
      process.stdout.write(
        `run ${run}: CreateSolutionVersion -> ACTIVE in ${seconds.toFixed(1)} s ` +
          `(train step ${((trainingHours ?? 0) * 3600).toFixed(1)} s; process CPU time ${cpuSeconds.toFixed(1)} s)\n`,
      );
    }
  } finally {
    p.destroy();
    s3.destroy();
    await runtime.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
