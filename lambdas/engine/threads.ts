/**
 * How the engine starts a worker thread, for the training's pool (`parallel.ts`) and the scoring scan's threads
 * (`wasm/scan-threads.ts`): the entry is the module that asks, which acts on its `workerData` marker when it is not
 * the main thread, so it works under tsx, in the esbuild bundle of a handler and in plain Node alike.
 */
import { Worker } from 'node:worker_threads';

/**
 * Whether a worker can load this code: built JavaScript can, and TypeScript source under tsx (which registers
 * itself for workers through execArgv); TypeScript compiled in-process, as ts-jest does, cannot without help.
 */
export function workersLoadable(): boolean {
  return !__filename.endsWith('.ts') || process.execArgv.some((a) => a.includes('tsx'));
}

/**
 * A worker thread running `entry` (a module that acts on `data.marker` when it is not the main thread), unref'd so
 * that it never keeps the process alive. TypeScript source (scripts under tsx, tests) gets tsx's CommonJS hook in
 * the worker too.
 */
export function spawnWorker(entry: string, data: { marker: string } & Record<string, unknown>): Worker {
  const w = entry.endsWith('.ts')
    ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(entry)});`, {
        eval: true,
        workerData: data,
      })
    : new Worker(entry, { workerData: data });
  w.unref();
  return w;
}
