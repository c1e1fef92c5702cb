/**
 * A trained User-Personalization model: what scoring needs and nothing else, in typed arrays, with a versioned
 * data-only binary format.
 *
 * Scoring (spec §7.6): a user's state is the recency-weighted sum of the input embeddings of their history (the
 * two-timescale curve of `history-weights.ts`) plus the context row,
 *   u = p_ctx + Σ_{k=1..min(K,|h|)} w_k p_{h_{|h|−k+1}},
 * each item's logit is z_j = τ u·q_j + β P(j | newest event) (the successor term), and the probability of the next
 * item mixes repeating a history item with the learned repeat rates φ (`repeat.ts`) and a softmax over the rest:
 *   P(j | h) = φ_j                                   for j in the history,
 *   P(j | h) = (1 − Σ_{i∈h} φ_i) exp(z_j) / Σ_{i∉h} exp(z_i)   otherwise.
 *
 * Two ways to compute it. The reference ({@link Model.scoreAll}, {@link Model.recommendReference}) takes every
 * dot product in float64 in JavaScript. {@link Model.recommend} scans an int8 copy of the output embeddings with
 * a WebAssembly SIMD kernel (`wasm/quantized-scorer.ts`), which gives every logit within a proven ε of the
 * reference's; the items that can still be in the top k get their logits recomputed by the
 * reference's own arithmetic, so the list and its order are the reference's, and log Z is summed over the exact
 * logits of those items and the approximate ones of the rest, with a proven bound on |Δ log Z|
 * ({@link normaliserBound}): at most ε times the rest's share of Z, and usually far less, as the errors' L2 norm over
 * all items is bounded too (the residuals' Gram matrix) and enters weighted by the softmax weights.
 */

import { type FeatureEmbeddings, FeatureTable } from './feature-embeddings';
import { align8, frameHeader, readFrame } from './framing';
import { MAX_HISTORY } from './history-weights';
import { HistoryCells, type RepeatTable, repeatProbabilities } from './repeat';
import type { Recommender, RecommendRequest, ScoredItem } from './types';
import { QuantizedScorer } from './wasm/quantized-scorer';

export const MODEL_FORMAT = 'open-personalize/user-personalization';
export const MODEL_FORMAT_VERSION = 2;
const MAGIC = 0x4d50504f; // "OPPM" little-endian

/** Facts about a training run, kept in the artifact header. */
export interface TrainingStats {
  /** Interactions the item statistics count: the training data, or all the data an update folded in. */
  readonly interactions: number;
  readonly users: number;
  readonly trainingUsers: number;
  readonly items: number;
  readonly positions: number;
}

/** The metadata of a request that enters the user's state. */
export type Metadata = Pick<RecommendRequest, 'userAttributes' | 'context'>;

export interface ModelParts {
  readonly itemIds: readonly string[];
  readonly hiddenDimension: number;
  /** w_1 … w_K: weight of the k-th newest event in a user's state (`history-weights.ts`). */
  readonly historyWeights: Float64Array;
  /** Softmax inverse temperature τ. */
  readonly temperature: number;
  /**
   * Sparse successor table (CSR): for item i, successorItems[successorOffsets[i]..successorOffsets[i+1]) are its
   * most frequent next items and successorWeights the smoothed P(j | previous = i). Scoring adds
   * `transitionWeight` × P(j | last event) to the logits: item-specific transitions are high-rank, which the
   * rank-d part cannot hold.
   */
  readonly successorOffsets: Int32Array;
  readonly successorItems: Int32Array;
  readonly successorWeights: Float32Array;
  /** β of the successor term, in logit units (0 disables it). */
  readonly transitionWeight: number;
  /** Learned repeat rates (`repeat.ts`). */
  readonly repeat: RepeatTable;
  /** (items + 1) × d; the last row is the context (intercept) row every state starts from. */
  readonly inputEmbeddings: Float32Array;
  /** items × d. */
  readonly outputEmbeddings: Float32Array;
  /** Training interactions per item (0 for cold items). */
  readonly itemCounts: Float32Array;
  /** Item creation time (epoch seconds): CREATION_TIMESTAMP, else first interaction, else NaN. */
  readonly itemCreationTimestamps: Float64Array;
  /** Newest interaction in the training data (epoch seconds; NaN if unknown). */
  readonly latestInteractionTimestamp: number;
  readonly seed: number;
  readonly stats?: TrainingStats;
  /** The values self-tuning chose, as Personalize's `tunedHPOParams.algorithmHyperParameters` strings. */
  readonly tuned?: Readonly<Record<string, string>>;
  /** Input embeddings of Users metadata values, added to the state of a user who has them (`feature-embeddings.ts`). */
  readonly userFeatures?: FeatureEmbeddings;
  /** Input embeddings of contextual metadata values, added to the state of a request with them in its context. */
  readonly contextFeatures?: FeatureEmbeddings;
}

