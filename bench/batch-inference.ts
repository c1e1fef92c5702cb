/**
 * Batch inference through the local runtime: a job over `--users` users (one JSON line each), `--results`
 * recommendations per user, from a model of `--items` items (seeded Gaussian factors of hidden dimension
 * `--dimension`, stored where the training workflow stores artifacts: scoring cost does not depend on the values).
 * The time is CreateBatchInferenceJob → ACTIVE as DescribeBatchInferenceJob reports it, the whole workflow on the
 * local Step Functions runner: chunking, scoring, assembling the `.out` file.
 *
 * Usage: node --import tsx bench/batch-inference.ts [--users 100000] [--items 10000] [--dimension 64] [--results 25]
 */
import { cpus, loadavg } from 'node:os';
import {
  CreateBatchInferenceJobCommand,
  CreateSolutionCommand,
  DescribeBatchInferenceJobCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Random } from '../lambdas/engine/random';
import { createServiceContext } from '../lambdas/services/context';
import { startRuntime } from '../local/runtime';
import { storeModelVersion } from './lib/model-version';
import { quietRequestLogs } from './lib/quiet';
import { randomModel } from './lib/random-model';
import { createInteractionsDataset } from './lib/setup';

interface Args {
  users: number;
  items: number;
  dimension: number;
  results: number;
}

function parse(argv: readonly string[]): Args {
  const args: Args = { users: 100_000, items: 10_000, dimension: 64, results: 25 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (!Number.isFinite(value)) throw new Error(`missing or bad value for ${flag}`);
    if (flag === '--users') args.users = value;
    else if (flag === '--items') args.items = value;
    else if (flag === '--dimension') args.dimension = value;
    else if (flag === '--results') args.results = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

async function main(): Promise<void> {
  quietRequestLogs();
  const args = parse(process.argv.slice(2));
  const runtime = await startRuntime({ port: 0, s3Port: 0 });
  try {
    const p = new PersonalizeClient({
      endpoint: runtime.endpoint,
      region: runtime.region,
      credentials: runtime.apiCredentials,
      maxAttempts: 1,
    });
    const { datasetGroupArn } = await createInteractionsDataset(p, 'batch-bench');
    const { solutionArn } = await p.send(
      new CreateSolutionCommand({
        name: 'batch-bench',
        datasetGroupArn,
        recipeArn: 'arn:aws:personalize:::recipe/aws-user-personalization',
        performAutoTraining: false,
      }),
    );
    const versionArn = await storeModelVersion(
      solutionArn as string,
      datasetGroupArn,
      randomModel(args.items, args.dimension, new Random(1)),
    );
    const ctx = createServiceContext();
    const lines: string[] = [];
    for (let u = 0; u < args.users; u++) lines.push(JSON.stringify({ userId: `user-${u}` }));
    const inputKey = 'bench-input/users.jsonl';
    await ctx.s3.send(
      new PutObjectCommand({ Bucket: ctx.dataBucket, Key: inputKey, Body: `${lines.join('\n')}\n` }),
    );

    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const { batchInferenceJobArn } = await p.send(
      new CreateBatchInferenceJobCommand({
        jobName: 'batch-bench',
        solutionVersionArn: versionArn,
        numResults: args.results,
        jobInput: { s3DataSource: { path: `s3://${ctx.dataBucket}/${inputKey}` } },
        jobOutput: { s3DataDestination: { path: `s3://${ctx.dataBucket}/bench-output/` } },
        roleArn: 'arn:aws:iam::000000000000:role/bench',
        batchInferenceJobConfig: { itemExplorationConfig: { explorationWeight: '0' } },
      }),
    );
    let status: string | undefined;
    let reason: string | undefined;
    for (;;) {
      const { batchInferenceJob } = await p.send(
        new DescribeBatchInferenceJobCommand({ batchInferenceJobArn }),
      );
      status = batchInferenceJob?.status;
      reason = batchInferenceJob?.failureReason;
      if (status === 'ACTIVE' || status === 'CREATE FAILED') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (status !== 'ACTIVE') throw new Error(`job ended ${status}: ${reason}`);
    const out = await ctx.s3.send(
      new GetObjectCommand({ Bucket: ctx.dataBucket, Key: 'bench-output/users.jsonl.out' }),
    );
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    const outLines = text.split('\n').filter((l) => l !== '');
    const first = JSON.parse(outLines[0] ?? '{}') as { output?: { recommendedItems?: string[] } };
    if (outLines.length !== args.users || first.output?.recommendedItems?.length !== args.results) {
      throw new Error(`expected ${args.users} lines of ${args.results} items; got ${outLines.length}`);
    }
    p.destroy();
    console.log(
      `Batch inference: ${args.users} users × ${args.results} results, ${args.items} items, hidden dimension ` +
        `${args.dimension}, local runtime`,
    );
    console.log(`command: node --import tsx bench/batch-inference.ts ${process.argv.slice(2).join(' ')}`);
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average after the run ` +
        `${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    console.log(
      `CreateBatchInferenceJob → ACTIVE: ${seconds.toFixed(1)} s wall (${(args.users / seconds).toFixed(0)} users/s), ` +
        `${cpuSeconds.toFixed(1)} s CPU in this process (runtime, emulators and client)`,
    );
  } finally {
    await runtime.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
