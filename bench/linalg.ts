/**
 * Dense linear algebra: the engine's WebAssembly SIMD kernels (`lambdas/engine/linalg.ts`) against the scalar
 * JavaScript reference (`lambdas/engine/linalg-reference.ts`), both on this thread, in the same run. Per size n:
 * Cholesky of an n×n SPD matrix, the two triangular solves with 160 right-hand sides, and the product of n×n and
 * n×160 matrices. Each result is checked against the reference (max |difference|) so a fast wrong kernel shows.
 *
 *   node --import tsx bench/linalg.ts [--sizes 1000,2000,4096] [--rhs 160] [--no-reference]
 */
import { cpus, loadavg } from 'node:os';
import * as wasm from '../lambdas/engine/linalg';
import * as reference from '../lambdas/engine/linalg-reference';
import { Random } from '../lambdas/engine/random';
import { formatTable } from './lib/table';

interface Kernels {
  cholesky(a: Float64Array, n: number): void;
  solveLower(l: Float64Array, n: number, b: Float64Array, m: number): void;
  solveUpperT(l: Float64Array, n: number, b: Float64Array, m: number): void;
  matmul(a: Float64Array, b: Float64Array, r: number, k: number, m: number): Float64Array;
}

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
}

interface Time {
  wall: number;
  cpu: number;
}

/** Wall-clock and CPU seconds of one run (one thread, so CPU time is what an idle machine's wall clock shows). */
function seconds(run: () => void): Time {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  run();
  const used = process.cpuUsage(cpu);
  return { wall: Number(process.hrtime.bigint() - start) / 1e9, cpu: (used.user + used.system) / 1e6 };
}

/** A random SPD matrix: diagonally dominant (|off-diagonal| ≤ 1, diagonal n + 1), so it is cheap to build. */
function spd(n: number, random: Random): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = random.next() * 2 - 1;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
    a[i * n + i] = n + 1;
  }
  return a;
}

function maxDifference(x: Float64Array, y: Float64Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs((x[i] as number) - (y[i] as number)));
  return max;
}

function measure(kernels: Kernels, a: Float64Array, b: Float64Array, n: number, m: number) {
  const l = Float64Array.from(a);
  const cholesky = seconds(() => kernels.cholesky(l, n));
  const x = Float64Array.from(b);
  const solve = seconds(() => {
    kernels.solveLower(l, n, x, m);
    kernels.solveUpperT(l, n, x, m);
  });
  let product: Float64Array = new Float64Array(0);
  const gemm = seconds(() => {
    product = kernels.matmul(a, b, n, n, m);
  });
  return { times: { cholesky, solve, gemm }, l, x, product };
}

function main(): void {
  const argv = process.argv.slice(2);
  const sizes = (option(argv, 'sizes') ?? '1000,2000,4096').split(',').map(Number);
  const m = Number(option(argv, 'rhs') ?? 160);
  const withReference = !argv.includes('--no-reference');
  process.stdout.write(`$ npm run bench:linalg${argv.length ? ` -- ${argv.join(' ')}` : ''}\n`);
  process.stdout.write(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
      `load average ${(loadavg()[0] ?? 0).toFixed(2)} at start; one thread, float64\n\n`,
  );
  // Compile and instantiate the module (once per thread, ~25 ms with its warm-up) before anything is timed.
  wasm.matmul(new Float64Array(1), new Float64Array(1), 1, 1, 1);
  const random = new Random(1);
  const headers = [
    'operation',
    'wasm s',
    'wasm cpu s',
    'JS s',
    'JS cpu s',
    'speed-up (cpu)',
    'max |wasm − JS|',
  ];
  const rows: string[][] = [];
  for (const n of sizes) {
    const a = spd(n, random);
    const b = Float64Array.from({ length: n * m }, () => random.nextNormal());
    const fast = measure(wasm, a, b, n, m);
    const slow = withReference ? measure(reference, a, b, n, m) : undefined;
    for (const op of ['cholesky', 'solve', 'gemm'] as const) {
      const label = {
        cholesky: `Cholesky ${n}×${n}`,
        solve: `solve ${n}×${n}, ${m} rhs`,
        gemm: `GEMM ${n}×${n} · ${n}×${m}`,
      }[op];
      const mine = fast.times[op];
      const theirs = slow?.times[op];
      const diff = slow
        ? maxDifference(
            { cholesky: fast.l, solve: fast.x, gemm: fast.product }[op],
            { cholesky: slow.l, solve: slow.x, gemm: slow.product }[op],
          )
        : undefined;
      rows.push([
        label,
        mine.wall.toFixed(3),
        mine.cpu.toFixed(3),
        theirs === undefined ? '—' : theirs.wall.toFixed(3),
        theirs === undefined ? '—' : theirs.cpu.toFixed(3),
        theirs === undefined ? '—' : `${(theirs.cpu / mine.cpu).toFixed(1)}×`,
        diff === undefined ? '—' : diff.toExponential(1),
      ]);
    }
    process.stderr.write(`n = ${n} done\n`);
  }
  process.stdout.write(
    `${formatTable(headers, rows)}\nload average ${(loadavg()[0] ?? 0).toFixed(2)} at end\n`,
  );
}

main();
