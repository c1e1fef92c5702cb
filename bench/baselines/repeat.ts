/**
 * "Repeat recent history": the user's distinct items, most recent occurrence first, then the most popular items.
 * Learns nothing but popularity; on data with repeat consumption it is the bar a sequence model must clear.
 */
import type { RecommendRequest, ScoredItem } from '../../lambdas/engine/types';
import { type Baseline, excludedIndices, flatten, popularityOrder, type TrainingData } from './common';

export class RepeatRecentBaseline implements Baseline {
  readonly name = 'repeat';
  private itemIds: string[] = [];
  private indexOf = new Map<string, number>();
  private order: Int32Array = new Int32Array(0);

  fit(data: TrainingData): void {
    const flat = flatten(data.interactions);
    this.itemIds = flat.itemIds;
    this.indexOf = flat.indexOf;
    this.order = popularityOrder(flat.counts);
  }

  /**
   * Scores: history items 1 + 1/(1 + age) (age 0 = the last event), popular items 1/(2 + popularity rank), so the
   * scores fall along the list. Unknown history items are recommended too: they are the user's own.
   */
  recommend(request: RecommendRequest): ScoredItem[] {
    const excluded = excludedIndices(request, this.indexOf);
    const excludedIds = new Set(request.exclude ?? []);
    if (request.excludeHistory === true) for (const id of request.history) excludedIds.add(id);
    const out: ScoredItem[] = [];
    const chosen = new Set<string>();
    for (let t = request.history.length - 1, age = 0; t >= 0; t--, age++) {
      if (out.length >= request.numResults) return out;
      const id = request.history[t] as string;
      if (chosen.has(id) || excludedIds.has(id)) continue;
      chosen.add(id);
      out.push({ itemId: id, score: 1 + 1 / (1 + age) });
    }
    for (let r = 0; r < this.order.length && out.length < request.numResults; r++) {
      const item = this.order[r] as number;
      const id = this.itemIds[item] as string;
      if (excluded.has(item) || chosen.has(id)) continue;
      chosen.add(id);
      out.push({ itemId: id, score: 1 / (2 + r) });
    }
    return out;
  }
}
