/**
 * The metrics' evaluation on several threads: the sampled test users are cut into consecutive runs, one per thread,
 * each thread loads its own copy of the model from the artifact's bytes and scores its run, and the runs' per-user
 * values are averaged in user order (`summarize`), so the metrics have the same bits on any number of threads. The
 * worker entry is this module itself (see `threads.ts`).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  type CaseScores,
  type EvaluateOptions,
  evaluatedCases,
  type PersonalizeMetrics,
  scoreCases,
  summarize,
  type TestCase,
} from './metrics';
import { Model } from './model';
import { ranges } from './parallel';
import { spawnWorker } from './threads';

const MARKER = 'open-personalize-evaluation-worker';

interface RunData {
  readonly marker: string;
  /** The model artifact's bytes (SharedArrayBuffer). */
  readonly model: SharedArrayBuffer;
  readonly cases: readonly TestCase[];
  readonly excludeHistory: boolean;
}

type RunResult = { ok: true; scores: CaseScores } | { ok: false; message: string };

if (!isMainThread && (workerData as { marker?: string } | null)?.marker === MARKER) {
  const data = workerData as RunData;
  let result: RunResult;
  try {
    const model = Model.load(new Uint8Array(data.model));
    result = { ok: true, scores: scoreCases(model, data.cases, data.excludeHistory) };
  } catch (error) {
    result = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(result);
}

/** Scores `cases` with the model in `model` on a thread of its own. */
function scoreOnThread(
  model: SharedArrayBuffer,
  cases: readonly TestCase[],
  excludeHistory: boolean,
): Promise<CaseScores> {
  const worker = spawnWorker(__filename, { marker: MARKER, model, cases, excludeHistory } satisfies RunData);
  // Held until it answers: the caller awaits nothing else.
  worker.ref();
  return new Promise<CaseScores>((resolve, reject) => {
    worker.once('message', (result: RunResult) => {
      if (result.ok) resolve(result.scores);
      else reject(new Error(result.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the evaluation thread exited with code ${code}`)));
  });
}

/** `bytes`' own SharedArrayBuffer where they fill one, else a shared copy. */
function sharedBytes(bytes: Uint8Array): SharedArrayBuffer {
  const { buffer } = bytes;
  if (buffer instanceof SharedArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength)
    return buffer;
  const copy = new SharedArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/**
 * `evaluate` (metrics.ts) of the model whose artifact is `bytes` (best in a SharedArrayBuffer of their own, which
 * the threads then read without a copy), with the test users shared among `threads` threads, the calling one
 * included: the same metrics, bit for bit, as on one thread.
 */
export async function evaluateOnThreads(
  bytes: Uint8Array,
  testCases: readonly TestCase[],
  options: EvaluateOptions,
  threads: number,
): Promise<PersonalizeMetrics> {
  const evaluated = evaluatedCases(testCases, options);
  const excludeHistory = options.excludeHistory ?? false;
  const [first, ...rest] = ranges(evaluated.length, Math.max(1, threads));
  // The shared bytes only where other threads will read them.
  const shared = rest.length > 0 ? sharedBytes(bytes) : undefined;
  const others = rest.map(([a, b]) =>
    scoreOnThread(shared as SharedArrayBuffer, evaluated.slice(a, b), excludeHistory),
  );
  const pending = Promise.all(others);
  const [a, b] = first ?? [0, 0];
  let own: CaseScores;
  try {
    own = scoreCases(Model.load(bytes), evaluated.slice(a, b), excludeHistory);
  } catch (error) {
    // The threads' answers are no longer wanted, but a failure among them must not go unhandled.
    await pending.catch(() => undefined);
    throw error;
  }
  return summarize([own, ...(await pending)], options.catalogSize);
}
