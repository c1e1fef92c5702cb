import type { Interaction } from '../../../lambdas/engine/types';
import {
  alignEngagement,
  IMPRESSION_SESSION_SECONDS,
  itemStatsFromInteractions,
  mergeItemStats,
} from '../../../lambdas/services/item-stats';
import { itemStatsKey } from '../../../lambdas/store/artifacts';

const at = (userId: string, itemId: string, timestamp: number, impression?: string[]): Interaction => ({
  userId,
  itemId,
  timestamp,
  ...(impression === undefined ? {} : { impression }),
});

const countsOf = (stats: ReturnType<typeof itemStatsFromInteractions>) =>
  Object.fromEntries(stats.itemIds.map((id, i) => [id, [stats.impressions[i], stats.clicks[i]]]));

describe('itemStatsFromInteractions', () => {
  it('counts one impression per item per showing and a click for the item chosen from it', () => {
    const stats = itemStatsFromInteractions([
      at('u1', 'b', 100, ['a', 'b', 'c']),
      // A second event from the same showing (a purchase after the click) adds neither impressions nor a click.
      at('u1', 'b', 200, ['a', 'b', 'c']),
      // Another item chosen from the same showing: a click, no impressions.
      at('u1', 'c', 300, ['a', 'b', 'c']),
      // The same list shown again much later is a new showing.
      at('u1', 'a', 300 + IMPRESSION_SESSION_SECONDS + 1, ['a', 'b', 'c']),
      // Another user; the chosen item was not in the list: impressions only.
      at('u2', 'z', 50, ['a', 'd']),
      // No impression list: nothing.
      at('u3', 'a', 60),
    ]);
    expect(countsOf(stats)).toEqual({ a: [3, 1], b: [2, 1], c: [2, 1], d: [1, 0] });
    expect(stats.latestInteractionTimestamp).toBe(300 + IMPRESSION_SESSION_SECONDS + 1);
  });

  it('gives no statistics and no latest time for no interactions', () => {
    const stats = itemStatsFromInteractions([]);
    expect(stats.itemIds).toEqual([]);
    expect(stats.latestInteractionTimestamp).toBeNull();
  });
});

describe('mergeItemStats and alignEngagement', () => {
  it('adds counts by item id, keeps the newest time, and aligns to a catalog', () => {
    const base = itemStatsFromInteractions([at('u1', 'a', 10, ['a', 'b'])]);
    const more = itemStatsFromInteractions([at('u2', 'c', 20, ['b', 'c'])]);
    const merged = mergeItemStats(base, more);
    expect(countsOf(merged)).toEqual({ a: [1, 1], b: [2, 0], c: [1, 1] });
    expect(merged.latestInteractionTimestamp).toBe(20);
    const aligned = alignEngagement(merged, ['c', 'x', 'b']);
    expect(Array.from(aligned.impressions)).toEqual([1, 0, 2]);
    expect(Array.from(aligned.clicks)).toEqual([1, 0, 0]);
  });

  it('keys the statistics next to their artifact', () => {
    expect(itemStatsKey('models/s/v/model.bin')).toBe('models/s/v/model.item-stats.json');
    expect(itemStatsKey('models/s/v/model-2.bin')).toBe('models/s/v/model-2.item-stats.json');
  });
});
