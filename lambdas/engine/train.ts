/**
 * Training of the User-Personalization model: a linear sequence model fitted in closed form and reduced to rank
 * `hiddenDimension`.
 *
 * For every training position t of a user's sequence s (t ≥ 1) the input is the recency-weighted window of the
 * preceding events plus a constant context feature, and the target is the next item:
 *   x_t = e_ctx + Σ_{k=1..min(bptt,t)} γ^(k−1) e_{s_{t−k}},   y_t = e_{s_t}.
 * Ridge regression from x to y (a session-linear model in the spirit of SLIST, Choi et al., WWW 2021) gives
 *   B = (XᵀX + λI)⁻¹ XᵀY = G⁻¹ C.
 * Its best rank-d approximation in the fitted space (reduced-rank ridge regression; Mukherjee & Zhu, 2011) keeps
 * the top-d eigenvectors V of the fitted values' Gram matrix F ᵀF ≈ Cᵀ G⁻¹ C, found by randomised subspace
 * iteration (Halko, Martinsson & Tropp, 2011). Then
 *   input embeddings P = G⁻¹ C V   ((items+1) × d, the last row is the context row),
 *   output embeddings Q = V        (items × d),
 * and a user's state is u = xᵀP, so scores are u·q_j — a softmax over them gives the catalog probabilities.
 * Two refinements of the rank reduction (both leave the full-rank model unchanged): the target becomes
 * y_t + μ x_t with the μ x part subtracted again at scoring (low rank plus a diagonal, see WINDOW_PENALTY_FACTOR),
 * and target items are weighted by count^−α (TARGET_SCALING). The softmax temperature is fitted by maximum
 * likelihood on sampled training positions.
 *
 * Catalogs larger than HEAD_ITEMS fit the closed form on the most frequent items; the others get output
 * embeddings by ridge regression from the user states that preceded them and input embeddings from the items
 * that followed them. Items without interactions get both from their metadata by a ridge map fitted on warm
 * items. Users metadata is not used yet.
 */
import { type IdIndex, ingestInteractions, type Sequences, selectUsersByHistoryLength } from './dataset';
import {
  DEFAULT_HYPERPARAMETERS,
  type HyperParameters,
  RECENCY_DECAY,
  validateHyperParameters,
} from './hyperparameters';
import {
  cholesky,
  choleskyAsync,
  matmul,
  matmulTransA,
  orthonormalizeColumns,
  solveLower,
  solveUpperT,
  symmetricEigen,
  updateTrailing,
} from './linalg';
import { buildItemFeatures, fitMetadataMap, type ItemCatalog, ingestItems } from './metadata';
import { Model } from './model';
import { createWorkerPool, defaultWorkers, type WorkerPool } from './parallel';
import { Random } from './random';
import type { Interaction, ItemMeta, UserMeta } from './types';

/** Ridge penalty λ of the sequence regression. */
export const RIDGE = 40;
/**
 * The regression target is y_t + μ x_t (the window itself, head items only): the model learns B + μI and scoring
 * takes μ x back off. Full-rank this changes nothing; at rank d it frees the capacity the fitted values would
 * otherwise spend on pushing recently seen items down (B has a negative diagonal — an identity-like, high-rank
 * pattern). μ = WINDOW_PENALTY_FACTOR × the mean of −B_ii over sampled head items, so it follows the data's scale.
 */
export const WINDOW_PENALTY_FACTOR = 6;
/** Head items sampled to estimate the diagonal of B. */
const DIAGONAL_SAMPLES = 256;
/**
 * α: the rank reduction weighs target items by count^−α so that the kept subspace is not only the most popular
 * items' (the item's output embedding is scaled back by count^α, so full-rank scores are unchanged).
 */
