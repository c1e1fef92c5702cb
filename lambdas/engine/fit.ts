/**
 * The User-Personalization model's fit: a linear sequence model fitted in closed form and reduced to rank
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
 * The closed form covers a head of frequent items (`headOf`: at most HEAD_ITEMS, fewer on sparse data); the others
 * get output embeddings by ridge regression from the user states that preceded them and input embeddings from the
 * items that followed them. Items without interactions get both from their metadata by a ridge map fitted on warm
 * items. Users and contextual metadata get their vectors in `feature-embeddings.ts`.
 */

import { accumulate, type Statistics } from './accumulate';
import { calibrateScores } from './calibrate';
import type { Sequences } from './dataset';
import { symmetricEigen } from './eigen';
import { type FeatureEmbeddings, featureEmbeddings, featureSums, type TokenSets } from './feature-embeddings';
import { type HistoryCurve, historyWeights } from './history-weights';
import { type HyperParameters, RECENCY_DECAY } from './hyperparameters';
import { choleskyAsync, matmul, matmulTransA, orthonormalizeColumns } from './linalg';
import { buildItemFeatures, fitMetadataMap, type ItemCatalog } from './metadata';
import { Model } from './model';
import type { Random } from './random';
import { fitRepeatTable, type RepeatTable } from './repeat';
import { type SuccessorTable, successorTable, successorWeights } from './successors';
import { fitTail } from './tail';
import type { ParallelRunner } from './train';

/** Most frequent items that enter the closed form; bounds its O(n³) time and O(n²) memory. */
export const HEAD_ITEMS = 4096;
/**
 * Events an item needs to enter the head beyond its first {@link HEAD_FLOOR} items. An item seen a few times gives
 * its column of the closed form little to fit: the tail fit (ridge regression onto the states before and after it)
 * serves it about as well, at none of the head's cubic cost. On sparse data this shrinks the head, and with it most
 * of the final fit's time; on dense data the head stays full.
 */
export const HEAD_MIN_EVENTS = 10;
/** The head holds at least this many items (where the catalog and `headItems` allow), however sparse the data. */
export const HEAD_FLOOR = 2048;
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
/** Extra columns and extra subspace iterations of the randomised eigensolver. */
const OVERSAMPLING = 10;
const POWER_ITERATIONS = 1;
/** Tile edge of loops that read a matrix both row- and column-wise. */
const TILE = 64;

/** The choices self-tuning makes (`tuning.ts`); everything else is fixed or estimated from the data. */
export interface ModelChoices {
  /** λ = ridgeScale × the mean diagonal of XᵀX over head items, so the penalty follows the data's scale. */
  readonly ridgeScale: number;
  /** Weight c of the long-term part of the history curve. */
  readonly longWeight: number;
  /**
   * Its per-event decay η. Fixed at {@link DEFAULT_CHOICES}' 0.98: on the development data sets the other candidate
   * (0.9) never won, and 0.995 changed nothing beyond the noise, so a tuning fit is not spent on it.
   */
  readonly longDecay: number;
  /**
   * ρ: the regression target is the next event plus the following ones weighted ρ^r, so the model learns what comes
   * soon rather than only next (0 = the next event only).
   */
  readonly targetDecay: number;
  /**
   * ρ/μ: the successor probability P(j | last item) enters the logits with weight ρ = successorFactor × μ, μ being
   * the mean magnitude of B's diagonal (WINDOW_PENALTY_FACTOR's estimate), so the term follows each data set's
   * coefficient scale; the softmax temperature is then fitted on the sum.
   */
  readonly successorFactor: number;
  /** α of the Users metadata embeddings (`feature-embeddings.ts`); 0 leaves Users metadata out. */
  readonly userFeatureWeight: number;
  /** α of the contextual metadata embeddings; 0 leaves the events' and requests' context out. */
  readonly contextWeight: number;
}

/** Longest target horizon, and where ρ^r is cut. */
const MAX_TARGET_HORIZON = 16;
const TARGET_FLOOR = 0.01;

