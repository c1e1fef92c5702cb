/**
 * Repeat behaviour, learned from the training data: the probability that a user's next event repeats an item of
 * their recent history, as a function of
 *   - the item's recency among the distinct items of the history (1 = the newest item), bucketed,
 *   - how often it occurs in the history, bucketed, and
 *   - the event type of its newest occurrence,
 * estimated by counting over training positions: φ(cell) = hits / opportunities, where each distinct item of the
 * history before a position is an opportunity and a hit when it is the event at that position. Sparse cells are
 * shrunk towards their recency bucket, and each bucket towards the next newer one (add-κ smoothing). Each item then
 * gets a factor: its repeats over those its cells predict, shrunk towards 1.
 *
 * At scoring, the next item is a mixture of "repeat an item of the history" and "something new" (in the spirit of
 * RepeatNet, Ren et al., AAAI 2019, with counts in place of a learned switch):
 *   P(j) = φ(cell of j)                        for j in the history,
 *   P(j) = (1 − Σ_{i∈H} φ_i) · softmax_{∉H}(z)_j  otherwise,
 * so a data set without repeats (φ ≈ 0) excludes seen items and one with repeats recommends them where they are
 * likely.
 */
import type { Sequences } from './dataset';
import { MAX_HISTORY } from './history-weights';
import type { Random } from './random';

/** Upper bounds of the recency buckets (distinct-item rank, 1 = newest). */
export const RECENCY_BOUNDS: readonly number[] = [1, 2, 3, 4, 6, 9, 14, 24, 49, 99, MAX_HISTORY];
/** Upper bounds of the in-history frequency buckets. */
export const FREQUENCY_BOUNDS: readonly number[] = [1, 2, 4, MAX_HISTORY];
/** κ of the add-κ shrinkage of a cell towards its recency bucket, and of a bucket towards the overall rate. */
const SHRINKAGE = 10;
/** Pseudo-count (in expected repeats) that shrinks an item's repeat factor towards 1. */
const ITEM_SHRINKAGE = 5;
/** Training positions counted at most (a seeded sample beyond that). */
const REPEAT_POSITIONS = 400_000;
/** The repeat mass of one history is capped so that new items keep some probability. */
export const MAX_REPEAT_MASS = 0.99;

export interface RepeatTable {
  /** Event type names; type index t + 1 in `probabilities`, index 0 is "no or unknown type". */
  readonly eventTypes: readonly string[];
  /** φ per cell, indexed [(recency · |FREQUENCY_BOUNDS| + frequency) · (types + 1) + type]. */
  readonly probabilities: Float64Array;
  /** Per catalog item, how much more (> 1) or less it is repeated than its cells say; 1 for items never seen. */
  readonly itemFactors: Float32Array;
}

/** The bucket of every value 0 … MAX_HISTORY: the first whose upper bound it does not exceed (the last for larger). */
function buckets(bounds: readonly number[]): Uint8Array {
  const of = new Uint8Array(MAX_HISTORY + 1);
  for (let value = 0, b = 0; value <= MAX_HISTORY; value++) {
    while (b < bounds.length - 1 && value > (bounds[b] as number)) b++;
    of[value] = b;
  }
  return of;
}
const RECENCY_BUCKET = buckets(RECENCY_BOUNDS);
const FREQUENCY_BUCKET = buckets(FREQUENCY_BOUNDS);

/** The distinct items of a history (newest first) with their recency cell, written into reusable buffers. */
export class HistoryCells {
  readonly items: Int32Array = new Int32Array(MAX_HISTORY);
  readonly cells: Int32Array = new Int32Array(MAX_HISTORY);
  size = 0;
  private readonly count: Int32Array;
  private readonly stamp: Int32Array;
  private readonly firstType: Int32Array;
  private clock = 0;

  constructor(catalogSize: number) {
    this.count = new Int32Array(catalogSize);
    this.stamp = new Int32Array(catalogSize);
    this.firstType = new Int32Array(catalogSize);
  }

  /**
   * Reads `length` events backwards through `itemAt(k)`/`typeAt(k)` (k = 0 is the newest; negative items are
   * unknown and skipped) and fills `items`/`cells`. `types` is the number of event types + 1.
   */
  read(length: number, itemAt: (k: number) => number, typeAt: (k: number) => number, types: number): void {
    this.clock++;
    this.size = 0;
    const n = Math.min(length, MAX_HISTORY);
    for (let k = 0; k < n; k++) {
      const item = itemAt(k);
      if (item < 0) continue;
      if (this.stamp[item] !== this.clock) {
        this.stamp[item] = this.clock;
        this.count[item] = 1;
        this.firstType[item] = typeAt(k);
        this.items[this.size++] = item;
      } else {
        this.count[item] = (this.count[item] as number) + 1;
      }
    }
    const f = FREQUENCY_BOUNDS.length;
    for (let r = 0; r < this.size; r++) {
      const item = this.items[r] as number;
      const rec = RECENCY_BUCKET[r + 1] as number;
      const freq = FREQUENCY_BUCKET[this.count[item] as number] as number;
      this.cells[r] = (rec * f + freq) * types + (this.firstType[item] as number);
    }
  }
}