export const TARGET_SCALING = 0.25;
/** Most frequent items that enter the closed form; bounds its O(n³) time and O(n²) memory. */
export const HEAD_ITEMS = 4096;
/** Extra columns and extra subspace iterations of the randomised eigensolver. */
const OVERSAMPLING = 10;
const POWER_ITERATIONS = 1;
/** Ridge penalty of the tail output regression (on d-dimensional states, so much smaller than RIDGE). */
const TAIL_RIDGE = 1;
/** Alternations between tail output and input embeddings. */
const TAIL_ROUNDS = 2;
/** Most frequent next items kept per item in the successor table. */
const SUCCESSORS = 20;
/**
 * ρ/μ: the successor probability P(j | last item) is added to the sequence model's score u·q_j − μ x_j with weight
 * ρ = SUCCESSOR_FACTOR × μ, μ being the mean magnitude of B's diagonal (WINDOW_PENALTY_FACTOR's estimate), so the
 * term follows each data set's coefficient scale. 1.75 is the ratio a joint maximum-likelihood fit of the two
 * weights found on ML-1M; that fit itself is unstable because the sequence scores are in-sample and the successor
 * probabilities leave-one-out.
 */
const SUCCESSOR_FACTOR = 1.75;
/** Additive smoothing of P(j | i) = c_ij / (c_i + SUCCESSOR_SMOOTHING): rare items' tables are trusted less. */
const SUCCESSOR_SMOOTHING = 5;
/** Positions sampled to calibrate the softmax temperature and the successor weight. */
const CALIBRATION_POSITIONS = 2048;

export interface TrainingData {
  readonly interactions: AsyncIterable<Interaction> | Iterable<Interaction>;
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
  /** The Cholesky trailing update after block column [j0, j1), split by rows. */
  trailingUpdate(a: Float64Array, n: number, j0: number, j1: number): Promise<void>;
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
  async trailingUpdate(a, n, j0, j1) {
    updateTrailing(a, n, j0, j1, j1, n);
  },
};

export async function train(data: TrainingData, options: TrainOptions = {}): Promise<Model> {
  const progress = options.onProgress ?? (() => undefined);
  const hp = validateHyperParameters({
    ...DEFAULT_HYPERPARAMETERS,
    ...(options.hyperparameters ?? {}),
    ...(options.hyperParameters ?? {}),
  });
  const seed = options.seed ?? 0;
  const random = new Random(seed);
  let pool: WorkerPool | undefined;
  if (!options.parallel) {
    const workers = Math.max(1, Math.floor(options.workers ?? defaultWorkers()));
    if (workers > 1) pool = createWorkerPool(workers);
  }
  try {
    return await fitModel(data, options, hp, random, seed, options.parallel ?? pool ?? inThread, progress);
  } finally {
    await pool?.close();
  }
}