/** v_r = ρ^r for r = 0 … until ρ^r < TARGET_FLOOR (at most MAX_TARGET_HORIZON terms). */
export function targetWeights(decay: number): Float64Array {
  const out = [1];
  while (decay > 0 && out.length < MAX_TARGET_HORIZON && decay ** out.length >= TARGET_FLOOR)
    out.push(decay ** out.length);
  return Float64Array.from(out);
}

/** Where self-tuning starts, and what a training with too few users to validate on uses. */
export const DEFAULT_CHOICES: ModelChoices = Object.freeze({
  ridgeScale: 0.1,
  longWeight: 0.1,
  longDecay: 0.98,
  targetDecay: 0,
  successorFactor: 1.75,
  userFeatureWeight: 0,
  contextWeight: 0,
});

/** Everything a fit needs besides the choices. */
export interface FitContext {
  readonly seqs: Sequences;
  readonly catalog: ItemCatalog;
  /** Users that train (1) or not (0). */
  readonly keep: Uint8Array;
  /** The users' categorical Users metadata, where any user has some. */
  readonly userTokens?: TokenSets;
  readonly hp: HyperParameters;
  readonly headItems: number;
  /** Alternations between tail items' output and input embeddings (`fitTail`). @default `TAIL_ROUNDS` of `tail.ts` */
  readonly tailRounds?: number;
  readonly parallel: ParallelRunner;
  readonly seed: number;
  readonly progress: (fraction: number, note: string) => void;
  /** Sums that fits on the same users share (self-tuning's trials); absent, each fit computes its own. */
  readonly shared?: SharedSums;
  /**
   * The fit's Gram and cross sums computed elsewhere (the shards of a distributed training, added up), under the
   * key {@link sumsKey} gives for this fit; a fit whose key differs throws rather than use them.
   */
  readonly given?: { readonly key: string; readonly stats: Statistics };
}

/** The closed form's head and each item's position in it. */
export interface Head {
  readonly head: Int32Array;
  /** Head position of every item, −1 outside the head. */
  readonly headPos: Int32Array;
  readonly h: number;
  /** Items with at least one interaction. */
  readonly warm: number;
}

/**
 * The most frequent items, by count then first appearance: at most `headItems` of them and, past the first
 * {@link HEAD_FLOOR}, only those with at least {@link HEAD_MIN_EVENTS} events.
 */
export function headOf(seqs: Sequences, headItems: number): Head {
  const n = seqs.items.size;
  const warm: number[] = [];
  for (let i = 0; i < n; i++) if ((seqs.itemCounts[i] as number) > 0) warm.push(i);
  warm.sort((a, b) => (seqs.itemCounts[b] as number) - (seqs.itemCounts[a] as number) || a - b);
  let frequent = 0;
  while (frequent < warm.length && (seqs.itemCounts[warm[frequent] as number] as number) >= HEAD_MIN_EVENTS)
    frequent++;
  const size = Math.min(Math.max(1, Math.floor(headItems)), Math.max(HEAD_FLOOR, frequent));
  const head = Int32Array.from(warm.slice(0, size));
  const headPos = new Int32Array(n).fill(-1);
  head.forEach((item, pos) => {
    headPos[item] = pos;
  });
  return { head, headPos, h: head.length, warm: warm.length };
}

/** What the Gram and cross sums of a fit depend on besides its users: the history curve, target horizon and head. */
export function sumsKey(hp: HyperParameters, choices: ModelChoices, h: number): string {
  return JSON.stringify([curveOf(hp, choices), choices.targetDecay, h]);
}

/** The Gram and cross sums of a fit with these choices over `keep`'s users (`accumulate.ts`). */
export function fitSums(
  ctx: Pick<FitContext, 'seqs' | 'hp' | 'parallel'>,
  choices: ModelChoices,
  head: Pick<Head, 'headPos' | 'h'>,
  keep: Uint8Array,
): Promise<Statistics> {
  const { seqs, hp, parallel } = ctx;
  return accumulate(
    seqs,
    keep,
    head.headPos,
    head.h,
    historyWeights(curveOf(hp, choices)),
    targetWeights(choices.targetDecay),
    parallel.alloc,
    parallel.sums,
    parallel.workers,
  );
}

