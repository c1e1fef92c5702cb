/**
 * Sparse item-to-item co-occurrence within user sequences, weighted by how far apart the two events are, kept as
 * CSR rows pruned to each item's strongest neighbours. The Markov-1 and item-item baselines are both built on it.
 */
import type { FlatSequences } from './common';

export interface CooccurrenceOptions {
  /** Pairs further apart than this many positions are ignored. */
  readonly window: number;
  /** Weight of a pair at distance d is decay^(d − 1). */
  readonly decay: number;
  /** Weight multiplier for pairs where the neighbour came *before* the source (0 = strictly next-item). */
  readonly backwardWeight: number;
  /** Neighbours kept per item (the strongest after `transform`). */
  readonly maxNeighbours: number;
  /** Rewrites each accumulated C[s, t] before pruning (e.g. to normalise by popularity). */
  readonly transform?: (source: number, neighbour: number, weight: number) => number;
}

/** Row s holds the neighbours t with their accumulated weights C[s, t], strongest first. */
export interface CooccurrenceRows {
  readonly rowStart: Int32Array;
  readonly neighbour: Int32Array;
  readonly weight: Float32Array;
}

/**
 *   C[s, t] = Σ_users Σ_{p<q, q−p ≤ W, x_p = s, x_q = t} decay^(q−p−1)
 *           + backwardWeight · Σ_users Σ_{q<p, p−q ≤ W, x_p = s, x_q = t} decay^(p−q−1)
 *
 * Built one source item at a time from an inverted index of its occurrences, so memory stays at the pruned size
 * plus one dense row.
 */
export function buildCooccurrence(flat: FlatSequences, options: CooccurrenceOptions): CooccurrenceRows {
  const itemCount = flat.itemIds.length;
  const { events, userStart } = flat;
  const eventUser = new Int32Array(events.length);
  for (let u = 0; u + 1 < userStart.length; u++) {
    eventUser.fill(u, userStart[u] as number, userStart[u + 1] as number);
  }
  // Inverted index: the positions at which each item occurs.
  const occStart = new Int32Array(itemCount + 1);
  for (let i = 0; i < events.length; i++) occStart[(events[i] as number) + 1]! += 1;
  for (let s = 0; s < itemCount; s++) occStart[s + 1]! += occStart[s] as number;
  const occ = new Int32Array(events.length);
  const fillAt = occStart.slice(0, itemCount);
  for (let i = 0; i < events.length; i++) occ[fillAt[events[i] as number]!++] = i;

  const decayPow = new Float64Array(options.window + 1);
  for (let d = 1; d <= options.window; d++) decayPow[d] = options.decay ** (d - 1);

  const row = new Float64Array(itemCount);
  const touched: number[] = [];
  const rowStart = new Int32Array(itemCount + 1);
  const neighbours: number[][] = [];
  const weights: number[][] = [];
  for (let s = 0; s < itemCount; s++) {
    for (let o = occStart[s] as number; o < (occStart[s + 1] as number); o++) {
      const p = occ[o] as number;
      const u = eventUser[p] as number;
      const lo = Math.max(userStart[u] as number, p - options.window);
      const hi = Math.min((userStart[u + 1] as number) - 1, p + options.window);
      for (let q = p + 1; q <= hi; q++) {
        const t = events[q] as number;
        if (t === s) continue;
        if (row[t] === 0) touched.push(t);
        row[t]! += decayPow[q - p] as number;
      }
      if (options.backwardWeight > 0) {
        for (let q = lo; q < p; q++) {
          const t = events[q] as number;
          if (t === s) continue;
          if (row[t] === 0) touched.push(t);
          row[t]! += options.backwardWeight * (decayPow[p - q] as number);
        }
      }
    }
    if (options.transform !== undefined) {
      for (const t of touched) row[t] = options.transform(s, t, row[t] as number);
    }
    touched.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
    const keep = Math.min(touched.length, options.maxNeighbours);
    const ns = touched.slice(0, keep);
    neighbours.push(ns);
    weights.push(ns.map((t) => row[t] as number));
    rowStart[s + 1] = (rowStart[s] as number) + keep;
    for (const t of touched) row[t] = 0;
    touched.length = 0;
  }
  const total = rowStart[itemCount] as number;
  const neighbour = new Int32Array(total);
  const weight = new Float32Array(total);
  for (let s = 0; s < itemCount; s++) {
    neighbour.set(neighbours[s] as number[], rowStart[s] as number);
    weight.set(weights[s] as number[], rowStart[s] as number);
  }
  return { rowStart, neighbour, weight };
}
