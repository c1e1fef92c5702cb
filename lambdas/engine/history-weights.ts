/**
 * How much each past event counts in a user's state: a two-timescale recency curve over the whole history,
 *   w_k = γ^(k−1) [k ≤ bptt] + c η^(k−1),   k = 1 (newest) … K,
 * the short-term window of the sequence model (γ, `bptt`) plus a slowly decaying long-term part (c, η) that keeps
 * a user's older taste. K is where the curve has fallen below {@link WEIGHT_FLOOR} of its start (at most
 * {@link MAX_HISTORY}), so the state of a user is a sum over at most K events.
 */

/** Longest history that enters a user's state (and that serving keeps per user). */
export const MAX_HISTORY = 256;
/** The curve is cut where it falls below this share of w_1. */
const WEIGHT_FLOOR = 0.01;

export interface HistoryCurve {
  /** γ: decay per event of the short-term part (1 = flat window). */
  readonly shortDecay: number;
  /** Events in the short-term part (Personalize's `bptt`). */
  readonly window: number;
  /** c: weight of the long-term part relative to the newest event's short-term weight (0 = window only). */
  readonly longWeight: number;
  /** η: decay per event of the long-term part. */
  readonly longDecay: number;
}

/** w_1 … w_K as a Float64Array of length K ≥ 1. */
export function historyWeights(curve: HistoryCurve): Float64Array {
  const { shortDecay, window, longWeight, longDecay } = curve;
  const at = (k: number): number =>
    (k <= window ? shortDecay ** (k - 1) : 0) + (longWeight > 0 ? longWeight * longDecay ** (k - 1) : 0);
  const first = at(1);
  let length = Math.min(window, MAX_HISTORY);
  while (length < MAX_HISTORY && at(length + 1) >= WEIGHT_FLOOR * first) length++;
  const w = new Float64Array(length);
  for (let k = 1; k <= length; k++) w[k - 1] = at(k);
  return w;
}

/**
 * Pair sums for the Gram matrix of states taken over every position of a sequence. Events p ≤ q = p + d of one
 * user both enter the states of the positions t = q+1 … that still see p, with weights w_{t−p} w_{t−q}, so
 *   Σ_t x_t x_tᵀ = Σ_{p ≤ q} T[d][M] (e_{s_p} e_{s_q}ᵀ + e_{s_q} e_{s_p}ᵀ [p ≠ q]),
 *   T[d][M] = Σ_{m=1..M} w_{m+d} w_m,   M = min(L − 1 − q, K − d),
 * which costs O(L·K) per user instead of O(L·K²). Row d of the table has K + 1 entries (M = 0 … K).
 */
export function pairTable(w: Float64Array): Float64Array {
  const k = w.length;
  const table = new Float64Array(k * (k + 1));
  for (let d = 0; d < k; d++) {
    let acc = 0;
    const row = d * (k + 1);
    for (let m = 1; m <= k; m++) {
      if (m + d <= k) acc += (w[m + d - 1] as number) * (w[m - 1] as number);
      table[row + m] = acc;
    }
  }
  return table;
}

/** Prefix sums W[M] = Σ_{m=1..M} w_m (M = 0 … K): an event's total weight over the positions after it. */
export function prefixWeights(w: Float64Array): Float64Array {
  const out = new Float64Array(w.length + 1);
  for (let m = 1; m <= w.length; m++) out[m] = (out[m - 1] as number) + (w[m - 1] as number);
  return out;
}
