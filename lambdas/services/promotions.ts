/**
 * Promotions on GetRecommendations (spec FILTERS.md §2): how many slots a promotion takes and where its items go.
 *
 * Choices where Personalize's documentation is silent:
 * - A promotion takes round(percentPromotedItems × numResults / 100) slots, at least 1 and at most numResults
 *   (25 results at 10 % → 3 promoted); when fewer items match its filter, as many as match.
 * - Promoted items are the best-scored items its filter keeps, in score order; exploration never touches them.
 *   The other slots are filled from the items the request's filter keeps, minus the promoted ones (the two pools
 *   are disjoint), with the campaign's exploration.
 * - Positions: a uniformly random set of slots, drawn from a generator seeded with the recommendationId, so the
 *   id replays them; the recommendation's record stores them.
 */
import { Random } from '../engine/random';

/** Mixed into the recommendationId's seed so promotion draws and exploration draws are independent streams. */
const POSITION_STREAM = 0x5bd1e995;

/** Slots a promotion of `percent` takes out of `numResults`. */
export function promotedSlots(percent: number, numResults: number): number {
  return Math.min(numResults, Math.max(1, Math.round((percent * numResults) / 100)));
}

/** `count` distinct positions in [0, total), ascending, drawn uniformly from `seed`. */
export function promotionPositions(seed: number, total: number, count: number): number[] {
  const random = new Random((seed ^ POSITION_STREAM) >>> 0);
  const slots = Array.from({ length: total }, (_, i) => i);
  // Partial Fisher–Yates: the first `count` entries become a uniform sample without replacement.
  for (let i = 0; i < count; i++) {
    const j = i + random.nextInt(total - i);
    const t = slots[i] as number;
    slots[i] = slots[j] as number;
    slots[j] = t;
  }
  return slots.slice(0, count).sort((a, b) => a - b);
}

/** `promoted` placed at `positions` (ascending), `others` in order in the remaining slots. */
export function interleave<T>(
  promoted: readonly T[],
  others: readonly T[],
  positions: readonly number[],
): T[] {
  const out: T[] = [];
  let p = 0;
  let o = 0;
  const total = promoted.length + others.length;
  for (let slot = 0; slot < total; slot++) {
    if (p < positions.length && positions[p] === slot) out.push(promoted[p++] as T);
    else out.push(others[o++] as T);
  }
  return out;
}
