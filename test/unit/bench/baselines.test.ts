import { ItemItemBaseline, MarkovBaseline, PopularityBaseline } from '../../../bench/baselines';
import { SparseScores } from '../../../bench/baselines/common';
import { Random } from '../../../lambdas/engine/random';
import type { Interaction } from '../../../lambdas/engine/types';

/** u1: a b c, u2: a b d, u3: a c, u4: a b — given newest first to check that fit sorts by time. */
const sequences: Record<string, string[]> = {
  u1: ['a', 'b', 'c'],
  u2: ['a', 'b', 'd'],
  u3: ['a', 'c'],
  u4: ['a', 'b'],
};
const interactions: Interaction[] = Object.entries(sequences)
  .flatMap(([userId, items]) => items.map((itemId, t) => ({ userId, itemId, timestamp: 100 + t })))
  .reverse();

const ids = (list: { itemId: string }[]): string[] => list.map((s) => s.itemId);

describe('PopularityBaseline', () => {
  const model = new PopularityBaseline();
  model.fit({ interactions });

  it('ranks by count (a 4, b 3, c 2, d 1) with the share as score', () => {
    const out = model.recommend({ history: [], numResults: 10 });
    expect(ids(out)).toEqual(['a', 'b', 'c', 'd']);
    expect(out[0]?.score).toBeCloseTo(0.4, 12);
  });

  it('honours exclude, excludeHistory and numResults', () => {
    expect(ids(model.recommend({ history: ['a'], numResults: 10, excludeHistory: true }))).toEqual([
      'b',
      'c',
      'd',
    ]);
    expect(ids(model.recommend({ history: [], numResults: 2, exclude: new Set(['a']) }))).toEqual(['b', 'c']);
  });
});

describe('MarkovBaseline', () => {
  const model = new MarkovBaseline();
  model.fit({ interactions });

  it('ranks the transitions out of the last item (a→b 3, a→c 1), then popularity', () => {
    const out = model.recommend({ history: ['c', 'a'], numResults: 4 });
    expect(ids(out)).toEqual(['b', 'c', 'a', 'd']);
    expect(out[0]?.score).toBeCloseTo(0.75, 12);
    expect(out[1]?.score).toBeCloseTo(0.25, 12);
    expect(ids(model.recommend({ history: ['c', 'a'], numResults: 4, excludeHistory: true }))).toEqual([
      'b',
      'd',
    ]);
  });

  it('skips unknown trailing items and breaks ties by popularity (b→c 1, b→d 1, c more popular)', () => {
    expect(ids(model.recommend({ history: ['b', 'unknown'], numResults: 2 }))).toEqual(['c', 'd']);
    expect(ids(model.recommend({ history: ['unknown'], numResults: 2 }))).toEqual(['a', 'b']);
  });
});

describe('ItemItemBaseline', () => {
  it('matches the hand-computed recency-weighted scores', () => {
    const model = new ItemItemBaseline({
      window: 2,
      pairDecay: 0.5,
      backwardWeight: 0,
      maxNeighbours: 10,
      historyLength: 2,
      historyDecay: 0.5,
      alpha: 0.5,
    });
    model.fit({ interactions });
    // C[a,b] = 3, C[a,c] = 0.5 (u1, distance 2) + 1 (u3) = 1.5, C[a,d] = 0.5, C[b,c] = 1, C[b,d] = 1;
    // sim = C / sqrt(n_s n_t) with n = {a 4, b 3, c 2, d 1}; history [a, b]: score = sim(b, ·) + 0.5 sim(a, ·).
    const expected = {
      d: 1 / Math.sqrt(3) + (0.5 * 0.5) / Math.sqrt(4),
      c: 1 / Math.sqrt(6) + (0.5 * 1.5) / Math.sqrt(8),
      b: (0.5 * 3) / Math.sqrt(12),
    };
    const out = model.recommend({ history: ['a', 'b'], numResults: 4 });
    expect(ids(out)).toEqual(['d', 'c', 'b', 'a']);
    expect(out[0]?.score).toBeCloseTo(expected.d, 6);
    expect(out[1]?.score).toBeCloseTo(expected.c, 6);
    expect(out[2]?.score).toBeCloseTo(expected.b, 6);
    expect(ids(model.recommend({ history: ['a', 'b'], numResults: 4, excludeHistory: true }))).toEqual([
      'd',
      'c',
    ]);
  });

  it('keeps only the strongest neighbours per item', () => {
    const model = new ItemItemBaseline({
      window: 1,
      backwardWeight: 0,
      maxNeighbours: 1,
      historyLength: 1,
      alpha: 1,
    });
    model.fit({ interactions });
    // Out of a only a→b survives pruning; the rest is popularity back-fill with score 0.
    const out = model.recommend({ history: ['a'], numResults: 3 });
    expect(ids(out)).toEqual(['b', 'a', 'c']);
    expect(out[1]?.score).toBe(0);
  });
});

describe('SparseScores.takeTop', () => {
  it('agrees with a full sort on many candidates, with exclusions and back-fill', () => {
    const rng = new Random(3);
    const n = 500;
    const scores = new SparseScores(n);
    const tieBreak = new Float64Array(n);
    const reference = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const item = rng.nextInt(n);
      const value = Math.round(rng.next() * 50);
      scores.add(item, value);
      reference.set(item, (reference.get(item) ?? 0) + value);
    }
    const excluded = new Set([...reference.keys()].slice(0, 20));
    const fallback = Int32Array.from({ length: n }, (_, i) => i);
    const top = scores.takeTop(10, excluded, fallback, tieBreak);
    const expected = [...reference.entries()]
      .filter(([item]) => !excluded.has(item))
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, 10)
      .map(([item]) => item);
    expect(top.items).toEqual(expected);
    // Cleared after use: only the back-fill is left.
    const empty = scores.takeTop(3, new Set([0]), fallback, tieBreak);
    expect(empty.items).toEqual([1, 2, 3]);
    expect(empty.scores).toEqual([0, 0, 0]);
  });
});
