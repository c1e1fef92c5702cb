/**
 * The training's thread pool: worker threads that run the block-parallel linear-algebra kernels on
 * SharedArrayBuffer-backed matrices (each thread with its own instance of the WebAssembly kernels). The worker entry
 * is this module itself (spawned with a `workerData` marker), so it works under tsx, in the esbuild bundle of a
 * handler and in plain Node alike. Every kernel writes a disjoint block with the same operation order as the
 * single-threaded path, so results are bit-identical for any number of workers.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import { accumulateRows, type SumsInput } from './accumulate';
import { matmul, matmulTransA, solveCholesky, updateTrailing } from './linalg';
import { spawnWorker, workersLoadable } from './threads';
import type { ParallelRunner } from './train';

const MARKER = 'open-personalize-engine-worker';

type Task =
  | { op: 'solve'; l: Float64Array; n: number; b: Float64Array; m: number; c0: number; c1: number }
  | {
      op: 'matmul';
      a: Float64Array;
      b: Float64Array;
      out: Float64Array;
      r: number;
      k: number;
      m: number;
      r0: number;
      r1: number;
    }
  | {
      op: 'matmulT';
      a: Float64Array;
      b: Float64Array;
      out: Float64Array;
      k: number;
      r: number;
      m: number;
      r0: number;
      r1: number;
    }
  | { op: 'trailing'; a: Float64Array; n: number; j0: number; j1: number; r0: number; r1: number }
  | { op: 'sums'; input: SumsInput; j0: number; j1: number; g: Float64Array; c: Float64Array };

function run(task: Task): void {
  switch (task.op) {
    case 'solve':
      solveCholesky(task.l, task.n, task.b, task.m, task.c0, task.c1);
      return;
    case 'matmul':
      matmul(task.a, task.b, task.r, task.k, task.m, task.out, task.r0, task.r1);
      return;
    case 'matmulT':
      matmulTransA(task.a, task.b, task.k, task.r, task.m, task.out, task.r0, task.r1);
      return;
    case 'trailing':
      updateTrailing(task.a, task.n, task.j0, task.j1, task.r0, task.r1);
      return;
    case 'sums':
      accumulateRows(task.input, task.j0, task.j1, task.g, task.c);
      return;
  }
}

if (!isMainThread && (workerData as { marker?: string } | null)?.marker === MARKER) {
  parentPort?.on('message', (task: Task) => {
    try {
      run(task);
      parentPort?.postMessage({ ok: true });
    } catch (error) {
      parentPort?.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  });
}

/** Most threads by default: the vCPUs of Lambda's largest function (10,240 MB). */
const MAX_DEFAULT_WORKERS = 6;

/**
 * Threads to use by default: one per core up to {@link MAX_DEFAULT_WORKERS}, or 1 when this module is TypeScript
 * source that a worker could not load (ts-jest compiles in-process; tsx registers itself for workers through
 * execArgv). Results have the same bits on any number.
 */
export function defaultWorkers(): number {
  return workersLoadable() ? Math.min(MAX_DEFAULT_WORKERS, availableParallelism()) : 1;
}

/** Splits [0, total) into `parts` contiguous ranges of near-equal size. */
export function ranges(total: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) {
    const a = Math.floor((total * p) / parts);
    const b = Math.floor((total * (p + 1)) / parts);
    if (b > a) out.push([a, b]);
  }
  return out;
}

export interface WorkerPool extends ParallelRunner {
  close(): Promise<void>;
}

/**
 * A pool of `workers − 1` threads plus the calling thread. `entry` is the file that contains this module
 * (defaults to this module's own file; a bundle passes its own path implicitly since the module is inlined).
 */
export function createWorkerPool(workers: number, entry: string = __filename): WorkerPool {
  const threads: Worker[] = [];
  for (let i = 0; i < workers - 1; i++) threads.push(spawnWorker(entry, { marker: MARKER }));
  const dispatch = (w: Worker, task: Task): Promise<void> =>
    new Promise((resolve, reject) => {
      const onMessage = (msg: { ok: boolean; message?: string }): void => {
        w.off('error', onError);
        if (msg.ok) resolve();
        else reject(new Error(msg.message));
      };
      const onError = (error: Error): void => {
        w.off('message', onMessage);
        reject(error);
      };
      w.once('message', onMessage);
      w.once('error', onError);
      w.postMessage(task);
    });
  /** Runs the first block here and the others on the threads. */
  const fanOut = async (tasks: Task[]): Promise<void> => {
    const pending = tasks.slice(1).map((t, i) => dispatch(threads[i] as Worker, t));
    if (tasks[0]) run(tasks[0]);
    await Promise.all(pending);
  };
  const parts = threads.length + 1;
  return {
    workers: parts,
    alloc: (length) => new Float64Array(new SharedArrayBuffer(length * 8)),
    async solveColumns(l, n, b, m) {
      await fanOut(ranges(m, parts).map(([c0, c1]) => ({ op: 'solve', l, n, b, m, c0, c1 })));
    },
    async matmulRows(a, b, r, k, m) {
      const out = new Float64Array(new SharedArrayBuffer(r * m * 8));
      await fanOut(ranges(r, parts).map(([r0, r1]) => ({ op: 'matmul', a, b, out, r, k, m, r0, r1 })));
      return out;
    },
    async matmulTransARows(a, b, k, r, m) {
      const out = new Float64Array(new SharedArrayBuffer(r * m * 8));
      await fanOut(ranges(r, parts).map(([r0, r1]) => ({ op: 'matmulT', a, b, out, k, r, m, r0, r1 })));
      return out;
    },
    async trailingUpdate(a, n, j0, j1) {
      // Row i costs i − j1 dot products, so split the triangle into equal areas.
      const rows = n - j1;
      const cuts = Array.from({ length: parts + 1 }, (_, p) => j1 + Math.round(rows * Math.sqrt(p / parts)));
      const tasks: Task[] = [];
      for (let p = 0; p < parts; p++) {
        const r0 = cuts[p] as number;
        const r1 = cuts[p + 1] as number;
        if (r1 > r0) tasks.push({ op: 'trailing', a, n, j0, j1, r0, r1 });
      }
      await fanOut(tasks);
    },
    async sums(input, ranges, g, c) {
      await fanOut(ranges.map(([j0, j1]) => ({ op: 'sums', input, j0, j1, g, c })));
    },
    async close() {
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
}
