/**
 * Recency-weighted item-item baseline: items that followed (and, more weakly, preceded) each other closely within
 * users' sequences, summed over the user's recent history with geometrically decaying weights.
 *
 *   sim(s, t)  = C[s, t] / (n_s^α · n_t^(1−α))          (C from `buildCooccurrence`, n = item counts)
 *   score(t)   = Σ_{m=0..L−1} β^m · sim(h_{−1−m}, t)     (h_{−1} is the user's most recent item)
 */
import type { RecommendRequest, ScoredItem } from '../../lambdas/engine/types';
import {
  type Baseline,
  excludedIndices,
  flatten,
  popularityOrder,
  SparseScores,
  type TrainingData,
  toScored,
} from './common';
import { buildCooccurrence, type CooccurrenceRows } from './cooccurrence';

export interface ItemItemOptions {
  /** Co-occurrence window in positions. @default 10 */
  readonly window: number;
  /** Per-position decay of a pair's weight with distance. @default 0.8 */
  readonly pairDecay: number;
  /** Weight of pairs seen in reverse order. @default 0.3 */
  readonly backwardWeight: number;
  /** Neighbours kept per item. @default 200 */
  readonly maxNeighbours: number;
  /** How many of the user's most recent items vote. @default 20 */
  readonly historyLength: number;
  /** Per-step decay of a history item's vote, most recent first. @default 0.8 */
  readonly historyDecay: number;
  /** Popularity normalisation split between source (α) and neighbour (1 − α). @default 0.5 */
  readonly alpha: number;
}

export const DEFAULT_ITEM_ITEM_OPTIONS: ItemItemOptions = {
  window: 10,
  pairDecay: 0.8,
  backwardWeight: 0.3,
  maxNeighbours: 200,
  historyLength: 20,
  historyDecay: 0.8,
  alpha: 0.5,
};

export class ItemItemBaseline implements Baseline {
  readonly name = 'item-item';
  private readonly options: ItemItemOptions;
  private itemIds: string[] = [];
  private indexOf = new Map<string, number>();
  private order: Int32Array = new Int32Array(0);
  private counts: Float64Array = new Float64Array(0);
  private rows: CooccurrenceRows | undefined;
  private scores = new SparseScores(0);

  constructor(options: Partial<ItemItemOptions> = {}) {
    this.options = { ...DEFAULT_ITEM_ITEM_OPTIONS, ...options };
  }

  fit(data: TrainingData): void {
    const flat = flatten(data.interactions);
    const o = this.options;
    const counts = flat.counts;
    this.itemIds = flat.itemIds;
    this.indexOf = flat.indexOf;
    this.counts = counts;
    this.order = popularityOrder(counts);
    this.rows = buildCooccurrence(flat, {
      window: o.window,
      decay: o.pairDecay,
      backwardWeight: o.backwardWeight,
      maxNeighbours: o.maxNeighbours,
      transform: (s, t, w) => w / ((counts[s] as number) ** o.alpha * (counts[t] as number) ** (1 - o.alpha)),
    });
    this.scores = new SparseScores(flat.itemIds.length);
  }

  recommend(request: RecommendRequest): ScoredItem[] {
    const rows = this.rows;
    if (rows === undefined) throw new Error('item-item: fit() first');
    const excluded = excludedIndices(request, this.indexOf);
    let vote = 1;
    let used = 0;
    for (let i = request.history.length - 1; i >= 0 && used < this.options.historyLength; i--) {
      const s = this.indexOf.get(request.history[i] as string);
      if (s === undefined) continue;
      const end = rows.rowStart[s + 1] as number;
      for (let j = rows.rowStart[s] as number; j < end; j++) {
        this.scores.add(rows.neighbour[j] as number, vote * (rows.weight[j] as number));
      }
      vote *= this.options.historyDecay;
      used++;
    }
    const top = this.scores.takeTop(request.numResults, excluded, this.order, this.counts);
    return toScored(this.itemIds, top.items, top.scores);
  }
}
