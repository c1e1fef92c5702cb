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

/** Tile edge of the symmetrisation of G (one side is read column-wise). */
const SYMMETRISE_TILE = 64;

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

/** What the sums read: plain typed arrays, so that a worker thread can take them. */
export interface SumsInput {
  readonly itemSeq: Int32Array;
  readonly userOffsets: Int32Array;
  readonly keep: Uint8Array;
  /** Head position of every item, −1 outside the head. */
  readonly headPos: Int32Array;
  readonly h: number;
  /** History weights w_1 … w_K. */
  readonly w: Float64Array;
  /** Target weights v_0 … v_{|v|−1}. */
  readonly targets: Float64Array;
}

/**
 * Runs `accumulateRows` for each range of head positions into the shared `g` and `c`, on threads where there are
 * (the ranges write disjoint elements).
 */
export type SumsRunner = (
  input: SumsInput,
  ranges: readonly (readonly [number, number])[],
  g: Float64Array,
  c: Float64Array,
) => Promise<void>;

/**
 * G and C. Every pair is added where its later event's item is the row of G (and the column of C), so threads
 * that own disjoint ranges of head items write disjoint elements, and each element sums its terms in the same
 * order whatever the ranges: the sums are bit-identical for any number of threads. G is symmetrised at the end.
 */
export async function accumulate(
  seqs: Sequences,
  keep: Uint8Array,
  headPos: Int32Array,
  h: number,
  w: Float64Array,
  targets: Float64Array,
  alloc: (length: number) => Float64Array,
  run: SumsRunner,
  threads: number,
): Promise<Statistics> {
  const nx = h + 1;
  const g = alloc(nx * nx);
  const c = alloc(nx * h);
  let positions = 0;
  for (let u = 0; u < keep.length; u++) {
    const len = (seqs.userOffsets[u + 1] as number) - (seqs.userOffsets[u] as number);
    if (keep[u] && len >= 2) positions += len - 1;
  }
  // Ranges of head positions with about equal interactions (a head item's work grows with its count).
  const load = new Float64Array(h);
  for (let i = 0; i < headPos.length; i++) {
    const p = headPos[i] as number;
    if (p >= 0) load[p] = seqs.itemCounts[i] as number;
  }
  let total = 0;
  for (let p = 0; p < h; p++) total += load[p] as number;
  const ranges: [number, number][] = [];
  for (let p = 0, from = 0, seen = 0; p < h; p++) {
    seen += load[p] as number;
    if (p === h - 1 || seen >= (total * (ranges.length + 1)) / threads) {
      ranges.push([from, p + 1]);
      from = p + 1;
    }
  }
  const input: SumsInput = {
    itemSeq: seqs.itemSeq,
    userOffsets: seqs.userOffsets,
    keep,
    headPos,
    h,
    w,
    targets,
  };
  await run(input, ranges, g, c);
  g[h * nx + h] = positions;
  // G = R + Rᵀ off the diagonal, R being the row-wise sums (the context row of R is empty).
  for (let i0 = 0; i0 < nx; i0 += SYMMETRISE_TILE) {
    for (let j0 = i0; j0 < nx; j0 += SYMMETRISE_TILE) {
      for (let i = i0; i < Math.min(nx, i0 + SYMMETRISE_TILE); i++) {
        for (let j = Math.max(i + 1, j0); j < Math.min(nx, j0 + SYMMETRISE_TILE); j++) {
          const v = (g[i * nx + j] as number) + (g[j * nx + i] as number);
          g[i * nx + j] = v;
          g[j * nx + i] = v;
        }
      }
    }
  }
  return { g, c, positions };
}

/**
 * Adds to `g` and `c` the terms of every position whose event's head position j is in [j0, j1): row j of G (the
 * pairs with the events before it, the context column and the diagonal), and column j of C.
 */
export function accumulateRows(
  input: SumsInput,
  j0: number,
  j1: number,
  g: Float64Array,
  c: Float64Array,
): void {
  const { itemSeq, userOffsets, keep, headPos, h, w, targets } = input;
  const nx = h + 1;
  const k = w.length;
  const table = pairTable(w);
  const prefix = prefixWeights(w);
  const horizon = targets.length;
  const targetPrefix = prefixWeights(targets);
  const cross = crossTable(w, targets);
  const reach = cross.length - 1;
  const ctx = h;
  // Head positions of the user's events (−1 outside the head).
  let pos = new Int32Array(256);
  for (let u = 0; u < keep.length; u++) {
    if (!keep[u]) continue;
    const a = userOffsets[u] as number;
    const len = (userOffsets[u + 1] as number) - a;
    if (len < 2) continue;
    if (pos.length < len) pos = new Int32Array(2 * len);
    for (let q = 0; q < len; q++) pos[q] = headPos[itemSeq[a + q] as number] as number;
    for (let q = 0; q < len; q++) {
      const j = pos[q] as number;
      if (j < j0 || j >= j1) continue;
      // C: the event at q as a target of the positions q − r … q, against the events before each of them.
      if (q >= 1) {
        c[ctx * h + j] = (c[ctx * h + j] as number) + (targetPrefix[Math.min(q, horizon)] as number);
        for (let dd = 1; dd <= reach && q - dd >= 0; dd++) {
          const i = pos[q - dd] as number;
          if (i >= 0) c[i * h + j] = (c[i * h + j] as number) + (cross[dd] as number);
        }
      }
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
        // The pair enters G at (i, j) and (j, i), here as R[j][i]: twice on the diagonal for the same item.
        if (i === j) g[j * nx + j] = (g[j * nx + j] as number) + 2 * coef;
        else g[j * nx + i] = (g[j * nx + i] as number) + coef;
      }
    }
  }
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