/** Copies of the sums in memory from `alloc` (the kernels' threads share it). */
function copyStatistics(stats: Statistics, alloc: (length: number) => Float64Array): Statistics {
  const copy = (a: Float64Array): Float64Array => {
    const out = alloc(a.length);
    out.set(a);
    return out;
  };
  return { g: copy(stats.g), c: copy(stats.c), positions: stats.positions };
}

/**
 * What several fits on the same users and head size can share: the successor and repeat tables do not depend on
 * the choices at all, and the Gram and cross sums depend only on the history curve and the target horizon (the
 * ridge and the successor weight do not change them). The latest sums are kept, which is what the coordinate
 * search reuses (its ridge candidates follow the fit they vary).
 */
export class SharedSums {
  private tables?: { successors: SuccessorTable; repeat: RepeatTable };
  private latest?: { key: string; stats: Statistics };

  tablesOf(
    seqs: Sequences,
    keep: Uint8Array,
    random: Random,
  ): { successors: SuccessorTable; repeat: RepeatTable } {
    this.tables ??= {
      successors: successorTable(seqs, keep, seqs.items.size),
      repeat: fitRepeatTable(seqs, keep, random),
    };
    return this.tables;
  }

  /**
   * The sums for this key, computed by `compute` unless they are the latest; the caller gets its own copies, in
   * memory from `alloc` (the kernels' threads share it).
   */
  async statistics(
    key: string,
    compute: () => Promise<Statistics>,
    alloc: (length: number) => Float64Array,
  ): Promise<Statistics> {
    if (this.latest?.key !== key) this.latest = { key, stats: await compute() };
    return copyStatistics(this.latest.stats, alloc);
  }
}

/** Fits the model on `ctx.keep`'s users with these choices. Deterministic for a given context and choices. */
export async function fitSequences(
  ctx: FitContext,
  choices: ModelChoices,
  random: Random,
  start?: Float32Array,
): Promise<Model> {
  const embeddings = await fitEmbeddings(ctx, choices, random.fork(), start);
  return completeModel(ctx, choices, embeddings, random.fork());
}

/** The item embeddings of a fit and what completing it into a model needs; they do not depend on the successor weight. */
export interface FittedEmbeddings {
  readonly input: Float32Array;
  readonly output: Float32Array;
  readonly historyWeights: Float64Array;
  /** μ, the scale of the successor term. */
  readonly windowPenalty: number;
  readonly positions: number;
}

/**
 * The embeddings of the closed form on the head, then of the tail and cold items. `start`: the output embeddings
 * of an earlier fit of the same items and dimension (self-tuning's best), whose span starts the subspace iteration
 * instead of a random one, so that one product with A fewer reaches the same subspace.
 */
