/**
 * Training of the User-Personalization model: ingest the data, choose the model's regularisation and history curve
 * on a validation split of the users (`tuning.ts`), then fit on every user (`fit.ts`).
 */
import { accumulateRows, type SumsRunner } from './accumulate';
import {
  type IdIndex,
  type InteractionFilter,
  ingestColumns,
  ingestInteractions,
  type Sequences,
  SequencesBuilder,
  selectUsersByHistoryLength,
} from './dataset';
import { userTokensOf } from './feature-embeddings';
import { type FitContext, fitSequences, HEAD_ITEMS, type ModelChoices } from './fit';
import { DEFAULT_HYPERPARAMETERS, type HyperParameters, validateHyperParameters } from './hyperparameters';
import { matmul, matmulTransA, solveLower, solveUpperT, updateTrailing } from './linalg';
import { type ItemCatalog, ingestItems } from './metadata';
import type { Model } from './model';
import { createWorkerPool, defaultWorkers, type WorkerPool } from './parallel';
import { Random } from './random';
import type { InteractionColumns } from './snapshot';
import { type HpoSearch, tune } from './tuning';
import type { Interaction, ItemMeta, UserMeta } from './types';

export interface TrainingData {
  /** The interactions, in any order; or give `columns` instead. */
  readonly interactions?: AsyncIterable<Interaction> | Iterable<Interaction>;
  /** The interactions as a training snapshot's columns (`snapshot.ts`), and which rows to train on (1: train). */
  readonly columns?: { readonly data: InteractionColumns; readonly keep?: Uint8Array };
  /**
   * Or the columns of a snapshot's parts, each holding the next users (`StoredSnapshot.shard`), taken one at a
   * time, with the rows to train on; `rows` (the snapshot's) sizes the sequences at once.
   */
  readonly parts?: {
    readonly rows: number;
    readonly each: AsyncIterable<{ readonly data: InteractionColumns; readonly keep?: Uint8Array }>;
  };
  readonly items?: AsyncIterable<ItemMeta> | Iterable<ItemMeta>;
  readonly users?: AsyncIterable<UserMeta> | Iterable<UserMeta>;
}

export interface TrainOptions {
  readonly hyperParameters?: Partial<HyperParameters>;
  /** Alias of `hyperParameters`. */
  readonly hyperparameters?: Partial<HyperParameters>;
  /** Train only on interactions of this event type (solution `eventType`). */
  readonly eventType?: string;
  /** Train only on interactions with event value ≥ this (`solutionConfig.eventValueThreshold`). */
  readonly eventValueThreshold?: number;
  /** @default 0 */
  readonly seed?: number;
  /**
   * Threads for the linear algebra (this one included); the model is bit-identical for any value.
   * @default 2, capped by the available parallelism; 1 where this module cannot start threads (ts-jest)
   */
  readonly workers?: number;
  /**
   * Most frequent items that enter the closed form (time O(h³), memory O(h²)); the rest are fitted as tail items.
   * @default HEAD_ITEMS
   */
  readonly headItems?: number;
  /** A runner to use instead of starting `workers` threads (the caller owns its lifetime). */
  readonly parallel?: ParallelRunner;
  readonly onProgress?: (fraction: number, note: string) => void;
  /** Fixed model choices instead of self-tuning them on a validation split. */
  readonly choices?: ModelChoices;
  /** `performHPO`: also search these hyperparameter ranges on the validation split. */
  readonly hpo?: HpoSearch;
}

/**
 * Block-parallel kernels. Implementations must give bit-identical results to the in-thread ones (each block is
 * computed with the same operation order); `parallel.ts` has the worker-thread pool.
 */
export interface ParallelRunner {
  readonly workers: number;
  /** A zeroed matrix the kernels can share between threads. */
  alloc(length: number): Float64Array;
  /** B ← (L Lᵀ)⁻¹ B, split by columns of B (n × m). */
  solveColumns(l: Float64Array, n: number, b: Float64Array, m: number): Promise<void>;
  /** A B (r × k times k × m), split by rows. */
  matmulRows(a: Float64Array, b: Float64Array, r: number, k: number, m: number): Promise<Float64Array>;
  /** Aᵀ B (A k × r, B k × m), split by rows of the r × m result. */
  matmulTransARows(a: Float64Array, b: Float64Array, k: number, r: number, m: number): Promise<Float64Array>;
  /** The Cholesky trailing update after block column [j0, j1), split by rows. */
  trailingUpdate(a: Float64Array, n: number, j0: number, j1: number): Promise<void>;
  /** The regression's sums (`accumulate.ts`), split by ranges of head items. */
  sums: SumsRunner;
}

export const inThread: ParallelRunner = {
  workers: 1,
  alloc: (length) => new Float64Array(length),
  async solveColumns(l, n, b, m) {
    solveLower(l, n, b, m);
    solveUpperT(l, n, b, m);
  },
  async matmulRows(a, b, r, k, m) {
    return matmul(a, b, r, k, m);
  },
  async matmulTransARows(a, b, k, r, m) {
    return matmulTransA(a, b, k, r, m);
  },
  async trailingUpdate(a, n, j0, j1) {
    updateTrailing(a, n, j0, j1, j1, n);
  },
  async sums(input, ranges, g, c) {
    for (const [j0, j1] of ranges) accumulateRows(input, j0, j1, g, c);
  },
};