/** Counts hits and opportunities per cell over (a seeded sample of) the training positions and smooths them. */
export function fitRepeatTable(seqs: Sequences, keep: Uint8Array, random: Random): RepeatTable {
  const typeSeq = seqs.typeSeq;
  const eventTypes = seqs.eventTypes.ids;
  const types = eventTypes.length + 1;
  const cellsPerType = RECENCY_BOUNDS.length * FREQUENCY_BOUNDS.length;
  const hits = new Float64Array(cellsPerType * types);
  const opportunities = new Float64Array(cellsPerType * types);
  let total = 0;
  for (let u = 0; u < keep.length; u++) {
    if (keep[u])
      total += Math.max(0, (seqs.userOffsets[u + 1] as number) - (seqs.userOffsets[u] as number) - 1);
  }
  const rate = Math.min(1, REPEAT_POSITIONS / Math.max(1, total));
  const sampled: number[] = [];
  for (let u = 0; u < keep.length; u++) {
    if (!keep[u]) continue;
    const a = seqs.userOffsets[u] as number;
    const b = seqs.userOffsets[u + 1] as number;
    for (let t = a + 1; t < b; t++) if (rate >= 1 || random.next() < rate) sampled.push(u, t);
  }
  const history = new HistoryCells(seqs.items.size);
  // Visits the distinct history items before each sampled position with their cell and whether they come next.
  const visit = (each: (item: number, cell: number, hit: boolean) => void): void => {
    for (let s = 0; s < sampled.length; s += 2) {
      const a = seqs.userOffsets[sampled[s] as number] as number;
      const t = sampled[s + 1] as number;
      history.read(
        t - a,
        (k) => seqs.itemSeq[t - 1 - k] as number,
        (k) => typeSeq[t - 1 - k] as number,
        types,
      );
      const target = seqs.itemSeq[t] as number;
      for (let r = 0; r < history.size; r++) {
        const item = history.items[r] as number;
        each(item, history.cells[r] as number, item === target);
      }
    }
  };
  visit((_, cell, hit) => {
    opportunities[cell] = (opportunities[cell] as number) + 1;
    if (hit) hits[cell] = (hits[cell] as number) + 1;
  });
  const probabilities = smooth(hits, opportunities, types);
  // Per item: its repeats against those the cells expect, shrunk towards 1 (some items are revisited far more).
  const n = seqs.items.size;
  const itemHits = new Float64Array(n);
  const expected = new Float64Array(n);
  visit((item, cell, hit) => {
    expected[item] = (expected[item] as number) + (probabilities[cell] as number);
    if (hit) itemHits[item] = (itemHits[item] as number) + 1;
  });
  const itemFactors = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    itemFactors[i] = ((itemHits[i] as number) + ITEM_SHRINKAGE) / ((expected[i] as number) + ITEM_SHRINKAGE);
  }
  return { eventTypes: [...eventTypes], probabilities, itemFactors };
}

/** φ = (hits + κ φ_parent) / (opportunities + κ): cells → their recency bucket → the next newer bucket → overall. */
function smooth(hits: Float64Array, opportunities: Float64Array, types: number): Float64Array {
  const f = FREQUENCY_BOUNDS.length;
  let allHits = 0;
  let allOpp = 0;
  for (let i = 0; i < hits.length; i++) {
    allHits += hits[i] as number;
    allOpp += opportunities[i] as number;
  }
  const overall = allOpp > 0 ? allHits / allOpp : 0;
  const out = new Float64Array(hits.length);
  // A recency bucket shrinks towards the next newer one (the first towards the overall rate), so an empty old
  // bucket inherits a recent rate rather than the average.
  let previous = overall;
  for (let rec = 0; rec < RECENCY_BOUNDS.length; rec++) {
    let bh = 0;
    let bo = 0;
    for (let i = rec * f * types; i < (rec + 1) * f * types; i++) {
      bh += hits[i] as number;
      bo += opportunities[i] as number;
    }
    const parent = (bh + SHRINKAGE * previous) / (bo + SHRINKAGE);
    previous = parent;
    for (let i = rec * f * types; i < (rec + 1) * f * types; i++) {
      out[i] = ((hits[i] as number) + SHRINKAGE * parent) / ((opportunities[i] as number) + SHRINKAGE);
    }
  }
  return out;
}

/**
 * φ of each distinct history item (in `history.items[0 … size)`) into `out`, scaled down together if their sum
 * exceeds {@link MAX_REPEAT_MASS}; returns the sum.
 */
export function repeatProbabilities(table: RepeatTable, history: HistoryCells, out: Float64Array): number {
  let mass = 0;
  for (let r = 0; r < history.size; r++) {
    const item = history.items[r] as number;
    const p = Math.min(
      1,
      (table.probabilities[history.cells[r] as number] as number) * (table.itemFactors[item] ?? 1),
    );
    out[r] = p;
    mass += p;
  }
  if (mass > MAX_REPEAT_MASS) {
    const scale = MAX_REPEAT_MASS / mass;
    for (let r = 0; r < history.size; r++) out[r] = (out[r] as number) * scale;
    mass = MAX_REPEAT_MASS;
  }
  return mass;
}
