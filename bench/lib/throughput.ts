/**
 * Pieces of `npm run bench:api` that do not need a runtime: the command line, a bounded-concurrency call loop with
 * per-call latencies, percentiles and a resident-set-size sampler.
 */
import { availableParallelism, loadavg } from 'node:os';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `usage: npm run bench:api -- <command> [options]
  import        generate an interactions CSV, upload it, run one FULL CreateDatasetImportJob, report rows/s
    --rows N                 data rows in the CSV (default 1000000, at least 1000)
    --in-memory              runtime keeps its data in memory (default)
    --data-dir DIR           runtime persists to DIR instead
    --tmp-dir DIR            where the CSV is written (default: the OS temp directory); deleted afterwards
  put-events    create a dataset group, Interactions dataset and event tracker, then send PutEvents calls
    --events N               events per concurrency level (default 100000)
    --batch N                events per call, 1-10 (default 10)
    --concurrency A,B,...    concurrent loops, one run per value (default 1,16)
    --users N                distinct users the calls cycle through (default 1000)
    --warmup N               untimed calls before the first level (default 200)
common:
  --workers N                the runtime started here serves the API from N cluster workers (as
                             \`npm start -- --workers N\`); 0 = from this process (default 0). The echo server
                             that every put-events level is compared with gets as many processes
  --endpoint URL             target an already running \`npm start\` instead of starting a runtime here
  --s3-endpoint URL          its S3 endpoint (import only; default: the API port + 1)
  --seed N                   synthetic data seed (default 1)
  --json                     print one JSON object at the end as well`;

interface CommonArgs {
  /** Undefined: start a runtime in this process. */
  readonly endpoint?: string;
  readonly s3Endpoint?: string;
  readonly dataDir?: string;
  /** API worker processes of the runtime started here (0: this process serves it). */
  readonly workers: number;
  readonly seed: number;
  readonly json: boolean;
}

export interface ImportArgs extends CommonArgs {
  readonly command: 'import';
  readonly rows: number;
  readonly tmpDir?: string;
}

export interface PutEventsArgs extends CommonArgs {
  readonly command: 'put-events';
  readonly events: number;
  readonly batch: number;
  readonly concurrency: readonly number[];
  readonly users: number;
  readonly warmup: number;
}

export type ThroughputArgs = ImportArgs | PutEventsArgs;

function positiveInt(
  raw: string | undefined,
  flag: string,
  fallback: number,
  min = 1,
  max = Infinity,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${flag} must be an integer in [${min}, ${max}]: ${raw}`);
  }
  return n;
}

export function parseThroughputArgs(argv: readonly string[]): ThroughputArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      rows: { type: 'string' },
      events: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      users: { type: 'string' },
      warmup: { type: 'string' },
      endpoint: { type: 'string' },
      's3-endpoint': { type: 'string' },
      'data-dir': { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      'tmp-dir': { type: 'string' },
      seed: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const command = positionals[0];
  if (positionals.length !== 1 || (command !== 'import' && command !== 'put-events')) {
    throw new Error(USAGE);
  }
  if (values['in-memory'] && values['data-dir'] !== undefined) {
    throw new Error('--in-memory and --data-dir cannot be used together');
  }
  if (values.endpoint !== undefined && values['data-dir'] !== undefined) {
    throw new Error('--data-dir configures a runtime started here; it cannot be used with --endpoint');
  }
  const common: CommonArgs = {
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values['s3-endpoint'] === undefined ? {} : { s3Endpoint: values['s3-endpoint'] }),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    seed: positiveInt(values.seed, 'seed', 1),
    workers: positiveInt(values.workers, 'workers', 0, 0, 64),
    json: values.json ?? false,
  };
  if (command === 'import') {
    return {
      command,
      ...common,
      // Personalize refuses an interactions import of fewer than 1,000 records.
      rows: positiveInt(values.rows, 'rows', 1_000_000, 1000),
      ...(values['tmp-dir'] === undefined ? {} : { tmpDir: values['tmp-dir'] }),
    };
  }
  const concurrency = (values.concurrency ?? '1,16')
    .split(',')
    .map((c) => positiveInt(c, 'concurrency', 1, 1, 1024));
  return {
    command,
    ...common,
    events: positiveInt(values.events, 'events', 100_000),
    batch: positiveInt(values.batch, 'batch', 10, 1, 10),
    concurrency,
    users: positiveInt(values.users, 'users', 1000),
    warmup: positiveInt(values.warmup, 'warmup', 200, 0),
  };
}

/** The first `n` values of `source`, without reading further. */
export function* take<T>(source: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const x of source) {
    yield x;
    if (++i >= n) return;
  }
}

/** Nearest-rank percentile (`p` in 0–100) of an ascending array: the smallest value ≥ p % of the values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface LoopResult {
  readonly calls: number;
  readonly seconds: number;
  /** Per-call latency in milliseconds, ascending. */
  readonly latenciesMs: Float64Array;
}

/**
 * Runs `call(0) … call(total − 1)` from `concurrency` loops, each taking the next index when its previous call
 * settles, so at most `concurrency` calls are in flight. The first failure stops every loop and is rethrown.
 */
export async function runLoops(
  total: number,
  concurrency: number,
  call: (index: number) => Promise<unknown>,
): Promise<LoopResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  let failed = false;
  const loop = async (): Promise<void> => {
    while (!failed && next < total) {
      const index = next++;
      const t0 = performance.now();
      try {
        await call(index);
      } catch (err) {
        failed = true;
        throw err;
      }
      latencies[index] = performance.now() - t0;
    }
  };
  const started = performance.now();
  const loops = Array.from({ length: Math.min(concurrency, Math.max(total, 1)) }, loop);
  const settled = await Promise.allSettled(loops);
  const seconds = (performance.now() - started) / 1000;
  const rejection = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejection !== undefined) throw rejection.reason;
  return { calls: total, seconds, latenciesMs: latencies.sort() };
}

export interface RssSample {
  /** Milliseconds since the sampler started. */
  readonly atMs: number;
  readonly rssMiB: number;
  /** V8 heap in use: separates garbage the collector has not returned yet from buffers outside the heap. */
  readonly heapUsedMiB: number;
}

/** Samples this process's resident set size on a timer (unref'd, so it never keeps the process alive). */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.samples.push({
      atMs: performance.now() - this.started,
      rssMiB: rss / MIB,
      heapUsedMiB: heapUsed / MIB,
    });
  }

  stop(): RssSample[] {
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }
}

const MIB = 1024 * 1024;

/** The sample nearest to each of the given fractions of the sampled span (0 = first, 1 = last). */
export function samplesAt(samples: readonly RssSample[], fractions: readonly number[]): RssSample[] {
  if (samples.length === 0) return [];
  const last = samples[samples.length - 1] as RssSample;
  const first = samples[0] as RssSample;
  return fractions.map((f) => {
    const target = first.atMs + f * (last.atMs - first.atMs);
    let best = first;
    for (const s of samples) if (Math.abs(s.atMs - target) < Math.abs(best.atMs - target)) best = s;
    return best;
  });
}

/** Peak resident set size of this process so far, in MiB (`maxRSS` is in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** How the benchmark was run, for the report header. */
export function environmentLines(): string[] {
  const script = relative(process.cwd(), process.argv[1] ?? '');
  const command = ['node', ...process.execArgv, script, ...process.argv.slice(2)].join(' ');
  return [
    `command     ${command}`,
    `node        ${process.version} (${process.platform}/${process.arch})`,
    `cpus        ${availableParallelism()}`,
    `load avg    ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min) at start`,
  ];
}

export function formatLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