async function fitModel(
  data: TrainingData,
  options: TrainOptions,
  hp: HyperParameters,
  random: Random,
  seed: number,
  parallel: ParallelRunner,
  progress: (fraction: number, note: string) => void,
): Promise<Model> {
  const catalog: ItemCatalog = data.items ? await ingestItems(data.items) : ingestItems.empty();
  if (data.users) for await (const _ of data.users) break;
  const seqs = await ingestInteractions(
    data.interactions,
    {
      ...(options.eventType === undefined ? {} : { eventType: options.eventType }),
      ...(options.eventValueThreshold === undefined
        ? {}
        : { eventValueThreshold: options.eventValueThreshold }),
    },
    catalog.items,
  );
  if (seqs.itemSeq.length === 0) throw new Error('no interactions left to train on');
  progress(0.05, 'ingested');

  const keep = selectUsersByHistoryLength(
    seqs.userOffsets,
    hp.minUserHistoryLengthPercentile,
    hp.maxUserHistoryLengthPercentile,
  );
  const decay = hp.recencyMask ? RECENCY_DECAY : 1;
  const window = windowWeights(hp.bptt, decay);
  const n = seqs.items.size;
  const d = hp.hiddenDimension;

  // Head: the most frequent items, by count then first appearance.
  const warm: number[] = [];
  for (let i = 0; i < n; i++) if ((seqs.itemCounts[i] as number) > 0) warm.push(i);
  warm.sort((a, b) => (seqs.itemCounts[b] as number) - (seqs.itemCounts[a] as number) || a - b);
  const head = Int32Array.from(warm.slice(0, Math.max(1, Math.floor(options.headItems ?? HEAD_ITEMS))));
  const h = head.length;
  const headPos = new Int32Array(n).fill(-1);
  head.forEach((item, pos) => {
    headPos[item] = pos;
  });
  const nx = h + 1; // inputs: head items + context

  const { g, c, positions } = accumulate(seqs, keep, headPos, h, window, parallel);
  progress(0.2, 'accumulated');
  const gram = Float64Array.from(g);
  for (let i = 0; i < nx; i++) g[i * nx + i] = (g[i * nx + i] as number) + RIDGE;
  await choleskyAsync(g, nx, (a, size, j0, j1) => parallel.trailingUpdate(a, size, j0, j1));
  progress(0.4, 'factorised');

  const windowPenalty = WINDOW_PENALTY_FACTOR * (await meanNegativeDiagonal(g, c, nx, h, parallel, random));
  // C += μ XᵀX restricted to head targets (the context column of XᵀX is not a target).
  for (let i = 0; i < nx; i++) {
    for (let pos = 0; pos < h; pos++) {
      c[i * h + pos] = (c[i * h + pos] as number) + windowPenalty * (gram[i * nx + pos] as number);
    }
  }

  // Target columns weighted by count^−α before the rank reduction, and scaled back in Q.
  const targetScale = new Float64Array(h);
  for (let pos = 0; pos < h; pos++)
    targetScale[pos] = (seqs.itemCounts[head[pos] as number] as number) ** TARGET_SCALING;
  for (let i = 0; i < nx; i++) {
    for (let pos = 0; pos < h; pos++)
      c[i * h + pos] = (c[i * h + pos] as number) / (targetScale[pos] as number);
  }
  progress(0.45, 'window penalty');

  // Randomised subspace iteration on A = Cᵀ G⁻¹ C (h × h).
  const k = Math.min(d + OVERSAMPLING, h);
  const applyA = async (y: Float64Array, cols: number): Promise<Float64Array> => {
    const t = await parallel.matmulRows(c, y, nx, h, cols);
    await parallel.solveColumns(g, nx, t, cols);
    return matmulTransA(c, t, nx, h, cols);
  };
  let basis: Float64Array = new Float64Array(h * k);
  for (let i = 0; i < basis.length; i++) basis[i] = random.nextNormal();
  for (let it = 0; it <= POWER_ITERATIONS; it++) {
    basis = await applyA(basis, k);
    orthonormalizeColumns(basis, h, k);
    progress(0.4 + (0.3 * (it + 1)) / (POWER_ITERATIONS + 2), 'subspace iteration');
  }
  const projected = await applyA(basis, k);
  const small = matmulTransA(basis, projected, h, k, k);
  const { vectors } = symmetricEigen(small, k);
  const r = Math.min(d, k);
  const top = new Float64Array(k * r);
  for (let row = 0; row < k; row++)
    for (let col = 0; col < r; col++) top[row * r + col] = vectors[row * k + col] as number;
  const v = matmul(basis, top, h, k, r);
  const pHead = await parallel.matmulRows(c, v, nx, h, r);
  await parallel.solveColumns(g, nx, pHead, r);
  progress(0.75, 'embeddings');

  const input = new Float32Array((n + 1) * d);
  const output = new Float32Array(n * d);
  for (let pos = 0; pos < h; pos++) {
    const item = head[pos] as number;
    for (let col = 0; col < r; col++) {
      input[item * d + col] = pHead[pos * r + col] as number;
      output[item * d + col] = (v[pos * r + col] as number) * (targetScale[pos] as number);
    }
  }
  for (let col = 0; col < r; col++) input[n * d + col] = pHead[h * r + col] as number;

  if (warm.length > h) fitTail(seqs, keep, headPos, window, input, output, d, g, nx, pHead, r);
  progress(0.85, 'tail items');

  if (warm.length < n) {
    const features = buildItemFeatures(catalog, n);
    fitMetadataMap(features, seqs.itemCounts, input, output, d);
  }

  const table = successorTable(seqs, keep, n);
  const { temperature, transitionWeight } = calibrateScores(
    seqs,
    keep,
    window,
    input,
    output,
    n,
    d,
    windowPenalty,
    table,
    random,
  );
  progress(0.95, 'calibrated');

  const itemCreationTimestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const created = catalog.creation.get(i);
    itemCreationTimestamps[i] = created ?? (seqs.itemFirstSeen[i] as number);
  }
  let trainingUsers = 0;
  for (let u = 0; u < keep.length; u++) trainingUsers += keep[u] as number;
  const model = new Model({
    itemIds: seqs.items.ids,
    hiddenDimension: d,
    bptt: hp.bptt,
    decay,
    temperature,
    windowPenalty,
    successorOffsets: table.offsets,
    successorItems: table.items,
    successorWeights: successorWeights(table),
    transitionWeight,
    inputEmbeddings: input,
    outputEmbeddings: output,
    itemCounts: Float32Array.from(seqs.itemCounts),
    itemCreationTimestamps,
    latestInteractionTimestamp: seqs.latestTimestamp,
    seed,
    stats: {
      interactions: seqs.itemSeq.length,
      users: seqs.users.size,
      trainingUsers,
      items: n,
      positions,
    },
  });
  progress(1, 'done');
  return model;
}

