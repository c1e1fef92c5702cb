/**
 * Scoring latency of the engine's `Model.recommend` (top 25 with the exact normaliser, one thread unless `--threads`) at catalog
 * sizes 10,000 / 100,000 / 750,000 and hidden dimension 149, beside the float64 scalar reference
 * (`Model.recommendReference`) measured in the same run on the same requests. Training a 750,000-item model is not
 * what this measures, so each model is built through the `Model` constructor from seeded Gaussian factors. Each
 * request has a random history of 1–50 known items; 5 % also exclude their history. Reported per size: wall and
 * process CPU time per request (p50, p99; on a shared machine the wall time includes waiting for a core), the share
 * of requests whose top 25 equals the reference's in the same order, the largest observed |log score − log
 * reference score| next to the largest proven bound on it, how many items were re-ranked exactly, and the one-off
 * costs of loading the artifact and building the int8 copy (with its residuals' Gram matrix).
 *
 * Usage: npm run bench:scoring -- [--sizes 10000,100000,750000] [--requests 1000] [--reference 1000]
 *        [--dimension 149] [--trained 1000000] [--threads 1]
 * `--reference N` compares only the first N requests with the reference (it costs items × d scalar multiply-adds).
 * `--trained N` trains each size's model instead, on N synthetic sequential interactions over that many items
 * (`synthetic.ts`, default choices, no self-tuning), and each request is the newest 1–50 events of a random training
 * user: trained models have flat softmaxes for uncertain users, which random factors do not show.
 * `--threads N` shares each scan among N threads (the requesting one included) from 32,768 items up; the CPU times
 * then count every thread's.
 */
import { cpus, loadavg } from 'node:os';
import { DEFAULT_CHOICES } from '../lambdas/engine/fit';
import { Model } from '../lambdas/engine/model';
import { Random } from '../lambdas/engine/random';
import { train } from '../lambdas/engine/train';
import type { RecommendRequest, ScoredItem } from '../lambdas/engine/types';
import { randomModel } from './lib/random-model';
import { syntheticRows } from './lib/synthetic-rows';

interface Args {
  sizes: number[];
  requests: number;
  reference: number | undefined;
  dimension: number;
  trained: number | undefined;
  threads: number;
}