interface Header {
  format: string;
  version: number;
  itemIds: string[];
  hiddenDimension: number;
  temperature: number;
  transitionWeight: number;
  repeatEventTypes: string[];
  latestInteractionTimestamp: number | null;
  seed: number;
  stats?: TrainingStats;
  tuned?: Record<string, string>;
  userFeatureTokens?: string[];
  contextFeatureTokens?: string[];
  arrays: { name: ArrayName; type: 'float32' | 'float64' | 'int32'; offset: number; length: number }[];
}

type ArrayName =
  | 'historyWeights'
  | 'repeatProbabilities'
  | 'repeatItemFactors'
  | 'inputEmbeddings'
  | 'outputEmbeddings'
  | 'itemCounts'
  | 'itemCreationTimestamps'
  | 'successorOffsets'
  | 'successorItems'
  | 'successorWeights'
  | 'userFeatureEmbeddings'
  | 'contextFeatureEmbeddings';

export class Model implements Recommender {
  readonly itemIds: readonly string[];
  readonly hiddenDimension: number;
  readonly historyWeights: Float64Array;
  readonly temperature: number;
  readonly successorOffsets: Int32Array;
  readonly successorItems: Int32Array;
  readonly successorWeights: Float32Array;
  readonly transitionWeight: number;
  readonly repeat: RepeatTable;
  readonly inputEmbeddings: Float32Array;
  readonly outputEmbeddings: Float32Array;
  readonly itemCounts: Float32Array;
  readonly itemCreationTimestamps: Float64Array;
  readonly latestInteractionTimestamp: number;
  readonly seed: number;
  readonly stats: TrainingStats | undefined;
  readonly tuned: Readonly<Record<string, string>> | undefined;
  readonly userFeatures: FeatureEmbeddings | undefined;
  readonly contextFeatures: FeatureEmbeddings | undefined;
  private readonly userTable: FeatureTable | undefined;
  private readonly contextTable: FeatureTable | undefined;
  private readonly index = new Map<string, number>();
  private readonly typeIndex = new Map<string, number>();
  private logits: Float32Array;
  private cells: HistoryCells | undefined;
  private readonly repeatBuffer: Float64Array;
  private scorer: QuantizedScorer | undefined;
  private marks: Uint8Array | undefined;
  /** Bounds proved by the last {@link recommend} (for benchmarks and tests), taken when asked for. */
  private lastBounds: () => ScanBounds = () => ({ logit: 0, logZ: 0, candidates: 0 });

  constructor(parts: ModelParts) {
    const n = parts.itemIds.length;
    const d = parts.hiddenDimension;
    if (parts.inputEmbeddings.length !== (n + 1) * d)
      throw new Error('inputEmbeddings must be (items + 1) × d');
    if (parts.outputEmbeddings.length !== n * d) throw new Error('outputEmbeddings must be items × d');
    if (parts.itemCounts.length !== n || parts.itemCreationTimestamps.length !== n) {
      throw new Error('per-item arrays must have one entry per item');
    }
    if (parts.historyWeights.length < 1) throw new Error('historyWeights must not be empty');
    if (parts.repeat.itemFactors.length !== n)
      throw new Error('repeat.itemFactors must have one entry per item');
    this.itemIds = parts.itemIds;
    this.hiddenDimension = d;
    this.historyWeights = parts.historyWeights;
    this.temperature = parts.temperature;
    if (parts.successorOffsets.length !== n + 1)
      throw new Error('successorOffsets must have items + 1 entries');
    this.successorOffsets = parts.successorOffsets;
    this.successorItems = parts.successorItems;
    this.successorWeights = parts.successorWeights;
    this.transitionWeight = parts.transitionWeight;
    this.repeat = parts.repeat;
    this.inputEmbeddings = parts.inputEmbeddings;
    this.outputEmbeddings = parts.outputEmbeddings;
    this.itemCounts = parts.itemCounts;
    this.itemCreationTimestamps = parts.itemCreationTimestamps;
    this.latestInteractionTimestamp = parts.latestInteractionTimestamp;
    this.seed = parts.seed;
    this.stats = parts.stats;
    this.tuned = parts.tuned;
    this.userFeatures = parts.userFeatures;
    this.contextFeatures = parts.contextFeatures;
    this.userTable = parts.userFeatures === undefined ? undefined : new FeatureTable(parts.userFeatures, d);
    this.contextTable =
      parts.contextFeatures === undefined ? undefined : new FeatureTable(parts.contextFeatures, d);
    parts.itemIds.forEach((id, i) => {
      this.index.set(id, i);
    });
    parts.repeat.eventTypes.forEach((type, i) => {
      this.typeIndex.set(type, i + 1);
    });
    this.logits = new Float32Array(n);
    this.repeatBuffer = new Float64Array(MAX_HISTORY);
  }