/**
 * Mean of −B_ii over a seeded sample of head items, B = G⁻¹C: column i of B is one solve with the factor of G,
 *   B_ii = (L⁻ᵀ L⁻¹ C e_i)_i.
 */
async function meanNegativeDiagonal(
  l: Float64Array,
  c: Float64Array,
  nx: number,
  h: number,
  parallel: ParallelRunner,
  random: Random,
): Promise<number> {
  const samples = Math.min(DIAGONAL_SAMPLES, h);
  const picked = random.shuffle(Array.from({ length: h }, (_, i) => i)).slice(0, samples);
  const rhs = parallel.alloc(nx * samples);
  picked.forEach((col, q) => {
    for (let i = 0; i < nx; i++) rhs[i * samples + q] = c[i * h + col] as number;
  });
  await parallel.solveColumns(l, nx, rhs, samples);
  let sum = 0;
  picked.forEach((col, q) => {
    sum -= rhs[col * samples + q] as number;
  });
  return Math.max(0, sum / samples);
}

/** γ^(k−1) for k = 1..bptt. */
function windowWeights(bptt: number, decay: number): Float64Array {
  const w = new Float64Array(bptt);
  for (let k = 0; k < bptt; k++) w[k] = decay ** k;
  return w;
}

/**
 * G = Σ_t x_t x_tᵀ ((h+1) × (h+1)) and C = Σ_t x_t y_tᵀ ((h+1) × h) over the training positions whose target is
 * a head item; tail items in a window contribute nothing to it.
 */
function accumulate(
  seqs: Sequences,
  keep: Uint8Array,
  headPos: Int32Array,
  h: number,
  window: Float64Array,
  parallel: ParallelRunner,
): { g: Float64Array; c: Float64Array; positions: number } {
  const nx = h + 1;
  const g = parallel.alloc(nx * nx);
  const c = parallel.alloc(nx * h);
  const bptt = window.length;
  const idx = new Int32Array(bptt + 1);
  const val = new Float64Array(bptt + 1);
  let positions = 0;
  const users = keep.length;
  for (let u = 0; u < users; u++) {
    if (!keep[u]) continue;
    const a = seqs.userOffsets[u] as number;
    const b = seqs.userOffsets[u + 1] as number;
    for (let t = a + 1; t < b; t++) {
      const y = headPos[seqs.itemSeq[t] as number] as number;
      if (y < 0) continue;
      let m = 0;
      for (let kk = 1; kk <= bptt && t - kk >= a; kk++) {
        const x = headPos[seqs.itemSeq[t - kk] as number] as number;
        if (x < 0) continue;
        idx[m] = x;
        val[m] = window[kk - 1] as number;
        m++;
      }
      idx[m] = h;
      val[m] = 1;
      m++;
      for (let i = 0; i < m; i++) {
        const row = (idx[i] as number) * nx;
        const vi = val[i] as number;
        for (let j = 0; j < m; j++)
          g[row + (idx[j] as number)] = (g[row + (idx[j] as number)] as number) + vi * (val[j] as number);
        const crow = (idx[i] as number) * h + y;
        c[crow] = (c[crow] as number) + vi;
      }
      positions++;
    }
  }
  return { g, c, positions };
}

