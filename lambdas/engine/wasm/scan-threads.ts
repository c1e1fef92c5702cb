/**
 * Threads that share the scoring scan of one {@link QuantizedScorer}: every thread has its own instance of the
 * scoring module over the scorer's one shared memory, and the matrix is cut into fixed segments of rows that the
 * threads claim one at a time. A segment's logits and summary do not depend on which thread scans it, and the
 * summaries are combined in segment order on the calling thread, so results are identical for any number of
 * threads. The calling thread scans segments too and waits (`Atomics.wait`) for the others; it never waits on a
 * thread that has not started, since segments are claimed, not assigned.
 *
 * The control words, in a SharedArrayBuffer of their own: a generation number that wakes the threads, the next
 * segment to claim, the count of segments done, and a failure flag. The caller writes the request (the user state
 * into the shared memory, the factor into the parameters) before it resets the claim counter, so a thread that
 * claims a segment sees the request it belongs to.
 */

import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { isMainThread, type Worker, workerData } from 'node:worker_threads';
import { spawnWorker, workersLoadable } from '../threads';
import { WASM, type WasmMemory } from './kernels';

const MARKER = 'open-personalize-scan-worker';
const GENERATION = 0;
const NEXT = 1;
const DONE = 2;
const FAILED = 3;
/** Bytes of one segment's summary (`SUMMARY_BYTES` of assembly/scoring.ts). */
export const SUMMARY_BYTES = 32;
/** Threads are used from this many segments up; below it the scan is too short to share. */
export const MIN_SHARED_SEGMENTS = 4;
/** Beyond a few threads the scan is bound by memory bandwidth, not by cores. */
const MAX_THREADS = 4;

/** Where a scan's operands are in the shared memory (byte addresses), fixed for a scorer's life. */
export interface ScanLayout {
  readonly qAt: number;
  readonly scaleAt: number;
  readonly stride: number;
  readonly uAt: number;
  readonly outAt: number;
  /** Segment s's summary is at statsAt + SUMMARY_BYTES·s. */
  readonly statsAt: number;
  /** Whole blocks of four rows. */
  readonly blocks: number;
  readonly segmentBlocks: number;
  readonly segments: number;
}

export interface ScanExports {
  scanBlocks(
    q: number,
    scale: number,
    from: number,
    to: number,
    stride: number,
    u: number,
    factor: number,
    out: number,
    stats: number,
  ): void;
}

/** Scans segment s of the layout with the user state at `uAt` times `factor`. */
export function scanSegment(k: ScanExports, l: ScanLayout, s: number, factor: number): void {
  const from = s * l.segmentBlocks;
  const to = Math.min(l.blocks, from + l.segmentBlocks);
  k.scanBlocks(l.qAt, l.scaleAt, from, to, l.stride, l.uAt, factor, l.outAt, l.statsAt + SUMMARY_BYTES * s);
}

/** Claims and scans segments until none is left; returns how many it scanned, or −1 if a scan threw. */
function claim(ctrl: Int32Array, params: Float64Array, k: ScanExports, layout: ScanLayout): number {
  for (let count = 0; ; count++) {
    const s = Atomics.add(ctrl, NEXT, 1);
    if (s >= layout.segments) return count;
    let ok = true;
    try {
      scanSegment(k, layout, s, params[0] as number);
    } catch {
      ok = false;
      Atomics.store(ctrl, FAILED, 1);
    }
    if (Atomics.add(ctrl, DONE, 1) + 1 === layout.segments) Atomics.notify(ctrl, DONE);
    if (!ok) return -1;
  }
}

interface ThreadData {
  readonly marker: string;
  readonly module: object;
  readonly memory: WasmMemory;
  readonly ctrl: SharedArrayBuffer;
  readonly params: SharedArrayBuffer;
  readonly layout: ScanLayout;
}