  get itemCount(): number {
    return this.itemIds.length;
  }

  /** How many of a user's newest events scoring reads (the state's and the repeat rates' horizon). */
  get historyLength(): number {
    return MAX_HISTORY;
  }

  /** Index of an item id in the catalog arrays, or undefined for items the model does not know. */
  itemIndex(itemId: string): number | undefined {
    return this.index.get(itemId);
  }

  /**
   * The d-dimensional state of a user with this history (oldest first; unknown items are skipped) and these Users
   * metadata and context values (values the model does not know are skipped).
   */
  userState(history: readonly string[], features: Metadata = {}): Float32Array {
    return this.stateOf(this.indicesOf(history), features.userAttributes, features.context);
  }

  /** Whether the model uses Users metadata, so callers know to look the requesting user's up. */
  get usesUserAttributes(): boolean {
    return (this.userTable?.size ?? 0) > 0;
  }

  /** Whether the model uses a request's contextual metadata. */
  get usesContext(): boolean {
    return (this.contextTable?.size ?? 0) > 0;
  }

  /** The catalog index of each history item (−1 for items the model does not know), looked up once per request. */
  private indicesOf(history: readonly string[]): Int32Array {
    const indices = new Int32Array(history.length);
    for (let h = 0; h < history.length; h++) indices[h] = this.index.get(history[h] as string) ?? -1;
    return indices;
  }

  /** The newest known history item's index, or −1. */
  private newestKnown(indices: Int32Array): number {
    for (let h = indices.length - 1; h >= 0; h--)
      if ((indices[h] as number) >= 0) return indices[h] as number;
    return -1;
  }

  /** {@link userState} of the history's indices. */
  private stateOf(
    indices: Int32Array,
    attributes: RecommendRequest['userAttributes'],
    context: RecommendRequest['context'],
  ): Float32Array {
    const d = this.hiddenDimension;
    const p = this.inputEmbeddings;
    const w = this.historyWeights;
    const u = p.slice(this.itemIds.length * d, (this.itemIds.length + 1) * d);
    if (attributes !== undefined) this.userTable?.addTo(u, attributes);
    if (context !== undefined) this.contextTable?.addTo(u, context);
    let taken = 0;
    for (let h = indices.length - 1; h >= 0 && taken < w.length; h--) {
      const i = indices[h] as number;
      if (i < 0) continue;
      const row = i * d;
      const wk = w[taken] as number;
      for (let c = 0; c < d; c++) u[c] = (u[c] as number) + wk * (p[row + c] as number);
      taken++;
    }
    return u;
  }