export async function train(data: TrainingData, options: TrainOptions = {}): Promise<Model> {
  const progress = options.onProgress ?? (() => undefined);
  let pool: WorkerPool | undefined;
  if (!options.parallel) {
    const workers = Math.max(1, Math.floor(options.workers ?? defaultWorkers()));
    if (workers > 1) pool = createWorkerPool(workers);
  }
  try {
    const parallel = options.parallel ?? pool ?? inThread;
    const ctx = await fitContextOf(data, { ...options, onProgress: progress }, parallel);
    // Awaited here, so the threads are closed only after the fit.
    if (options.choices !== undefined)
      return await fitSequences(ctx, options.choices, new Random(options.seed ?? 0));
    return await fitChosen(ctx, await chooseModel(ctx, options));
  } finally {
    await pool?.close();
  }
}

/**
 * The model a training chose: the hyperparameters (HPO may change them), the self-tuned choices and, where tuning
 * fitted the chosen candidate, its output embeddings, which start the final fit's subspace iteration.
 */
export interface ChosenModel {
  readonly hp: HyperParameters;
  readonly choices: ModelChoices;
  readonly output?: Float32Array;
}

/**
 * `train`'s first stage: the data ingested and the users that train, in a context for the stages below. A
 * training split over several processes (a distributed one) builds it in each from the same data and options.
 */
export async function fitContextOf(
  data: TrainingData,
  options: TrainOptions,
  parallel: ParallelRunner,
): Promise<FitContext> {
  const progress = options.onProgress ?? (() => undefined);
  const hp = validateHyperParameters({
    ...DEFAULT_HYPERPARAMETERS,
    ...(options.hyperparameters ?? {}),
    ...(options.hyperParameters ?? {}),
  });
  const catalog: ItemCatalog = data.items ? await ingestItems(data.items) : ingestItems.empty();
  const filter = {
    ...(options.eventType === undefined ? {} : { eventType: options.eventType }),
    ...(options.eventValueThreshold === undefined
      ? {}
      : { eventValueThreshold: options.eventValueThreshold }),
  };
  const seqs =
    data.parts !== undefined
      ? await ingestParts(data.parts, filter, catalog.items)
      : data.columns !== undefined
        ? ingestColumns(data.columns.data, filter, catalog.items, data.columns.keep)
        : await ingestInteractions(data.interactions ?? [], filter, catalog.items);
  if (seqs.itemSeq.length === 0) throw new Error('no interactions left to train on');
  const userTokens = data.users === undefined ? undefined : await userTokensOf(data.users, seqs.users);
  progress(0.05, 'ingested');

  const keep = selectUsersByHistoryLength(
    seqs.userOffsets,
    hp.minUserHistoryLengthPercentile,
    hp.maxUserHistoryLengthPercentile,
  );
  return {
    seqs,
    catalog,
    keep,
    ...(userTokens === undefined ? {} : { userTokens }),
    hp,
    headItems: options.headItems ?? HEAD_ITEMS,
    parallel,
    seed: options.seed ?? 0,
    progress: (fraction, note) => progress(0.3 + 0.7 * fraction, note),
  };
}

/** The second stage: self-tuning on a validation split of the context's users (`tuning.ts`). */
export async function chooseModel(
  ctx: FitContext,
  options: Pick<TrainOptions, 'hpo' | 'onProgress'>,
): Promise<ChosenModel> {
  const progress = options.onProgress ?? (() => undefined);
  // The tuning's random stream is the first fork of the seed's; the final fit continues from there (`fitChosen`).
  const tuned = await tune(
    { ...ctx, progress: (fraction, note) => progress(0.05 + 0.25 * fraction, note) },
    new Random(ctx.seed).fork(),
    options.hpo,
  );
  return {
    hp: tuned.hp,
    choices: tuned.choices,
    ...(tuned.output === undefined ? {} : { output: tuned.output }),
  };
}

/**
 * The last stage: the fit on every training user with the chosen model; with `given`, on those sums (`sumsKey`
 * of `fit.ts`) instead of computing them. The same context and choice give the same model bit for bit.
 */
export function fitChosen(
  ctx: FitContext,
  chosen: ChosenModel,
  options: { readonly given?: FitContext['given'] } = {},
): Promise<Model> {
  const random = new Random(ctx.seed);
  random.fork(); // the tuning's stream (`chooseModel`)
  return fitSequences(
    { ...ctx, hp: chosen.hp, ...(options.given === undefined ? {} : { given: options.given }) },
    chosen.choices,
    random,
    chosen.output,
  );
}

/** The sequences of a snapshot's parts, one part in memory at a time (`SequencesBuilder`). */
async function ingestParts(
  parts: NonNullable<TrainingData['parts']>,
  filter: InteractionFilter,
  items: IdIndex,
): Promise<Sequences> {
  const builder = new SequencesBuilder(filter, parts.rows);
  for await (const part of parts.each) builder.add(part.data, part.keep);
  return builder.finish(items);
}

export type { IdIndex };
