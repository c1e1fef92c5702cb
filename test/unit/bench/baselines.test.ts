import {
  EaseBaseline,
  ItemItemBaseline,
  ItemKnnBaseline,
  MarkovBaseline,
  PopularityBaseline,
  RepeatRecentBaseline,
} from '../../../bench/baselines';
import { SparseScores } from '../../../bench/baselines/common';
import { inverseFromCholesky } from '../../../bench/baselines/ease';
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

describe('EaseBaseline', () => {
  it('matches the closed form on a two-item head: G = [[5,3],[3,4]] with λ = 1', () => {
    // Head = {a, b} (counts 4 and 3); XᵀX = [[4,3],[3,3]], + λI = [[5,3],[3,4]], det 11, P = [[4,−3],[−3,5]] / 11.
    // B_ab = −P_ab / P_bb = 3/5, B_ba = −P_ba / P_aa = 3/4, B_aa = B_bb = 0.
    const model = new EaseBaseline({ lambda: 1, maxItems: 2, decay: 1 });
    model.fit({ interactions });
    const out = model.recommend({ history: ['a'], numResults: 4 });
    // Tail items (c, d) follow the head by popularity.
    expect(ids(out)).toEqual(['b', 'a', 'c', 'd']);
    expect(out[0]?.score).toBeCloseTo(0.6, 12);
    expect(out[1]?.score).toBeCloseTo(0, 12);
    // Recency-weighted input, decay 0.5: x_a = 1 (newest), x_b = 0.5 → a: 0.5 · 3/4, b: 1 · 3/5.
    model.configure({ decay: 0.5 });
    const weighted = model.recommend({ history: ['b', 'a'], numResults: 2 });
    expect(ids(weighted)).toEqual(['b', 'a']);
    expect(weighted[0]?.score).toBeCloseTo(0.6, 12);
    expect(weighted[1]?.score).toBeCloseTo(0.375, 12);
    expect(ids(model.recommend({ history: ['b', 'a'], numResults: 4, excludeHistory: true }))).toEqual([
      'c',
      'd',
    ]);
  });

  it('counts each user once per item in the Gram matrix', () => {
    const model = new EaseBaseline({ lambda: 1, maxItems: 2 });
    model.fit({ interactions: [...interactions, { userId: 'u1', itemId: 'a', timestamp: 500 }] });
    expect(model.recommend({ history: ['a'], numResults: 1 })[0]?.score).toBeCloseTo(0.6, 12);
  });

  it('inverts a symmetric positive definite matrix: A · A⁻¹ = I', () => {
    const n = 70;
    const rng = new Random(5);
    const m = Float64Array.from({ length: n * n }, () => rng.next() - 0.5);
    // A = MᵀM + I is SPD; the routine reads the lower triangle only.
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? 1 : 0;
        for (let k = 0; k < n; k++) s += (m[k * n + i] as number) * (m[k * n + j] as number);
        a[i * n + j] = s;
      }
    const p = inverseFromCholesky(a.slice(), n);
    let worst = 0;
    let symmetric = true;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (p[k * n + j] as number);
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        symmetric &&= p[i * n + j] === p[j * n + i];
      }
    expect(worst).toBeLessThan(1e-9);
    expect(symmetric).toBe(true);
  });
});

describe('ItemKnnBaseline', () => {
  // Binary user sets: n = {a 4, b 3, c 2, d 1}; co-users ab 3, ac 2, ad 1, bc 1, bd 1, cd 0.
  const sim = {
    ab: 3 / Math.sqrt(12),
    ac: 2 / Math.sqrt(8),
    ad: 1 / Math.sqrt(4),
    bc: 1 / Math.sqrt(6),
    bd: 1 / Math.sqrt(3),
  };

  it('sums cosine similarities weighted by decay^age, and ignores repeated events', () => {
    const model = new ItemKnnBaseline({ neighbours: 10, decay: 0.5 });
    model.fit({ interactions: [...interactions, { userId: 'u1', itemId: 'a', timestamp: 500 }] });
    // History [a, b]: b is newest (weight 1), a has age 1 (weight 0.5).
    const out = model.recommend({ history: ['a', 'b'], numResults: 4 });
    expect(ids(out)).toEqual(['a', 'd', 'c', 'b']);
    expect(out[0]?.score).toBeCloseTo(sim.ab, 6);
    expect(out[1]?.score).toBeCloseTo(sim.bd + 0.5 * sim.ad, 6);
    expect(out[2]?.score).toBeCloseTo(sim.bc + 0.5 * sim.ac, 6);
    expect(out[3]?.score).toBeCloseTo(0.5 * sim.ab, 6);
  });

  it('lets only the k nearest neighbours vote after configure', () => {
    const model = new ItemKnnBaseline({ neighbours: 10, decay: 0.5 });
    model.fit({ interactions });
    model.configure({ neighbours: 1 });
    // a's nearest is b, b's nearest is a; c and d come from the popularity back-fill.
    const out = model.recommend({ history: ['a', 'b'], numResults: 4 });
    expect(ids(out)).toEqual(['a', 'b', 'c', 'd']);
    expect(out[2]?.score).toBe(0);
  });
});

describe('RepeatRecentBaseline', () => {
  const model = new RepeatRecentBaseline();
  model.fit({ interactions });

  it('lists the distinct history, newest first, then popular items', () => {
    const out = model.recommend({ history: ['c', 'z', 'b', 'c'], numResults: 5 });
    expect(ids(out)).toEqual(['c', 'b', 'z', 'a', 'd']);
    const scores = out.map((s) => s.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
  });

  it('honours numResults, exclude and excludeHistory', () => {
    expect(ids(model.recommend({ history: ['c', 'b'], numResults: 1 }))).toEqual(['b']);
    expect(
      ids(model.recommend({ history: ['c', 'b'], numResults: 4, exclude: new Set(['b', 'a']) })),
    ).toEqual(['c', 'd']);
    expect(ids(model.recommend({ history: ['c', 'b'], numResults: 4, excludeHistory: true }))).toEqual([
      'a',
      'd',
    ]);
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