  /**
   * The logit of every catalog item into the reused buffer, history items set to log-scores that give them their
   * repeat probability; returns log Z of the "new item" softmax and the mass 1 − Σφ left to new items.
   */
  private computeScores(
    history: readonly string[],
    eventTypes: readonly (string | undefined)[] | undefined,
    features: Metadata,
  ): { logZ: number; newMass: number } {
    const indices = this.indicesOf(history);
    const u = this.stateOf(indices, features.userAttributes, features.context);
    const d = this.hiddenDimension;
    const n = this.itemIds.length;
    const q = this.outputEmbeddings;
    const out = this.logits;
    const tau = this.temperature;
    for (let j = 0, row = 0; j < n; j++, row += d) out[j] = tau * dot(u, q, row, d);
    this.addSuccessors(indices, out, undefined);
    const newMass = this.readRepeats(indices, eventTypes);
    const cells = this.cells as HistoryCells;
    for (let r = 0; r < cells.size; r++) out[cells.items[r] as number] = Number.NEGATIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) if ((out[j] as number) > max) max = out[j] as number;
    let z = 0;
    if (max > Number.NEGATIVE_INFINITY) for (let j = 0; j < n; j++) z += Math.exp((out[j] as number) - max);
    const logZ = z > 0 ? max + Math.log(z) : 0;
    this.setRepeatLogits(out, logZ, newMass);
    return { logZ, newMass };
  }

  /**
   * z_j += β P(j | newest known history item), for every j (or only the marked ones), in the successor table's
   * order. Returns the largest |z_j| it wrote (0 if none).
   */
  private addSuccessors(indices: Int32Array, out: Float32Array, only: Uint8Array | undefined): number {
    let big = 0;
    const i = this.newestKnown(indices);
    if (this.transitionWeight === 0 || i < 0) return big;
    const beta = this.transitionWeight;
    for (let e = this.successorOffsets[i] as number; e < (this.successorOffsets[i + 1] as number); e++) {
      const j = this.successorItems[e] as number;
      if (only !== undefined && only[j] !== 1) continue;
      out[j] = (out[j] as number) + beta * (this.successorWeights[e] as number);
      big = Math.max(big, Math.abs(out[j] as number));
    }
    return big;
  }

  /** Reads the history's repeat cells and rates φ into the reused buffers; returns 1 − Σφ. */
  private readRepeats(indices: Int32Array, eventTypes: readonly (string | undefined)[] | undefined): number {
    this.cells ??= new HistoryCells(this.itemIds.length);
    const cells = this.cells;
    const last = indices.length - 1;
    const types = this.repeat.eventTypes.length + 1;
    cells.read(
      indices.length,
      (k) => indices[last - k] as number,
      (k) => this.typeIndex.get(eventTypes?.[last - k] ?? '') ?? 0,
      types,
    );
    return 1 - repeatProbabilities(this.repeat, cells, this.repeatBuffer);
  }

  /** exp(out_j − logZ) · newMass = φ_j  ⇔  out_j = logZ + log(φ_j / newMass), for the history's items. */
  private setRepeatLogits(out: Float32Array, logZ: number, newMass: number): void {
    const cells = this.cells as HistoryCells;
    for (let r = 0; r < cells.size; r++) {
      out[cells.items[r] as number] = logZ + Math.log((this.repeatBuffer[r] as number) / newMass);
    }
  }

  /**
   * Probability of every catalog item being the next event for this history (index-aligned with `itemIds`). The
   * returned array is reused by the next call.
   */
  scoreAll(
    history: readonly string[],
    eventTypes?: readonly (string | undefined)[],
    features: Metadata = {},
  ): Float32Array {
    const out = this.logits;
    const { logZ, newMass } = this.computeScores(history, eventTypes, features);
    for (let j = 0; j < out.length; j++) out[j] = newMass * Math.exp((out[j] as number) - logZ);
    return out;
  }

  /**
   * The top `numResults` (1–500) items for the history, best first, with their probability of being the next
   * event (excluded items still count in the normalisation, as they are part of the catalog). The SIMD path (module
   * comment): the same list as {@link recommendReference}, scores within the bound {@link bounds} reports.
   */
  recommend(req: RecommendRequest): ScoredItem[] {
    return this.rank(req, NONE).top;
  }

  /**
   * {@link recommend}, and the probability of each catalog index in `also` under the same normaliser: those items
   * get exact logits like the top candidates (history items their repeat probability; excluded ones stay within the
   * scan's bound), so exploration can weigh its candidates without scoring the whole catalog in JavaScript.
   */
  recommendAlso(req: RecommendRequest, also: readonly number[]): { top: ScoredItem[]; also: Float64Array } {
    return this.rank(req, also);
  }

  private rank(req: RecommendRequest, also: readonly number[]): { top: ScoredItem[]; also: Float64Array } {
    const k = resultCount(req);
    const n = this.itemIds.length;
    if (k === 0 || n === 0) return { top: [], also: new Float64Array(also.length) };
    const d = this.hiddenDimension;
    const tau = this.temperature;
    const indices = this.indicesOf(req.history);
    const excluded = this.excludedIndices(req, indices);
    const scorer = this.prepareScoring();
    const out = scorer.logits;
    const u = this.stateOf(indices, req.userAttributes, req.context);
    const scanError = scorer.scan(u, tau);
    // The scan also summed exp(ẑ_j − m) over every item; each logit changed below is swapped in that sum
    // (`changed`: j → its ẑ_j) unless the changed ones dominate it.
    const changed = new Map<number, number>();
    const targets = this.successorTargets(indices);
    for (const i of targets) if (!changed.has(i)) changed.set(i, out[i] as number);
    let top = scorer.scanMax;
    const big = Math.max(scorer.scanMaxAbs, this.addSuccessors(indices, out, undefined));
    for (const i of targets) top = Math.max(top, out[i] as number);
    const newMass = this.readRepeats(indices, req.historyEventTypes);
    const cells = this.cells as HistoryCells;
    for (let r = 0; r < cells.size; r++) {
      const j = cells.items[r] as number;
      if (!changed.has(j)) changed.set(j, out[j] as number);
      out[j] = Number.NEGATIVE_INFINITY;
    }
    // |reference z_j − out_j|: the scan's bound, the reference's float64 sum (d ulps of τ Σ|u_c q_jc|), and the
    // rounding of both to f32, each step at most 2⁻²⁴ of a value below big + the rest.
    let uNorm = 0;
    for (let c = 0; c < d; c++) uNorm += (u[c] as number) ** 2;
    const rowNorm = scorer.maxRowNorm + scorer.maxResidualNorm;
    const sumError = d * 2 ** -52 * Math.abs(tau) * Math.sqrt(uNorm) * rowNorm;
    const eps = (scanError + sumError) * (1 + 2 ** -20) + 2 ** -21 * (big + scanError + sumError + 1);
    this.marks ??= new Uint8Array(n);
    const marks = this.marks;
    const found = scorer.narrowedCandidates(
      k,
      2 * eps,
      excluded,
      big,
      eps - scanError * (1 + 2 ** -20),
      req.blocked,
    );
    let pool: ArrayLike<number> & Iterable<number> = found;
    if (also.length > 0) {
      // Items asked for join the exact candidates unless they are history items (out = −∞ here), excluded or
      // already there; the marks are set again below.
      for (const j of found) marks[j] = 1;
      const extended = Array.from(found);
      for (const j of also) {
        if (
          marks[j] === 1 ||
          out[j] === Number.NEGATIVE_INFINITY ||
          excluded.has(j) ||
          req.blocked?.[j] === 1
        )
          continue;
        marks[j] = 1;
        extended.push(j);
      }
      pool = extended;
    }
    // Exact logits, by the reference's arithmetic, for the candidates.
    const q = this.outputEmbeddings;
    for (const j of pool) {
      if (!changed.has(j)) changed.set(j, out[j] as number);
      out[j] = tau * dot(u, q, j * d, d);
      marks[j] = 1;
    }
    this.addSuccessors(indices, out, marks);
    let exactMass = 0;
    for (const j of pool) top = Math.max(top, out[j] as number);
    // log Z = m + log Σ exp(out_j − m). From the scan's sum, the changed terms swapped: a removed term differs
    // from the kernel's by at most its exp error and argument rounding, relative to the removed mass. The scan's
    // sum of squared terms gets the same swaps, keeping only the items left approximate (for the bound below).
    let logZ = 0;
    let swapError = 0;
    // z = Σ exp(out_j − shift) and `squares` ≥ Σ over the approximate items of exp(out_j − shift)².
    let z = 0;
    let shift = scorer.scanShift;
    let squares = Number.POSITIVE_INFINITY;
    const sumRounding = EXP_ERROR + 2 ** -22 * (big + eps + 1);
    if (top > Number.NEGATIVE_INFINITY) {
      let removed = 0;
      let added = 0;
      let removedSquares = 0;
      let addedSquares = 0;
      for (const [j, before] of changed) {
        const e = Math.exp(before - shift);
        removed += e;
        removedSquares += e * e;
        const after = out[j] as number;
        if (after > Number.NEGATIVE_INFINITY) {
          const a = Math.exp(after - shift);
          added += a;
          if (marks[j] !== 1) addedSquares += a * a;
        }
      }
      z = scorer.scanSum - removed + added;
      if (z > 0 && removed <= z && Number.isFinite(z)) {
        swapError = sumRounding * (removed / z);
        const scanned = scorer.scanSquares;
        squares =
          Math.max(0, scanned - removedSquares + addedSquares) +
          (2 * sumRounding + n * 2 ** -52) * (scanned + removedSquares + addedSquares);
      } else {
        // The changed items held most of the scan's sum: a second pass over the patched logits instead, the
        // exact candidates' squared terms taken out of its sum of squares.
        shift = top;
        z = scorer.sumExp(shift);
        if (!(z > 1e-30)) {
          shift = scorer.max();
          z = scorer.sumExp(shift);
        }
        const summed = scorer.scanSquares;
        let exactSquares = 0;
        for (const j of pool) exactSquares += Math.exp(2 * ((out[j] as number) - shift));
        squares =
          Math.max(0, summed - exactSquares) + (2 * sumRounding + n * 2 ** -52) * (summed + exactSquares);
      }
      logZ = z > 0 ? shift + Math.log(z) : 0;
      for (const j of pool) exactMass += Math.exp((out[j] as number) - logZ);
    }
    for (const j of pool) marks[j] = 0;
    const restShare = Math.min(1, Math.max(0, 1 - exactMass));
    // ŵ_j = e^out_j / Z taken over the computed z, which is within a relative exp and rounding error of the true sum.
    const weightSlack = z > 0 ? (1 + 4 * sumRounding) / z : Number.POSITIVE_INFINITY;
    // Taken when asked for: the bound on ‖δ‖₂ needs the scorer's RᵀR, which serving never builds. The scan state
    // holds u, this request's own array, which nothing changes afterwards.
    const scan = scorer.scanState;
    const weightNorm = Math.sqrt(squares) * weightSlack;
    const maxWeight = Math.exp(top - shift) * weightSlack;
    const candidates = pool.length;
    this.lastBounds = () => ({
      logit: eps,
      logZ:
        normaliserBound(restShare, eps, scanError, scorer.errorNormOf(scan), weightNorm, maxWeight) +
        sumRounding +
        swapError +
        1e-12,
      candidates,
    });
    this.setRepeatLogits(out, logZ, newMass);
    const ranked = Array.from(pool);
    if (!req.excludeHistory) {
      for (let r = 0; r < cells.size; r++) {
        const j = cells.items[r] as number;
        if (!excluded.has(j) && req.blocked?.[j] !== 1) ranked.push(j);
      }
    }
    ranked.sort((a, b) => (out[b] as number) - (out[a] as number) || a - b);
    const list = ranked.slice(0, k).map((i) => ({
      itemId: this.itemIds[i] as string,
      score: newMass * Math.exp((out[i] as number) - logZ),
    }));
    return { top: list, also: Float64Array.from(also, (j) => newMass * Math.exp((out[j] as number) - logZ)) };
  }

  /**
   * This model with these Users metadata embeddings in place of its own; every other array, and the int8 copy of
   * the output embeddings once built, is shared.
   */
  withFeatures(features: Pick<ModelParts, 'userFeatures' | 'contextFeatures'>): Model {
    const model = new Model({ ...this, ...features });
    model.scorer = this.scorer;
    return model;
  }

  /**
   * Builds the int8 copy of the output embeddings {@link recommend} scans (once; later calls return it), its scan
   * shared by `threads` threads on large catalogs. Serving asks for them; training's own scoring (self-tuning's
   * validation, the metrics) uses the default, one.
   */
  prepareScoring(threads = 1): QuantizedScorer {
    this.scorer ??= new QuantizedScorer(
      this.outputEmbeddings,
      this.itemIds.length,
      this.hiddenDimension,
      threads,
    );
    return this.scorer;
  }

  /** The float64 scalar reference of {@link recommend}: every logit in JavaScript, log Z over all of them. */
  recommendReference(req: RecommendRequest): ScoredItem[] {
    const k = resultCount(req);
    if (k === 0 || this.itemIds.length === 0) return [];
    const { logZ, newMass } = this.computeScores(req.history, req.historyEventTypes, req);
    const top = topK(this.logits, k, this.allExcluded(req));
    return top.map((i) => ({
      itemId: this.itemIds[i] as string,
      score: newMass * Math.exp((this.logits[i] as number) - logZ),
    }));
  }

  /**
   * What the last {@link recommend} proved: every approximate logit within `logit` of the reference's, log Z within
   * `logZ` (so each score within a factor e^±logZ), and how many items were re-ranked exactly.
   */
  bounds(): ScanBounds {
    return this.lastBounds();
  }

  private excludedIndices(req: RecommendRequest, indices: Int32Array): Set<number> {
    const excluded = new Set<number>();
    if (req.exclude) {
      for (const id of req.exclude) {
        const i = this.index.get(id);
        if (i !== undefined) excluded.add(i);
      }
    }
    if (req.excludeHistory) for (const i of indices) if (i >= 0) excluded.add(i);
    return excluded;
  }

  /** {@link excludedIndices} and the `blocked` mask, for the reference's top k. */
  private allExcluded(req: RecommendRequest): Set<number> {
    const excluded = this.excludedIndices(req, this.indicesOf(req.history));
    const blocked = req.blocked;
    if (blocked !== undefined) for (let j = 0; j < blocked.length; j++) if (blocked[j] === 1) excluded.add(j);
    return excluded;
  }

  /** The items the successor term touches for this history. */
  private successorTargets(indices: Int32Array): Int32Array {
    const i = this.newestKnown(indices);
    if (i < 0) return new Int32Array(0);
    return this.successorItems.subarray(
      this.successorOffsets[i] as number,
      this.successorOffsets[i + 1] as number,
    );
  }

  serialize(): Uint8Array {
    const arrays: [ArrayName, Float32Array | Float64Array | Int32Array][] = [
      ['historyWeights', this.historyWeights],
      ['repeatProbabilities', this.repeat.probabilities],
      ['repeatItemFactors', this.repeat.itemFactors],
      ['inputEmbeddings', this.inputEmbeddings],
      ['outputEmbeddings', this.outputEmbeddings],
      ['itemCounts', this.itemCounts],
      ['itemCreationTimestamps', this.itemCreationTimestamps],
      ['successorOffsets', this.successorOffsets],
      ['successorItems', this.successorItems],
      ['successorWeights', this.successorWeights],
    ];
    if (this.userFeatures !== undefined) arrays.push(['userFeatureEmbeddings', this.userFeatures.embeddings]);
    if (this.contextFeatures !== undefined)
      arrays.push(['contextFeatureEmbeddings', this.contextFeatures.embeddings]);
    let offset = 0;
    const descriptors: Header['arrays'] = [];
    for (const [name, a] of arrays) {
      descriptors.push({
        name,
        type: a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : 'float64',
        offset,
        length: a.length,
      });
      offset += align8(a.byteLength);
    }
    const header: Header = {
      format: MODEL_FORMAT,
      version: MODEL_FORMAT_VERSION,
      itemIds: [...this.itemIds],
      hiddenDimension: this.hiddenDimension,
      temperature: this.temperature,
      transitionWeight: this.transitionWeight,
      repeatEventTypes: [...this.repeat.eventTypes],
      latestInteractionTimestamp: Number.isNaN(this.latestInteractionTimestamp)
        ? null
        : this.latestInteractionTimestamp,
      seed: this.seed,
      ...(this.stats ? { stats: this.stats } : {}),
      ...(this.tuned ? { tuned: { ...this.tuned } } : {}),
      ...(this.userFeatures ? { userFeatureTokens: [...this.userFeatures.tokens] } : {}),
      ...(this.contextFeatures ? { contextFeatureTokens: [...this.contextFeatures.tokens] } : {}),
      arrays: descriptors,
    };
    const head = frameHeader(MAGIC, header);
    const dataStart = head.length;
    const bytes = new Uint8Array(dataStart + offset);
    bytes.set(head, 0);
    for (const [i, [, a]] of arrays.entries()) {
      const desc = descriptors[i] as Header['arrays'][number];
      bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), dataStart + desc.offset);
    }
    return bytes;
  }

  static load(bytes: Uint8Array): Model {
    const frame = readFrame(bytes, MAGIC, 'model artifact');
    const header = frame.header as Header;
    if (header.format !== MODEL_FORMAT || header.version !== MODEL_FORMAT_VERSION) {
      throw new Error(`unsupported model format ${header.format} v${header.version}`);
    }
    const { dataStart } = frame;
    const read = (name: ArrayName): Float32Array | Float64Array | Int32Array => {
      const desc = header.arrays.find((a) => a.name === name);
      if (!desc) throw new Error(`model artifact lacks ${name}`);
      const width = desc.type === 'float64' ? 8 : 4;
      const start = dataStart + desc.offset;
      const end = start + desc.length * width;
      if (end > bytes.length) throw new Error('model artifact is truncated');
      // Views over the artifact where its alignment allows (no copy of the embeddings; the model never writes
      // its arrays), else an aligned copy.
      const at = bytes.byteOffset + start;
      const buffer = at % width === 0 ? bytes.buffer : bytes.slice(start, end).buffer;
      const offset = at % width === 0 ? at : 0;
      if (desc.type === 'int32') return new Int32Array(buffer, offset, desc.length);
      return desc.type === 'float32'
        ? new Float32Array(buffer, offset, desc.length)
        : new Float64Array(buffer, offset, desc.length);
    };
    return new Model({
      itemIds: header.itemIds,
      hiddenDimension: header.hiddenDimension,
      historyWeights: read('historyWeights') as Float64Array,
      temperature: header.temperature,
      successorOffsets: read('successorOffsets') as Int32Array,
      successorItems: read('successorItems') as Int32Array,
      successorWeights: read('successorWeights') as Float32Array,
      transitionWeight: header.transitionWeight,
      repeat: {
        eventTypes: header.repeatEventTypes,
        probabilities: read('repeatProbabilities') as Float64Array,
        itemFactors: read('repeatItemFactors') as Float32Array,
      },
      inputEmbeddings: read('inputEmbeddings') as Float32Array,
      outputEmbeddings: read('outputEmbeddings') as Float32Array,
      itemCounts: read('itemCounts') as Float32Array,
      itemCreationTimestamps: read('itemCreationTimestamps') as Float64Array,
      latestInteractionTimestamp: header.latestInteractionTimestamp ?? Number.NaN,
      seed: header.seed,
      ...(header.stats ? { stats: header.stats } : {}),
      ...(header.tuned ? { tuned: header.tuned } : {}),
      ...(header.userFeatureTokens
        ? {
            userFeatures: {
              tokens: header.userFeatureTokens,
              embeddings: read('userFeatureEmbeddings') as Float32Array,
            },
          }
        : {}),
      ...(header.contextFeatureTokens
        ? {
            contextFeatures: {
              tokens: header.contextFeatureTokens,
              embeddings: read('contextFeatureEmbeddings') as Float32Array,
            },
          }
        : {}),
    });
  }
}