export async function fitEmbeddings(
  ctx: FitContext,
  choices: ModelChoices,
  random: Random,
  start?: Float32Array,
): Promise<FittedEmbeddings> {
  const { seqs, catalog, keep, hp, parallel, progress } = ctx;
  const curve = curveOf(hp, choices);
  const w = historyWeights(curve);
  const n = seqs.items.size;
  const d = hp.hiddenDimension;

  const heads = headOf(seqs, ctx.headItems);
  const { head, headPos, h } = heads;
  const nx = h + 1; // inputs: head items + context

  const key = sumsKey(hp, choices, h);
  const sums = (): Promise<Statistics> => fitSums(ctx, choices, heads, keep);
  let statistics: Statistics;
  if (ctx.given !== undefined) {
    if (ctx.given.key !== key)
      throw new Error(`The given sums are for ${ctx.given.key}, this fit needs ${key}`);
    statistics = copyStatistics(ctx.given.stats, parallel.alloc);
  } else {
    statistics = (await ctx.shared?.statistics(key, sums, parallel.alloc)) ?? (await sums());
  }
  const { g, c, positions } = statistics;
  progress(0.2, 'accumulated');
  // The factor overwrites G's lower triangle only: XᵀX stays readable from the upper one and this diagonal.
  const gramDiagonal = new Float64Array(nx);
  for (let i = 0; i < nx; i++) gramDiagonal[i] = g[i * nx + i] as number;
  const ridge = ridgeOf(g, h, choices.ridgeScale);
  for (let i = 0; i < nx; i++) g[i * nx + i] = (g[i * nx + i] as number) + ridge;
  await choleskyAsync(g, nx, (a, size, j0, j1) => parallel.trailingUpdate(a, size, j0, j1), true);
  progress(0.4, 'factorised');

  const windowPenalty = WINDOW_PENALTY_FACTOR * (await meanNegativeDiagonal(g, c, nx, h, parallel, random));
  // C ← (C + μ XᵀX) / s in one pass: XᵀX restricted to head targets (the context column of XᵀX is not a target),
  // and s the target scale, which weighs target columns by count^−α before the rank reduction (Q scales them back).
  // By tiles, because the lower half reads XᵀX's upper triangle column-wise.
  const targetScale = new Float64Array(h);
  for (let pos = 0; pos < h; pos++)
    targetScale[pos] = (seqs.itemCounts[head[pos] as number] as number) ** TARGET_SCALING;
  for (let i0 = 0; i0 < nx; i0 += TILE) {
    const i1 = Math.min(nx, i0 + TILE);
    for (let p0 = 0; p0 < h; p0 += TILE) {
      const p1 = Math.min(h, p0 + TILE);
      for (let i = i0; i < i1; i++) {
        const row = i * h;
        for (let pos = p0; pos < p1; pos++) {
          const xtx = i < pos ? g[i * nx + pos] : i > pos ? g[pos * nx + i] : (gramDiagonal[i] as number);
          c[row + pos] =
            ((c[row + pos] as number) + windowPenalty * (xtx as number)) / (targetScale[pos] as number);
        }
      }
    }
  }
  progress(0.45, 'diagonal');

  // Randomised subspace iteration on A = Cᵀ G⁻¹ C (h × h); each product also gives G⁻¹ C Y.
  const k = Math.min(d + OVERSAMPLING, h);
  const applyA = async (y: Float64Array, cols: number) => {
    const solved = await parallel.matmulRows(c, y, nx, h, cols);
    await parallel.solveColumns(g, nx, solved, cols);
    return { solved, product: await parallel.matmulTransARows(c, solved, nx, h, cols) };
  };
  let basis: Float64Array = new Float64Array(h * k);
  for (let i = 0; i < basis.length; i++) basis[i] = random.nextNormal();
  const warmStart = start !== undefined && start.length === n * d;
  if (warmStart) {
    // V's rows are the output embeddings divided by the target scale (see Q below); the oversampling stays random.
    for (let pos = 0; pos < h; pos++) {
      const row = (head[pos] as number) * d;
      for (let col = 0; col < Math.min(d, k); col++)
        basis[pos * k + col] = (start[row + col] as number) / (targetScale[pos] as number);
    }
  }
  const iterations = warmStart ? 0 : POWER_ITERATIONS;
  for (let it = 0; it <= iterations; it++) {
    basis = (await applyA(basis, k)).product;
    orthonormalizeColumns(basis, h, k);
    progress(0.4 + (0.3 * (it + 1)) / (iterations + 2), 'subspace iteration');
  }
  const { solved, product: projected } = await applyA(basis, k);
  const small = matmulTransA(basis, projected, h, k, k);
  const { values, vectors } = symmetricEigen(small, k);
  const r = Math.min(d, k);
  const top = new Float64Array(k * r);
  for (let row = 0; row < k; row++)
    for (let col = 0; col < r; col++) top[row * r + col] = vectors[row * k + col] as number;
  // V = Y W (W: the top eigenvectors of YᵀAY) and P = G⁻¹ C V = (G⁻¹ C Y) W: the last product's solve serves.
  const v = matmul(basis, top, h, k, r);
  const pHead = matmul(solved, top, nx, k, r);
  // The states' Gram matrix UᵀU = PᵀXᵀXP = PᵀGP − λPᵀP, where PᵀGP = Wᵀ (YᵀAY) W = diag(top eigenvalues).
  const statesGram = matmulTransA(pHead, pHead, nx, r, r);
  for (let i = 0; i < r * r; i++) statesGram[i] = -ridge * (statesGram[i] as number);
  for (let i = 0; i < r; i++)
    statesGram[i * r + i] = (statesGram[i * r + i] as number) + (values[i] as number);
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

  if (heads.warm > h)
    await fitTail(seqs, keep, headPos, curve, w, input, output, d, statesGram, r, parallel, ctx.tailRounds);
  progress(0.85, 'tail items');

  if (heads.warm < n) {
    const features = buildItemFeatures(catalog, n);
    fitMetadataMap(features, seqs.itemCounts, input, output, d);
  }
  return { input, output, historyWeights: w, windowPenalty, positions };
}

