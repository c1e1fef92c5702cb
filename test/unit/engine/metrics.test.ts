import {
  averageMetrics,
  coverage,
  evaluate,
  evaluateNextItem,
  hitAtK,
  leaveLastOut,
  MAX_EVALUATED_USERS,
  ndcgAtK,
  nextItemNdcgAtK,
  precisionAtK,
  reciprocalRankAtK,
  sampleTestCases,
} from '../../../lambdas/engine/metrics';
import type { Recommender, RecommendRequest, ScoredItem } from '../../../lambdas/engine/types';

/** A list of length n with the relevant marker 'r<rank>' at the given 1-based ranks and fillers elsewhere. */
function ranking(n: number, relevantRanks: number[]): { ranked: string[]; relevant: Set<string> } {
  const ranked = Array.from({ length: n }, (_, i) =>
    relevantRanks.includes(i + 1) ? `r${i + 1}` : `x${i + 1}`,
  );
  return { ranked, relevant: new Set(relevantRanks.map((r) => `r${r}`)) };
}

/** Answers every request with a fixed list per history key, honouring exclusions like a real model. */
class FixedRecommender implements Recommender {
  readonly requests: RecommendRequest[] = [];
  constructor(private readonly lists: Record<string, string[]>) {}
  recommend(request: RecommendRequest): ScoredItem[] {
    this.requests.push(request);
    const skip = new Set([...(request.exclude ?? []), ...(request.excludeHistory ? request.history : [])]);
    return (this.lists[request.history.join(',')] ?? [])
      .filter((id) => !skip.has(id))
      .slice(0, request.numResults)
      .map((itemId, i) => ({ itemId, score: 1 / (i + 1) }));
  }
}