/** See {@link Model.bounds}. */
export interface ScanBounds {
  readonly logit: number;
  readonly logZ: number;
  readonly candidates: number;
}

/** Relative error bound of the SIMD kernel's f32 exp (checked against Math.exp in the kernel's tests). */
export const EXP_ERROR = 2 ** -21;

/**
 * Bound on |log Z − log Ẑ| from the logits left approximate (the set A, holding `restShare` of Ẑ), where the reference
 * logit of j ∈ A is ẑ_j + δ_j + ρ_j: δ_j the scan's error (|δ_j| ≤ `scanError`, ‖δ‖₂ ≤ `errorNorm` over all items)
 * and ρ_j the roundings on either side (|δ_j + ρ_j| ≤ ε = `eps`, so |ρ_j| ≤ η = ε − scanError). With ŵ_j = e^ẑ_j / Ẑ,
 *   Z / Ẑ − 1 = Σ_A ŵ_j (e^(δ_j + ρ_j) − 1) = Σ_A ŵ_j δ_j + Σ_A ŵ_j (e^δ_j − 1 − δ_j) + Σ_A ŵ_j e^δ_j (e^ρ_j − 1),
 * the first term within ±F = ±‖δ‖₂ √(Σ_A ŵ_j²) (Cauchy–Schwarz over the items; `weightNorm` bounds √(Σ_A ŵ_j²)),
 * the second (0 ≤ e^δ − 1 − δ ≤ δ² e^ε / 2) in [0, e^ε/2 · Σ_A ŵ_j δ_j²], and Σ_A ŵ_j δ_j² at most ε² Σ_A ŵ_j, or
 * max_A ŵ_j ‖δ‖₂² (`maxWeight` bounds max ŵ_j), or ε F (Cauchy–Schwarz again, with δ_j² ≤ ε |δ_j|); the third
 * within ±e^ε (e^η − 1) Σ_A ŵ_j. The per-item form, |log Z − log Ẑ| ≤ log(1 + Σ_A ŵ_j (e^ε − 1)), also holds;
 * the smaller one is returned. Over a flat catalog √(Σ_A ŵ_j²) is about 1/√n, so the first form is about ‖δ‖₂ / √n:
 * the root-mean-square error of a logit instead of the largest possible one.
 */
