/**
 * ItemKNN (Sarwar et al., WWW 2001; Deshpande & Karypis, TOIS 2004) on binary user-item sets with a
 * recency-weighted input:
 *
 *   sim(s, t) = |U_s ∩ U_t| / √(|U_s| · |U_t|)        (cosine; U_s = users who had item s)
 *   score(t)  = Σ_{s ∈ history} decay^(age_s) · sim(s, t)   over the k most similar neighbours t of each s
 *
 * age_s counts the events after s's newest occurrence (0 = the last event). Popularity back-fills the list.
 */
import type { Interaction, RecommendRequest, ScoredItem } from '../../lambdas/engine/types';
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

export interface ItemKnnOptions {
  /** Neighbours per history item that vote (at most `maxNeighbours`). @default 100 */
  readonly neighbours: number;
  /** Neighbours kept per item at fit time: the largest `neighbours` a later `configure` may ask for. @default 400 */
  readonly maxNeighbours: number;
  /** Per-event decay of a history item's vote. @default 1 */
  readonly decay: number;
  /** Most recent distinct history items that vote. @default 200 */
  readonly historyLength: number;
}

export const DEFAULT_ITEM_KNN_OPTIONS: ItemKnnOptions = {
  neighbours: 100,
  maxNeighbours: 400,
  decay: 1,
  historyLength: 200,
};

/** Each user's distinct items, first occurrence kept, so every pair counts once per user. */
function distinctPerUser(interactions: readonly Interaction[]): Interaction[] {
  const seen = new Set<string>();
  const out: Interaction[] = [];
  for (const x of interactions) {
    const key = `${x.userId}\u0000${x.itemId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(x);
  }
  return out;
}

export class ItemKnnBaseline implements Baseline {
  readonly name = 'itemknn';
  private options: ItemKnnOptions;
  private itemIds: string[] = [];
  private indexOf = new Map<string, number>();
  private order: Int32Array = new Int32Array(0);
  private counts: Float64Array = new Float64Array(0);
  private rows: CooccurrenceRows | undefined;
  private scores = new SparseScores(0);

  constructor(options: Partial<ItemKnnOptions> = {}) {
    this.options = { ...DEFAULT_ITEM_KNN_OPTIONS, ...options };
  }

  /** Changes the neighbourhood size (up to `maxNeighbours`) or the decay; needs no refit. */
  configure(options: Partial<Pick<ItemKnnOptions, 'neighbours' | 'decay'>>): void {
    this.options = { ...this.options, ...options };
  }

  fit(data: TrainingData): void {
    const flat = flatten(distinctPerUser(data.interactions));
    const counts = flat.counts;
    let longest = 1;
    for (let u = 0; u + 1 < flat.userStart.length; u++) {
      longest = Math.max(longest, (flat.userStart[u + 1] as number) - (flat.userStart[u] as number));
    }
    this.itemIds = flat.itemIds;
    this.indexOf = flat.indexOf;
    this.counts = counts;
    this.order = popularityOrder(counts);
    // A window as long as the longest user, both directions, no decay: every pair of one user's items once.
    this.rows = buildCooccurrence(flat, {
      window: longest,
      decay: 1,
      backwardWeight: 1,
      maxNeighbours: this.options.maxNeighbours,
      transform: (s, t, w) => w / Math.sqrt((counts[s] as number) * (counts[t] as number)),
    });
    this.scores = new SparseScores(flat.itemIds.length);
  }

  recommend(request: RecommendRequest): ScoredItem[] {
    const rows = this.rows;
    if (rows === undefined) throw new Error('itemknn: fit() first');
    const excluded = excludedIndices(request, this.indexOf);
    const voted = new Set<number>();
    let age = 0;
    for (let i = request.history.length - 1; i >= 0; i--, age++) {
      if (voted.size >= this.options.historyLength) break;
      const s = this.indexOf.get(request.history[i] as string);
      if (s === undefined || voted.has(s)) continue;
      voted.add(s);
      const vote = this.options.decay ** age;
      const start = rows.rowStart[s] as number;
      const end = Math.min(rows.rowStart[s + 1] as number, start + this.options.neighbours);
      for (let j = start; j < end; j++)
        this.scores.add(rows.neighbour[j] as number, vote * (rows.weight[j] as number));
    }
    const top = this.scores.takeTop(request.numResults, excluded, this.order, this.counts);
    return toScored(this.itemIds, top.items, top.scores);
  }
}