if (!isMainThread && (workerData as { marker?: string } | null)?.marker === MARKER) {
  const data = workerData as ThreadData;
  const k = new WASM.Instance(data.module, { env: { memory: data.memory } })
    .exports as unknown as ScanExports;
  const ctrl = new Int32Array(data.ctrl);
  const params = new Float64Array(data.params);
  let seen = 0;
  for (let scanned = 0; scanned >= 0; ) {
    Atomics.wait(ctrl, GENERATION, seen);
    seen = Atomics.load(ctrl, GENERATION);
    scanned = claim(ctrl, params, k, data.layout);
  }
}

/**
 * Scan threads by default: `OP_SCORING_THREADS` if set, else one per core up to {@link MAX_THREADS}; 1 where a
 * worker could not load this code (TypeScript compiled in-process, as under ts-jest).
 */
export function defaultScanThreads(): number {
  const set = Number(process.env.OP_SCORING_THREADS);
  if (Number.isInteger(set) && set >= 1) return set;
  return workersLoadable() ? Math.min(MAX_THREADS, availableParallelism()) : 1;
}

/** Ends a scorer's threads once the scorer is collected (a model dropped from the cache). */
const collected = new FinalizationRegistry<readonly Worker[]>((workers) => {
  for (const w of workers) void w.terminate();
});

export class ScanThreads {
  private readonly workers: Worker[] = [];
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16));
  private readonly params = new Float64Array(new SharedArrayBuffer(8));
  private failed = false;
  /** Segments the calling thread scanned in the last {@link run} (the threads scanned the rest). */
  lastOwnSegments = 0;
  /** Settles once every thread runs (until then the calling thread scans the segments they do not claim). */
  readonly started: Promise<void>;

  /**
   * `threads − 1` worker threads (the caller is the last) over `memory`, which must be shared. `owner` is the
   * object whose collection ends them.
   */
  constructor(
    threads: number,
    module: object,
    memory: WasmMemory,
    private readonly layout: ScanLayout,
    owner: object,
    entry: string = __filename,
  ) {
    const data = {
      marker: MARKER,
      module,
      memory,
      ctrl: this.ctrl.buffer,
      params: this.params.buffer,
      layout,
    };
    for (let i = 0; i < threads - 1; i++) this.workers.push(spawnWorker(entry, data));
    // Held until they run, so that a caller awaiting them keeps the process alive.
    for (const w of this.workers) w.ref();
    this.started = Promise.all(this.workers.map((w) => once(w, 'online'))).then(() => {
      for (const w of this.workers) w.unref();
    });
    collected.register(owner, this.workers, this);
  }

  /** Threads {@link run} uses when {@link active}, the caller's included. */
  get threadCount(): number {
    return this.workers.length + 1;
  }

  /** Whether {@link run} shares the work (the threads have not failed or been closed). */
  get active(): boolean {
    return !this.failed;
  }

  /**
   * Scans every segment with the user state at `uAt` (written by the caller) times `factor`, here and on the
   * threads; `k` is the caller's own instance. A segment whose thread failed is scanned again here, with the others.
   */
  run(k: ScanExports, factor: number): void {
    const { ctrl, params, layout } = this;
    params[0] = factor;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, NEXT, 0);
    Atomics.add(ctrl, GENERATION, 1);
    Atomics.notify(ctrl, GENERATION);
    this.lastOwnSegments = claim(ctrl, params, k, layout);
    for (let done = Atomics.load(ctrl, DONE); done < layout.segments; done = Atomics.load(ctrl, DONE)) {
      Atomics.wait(ctrl, DONE, done);
    }
    if (Atomics.load(ctrl, FAILED) !== 0) {
      // Threads stop at their first failure; from now on this thread scans alone.
      this.failed = true;
      for (let s = 0; s < layout.segments; s++) scanSegment(k, layout, s, factor);
    }
  }

  /** Ends the threads (the scorer then scans on the calling thread only). */
  async close(): Promise<void> {
    collected.unregister(this);
    this.failed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