export function normaliserBound(
  restShare: number,
  eps: number,
  scanError: number,
  errorNorm: number,
  weightNorm: number,
  maxWeight: number,
): number {
  const perItem = Math.log1p(restShare * Math.expm1(eps));
  const grow = Math.exp(eps);
  const first = errorNorm * weightNorm;
  const second = (grow / 2) * Math.min(eps * eps * restShare, maxWeight * errorNorm * errorNorm, eps * first);
  const third = grow * Math.expm1(Math.max(0, eps - scanError)) * restShare;
  const below = first + third;
  const above = first + second + third;
  if (!(below < 1) || !Number.isFinite(above)) return perItem;
  return Math.min(perItem, Math.max(Math.log1p(above), -Math.log1p(-below)) * (1 + 2 ** -20));
}

function resultCount(req: RecommendRequest): number {
  return Math.max(0, Math.min(500, Math.floor(req.numResults)));
}

/**
 * u · q[row … row + d) in float64, four partial sums (unrolled because it is the whole cost of the reference:
 * items × d multiply-adds); the reference and the exact re-rank share it, so their logits agree to the bit.
 */
function dot(u: Float32Array, q: Float32Array, row: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  for (; c + 3 < d; c += 4) {
    s0 += (u[c] as number) * (q[row + c] as number);
    s1 += (u[c + 1] as number) * (q[row + c + 1] as number);
    s2 += (u[c + 2] as number) * (q[row + c + 2] as number);
    s3 += (u[c + 3] as number) * (q[row + c + 3] as number);
  }
  for (; c < d; c++) s0 += (u[c] as number) * (q[row + c] as number);
  return s0 + s1 + s2 + s3;
}

