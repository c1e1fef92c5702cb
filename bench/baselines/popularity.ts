/** Most-popular baseline (Personalize's Popularity-Count): the same list for everyone, minus exclusions. */
import type { RecommendRequest, ScoredItem } from '../../lambdas/engine/types';
import { type Baseline, excludedIndices, flatten, popularityOrder, type TrainingData } from './common';

export class PopularityBaseline implements Baseline {
  readonly name = 'popularity';
  private itemIds: string[] = [];
  private indexOf = new Map<string, number>();
  private order: Int32Array = new Int32Array(0);
  private share: Float64Array = new Float64Array(0);

  fit(data: TrainingData): void {
    const flat = flatten(data.interactions);
    this.itemIds = flat.itemIds;
    this.indexOf = flat.indexOf;
    this.order = popularityOrder(flat.counts);
    const total = flat.events.length;
    this.share = flat.counts.map((c) => c / total);
  }

  recommend(request: RecommendRequest): ScoredItem[] {
    const excluded = excludedIndices(request, this.indexOf);
    const out: ScoredItem[] = [];
    for (let i = 0; i < this.order.length && out.length < request.numResults; i++) {
      const item = this.order[i] as number;
      if (excluded.has(item)) continue;
      out.push({ itemId: this.itemIds[item] as string, score: this.share[item] as number });
    }
    return out;
  }
}
