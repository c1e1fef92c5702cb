/** Markov-1 baseline: rank by how often each item directly followed the user's last item; popularity fills the rest. */
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

export class MarkovBaseline implements Baseline {
  readonly name = 'markov';
  private itemIds: string[] = [];
  private indexOf = new Map<string, number>();
  private order: Int32Array = new Int32Array(0);
  private counts: Float64Array = new Float64Array(0);
  private rows: CooccurrenceRows | undefined;
  private scores = new SparseScores(0);

  fit(data: TrainingData): void {
    const flat = flatten(data.interactions);
    this.itemIds = flat.itemIds;
    this.indexOf = flat.indexOf;
    this.counts = flat.counts;
    this.order = popularityOrder(flat.counts);
    // Window 1, forward only: exactly the last-item → next-item transition counts, unpruned.
    this.rows = buildCooccurrence(flat, {
      window: 1,
      decay: 1,
      backwardWeight: 0,
      maxNeighbours: Number.MAX_SAFE_INTEGER,
    });
    this.scores = new SparseScores(flat.itemIds.length);
  }

  recommend(request: RecommendRequest): ScoredItem[] {
    const rows = this.rows;
    if (rows === undefined) throw new Error('markov: fit() first');
    const excluded = excludedIndices(request, this.indexOf);
    let last: number | undefined;
    for (let i = request.history.length - 1; i >= 0 && last === undefined; i--) {
      last = this.indexOf.get(request.history[i] as string);
    }
    if (last !== undefined) {
      const start = rows.rowStart[last] as number;
      const end = rows.rowStart[last + 1] as number;
      let total = 0;
      for (let j = start; j < end; j++) total += rows.weight[j] as number;
      for (let j = start; j < end; j++)
        this.scores.add(rows.neighbour[j] as number, (rows.weight[j] as number) / total);
    }
    const top = this.scores.takeTop(request.numResults, excluded, this.order, this.counts);
    return toScored(this.itemIds, top.items, top.scores);
  }
}