/** The state u = xᵀP of the window ending before position t (exclusive), written into `u`. */
function stateAt(
  seqs: Sequences,
  userStart: number,
  t: number,
  window: Float64Array,
  input: Float32Array,
  n: number,
  d: number,
  u: Float64Array,
): void {
  for (let col = 0; col < d; col++) u[col] = input[n * d + col] as number;
  for (let kk = 1; kk <= window.length && t - kk >= userStart; kk++) {
    const row = (seqs.itemSeq[t - kk] as number) * d;
    const w = window[kk - 1] as number;
    for (let col = 0; col < d; col++) u[col] = (u[col] as number) + w * (input[row + col] as number);
  }
}

/**
 * Items outside the head. Output: ridge regression of the item's indicator on the states that preceded it,
 *   q_j = (UᵀU + λI)⁻¹ Σ_{t: y_t = j} u_t,  with UᵀU = PᵀXᵀXP = (LᵀP)ᵀ(LᵀP) − λPᵀP over head positions.
 * Input: the mean output embedding of the items that followed it, scaled by the least-squares factor that maps
 * the same statistic onto P for head items.
 */
function fitTail(
  seqs: Sequences,
  keep: Uint8Array,
  headPos: Int32Array,
  window: Float64Array,
  input: Float32Array,
  output: Float32Array,
  d: number,
  l: Float64Array,
  nx: number,
  pHead: Float64Array,
  r: number,
): void {
  const n = headPos.length;
  // LᵀP (nx × r): row i = Σ_{k ≥ i} L[k][i] P[k].
  const ltp = new Float64Array(nx * r);
  for (let kRow = 0; kRow < nx; kRow++) {
    for (let i = 0; i <= kRow; i++) {
      const lki = l[kRow * nx + i] as number;
      if (lki === 0) continue;
      for (let col = 0; col < r; col++) {
        ltp[i * r + col] = (ltp[i * r + col] as number) + lki * (pHead[kRow * r + col] as number);
      }
    }
  }
  const utu = matmulTransA(ltp, ltp, nx, r, r);
  const ptp = matmulTransA(pHead, pHead, nx, r, r);
  for (let i = 0; i < r * r; i++) utu[i] = (utu[i] as number) - RIDGE * (ptp[i] as number);
  for (let i = 0; i < r; i++) utu[i * r + i] = (utu[i * r + i] as number) + TAIL_RIDGE;
  cholesky(utu, r);

  const isTail = (i: number): boolean => (headPos[i] as number) < 0 && (seqs.itemCounts[i] as number) > 0;
  const sums = new Float64Array(n * r);
  const successor = new Float64Array(n * r);
  const successorCount = new Float64Array(n);
  const u = new Float64Array(d);
  // Tail inputs and outputs depend on each other (a tail item's state may contain tail items), so two rounds.
  for (let round = 0; round < TAIL_ROUNDS; round++) {
    sums.fill(0);
    for (let user = 0; user < keep.length; user++) {
      if (!keep[user]) continue;
      const a = seqs.userOffsets[user] as number;
      const b = seqs.userOffsets[user + 1] as number;
      for (let t = a + 1; t < b; t++) {
        const y = seqs.itemSeq[t] as number;
        if (!isTail(y)) continue;
        stateAt(seqs, a, t, window, input, n, d, u);
        for (let col = 0; col < r; col++)
          sums[y * r + col] = (sums[y * r + col] as number) + (u[col] as number);
      }
    }
    for (let i = 0; i < n; i++) {
      if (!isTail(i)) continue;
      const rhs = sums.slice(i * r, (i + 1) * r);
      solveLower(utu, r, rhs, 1);
      solveUpperT(utu, r, rhs, 1);
      for (let col = 0; col < r; col++) output[i * d + col] = rhs[col] as number;
    }

    successor.fill(0);
    successorCount.fill(0);
    for (let user = 0; user < keep.length; user++) {
      if (!keep[user]) continue;
      const a = seqs.userOffsets[user] as number;
      const b = seqs.userOffsets[user + 1] as number;
      for (let t = a + 1; t < b; t++) {
        const y = seqs.itemSeq[t] as number;
        const prev = seqs.itemSeq[t - 1] as number;
        for (let col = 0; col < r; col++) {
          successor[prev * r + col] = (successor[prev * r + col] as number) + (output[y * d + col] as number);
        }
        successorCount[prev] = (successorCount[prev] as number) + 1;
      }
    }
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      if ((headPos[i] as number) < 0 || !(successorCount[i] as number)) continue;
      const inv = 1 / (successorCount[i] as number);
      for (let col = 0; col < r; col++) {
        const s = (successor[i * r + col] as number) * inv;
        num += s * (input[i * d + col] as number);
        den += s * s;
      }
    }
    const scale = den > 0 ? num / den : 0;
    for (let i = 0; i < n; i++) {
      const cnt = successorCount[i] as number;
      if (!isTail(i) || cnt === 0) continue;
      for (let col = 0; col < r; col++)
        input[i * d + col] = (scale * (successor[i * r + col] as number)) / cnt;
    }
  }
}

