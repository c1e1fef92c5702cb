/**
 * The sufficient statistics of the sequence regression: for every position t ≥ 1 of every training user, the input
 * is the recency-weighted history before t plus a constant context feature and the target is the event at t and,
 * with a target horizon v, the events after it,
 *   x_t = e_ctx + Σ_{k=1..min(t,K)} w_k e_{s_{t−k}},   y_t = Σ_{r=0..|v|−1} v_r e_{s_{t+r}},
 * and we need G = Σ_t x_t x_tᵀ ((h+1) × (h+1)) and C = Σ_t x_t y_tᵀ ((h+1) × h) over head items (the context is row
 * and column h). Items outside the head contribute nothing to x, and positions whose target is outside the head
 * contribute to G only. G is accumulated pair by pair (`pairTable`), C position by position; both cost O(L·K) per
 * user.
 */
import type { Sequences } from './dataset';
import { pairTable, prefixWeights } from './history-weights';

/** Target weights of the next item only. */
export const NEXT_ITEM = Float64Array.of(1);

/**
 * F[d] = Σ_m w_m v_{d−m} over 1 ≤ m ≤ K, 0 ≤ d − m < |v|: the weight with which an event d steps before another
 * enters the positions that have the later event among their targets (d = 1 … K + |v| − 1; F[0] unused).
 */
export function crossTable(w: Float64Array, targets: Float64Array): Float64Array {
  const k = w.length;
  const out = new Float64Array(k + targets.length);
  for (let m = 1; m <= k; m++) {
    for (let r = 0; r < targets.length; r++) {
      out[m + r] = (out[m + r] as number) + (w[m - 1] as number) * (targets[r] as number);
    }
  }
  return out;
}

export interface Statistics {
  readonly g: Float64Array;
  readonly c: Float64Array;
  /** Training positions (t ≥ 1) seen. */
  readonly positions: number;
}

export function accumulate(
  seqs: Sequences,
  keep: Uint8Array,
  headPos: Int32Array,
  h: number,
  w: Float64Array,
  targets: Float64Array = NEXT_ITEM,
  alloc: (length: number) => Float64Array = (length) => new Float64Array(length),
): Statistics {
  const nx = h + 1;
  const g = alloc(nx * nx);
  const c = alloc(nx * h);
  const k = w.length;
  const table = pairTable(w);
  const prefix = prefixWeights(w);
  const horizon = targets.length;
  const targetPrefix = prefixWeights(targets);
  const cross = crossTable(w, targets);
  const reach = cross.length - 1;
  const ctx = h;
  let positions = 0;
  // Head positions of the user's events (−1 outside the head), and G summed into its upper triangle only (each pair
  // written once), mirrored at the end.
  let pos = new Int32Array(256);
  for (let u = 0; u < keep.length; u++) {
    if (!keep[u]) continue;
    const a = seqs.userOffsets[u] as number;
    const len = (seqs.userOffsets[u + 1] as number) - a;
    if (len < 2) continue;
    if (pos.length < len) pos = new Int32Array(2 * len);
    for (let q = 0; q < len; q++) pos[q] = headPos[seqs.itemSeq[a + q] as number] as number;
    positions += len - 1;
    g[ctx * nx + ctx] = (g[ctx * nx + ctx] as number) + (len - 1);
    for (let q = 0; q < len; q++) {
      const j = pos[q] as number;
      // C: the event at q as a target of the positions q − r … q, against the events before each of them.
      if (j >= 0 && q >= 1) {
        c[ctx * h + j] = (c[ctx * h + j] as number) + (targetPrefix[Math.min(q, horizon)] as number);
        for (let dd = 1; dd <= reach && q - dd >= 0; dd++) {
          const i = pos[q - dd] as number;
          if (i >= 0) c[i * h + j] = (c[i * h + j] as number) + (cross[dd] as number);
        }
      }
      if (j < 0) continue;
      const after = len - 1 - q;
      if (after === 0) continue;
      // G: the context column, then q paired with itself and with the events before it.
      g[j * nx + ctx] = (g[j * nx + ctx] as number) + (prefix[Math.min(after, k)] as number);
      for (let d = 0; d < k && q - d >= 0; d++) {
        const coef = table[d * (k + 1) + Math.min(after, k - d)] as number;
        if (coef === 0) continue;
        if (d === 0) {
          g[j * nx + j] = (g[j * nx + j] as number) + coef;
          continue;
        }
        const i = pos[q - d] as number;
        if (i < 0) continue;
        // The pair enters G at (i, j) and (j, i): twice on the diagonal when both events are the same item.
        if (i < j) g[i * nx + j] = (g[i * nx + j] as number) + coef;
        else if (i > j) g[j * nx + i] = (g[j * nx + i] as number) + coef;
        else g[j * nx + j] = (g[j * nx + j] as number) + 2 * coef;
      }
    }
  }
  for (let i = 0; i < nx; i++) for (let j = i + 1; j < nx; j++) g[j * nx + i] = g[i * nx + j] as number;
  return { g, c, positions };
}

/**
 * The state input x (dense over the h head items plus the context, length h + 1) of the history that ends just
 * before `end` (exclusive) in the user's slice starting at `start`.
 */
export function stateInput(
  seqs: Sequences,
  start: number,
  end: number,
  headPos: Int32Array,
  h: number,
  w: Float64Array,
  out: Float64Array,
): void {
  out.fill(0, 0, h + 1);
  out[h] = 1;
  for (let kk = 1; kk <= w.length && end - kk >= start; kk++) {
    const i = headPos[seqs.itemSeq[end - kk] as number] as number;
    if (i >= 0) out[i] = (out[i] as number) + (w[kk - 1] as number);
  }
}
