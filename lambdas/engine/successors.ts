/**
 * The sparse successor table: for each item, its most frequent next items in the training sequences with the
 * smoothed transition probability P(j | i) = c_ij / (c_i + SUCCESSOR_SMOOTHING). Item-to-item transitions are
 * high-rank, which the rank-d sequence model cannot hold, so scoring adds them on top of it.
 */
import type { Sequences } from './dataset';

/** Most frequent next items kept per item. */
export const SUCCESSORS = 20;
/** Additive smoothing of P(j | i) = c_ij / (c_i + SUCCESSOR_SMOOTHING): rare items' tables are trusted less. */
export const SUCCESSOR_SMOOTHING = 5;

/** Successor counts: the SUCCESSORS most frequent next items per item (CSR), with raw counts. */
export interface SuccessorTable {
  readonly offsets: Int32Array;
  readonly items: Int32Array;
  readonly counts: Float64Array;
  /** Transitions out of each item. */
  readonly totals: Float64Array;
}

export function successorTable(seqs: Sequences, keep: Uint8Array, n: number): SuccessorTable {
  let m = 0;
  for (let user = 0; user < keep.length; user++) {
    if (!keep[user]) continue;
    m += Math.max(0, (seqs.userOffsets[user + 1] as number) - (seqs.userOffsets[user] as number) - 1);
  }
  // prev·n + next fits a double exactly for any catalog this engine can hold.
  const keys = new Float64Array(m);
  let p = 0;
  for (let user = 0; user < keep.length; user++) {
    if (!keep[user]) continue;
    const a = seqs.userOffsets[user] as number;
    const b = seqs.userOffsets[user + 1] as number;
    for (let t = a + 1; t < b; t++)
      keys[p++] = (seqs.itemSeq[t - 1] as number) * n + (seqs.itemSeq[t] as number);
  }
  keys.sort();
  const totals = new Float64Array(n);
  const perItem: { item: number; count: number }[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < m; ) {
    let j = i;
    while (j < m && keys[j] === keys[i]) j++;
    const key = keys[i] as number;
    const prev = Math.floor(key / n);
    (perItem[prev] as { item: number; count: number }[]).push({ item: key - prev * n, count: j - i });
    totals[prev] = (totals[prev] as number) + (j - i);
    i = j;
  }
  const offsets = new Int32Array(n + 1);
  const items: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const list = (perItem[i] as { item: number; count: number }[])
      .sort((x, y) => y.count - x.count || x.item - y.item)
      .slice(0, SUCCESSORS);
    for (const e of list) {
      items.push(e.item);
      counts.push(e.count);
    }
    offsets[i + 1] = items.length;
  }
  return { offsets, items: Int32Array.from(items), counts: Float64Array.from(counts), totals };
}

/** P(j | i) = c_ij / (c_i + SUCCESSOR_SMOOTHING) for the kept edges. */
export function successorWeights(table: SuccessorTable): Float32Array {
  const w = new Float32Array(table.items.length);
  for (let i = 0; i + 1 < table.offsets.length; i++) {
    const denom = (table.totals[i] as number) + SUCCESSOR_SMOOTHING;
    for (let e = table.offsets[i] as number; e < (table.offsets[i + 1] as number); e++) {
      w[e] = (table.counts[e] as number) / denom;
    }
  }
  return w;
}