/** Sparse successor counts: the SUCCESSORS most frequent next items per item (CSR), with raw counts. */
interface SuccessorTable {
  readonly offsets: Int32Array;
  readonly items: Int32Array;
  readonly counts: Float64Array;
  /** Transitions out of each item. */
  readonly totals: Float64Array;
}

function successorTable(seqs: Sequences, keep: Uint8Array, n: number): SuccessorTable {
  let m = 0;
  for (let user = 0; user < keep.length; user++) {
    if (!keep[user]) continue;
    m += Math.max(0, (seqs.userOffsets[user + 1] as number) - (seqs.userOffsets[user] as number) - 1);
  }
  // prev·n + next fits a double exactly for any catalog this engine can hold.
  const keys = new Float64Array(m);
  let p = 0;
  for (let user = 0; user < keep.length; user++) {
    if (!keep[user]) continue;
    const a = seqs.userOffsets[user] as number;
    const b = seqs.userOffsets[user + 1] as number;
    for (let t = a + 1; t < b; t++)
      keys[p++] = (seqs.itemSeq[t - 1] as number) * n + (seqs.itemSeq[t] as number);
  }
  keys.sort();
  const totals = new Float64Array(n);
  const perItem: { item: number; count: number }[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < m; ) {
    let j = i;
    while (j < m && keys[j] === keys[i]) j++;
    const key = keys[i] as number;
    const prev = Math.floor(key / n);
    (perItem[prev] as { item: number; count: number }[]).push({ item: key - prev * n, count: j - i });
    totals[prev] = (totals[prev] as number) + (j - i);
    i = j;
  }
  const offsets = new Int32Array(n + 1);
  const items: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const list = (perItem[i] as { item: number; count: number }[])
      .sort((x, y) => y.count - x.count || x.item - y.item)
      .slice(0, SUCCESSORS);
    for (const e of list) {
      items.push(e.item);
      counts.push(e.count);
    }
    offsets[i + 1] = items.length;
  }
  return { offsets, items: Int32Array.from(items), counts: Float64Array.from(counts), totals };
}

/** P(j | i) = c_ij / (c_i + SUCCESSOR_SMOOTHING) for the kept edges. */
function successorWeights(table: SuccessorTable): Float32Array {
  const w = new Float32Array(table.items.length);
  for (let i = 0; i + 1 < table.offsets.length; i++) {
    const denom = (table.totals[i] as number) + SUCCESSOR_SMOOTHING;
    for (let e = table.offsets[i] as number; e < (table.offsets[i + 1] as number); e++) {
      w[e] = (table.counts[e] as number) / denom;
    }
  }
  return w;
}

/**
 * Inverse temperature τ maximising the mean log-likelihood of the next item under
 *   softmax(τ (u·q − μ x + ρ P(· | previous item)))
 * on a seeded sample of training positions (the successor probabilities leave the sampled transition out). The
 * objective is concave in τ (its second derivative is −Var_p(z)), so damped Newton steps from τ = 1 converge.
 * Returns τ and β = τ ρ.
 */
