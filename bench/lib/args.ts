/** Command line of `npm run bench:accuracy`. */

export type Mode = 'ml1m' | 'csv' | 'synthetic';

export interface AccuracyArgs {
  readonly mode: Mode;
  /** ml1m and csv: the dataset path. */
  readonly path?: string;
  /** synthetic: preset name. */
  readonly size: string;
  readonly json: boolean;
  /** Personalize metrics: ask models to leave out each test user's input items. */
  readonly excludeHistory: boolean;
  /** Models to run; undefined = every available one. */
  readonly only?: readonly string[];
  /** Personalize-split seeds (csv, synthetic). */
  readonly seeds: number;
  /** Engine hyperparameters as given, keyed by the flag name without dashes (`hidden-dimension`). */
  readonly hyperparameters: Readonly<Record<string, string>>;
}

export const USAGE = `usage: npm run bench:accuracy -- <mode> [path] [options]
  ml1m <dir|input.txt>      sequential MovieLens-1M split (train/input.txt), leave-last-out NDCG@10 / HR@10
  csv <file|dir>            Personalize metrics on the 90/10 user split (averaged over seeds) + leave-last-out;
                            a directory may hold interactions.csv, items.csv, users.csv
  synthetic                 generated data, same metrics as csv
options:
  --size tiny|small|large|xl   synthetic size (default small)
  --json                       one JSON object instead of the table
  --only a,b,...               models: engine, popularity, markov, item-item (default: all available)
  --seeds N                    split seeds for csv/synthetic (default 5)
  --exclude-history            Personalize metrics: filter the test users' input items (default: no filter,
                               as GetSolutionMetrics)
  --<hyper-parameter> VALUE    passed to the engine, e.g. --hidden-dimension 64 --bptt 16`;

export function parseArgs(argv: readonly string[]): AccuracyArgs {
  const positional: string[] = [];
  const hyperparameters: Record<string, string> = {};
  let json = false;
  let excludeHistory = false;
  let only: string[] | undefined;
  let seeds = 5;
  let size = 'small';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (flag === 'json') {
      json = true;
      continue;
    }
    if (flag === 'exclude-history') {
      excludeHistory = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${flag} needs a value\n${USAGE}`);
    if (flag === 'only') only = value.split(',').filter((s) => s !== '');
    else if (flag === 'seeds') {
      seeds = Number(value);
      if (!Number.isInteger(seeds) || seeds < 1) throw new Error('--seeds must be a positive integer');
    } else if (flag === 'size') size = value;
    else hyperparameters[flag] = value;
  }
  const mode = positional[0];
  if (mode !== 'ml1m' && mode !== 'csv' && mode !== 'synthetic') throw new Error(USAGE);
  const path = positional[1];
  if (mode !== 'synthetic' && path === undefined) throw new Error(`${mode} needs a path\n${USAGE}`);
  return {
    mode,
    ...(path === undefined ? {} : { path }),
    size,
    json,
    excludeHistory,
    ...(only ? { only } : {}),
    seeds,
    hyperparameters,
  };
}