function parse(argv: readonly string[]): Args {
  const args: Args = {
    sizes: [10_000, 100_000, 750_000],
    requests: 1000,
    reference: undefined,
    dimension: 149,
    trained: undefined,
    threads: 1,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value for ${flag}`);
    if (flag === '--sizes') args.sizes = value.split(',').map(Number);
    else if (flag === '--requests') args.requests = Number(value);
    else if (flag === '--reference') args.reference = Number(value);
    else if (flag === '--dimension') args.dimension = Number(value);
    else if (flag === '--trained') args.trained = Number(value);
    else if (flag === '--threads') args.threads = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Wall and CPU milliseconds of one call. */
function timed(f: () => ScoredItem[]): { top: ScoredItem[]; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const top = f();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { top, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

function summary(label: string, wall: Float64Array, cpu: Float64Array): string {
  wall.sort();
  cpu.sort();
  return (
    `${label} p50 ${quantile(wall, 0.5).toFixed(2)} ms, p99 ${quantile(wall, 0.99).toFixed(2)} ms wall ` +
    `(CPU p50 ${quantile(cpu, 0.5).toFixed(2)}, p99 ${quantile(cpu, 0.99).toFixed(2)})`
  );
}

const WARM_UP = 20;

/** Mean events per synthetic user of `--trained`. */
const EVENTS_PER_USER = 30;

/** A model trained on `interactions` synthetic events over `items` items, and its users' sequences. */
async function trainedModel(
  items: number,
  interactions: number,
  dimension: number,
): Promise<{ bytes: Uint8Array; sequences: string[][] }> {
  const rows = syntheticRows(interactions, { items, eventsPerUser: EVENTS_PER_USER, seed: 1 });
  const byUser = new Map<string, string[]>();
  for (const x of rows) {
    const list = byUser.get(x.userId);
    if (list === undefined) byUser.set(x.userId, [x.itemId]);
    else list.push(x.itemId);
  }
  const model = await train(
    { interactions: rows },
    { hyperParameters: { hiddenDimension: dimension }, choices: DEFAULT_CHOICES },
  );
  return { bytes: model.serialize(), sequences: [...byUser.values()] };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const referenceCount = Math.min(args.requests, args.reference ?? args.requests);
  console.log(`$ npm run bench:scoring -- ${process.argv.slice(2).join(' ')}`);
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
      `load average ${loadavg()[0]?.toFixed(2)} at start`,
  );
  const random = new Random(42);
  for (const items of args.sizes) {
    const trained =
      args.trained === undefined ? undefined : await trainedModel(items, args.trained, args.dimension);
    const bytes = trained?.bytes ?? randomModel(items, args.dimension, random).serialize();
    const loadStart = performance.now();
    const model = Model.load(bytes);
    const loadMs = performance.now() - loadStart;
    const prepareStart = performance.now();
    const scorer = model.prepareScoring(args.threads);
    const prepareMs = performance.now() - prepareStart;
    await scorer.ready();
    const history = (): string[] => {
      const length = 1 + random.nextInt(50);
      if (trained === undefined) return Array.from({ length }, () => `item-${random.nextInt(items)}`);
      const sequence = trained.sequences[random.nextInt(trained.sequences.length)] as string[];
      return sequence.slice(-length);
    };
    const requests: RecommendRequest[] = Array.from({ length: args.requests + WARM_UP }, (_, r) => ({
      history: history(),
      numResults: 25,
      excludeHistory: r % 20 === 0,
    }));
    const simdWall = new Float64Array(args.requests);
    const simdCpu = new Float64Array(args.requests);
    const refWall = new Float64Array(referenceCount);
    const refCpu = new Float64Array(referenceCount);
    let identical = 0;
    let worstError = 0;
    let worstBound = 0;
    const candidates = new Float64Array(args.requests);
    for (let r = 0; r < requests.length; r++) {
      const req = requests[r] as RecommendRequest;
      const fast = timed(() => model.recommend(req));
      if (fast.top.length !== 25) throw new Error('expected 25 results');
      const bounds = model.bounds();
      const m = r - WARM_UP;
      if (m < 0) {
        model.recommendReference(req);
        continue;
      }
      simdWall[m] = fast.wall;
      simdCpu[m] = fast.cpu;
      candidates[m] = bounds.candidates;
      if (m >= referenceCount) continue;
      const ref = timed(() => model.recommendReference(req));
      refWall[m] = ref.wall;
      refCpu[m] = ref.cpu;
      if (fast.top.every((s, i) => s.itemId === ref.top[i]?.itemId)) identical++;
      for (const [i, s] of fast.top.entries()) {
        const e = Math.abs(Math.log(s.score / (ref.top[i]?.score as number)));
        if (Number.isFinite(e)) worstError = Math.max(worstError, e);
      }
      worstBound = Math.max(worstBound, bounds.logZ);
    }
    candidates.sort();
    console.log(
      `items ${model.itemCount} × d ${args.dimension}` +
        `${args.trained === undefined ? ' (random factors)' : ` (trained on ${args.trained} synthetic interactions)`}` +
        `, top 25, ${args.requests} requests, ${scorer.scanThreads} thread(s); load average ` +
        `${loadavg()[0]?.toFixed(2)}\n` +
        `  ${summary('int8 SIMD scan + exact re-rank: ', simdWall, simdCpu)}\n` +
        `  ${summary('float64 scalar reference:       ', refWall, refCpu)} (first ${referenceCount})\n` +
        // Both arrays are sorted by now; on a busy or slower machine this ratio holds where the times do not.
        `  wall p50, SIMD ÷ reference: ${(quantile(simdWall, 0.5) / quantile(refWall, 0.5)).toFixed(3)}\n` +
        `  identical top 25 in order: ${identical}/${referenceCount} ` +
        `(${((100 * identical) / Math.max(1, referenceCount)).toFixed(2)} %); |Δ log score| max ` +
        `${worstError.toExponential(2)}, proven bound max ${worstBound.toExponential(2)}; re-ranked exactly p50 ` +
        `${quantile(candidates, 0.5)}, max ${quantile(candidates, 1)} items\n` +
        `  model load ${loadMs.toFixed(0)} ms (views over the artifact), int8 copy built in ${prepareMs.toFixed(0)} ` +
        `ms (${((model.itemCount * Math.ceil(args.dimension / 8) * 8) / 2 ** 20).toFixed(1)} MiB)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