describe('Personalize metrics (spec §6.2 worked examples)', () => {
  it('NDCG@5 with relevant items at ranks 2 and 5 is 0.6241', () => {
    const { ranked, relevant } = ranking(5, [2, 5]);
    const expected = (1 / Math.log(3) + 1 / Math.log(6)) / (1 / Math.log(2) + 1 / Math.log(3));
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(expected, 12);
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(0.6241, 4);
  });

  it('NDCG ideal is the same top K re-sorted by relevance, not min(#relevant, K)', () => {
    // One hit at rank 1 is perfect however many items the truth holds.
    expect(ndcgAtK(['a', 'x', 'y'], new Set(['a', 'b', 'c']), 5)).toBe(1);
    // Two of three relevant in the top 2 → perfect; the third, unrecommended, does not lower the ideal.
    const { ranked } = ranking(5, [1, 2]);
    expect(ndcgAtK(ranked, new Set(['r1', 'r2', 'other']), 2)).toBeCloseTo(1, 12);
    // One hit at rank 3 of 5 relevant: (1/log 4) / (1/log 2) = 0.5, the textbook form would give less.
    expect(ndcgAtK(['x', 'y', 'a'], new Set(['a', 'b', 'c', 'd', 'e']), 5)).toBeCloseTo(0.5, 12);
    // Hits beyond K neither add to the DCG nor to the ideal: rank 3 alone counts at K = 5.
    expect(ndcgAtK(['x', 'y', 'a', 'z', 'w', 'b'], new Set(['a', 'b']), 5)).toBeCloseTo(0.5, 12);
    // A duplicated hit counts once, in the DCG and in h.
    expect(ndcgAtK(['x', 'a', 'a'], new Set(['a']), 5)).toBeCloseTo(Math.log(2) / Math.log(3), 12);
    expect(ndcgAtK(['x'], new Set<string>(), 5)).toBe(0);
    expect(ndcgAtK(['x', 'y'], new Set(['z']), 5)).toBe(0);
  });

  it('MRR@25 of ranks {4,10}, {2,4,12}, {6} averages to 0.3056', () => {
    const users = [ranking(25, [4, 10]), ranking(25, [2, 4, 12]), ranking(25, [6])];
    const mrr = users.reduce((s, u) => s + reciprocalRankAtK(u.ranked, u.relevant, 25), 0) / users.length;
    expect(mrr).toBeCloseTo((1 / 4 + 1 / 2 + 1 / 6) / 3, 12);
    expect(mrr).toBeCloseTo(0.3056, 4);
    expect(reciprocalRankAtK(ranking(30, [26]).ranked, ranking(30, [26]).relevant, 25)).toBe(0);
  });

  it('precision@10 with 3 hits is 0.30, and a short list is still divided by K', () => {
    const { ranked, relevant } = ranking(10, [1, 5, 9]);
    expect(precisionAtK(ranked, relevant, 10)).toBeCloseTo(0.3, 12);
    expect(precisionAtK(['r1'], new Set(['r1']), 5)).toBeCloseTo(0.2, 12);
    expect(precisionAtK(['a', 'a'], new Set(['a']), 2)).toBeCloseTo(0.5, 12);
  });

  it('coverage is distinct recommended items over the catalog', () => {
    expect(coverage(new Set(['a', 'b', 'c']), 12)).toBeCloseTo(0.25, 12);
    expect(coverage(new Set(), 0)).toBe(0);
  });

  it('evaluate averages per-user values over test users with the exact key names', () => {
    const model = new FixedRecommender({
      h1: ['a', 'b', 'c', 'd', 'e'],
      h2: ['f', 'a', 'g', 'h', 'i'],
    });
    const metrics = evaluate(
      model,
      [
        { userId: 'u1', history: ['h1'], truth: ['a'] },
        { userId: 'u2', history: ['h2'], truth: ['a', 'i'] },
      ],
      { catalogSize: 18 },
    );
    expect(Object.keys(metrics).sort()).toEqual([
      'coverage',
      'mean_reciprocal_rank_at_25',
      'normalized_discounted_cumulative_gain_at_10',
      'normalized_discounted_cumulative_gain_at_25',
      'normalized_discounted_cumulative_gain_at_5',
      'precision_at_10',
      'precision_at_25',
      'precision_at_5',
    ]);
    // u1: hit at rank 1. u2: hits at ranks 2 and 5 (the 0.6241 case).
    expect(metrics.mean_reciprocal_rank_at_25).toBeCloseTo((1 + 1 / 2) / 2, 12);
    expect(metrics.normalized_discounted_cumulative_gain_at_5).toBeCloseTo(
      (1 + (1 / Math.log2(3) + 1 / Math.log2(6)) / (1 + 1 / Math.log2(3))) / 2,
      12,
    );
    expect(metrics.normalized_discounted_cumulative_gain_at_5).toBeCloseTo((1 + 0.6241) / 2, 4);
    expect(metrics.precision_at_5).toBeCloseTo((1 / 5 + 2 / 5) / 2, 12);
    expect(metrics.precision_at_25).toBeCloseTo((1 / 25 + 2 / 25) / 2, 12);
    // 9 distinct items recommended out of 18.
    expect(metrics.coverage).toBeCloseTo(0.5, 12);
    expect(model.requests.every((r) => r.numResults === 25 && r.excludeHistory === false)).toBe(true);
  });

  it('evaluates at most maxUsers test users, a seeded sample that is the same for the same seed', () => {
    const lists: Record<string, string[]> = {};
    const cases = Array.from({ length: 50 }, (_, i) => {
      lists[`h${i}`] = [`a${i}`];
      return { userId: `u${i}`, history: [`h${i}`], truth: [i < 25 ? `a${i}` : 'miss'] };
    });
    const run = (maxUsers: number, sampleSeed: number) => {
      const model = new FixedRecommender(lists);
      const metrics = evaluate(model, cases, { catalogSize: 50, maxUsers, sampleSeed });
      return { metrics, users: model.requests.map((r) => r.history[0]) };
    };
    const a = run(10, 3);
    expect(a.users).toHaveLength(10);
    expect(new Set(a.users).size).toBe(10);
    expect(run(10, 3).users).toEqual(a.users);
    expect(run(10, 4).users).not.toEqual(a.users);
    // Precision@5 is 1/5 for each sampled user with a hit: the metric is the sample's, not the population's.
    const hits = a.users.filter((h) => Number((h as string).slice(1)) < 25).length;
    expect(a.metrics.precision_at_5).toBeCloseTo(hits / 10 / 5, 12);
    expect(a.metrics.coverage).toBeCloseTo(10 / 50, 12);
    // No more users than the cap: every one, in input order.
    expect(run(50, 3).users).toEqual(cases.map((c) => c.history[0]));
    expect(MAX_EVALUATED_USERS).toBe(20_000);
  });

  it('sampleTestCases draws uniformly without replacement and keeps input order', () => {
    const cases = Array.from({ length: 1000 }, (_, i) => i);
    const sample = sampleTestCases(cases, 100, 9);
    expect(sample).toHaveLength(100);
    expect(new Set(sample).size).toBe(100);
    expect([...sample].sort((x, y) => x - y)).toEqual(sample);
    expect(sampleTestCases(cases, 100, 9)).toEqual(sample);
    // Roughly uniform: each half of the input holds about half of the sample.
    const low = sample.filter((i) => i < 500).length;
    expect(low).toBeGreaterThan(30);
    expect(low).toBeLessThan(70);
    expect(sampleTestCases([1, 2], 5, 1)).toEqual([1, 2]);
  });

  it('averageMetrics averages key by key', () => {
    const model = new FixedRecommender({ h: ['a'] });
    const one = evaluate(model, [{ userId: 'u', history: ['h'], truth: ['a'] }], { catalogSize: 1 });
    const zero = evaluate(model, [{ userId: 'u', history: ['h'], truth: ['b'] }], { catalogSize: 2 });
    const avg = averageMetrics([one, zero]);
    expect(avg.precision_at_5).toBeCloseTo(0.1, 12);
    expect(avg.coverage).toBeCloseTo(0.75, 12);
  });
});

describe('leave-last-out NDCG@10 / HR@10', () => {
  it('scores the held-out item by its rank with log2 discounting', () => {
    const ranked = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    expect(nextItemNdcgAtK(ranked, 'a', 10)).toBe(1);
    expect(nextItemNdcgAtK(ranked, 'c', 10)).toBeCloseTo(0.5, 12);
    expect(nextItemNdcgAtK(ranked, 'k', 10)).toBe(0);
    expect(hitAtK(ranked, 'j', 10)).toBe(1);
    expect(hitAtK(ranked, 'k', 10)).toBe(0);
  });

  it('holds out each sequence last item and excludes the input from the ranking', () => {
    const cases = leaveLastOut(
      new Map([
        ['u1', ['a', 'b', 'c']],
        ['u2', ['d', 'e']],
        ['u3', ['f']],
      ]),
    );
    expect(cases).toEqual([
      { userId: 'u1', history: ['a', 'b'], target: 'c' },
      { userId: 'u2', history: ['d'], target: 'e' },
    ]);
    // u1's list starts with its own history, which must be filtered: 'c' lands at rank 1.
    const model = new FixedRecommender({ 'a,b': ['a', 'b', 'c'], d: ['x', 'y', 'e'] });
    const m = evaluateNextItem(model, cases);
    expect(m.users).toBe(2);
    expect(m.hit_rate_at_10).toBe(1);
    expect(m.ndcg_at_10).toBeCloseTo((1 + 1 / Math.log2(4)) / 2, 12);
  });
});
