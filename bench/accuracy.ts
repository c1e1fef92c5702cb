/**
 * Accuracy suite: the engine and the baselines on several public data sets, under Personalize's protocol (90/10
 * user split; each test user's oldest 90 % of events in, newest 10 % as truth; one list of 25 per test user) and
 * leave-last-out on the same test users, over several split seeds, with mean ± 95 % CI. Each (data set, model)
 * runs in its own process so that its peak RSS is its own. Usage: see `USAGE` in `lib/args.ts`.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { DEFAULT_BASELINES } from './baselines';
import { parseArgs } from './lib/args';
import { loadEngine } from './lib/engine';
import { runInChild } from './lib/peak-rss';
import { type DatasetSummary, formatDataset, formatOverview, summarize } from './lib/report';
import { DATA_ONLY, type WorkerResult } from './lib/worker';

function machine(): Record<string, string | number> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const models = args.only ?? [...(loadEngine() ? ['engine'] : []), ...DEFAULT_BASELINES];
  const command = `npm run bench:accuracy -- ${process.argv.slice(2).join(' ')}`.trim();
  const before = machine();
  const log = (text: string): void => {
    if (!args.json) process.stdout.write(text + '\n');
  };
  log(`$ ${command}`);
  log(
    `machine: ${before.cores} cores (${before.cpu}), ${before.memoryGiB} GiB, Node ${before.node}, ` +
      `load average ${before.loadAverage1m} at start`,
  );
  log(
    `protocol: ${args.seeds} seed(s)${args.maxUsers ? `, at most ${args.maxUsers} users per data set` : ''}` +
      `${args.quick ? ' (--quick: for iterating, not for reporting)' : ''}`,
  );
  if (!models.includes('engine')) log('engine: not run');

  const summaries: DatasetSummary[] = [];
  const raw: WorkerResult[] = [];
  for (const dataset of args.datasets) {
    const results: WorkerResult[] = [];
    let dataRow: WorkerResult | undefined;
    for (const model of [DATA_ONLY, ...models]) {
      const request = {
        model,
        dataset,
        dataDir: args.dataDir,
        seeds: args.seeds,
        ...(args.maxUsers === undefined ? {} : { maxUsers: args.maxUsers }),
        hyperparameters: args.hyperparameters,
        excludeHistory: args.excludeHistory,
        progress: !args.json,
      };
      const result = await runInChild(request).catch(
        (error: unknown): WorkerResult => ({
          model,
          dataset,
          seeds: [],
          peakRssMiB: Number.NaN,
          error: String(error),
        }),
      );
      raw.push(result);
      if (result.error) process.stderr.write(`${dataset} ${model} failed: ${result.error}\n`);
      if (model === DATA_ONLY) {
        dataRow = result;
        if (result.error) break;
      } else results.push(result);
    }
    const summary = summarize(dataset, results, dataRow);
    summaries.push(summary);
    log('');
    log(formatDataset(summary));
  }
  const after = machine();

  if (args.json) {
    process.stdout.write(
      JSON.stringify(
        {
          command,
          machine: { ...before, loadAverage1mAtEnd: after.loadAverage1m },
          seeds: args.seeds,
          ...(args.maxUsers === undefined ? {} : { maxUsers: args.maxUsers }),
          summaries,
          results: raw,
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const overview = formatOverview(summaries);
  if (overview !== '') {
    log('');
    log('## Engine vs the best baseline, Personalize protocol (mean over seeds)');
    log('');
    log(overview);
  }
  log('');
  log(
    'ndcg@10, p@10, mrr@25, coverage: GetSolutionMetrics definitions (spec §6.2: NDCG ideal = the top K re-sorted ' +
      'by relevance) on the 90/10 user split, one list of 25 per test user, history not filtered' +
      `${args.excludeHistory ? ' (here: filtered, --exclude-history)' : ''}. LLO: leave-last-out on the same test ` +
      'users (input = all but the last event, target = the last, input items excluded; ml1m: the gSASRec ' +
      'validation split). ± = 95 % CI over seeds (Student t). fit s = final fit on all training users; tune s = ' +
      'grid search on an inner split of the training users; peak RSS = the model process, data included.',
  );
  log(`load average ${after.loadAverage1m} at end`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