/** No items besides the top ones to score. */
const NONE: readonly number[] = [];

/**
 * Indices of the k largest scores not in `excluded`, best first (ties: lower index first); only among the given
 * distinct indices when `among` is set.
 */
export function topK(
  scores: Float32Array,
  k: number,
  excluded: ReadonlySet<number>,
  among?: readonly number[],
): number[] {
  // Min-heap of (score, index) keyed so the worst kept candidate is at the root.
  const heapIdx: number[] = [];
  const worse = (a: number, b: number): boolean => {
    const sa = scores[a] as number;
    const sb = scores[b] as number;
    return sa < sb || (sa === sb && a > b);
  };
  const siftDown = (pos: number): void => {
    const size = heapIdx.length;
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < size && worse(heapIdx[l] as number, heapIdx[m] as number)) m = l;
      if (r < size && worse(heapIdx[r] as number, heapIdx[m] as number)) m = r;
      if (m === pos) return;
      const t = heapIdx[pos] as number;
      heapIdx[pos] = heapIdx[m] as number;
      heapIdx[m] = t;
      pos = m;
    }
  };
  const n = among === undefined ? scores.length : among.length;
  for (let a = 0; a < n; a++) {
    const j = among === undefined ? a : (among[a] as number);
    if (excluded.size > 0 && excluded.has(j)) continue;
    if (heapIdx.length < k) {
      heapIdx.push(j);
      let pos = heapIdx.length - 1;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!worse(heapIdx[pos] as number, heapIdx[parent] as number)) break;
        const t = heapIdx[pos] as number;
        heapIdx[pos] = heapIdx[parent] as number;
        heapIdx[parent] = t;
        pos = parent;
      }
    } else if (worse(heapIdx[0] as number, j)) {
      heapIdx[0] = j;
      siftDown(0);
    }
  }
  return heapIdx.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}
