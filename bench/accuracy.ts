/**
 * Accuracy benchmark: trains the engine (once `lambdas/engine/index.ts` exports `train`) and the baselines on one
 * dataset and prints their metrics, fit time and peak memory. Each model runs in its own process so that its peak
 * RSS is its own. Usage: see `USAGE` in `lib/args.ts`.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { BASELINE_NAMES } from './baselines';
import { parseArgs } from './lib/args';
import { loadEngine } from './lib/engine';
import { runInChild } from './lib/peak-rss';
import { fixed, formatTable } from './lib/table';
import { DATA_ONLY, type WorkerResult } from './lib/worker';

const PERSONALIZE_COLUMNS = [
  ['coverage', 'coverage'],
  ['mean_reciprocal_rank_at_25', 'mrr@25'],
  ['normalized_discounted_cumulative_gain_at_5', 'ndcg@5'],
  ['normalized_discounted_cumulative_gain_at_10', 'ndcg@10'],
  ['normalized_discounted_cumulative_gain_at_25', 'ndcg@25'],
  ['precision_at_5', 'p@5'],
  ['precision_at_10', 'p@10'],
  ['precision_at_25', 'p@25'],
] as const;

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
  const args = parseArgs(process.argv.slice(2));
  const available = [...(loadEngine() ? ['engine'] : []), ...BASELINE_NAMES];
  const models = args.only ?? available;
  const command = `npm run bench:accuracy -- ${process.argv.slice(2).join(' ')}`;
  const before = machine();
  const log = (text: string): void => {
    if (!args.json) process.stdout.write(text + '\n');
  };
  log(`$ ${command}`);
  log(
    `machine: ${before.cores} cores (${before.cpu}), ${before.memoryGiB} GiB, Node ${before.node}, ` +
      `load average ${before.loadAverage1m} at start`,
  );
  if (!available.includes('engine'))
    log('engine: lambdas/engine/index.ts does not export train yet — baselines only');

  const results: WorkerResult[] = [];
  for (const model of [DATA_ONLY, ...models]) {
    const request = {
      model,
      mode: args.mode,
      ...(args.path === undefined ? {} : { path: args.path }),
      size: args.size,
      seeds: args.seeds,
      hyperparameters: args.hyperparameters,
      excludeHistory: args.excludeHistory,
    };
    const result = await runInChild(request).catch(
      (error: unknown): WorkerResult => ({
        model,
        fitSeconds: [],
        evalSeconds: 0,
        peakRssMiB: Number.NaN,
        error: String(error),
      }),
    );
    results.push(result);
    if (model === DATA_ONLY && result.description) log(result.description);
    if (result.error) process.stderr.write(`${model} failed: ${result.error}\n`);
  }
  const after = machine();

  if (args.json) {
    process.stdout.write(
      JSON.stringify(
        {
          command,
          machine: { ...before, loadAverage1mAtEnd: after.loadAverage1m },
          dataset: results[0]?.description,
          folds: args.mode === 'ml1m' ? 0 : args.seeds,
          results: results.map((r) => ({
            model: r.model,
            fitSecondsMean: mean(r.fitSeconds),
            fitSeconds: r.fitSeconds,
            evalSeconds: r.evalSeconds,
            peakRssMiB: r.peakRssMiB,
            ...(r.personalize ? { metrics: r.personalize, metricsPerSeed: r.personalizePerSeed } : {}),
            ...(r.nextItem ? { leaveLastOut: r.nextItem } : {}),
            ...(r.error ? { error: r.error } : {}),
          })),
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const withPersonalize = args.mode !== 'ml1m';
  const headers = [
    'model',
    'fit s',
    'eval s',
    'peak RSS MiB',
    'LLO ndcg@10',
    'LLO hr@10',
    ...(withPersonalize ? PERSONALIZE_COLUMNS.map(([, short]) => short) : []),
  ];
  const rows = results.map((r) => [
    r.error ? `${r.model} (failed)` : r.model === DATA_ONLY ? '(data only)' : r.model,
    fixed(mean(r.fitSeconds), 2),
    r.model === DATA_ONLY ? '—' : fixed(r.evalSeconds, 2),
    fixed(r.peakRssMiB, 0),
    fixed(r.nextItem?.ndcg_at_10, 4),
    fixed(r.nextItem?.hit_rate_at_10, 4),
    ...(withPersonalize ? PERSONALIZE_COLUMNS.map(([key]) => fixed(r.personalize?.[key], 4)) : []),
  ]);
  log('');
  log(formatTable(headers, rows));
  log('');
  log(
    'LLO = leave-last-out over all users (target = last item, input items excluded from the ranking, standard ' +
      'NDCG/HR).',
  );
  if (withPersonalize) {
    log(
      `Personalize metrics (GetSolutionMetrics keys: ${PERSONALIZE_COLUMNS.map(([k]) => k).join(', ')}) on the ` +
        `90/10 user split, mean over ${args.seeds} seed(s)` +
        `${args.excludeHistory ? ', input items filtered' : ''}; fit s = mean wall-clock per fit.`,
    );
  }
  log(
    'peak RSS = maxRSS of the model\'s own process, including the loaded data (see the "(data only)" row).',
  );
  log(`load average ${after.loadAverage1m} at end`);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
