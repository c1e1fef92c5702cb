/** Command line of `npm run bench:accuracy`. */
import { DEFAULT_SUITE } from '../datasets/public';

export interface AccuracyArgs {
  /** Data set names: public ones, `synthetic[:size]`, `csv:<path>`. */
  readonly datasets: readonly string[];
  /** Directory the public data sets were fetched into. */
  readonly dataDir: string;
  readonly seeds: number;
  /** Users kept per data set (seeded sample); undefined = all. */
  readonly maxUsers?: number;
  readonly quick: boolean;
  readonly json: boolean;
  /** Personalize metrics: ask models to leave out each test user's input items. */
  readonly excludeHistory: boolean;
  /** Models to run; undefined = the engine (if available) and the default baselines. */
  readonly only?: readonly string[];
  /** Engine hyperparameters as given, keyed by the flag name without dashes (`hidden-dimension`). */
  readonly hyperparameters: Readonly<Record<string, string>>;
}

/** Default data directory (ignored by git). */
export const DEFAULT_DATA_DIR = 'bench/data';
export const DEFAULT_SEEDS = 5;
/** `--quick`: fewer seeds and a user sample, for iterating; never the figures to report. */
export const QUICK_SEEDS = 2;
export const QUICK_MAX_USERS = 2000;

export const USAGE = `usage: npm run bench:accuracy -- [options]
  --datasets a,b,...     data sets (default ${DEFAULT_SUITE.join(',')}); public: foursquare, gowalla, taobao,
                         tafeng, beauty, toys, yelp, lastfm, ml1m; also synthetic[:tiny|small|large|xl] and
                         csv:<file|dir> (a Personalize interactions CSV, or a directory with interactions.csv,
                         items.csv, users.csv)
  --data-dir DIR         where the public data sets were fetched (default ${DEFAULT_DATA_DIR})
  --seeds N              Personalize-split seeds (default ${DEFAULT_SEEDS})
  --max-users N          keep a seeded sample of at most N users per data set
  --quick                ${QUICK_SEEDS} seeds and at most ${QUICK_MAX_USERS} users per data set (unless given)
  --only a,b,...         models: engine, popularity, markov, itemknn, ease, repeat, item-item
                         (default: engine and every baseline but item-item)
  --json                 one JSON object instead of the tables
  --exclude-history      Personalize metrics: filter the test users' input items (default: no filter,
                         as GetSolutionMetrics)
  --<hyper-parameter> V  passed to the engine, e.g. --hidden-dimension 64 --bptt 16`;

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer`);
  return n;
}

export function parseArgs(argv: readonly string[]): AccuracyArgs {
  const hyperparameters: Record<string, string> = {};
  let json = false;
  let quick = false;
  let excludeHistory = false;
  let only: string[] | undefined;
  let datasets: string[] = [...DEFAULT_SUITE];
  let dataDir = DEFAULT_DATA_DIR;
  let seeds: number | undefined;
  let maxUsers: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (flag === 'json' || flag === 'quick' || flag === 'exclude-history') {
      if (flag === 'json') json = true;
      else if (flag === 'quick') quick = true;
      else excludeHistory = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${flag} needs a value\n${USAGE}`);
    const list = (): string[] => value.split(',').filter((s) => s !== '');
    if (flag === 'only') only = list();
    else if (flag === 'datasets') datasets = list();
    else if (flag === 'data-dir') dataDir = value;
    else if (flag === 'seeds') seeds = positiveInteger(flag, value);
    else if (flag === 'max-users') maxUsers = positiveInteger(flag, value);
    else hyperparameters[flag] = value;
  }
  if (datasets.length === 0) throw new Error(`--datasets names no data set\n${USAGE}`);
  const users = maxUsers ?? (quick ? QUICK_MAX_USERS : undefined);
  return {
    datasets,
    dataDir,
    seeds: seeds ?? (quick ? QUICK_SEEDS : DEFAULT_SEEDS),
    ...(users === undefined ? {} : { maxUsers: users }),
    quick,
    json,
    excludeHistory,
    ...(only ? { only } : {}),
    hyperparameters,
  };
}
