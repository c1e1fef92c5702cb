/**
 * Shared plumbing for the benchmark baselines: dense item indices, per-user sequences as flat typed arrays, a
 * top-K selector over sparse scores and the popularity back-fill every baseline falls back to.
 */
import type { Interaction, Recommender, RecommendRequest, ScoredItem } from '../../lambdas/engine/types';

/** What every baseline is trained on: the training users' interactions (any order). */
export interface TrainingData {
  readonly interactions: readonly Interaction[];
}

export interface Baseline extends Recommender {
  readonly name: string;
  fit(data: TrainingData): void;
}

/** All training interactions as one flat array, users contiguous and each user's events in time order. */
export interface FlatSequences {
  readonly itemIds: string[];
  readonly indexOf: Map<string, number>;
  /** Item index per event. */
  readonly events: Int32Array;
  /** User u's events are events[userStart[u] .. userStart[u + 1]). */
  readonly userStart: Int32Array;
  /** Events per item. */
  readonly counts: Float64Array;
}

export function flatten(interactions: readonly Interaction[]): FlatSequences {
  const byUser = new Map<string, Interaction[]>();
  for (const x of interactions) {
    let list = byUser.get(x.userId);
    if (list === undefined) {
      list = [];
      byUser.set(x.userId, list);
    }
    list.push(x);
  }
  const itemIds: string[] = [];
  const indexOf = new Map<string, number>();
  const events = new Int32Array(interactions.length);
  const userStart = new Int32Array(byUser.size + 1);
  let pos = 0;
  let u = 0;
  for (const list of byUser.values()) {
    // Array.prototype.sort is stable, so equal timestamps keep their input order.
    list.sort((a, b) => a.timestamp - b.timestamp);
    userStart[u++] = pos;
    for (const x of list) {
      let idx = indexOf.get(x.itemId);
      if (idx === undefined) {
        idx = itemIds.length;
        indexOf.set(x.itemId, idx);
        itemIds.push(x.itemId);
      }
      events[pos++] = idx;
    }
  }
  userStart[u] = pos;
  const counts = new Float64Array(itemIds.length);
  for (let i = 0; i < events.length; i++) counts[events[i] as number]! += 1;
  return { itemIds, indexOf, events, userStart, counts };
}

/** Item indices by descending count, ties by first appearance. */
export function popularityOrder(counts: Float64Array): Int32Array {
  const order = Int32Array.from({ length: counts.length }, (_, i) => i);
  order.sort((a, b) => (counts[b] as number) - (counts[a] as number) || a - b);
  return order;
}

/** The request's exclusions as item indices (unknown ids cannot be recommended anyway). */
export function excludedIndices(
  request: RecommendRequest,
  indexOf: ReadonlyMap<string, number>,
): Set<number> {
  const out = new Set<number>();
  if (request.exclude !== undefined) {
    for (const id of request.exclude) {
      const idx = indexOf.get(id);
      if (idx !== undefined) out.add(idx);
    }
  }
  if (request.excludeHistory === true) {
    for (const id of request.history) {
      const idx = indexOf.get(id);
      if (idx !== undefined) out.add(idx);
    }
  }
  return out;
}

/**
 * Reusable sparse accumulator: `add` scores into a dense array and remembers which entries were touched, so a
 * request costs O(touched) rather than O(catalog).
 */
export class SparseScores {
  readonly values: Float64Array;
  private readonly touched: Int32Array;
  private readonly marked: Uint8Array;
  private size = 0;

  constructor(itemCount: number) {
    this.values = new Float64Array(itemCount);
    this.touched = new Int32Array(itemCount);
    this.marked = new Uint8Array(itemCount);
  }

  add(item: number, value: number): void {
    if (this.marked[item] === 0) {
      this.marked[item] = 1;
      this.touched[this.size++] = item;
    }
    this.values[item]! += value;
  }

  /**
   * The k best touched items not in `excluded`, best first, back-filled from `fallbackOrder`; clears the
   * accumulator. Ties go to the earlier item in `fallbackOrder`'s sense via `tieBreak` (higher wins).
   */
  takeTop(
    k: number,
    excluded: ReadonlySet<number>,
    fallbackOrder: Int32Array,
    tieBreak: Float64Array,
  ): { items: number[]; scores: number[] } {
    const candidates: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const item = this.touched[i] as number;
      if (!excluded.has(item)) candidates.push(item);
    }
    const v = this.values;
    const better = (a: number, b: number): number =>
      (v[b] as number) - (v[a] as number) || (tieBreak[b] as number) - (tieBreak[a] as number) || a - b;
    const top = selectTop(candidates, k, better);
    const items = top;
    const scores = top.map((i) => v[i] as number);
    this.clear();
    if (items.length < k) {
      const chosen = new Set(items);
      for (let i = 0; i < fallbackOrder.length && items.length < k; i++) {
        const item = fallbackOrder[i] as number;
        if (excluded.has(item) || chosen.has(item)) continue;
        items.push(item);
        scores.push(0);
      }
    }
    return { items, scores };
  }

  clear(): void {
    for (let i = 0; i < this.size; i++) {
      const item = this.touched[i] as number;
      this.values[item] = 0;
      this.marked[item] = 0;
    }
    this.size = 0;
  }
}

/** The k smallest elements under `compare`, sorted; a full sort only when the candidate list is short. */
function selectTop(candidates: number[], k: number, compare: (a: number, b: number) => number): number[] {
  if (candidates.length <= 4 * k) return candidates.sort(compare).slice(0, k);
  // Bounded max-heap (under `compare`) of the k best seen so far: O(n log k).
  const heap: number[] = [];
  const up = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compare(heap[i] as number, heap[p] as number) <= 0) return;
      [heap[i], heap[p]] = [heap[p] as number, heap[i] as number];
      i = p;
    }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && compare(heap[l] as number, heap[m] as number) > 0) m = l;
      if (r < heap.length && compare(heap[r] as number, heap[m] as number) > 0) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m] as number, heap[i] as number];
      i = m;
    }
  };
  for (const c of candidates) {
    if (heap.length < k) {
      heap.push(c);
      up(heap.length - 1);
    } else if (compare(c, heap[0] as number) < 0) {
      heap[0] = c;
      down(0);
    }
  }
  return heap.sort(compare);
}

/** Maps internal indices back to ids. */
export function toScored(itemIds: readonly string[], items: number[], scores: number[]): ScoredItem[] {
  return items.map((item, i) => ({ itemId: itemIds[item] as string, score: scores[i] as number }));
}