function calibrateScores(
  seqs: Sequences,
  keep: Uint8Array,
  window: Float64Array,
  input: Float32Array,
  output: Float32Array,
  n: number,
  d: number,
  windowPenalty: number,
  table: SuccessorTable,
  random: Random,
): { temperature: number; transitionWeight: number } {
  const budget = Math.max(16, Math.min(CALIBRATION_POSITIONS, Math.floor(5e7 / Math.max(1, n * d))));
  const candidates: number[] = [];
  for (let user = 0; user < keep.length; user++) if (keep[user]) candidates.push(user);
  const logits: Float32Array[] = [];
  const markovItems: Int32Array[] = [];
  const markovValues: Float64Array[] = [];
  const targets: number[] = [];
  const u = new Float64Array(d);
  for (let s = 0; s < budget && candidates.length > 0; s++) {
    const user = candidates[random.nextInt(candidates.length)] as number;
    const a = seqs.userOffsets[user] as number;
    const b = seqs.userOffsets[user + 1] as number;
    if (b - a < 2) continue;
    const t = a + 1 + random.nextInt(b - a - 1);
    stateAt(seqs, a, t, window, input, n, d, u);
    const z = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let col = 0; col < d; col++) acc += (u[col] as number) * (output[j * d + col] as number);
      z[j] = acc;
    }
    for (let kk = 1; kk <= window.length && t - kk >= a; kk++) {
      const item = seqs.itemSeq[t - kk] as number;
      z[item] = (z[item] as number) - windowPenalty * (window[kk - 1] as number);
    }
    const prev = seqs.itemSeq[t - 1] as number;
    const y = seqs.itemSeq[t] as number;
    const e0 = table.offsets[prev] as number;
    const e1 = table.offsets[prev + 1] as number;
    const denom = (table.totals[prev] as number) - 1 + SUCCESSOR_SMOOTHING;
    const mi = new Int32Array(e1 - e0);
    const mv = new Float64Array(e1 - e0);
    for (let e = e0; e < e1; e++) {
      const j = table.items[e] as number;
      mi[e - e0] = j;
      mv[e - e0] = ((table.counts[e] as number) - (j === y ? 1 : 0)) / denom;
    }
    logits.push(z);
    markovItems.push(mi);
    markovValues.push(mv);
    targets.push(y);
  }
  // The successor term enters on the scale of the sequence model's own coefficients: β = τ ρ, ρ = factor × μ.
  const rho = SUCCESSOR_FACTOR * windowPenalty;
  let tau = 1;
  if (logits.length === 0) return { temperature: tau, transitionWeight: tau * rho };
  for (let s = 0; s < logits.length; s++) {
    const z = logits[s] as Float32Array;
    const mi = markovItems[s] as Int32Array;
    const mv = markovValues[s] as Float64Array;
    for (let e = 0; e < mi.length; e++)
      z[mi[e] as number] = (z[mi[e] as number] as number) + rho * (mv[e] as number);
  }
  for (let it = 0; it < 60; it++) {
    let grad = 0;
    let hess = 0;
    for (let s = 0; s < logits.length; s++) {
      const z = logits[s] as Float32Array;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) if ((z[j] as number) > max) max = z[j] as number;
      let sum = 0;
      let mean = 0;
      let second = 0;
      for (let j = 0; j < n; j++) {
        const zj = z[j] as number;
        const e = Math.exp(tau * (zj - max));
        sum += e;
        mean += e * zj;
        second += e * zj * zj;
      }
      mean /= sum;
      grad += (z[targets[s] as number] as number) - mean;
      hess += second / sum - mean * mean;
    }
    if (!(hess > 0)) break;
    // Newton step, limited to a factor of 2 so that a far start cannot overshoot.
    const next = Math.min(1e4, Math.max(1e-3, tau / 2, Math.min(tau * 2, tau + grad / hess)));
    const done = Math.abs(next - tau) < 1e-6 * tau;
    tau = next;
    if (done) break;
  }
  return { temperature: tau, transitionWeight: tau * rho };
}

export type { IdIndex };
