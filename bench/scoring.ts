/**
 * Scoring latency of the engine's `Model.recommend` (top 25, single thread) at catalog sizes 10,000 / 100,000 /
 * 750,000 and hidden dimension 149. Training a 750,000-item model is not what this measures, so each model is
 * built through the `Model` constructor from seeded Gaussian factors (latency does not depend on their values).
 * Each request has a random history of 1–50 known items; 5 % also exclude their history. Wall time and process CPU
 * time are both reported: on a shared machine the wall time includes waiting for a core.
 *
 * Usage: npm run bench:scoring -- [--sizes 10000,100000,750000] [--requests 1000] [--dimension 149]
 */
import { cpus, loadavg } from 'node:os';
import { Model } from '../lambdas/engine/model';
import { Random } from '../lambdas/engine/random';
import { randomModel } from './lib/random-model';

interface Args {
  sizes: number[];
  requests: number;
  dimension: number;
}

function parse(argv: readonly string[]): Args {
  const args: Args = { sizes: [10_000, 100_000, 750_000], requests: 1000, dimension: 149 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value for ${flag}`);
    if (flag === '--sizes') args.sizes = value.split(',').map(Number);
    else if (flag === '--requests') args.requests = Number(value);
    else if (flag === '--dimension') args.dimension = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function main(): void {
  const args = parse(process.argv.slice(2));
  console.log(`$ npm run bench:scoring -- ${process.argv.slice(2).join(' ')}`);
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
      `load average ${loadavg()[0]?.toFixed(2)} at start`,
  );
  const random = new Random(42);
  for (const items of args.sizes) {
    const buildStart = performance.now();
    const model = randomModel(items, args.dimension, random);
    const serializeStart = performance.now();
    const bytes = model.serialize();
    const loadStart = performance.now();
    const loaded = Model.load(bytes);
    const loadMs = performance.now() - loadStart;
    const serializeMs = loadStart - serializeStart;
    const buildMs = serializeStart - buildStart;
    const histories = Array.from({ length: args.requests + 20 }, () =>
      Array.from({ length: 1 + random.nextInt(50) }, () => `item-${random.nextInt(items)}`),
    );
    const times = new Float64Array(args.requests);
    const cpuTimes = new Float64Array(args.requests);
    for (let r = 0; r < histories.length; r++) {
      const history = histories[r] as string[];
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const top = loaded.recommend({ history, numResults: 25, excludeHistory: r % 20 === 0 });
      const elapsed = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      if (top.length !== 25) throw new Error('expected 25 results');
      if (r >= 20) {
        // The first 20 warm the JIT up.
        times[r - 20] = elapsed;
        cpuTimes[r - 20] = (cpu.user + cpu.system) / 1000;
      }
    }
    times.sort();
    cpuTimes.sort();
    console.log(
      `items ${items}, d ${args.dimension}, top 25, ${args.requests} requests: ` +
        `median ${quantile(times, 0.5).toFixed(2)} ms, p99 ${quantile(times, 0.99).toFixed(2)} ms, ` +
        `max ${quantile(times, 1).toFixed(2)} ms (wall); CPU median ${quantile(cpuTimes, 0.5).toFixed(2)} ms, ` +
        `p99 ${quantile(cpuTimes, 0.99).toFixed(2)} ms; artifact ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ` +
        `load ${loadMs.toFixed(0)} ms (serialize ${serializeMs.toFixed(0)} ms, build ${buildMs.toFixed(0)} ms); ` +
        `load average ${loadavg()[0]?.toFixed(2)}`,
    );
  }
}

main();
