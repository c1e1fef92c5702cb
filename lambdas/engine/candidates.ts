/**
 * Candidate selection for re-ranking approximate scores: given approximate values x̂_j with |x_j − x̂_j| ≤ ε for
 * every j, the k largest exact values are among the items with x̂_j ≥ T − 2ε, where T is the k-th largest x̂.
 * (Each of the k items with the largest x̂ has x ≥ T − ε, so the k-th largest x is ≥ T − ε; an item with that large
 * an x has x̂ ≥ T − 2ε.)
 */

/** Min-heap of at most k numbers: its root is the k-th largest value pushed so far once full. */
class KthLargest {
  private readonly heap: Float64Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.heap = new Float64Array(k);
  }

  get full(): boolean {
    return this.size === this.k;
  }

  /** The k-th largest value pushed so far (−∞ while fewer than k were pushed). */
  get kth(): number {
    return this.full ? (this.heap[0] as number) : Number.NEGATIVE_INFINITY;
  }

  push(v: number): void {
    const h = this.heap;
    if (this.size < this.k) {
      let pos = this.size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if ((h[parent] as number) <= v) break;
        h[pos] = h[parent] as number;
        pos = parent;
      }
      h[pos] = v;
      return;
    }
    if (v <= (h[0] as number)) return;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const m = r < this.size && (h[r] as number) < (h[l] as number) ? r : l;
      if ((h[m] as number) >= v) break;
      h[pos] = h[m] as number;
      pos = m;
    }
    h[pos] = v;
  }
}

/**
 * Indices j (ascending) with finite `approx[j]` ≥ T − margin, not in `excluded`, where T is the k-th largest finite
 * value outside `excluded` (−∞ when there are fewer than k). With margin = 2ε they hold the exact top k.
 */
export function candidates(
  approx: Float32Array,
  k: number,
  margin: number,
  excluded: ReadonlySet<number>,
): number[] {
  const kth = new KthLargest(Math.max(1, k));
  let kept: number[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  const checkExcluded = excluded.size > 0;
  for (let j = 0; j < approx.length; j++) {
    const v = approx[j] as number;
    if (!(v >= floor) || v === Number.NEGATIVE_INFINITY) continue;
    if (checkExcluded && excluded.has(j)) continue;
    kept.push(j);
    kth.push(v);
    if (kth.full) {
      floor = kth.kth - margin;
      // The floor only rises: drop what fell below it once the list has grown well past k.
      if (kept.length > 8 * k + 1024) kept = kept.filter((i) => (approx[i] as number) >= floor);
    }
  }
  return kept.filter((i) => (approx[i] as number) >= floor);
}