/** The model of these embeddings: successor and repeat tables, and the softmax temperature fitted on their sum. */
export async function completeModel(
  ctx: FitContext,
  choices: ModelChoices,
  embeddings: FittedEmbeddings,
  random: Random,
): Promise<Model> {
  const { seqs, catalog, keep, hp, seed, parallel, progress } = ctx;
  const { input, output, historyWeights: w, windowPenalty, positions } = embeddings;
  const n = seqs.items.size;
  const d = hp.hiddenDimension;
  const { successors: table, repeat } =
    ctx.shared?.tablesOf(seqs, keep, random.fork()) ?? new SharedSums().tablesOf(seqs, keep, random.fork());
  const { temperature, transitionWeight } = await calibrateScores(
    seqs,
    keep,
    w,
    input,
    output,
    d,
    choices.successorFactor * windowPenalty,
    table,
    random,
    parallel,
  );
  progress(0.95, 'calibrated');

  const features = (
    sets: TokenSets | undefined,
    per: 'user' | 'event',
    weight: number,
  ): FeatureEmbeddings | undefined =>
    sets === undefined || weight === 0
      ? undefined
      : featureEmbeddings(featureSums(seqs, keep, sets, per, output, d), temperature, weight);
  const userFeatures = features(ctx.userTokens, 'user', choices.userFeatureWeight);
  const contextFeatures = features(seqs.context, 'event', choices.contextWeight);
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
    historyWeights: w,
    temperature,
    successorOffsets: table.offsets,
    successorItems: table.items,
    successorWeights: successorWeights(table),
    transitionWeight,
    repeat,
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
    tuned: tunedParams(hp, choices),
    ...(userFeatures === undefined ? {} : { userFeatures }),
    ...(contextFeatures === undefined ? {} : { contextFeatures }),
  });
  progress(1, 'done');
  return model;
}

/** The history curve of these hyperparameters and choices. */
export function curveOf(hp: HyperParameters, choices: ModelChoices): HistoryCurve {
  return {
    shortDecay: hp.recencyMask ? RECENCY_DECAY : 1,
    window: hp.bptt,
    longWeight: choices.longWeight,
    // Without the recency mask no event counts more for being recent, in either part.
    longDecay: hp.recencyMask ? choices.longDecay : 1,
  };
}

/** λ = scale × mean_i G_ii over head items (1 if G is empty). */
export function ridgeOf(g: Float64Array, h: number, scale: number): number {
  const nx = h + 1;
  let sum = 0;
  for (let i = 0; i < h; i++) sum += g[i * nx + i] as number;
  return scale * (h > 0 && sum > 0 ? sum / h : 1);
}

/** What DescribeSolutionVersion reports as `tunedHPOParams.algorithmHyperParameters`. */
function tunedParams(hp: HyperParameters, choices: ModelChoices): Record<string, string> {
  return {
    hidden_dimension: String(hp.hiddenDimension),
    bptt: String(hp.bptt),
    recency_mask: String(hp.recencyMask),
    ridge_scale: String(choices.ridgeScale),
    long_term_weight: String(choices.longWeight),
    long_term_decay: String(choices.longDecay),
    target_decay: String(choices.targetDecay),
    successor_factor: String(choices.successorFactor),
    user_feature_weight: String(choices.userFeatureWeight),
    context_weight: String(choices.contextWeight),
  };
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
