import {
  DEFAULT_BASE_RATE,
  EXPLORATION_DATA_LIMIT,
  type ExplorationCatalog,
  explorationCatalog,
  explore,
  isPlainRanking,
  MAX_EXPLORED_SHARE,
  PRIOR_STRENGTH,
  type ShownItem,
  SPARSE_EXPLORATION_MAX_RESULTS,
  sparseExplorationScores,
  upperConfidenceBound,
} from '../../../lambdas/engine/exploration';
import { Model } from '../../../lambdas/engine/model';
import { Random } from '../../../lambdas/engine/random';
import { FREQUENCY_BOUNDS, RECENCY_BOUNDS } from '../../../lambdas/engine/repeat';

const DAY = 86_400;
const LATEST = 1_700_000_000;

/**
 * A tiny catalog: items 0–3 are old and well known, 4–7 are young and unseen, aged 1, 5, 20 and 40 days. Scores fall
 * with the index, so the model's own ranking is 0, 1, 2, …
 */
function tinyCatalog(engagement?: { impressions: number[]; clicks: number[] }): ExplorationCatalog {
  const counts = [500, 400, 300, 200, 0, 0, 0, 0];
  const created = [400, 300, 200, 100, 1, 5, 20, 40].map((days) => LATEST - days * DAY);
  return explorationCatalog(
    {
      itemCounts: Float32Array.from(counts),
      itemCreationTimestamps: Float64Array.from(created),
      latestInteractionTimestamp: LATEST,
    },
    engagement === undefined
      ? undefined
      : {
          impressions: Float32Array.from(engagement.impressions),
          clicks: Float32Array.from(engagement.clicks),
        },
  );
}

const SCORES = Float32Array.from([0.3, 0.25, 0.2, 0.1, 0.06, 0.04, 0.03, 0.02]);

const ids = (list: readonly ShownItem[]) => list.map((s) => s.index);

describe('explorationCatalog', () => {
  it('dates items from their creation time, and an item with none as new as of the latest interaction', () => {
    const catalog = explorationCatalog({
      itemCounts: Float32Array.from([3, 0]),
      itemCreationTimestamps: Float64Array.from([LATEST - 2.5 * DAY, Number.NaN]),
      latestInteractionTimestamp: LATEST,
    });
    expect(Array.from(catalog.ageDays)).toEqual([2.5, 0]);
    expect(catalog.penalised).toBe(false);
    expect(catalog.baseRate).toBe(DEFAULT_BASE_RATE);
  });

  it('scales an item shown without being chosen by its posterior engagement over the base rate', () => {
    // 40 impressions, 4 clicks overall: m₀ = 0.1. Item 0: 30 shown, 0 chosen → (0 + 10·0.1) / ((30 + 10)·0.1).
    const catalog = tinyCatalog({
      impressions: [30, 10, 0, 0, 0, 0, 0, 0],
      clicks: [0, 4, 0, 0, 0, 0, 0, 0],
    });
    expect(catalog.baseRate).toBeCloseTo(0.1, 10);
    expect(catalog.suitability[0]).toBeCloseTo(1 / 4, 6);
    // Item 1 was chosen more often than the base rate: never raised above 1.
    expect(catalog.suitability[1]).toBe(1);
    expect(catalog.suitability[2]).toBe(1);
  });
});

describe('isPlainRanking', () => {
  it('holds at weight 0, or when no item with little data is within the cut-off, and not once an item is penalised', () => {
    const catalog = tinyCatalog();
    expect(catalog.candidateAgeFloor).toBeCloseTo(1, 6);
    expect(isPlainRanking(catalog, { weight: 0, ageCutOffDays: 30 })).toBe(true);
    expect(isPlainRanking(catalog, { weight: 0.3, ageCutOffDays: 0.5 })).toBe(true);
    expect(isPlainRanking(catalog, { weight: 0.3, ageCutOffDays: 1 })).toBe(false);
    const shown = tinyCatalog({ impressions: [10, 0, 0, 0, 0, 0, 0, 0], clicks: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(isPlainRanking(shown, { weight: 0, ageCutOffDays: 30 })).toBe(false);
  });
});

describe('explore', () => {
  it('at weight 0 is the model ranking, deterministic, with probability 1 per slot', () => {
    const catalog = tinyCatalog();
    const req = { scores: SCORES, numResults: 5, settings: { weight: 0, ageCutOffDays: 30 } };
    const a = explore(catalog, req);
    const b = explore(catalog, req);
    expect(ids(a)).toEqual([0, 1, 2, 3, 4]);
    expect(b).toEqual(a);
    expect(a.every((s) => !s.explored && s.probability === 1)).toBe(true);
    expect(a[0]?.score).toBeCloseTo(0.3, 6);
  });

  it('explores only items within the age cut-off', () => {
    const catalog = tinyCatalog();
    const explored = (cutOff: number): Set<number> => {
      const seen = new Set<number>();
      const random = new Random(3);
      for (let r = 0; r < 300; r++) {
        const list = explore(catalog, {
          scores: SCORES,
          numResults: 3,
          settings: { weight: 1, ageCutOffDays: cutOff },
          random,
        });
        for (const s of list) if (s.explored) seen.add(s.index);
      }
      return seen;
    };
    expect([...explored(10)].sort()).toEqual([4, 5]);
    expect([...explored(30)].sort()).toEqual([4, 5, 6]);
    expect([...explored(50)].sort()).toEqual([4, 5, 6, 7]);
    // Old items are never candidates, however long the cut-off: they have plenty of data.
    expect([...explored(1000)].sort()).toEqual([4, 5, 6, 7]);
  });

  it('explores a share of slots that grows with the weight (ε = MAX_EXPLORED_SHARE × weight)', () => {
    const catalog = tinyCatalog();
    const share = (weight: number): number => {
      const random = new Random(11);
      let explored = 0;
      let slots = 0;
      for (let r = 0; r < 2000; r++) {
        // One slot: a candidate always remains, so the slot is explored with probability exactly ε.
        const [s] = explore(catalog, {
          scores: SCORES,
          numResults: 1,
          settings: { weight, ageCutOffDays: 50 },
          random,
        });
        slots++;
        if (s?.explored) explored++;
      }
      return explored / slots;
    };
    const low = share(0.3);
    const high = share(1);
    // Binomial(2000, ε): 4 standard deviations.
    expect(Math.abs(low - MAX_EXPLORED_SHARE * 0.3)).toBeLessThan(4 * Math.sqrt((0.15 * 0.85) / 2000));
    expect(Math.abs(high - MAX_EXPLORED_SHARE)).toBeLessThan(4 * Math.sqrt((0.5 * 0.5) / 2000));
    expect(high).toBeGreaterThan(low);
  });

  it('records exact slot probabilities: (1 − ε)·[best] + ε·u_j / Σu, matching the observed frequencies', () => {
    const catalog = tinyCatalog();
    const settings = { weight: 0.6, ageCutOffDays: 10 };
    const epsilon = MAX_EXPLORED_SHARE * 0.6;
    const u4 = upperConfidenceBound(catalog, 4, SCORES[4] as number);
    const u5 = upperConfidenceBound(catalog, 5, SCORES[5] as number);
    const random = new Random(5);
    const counts = new Map<number, number>();
    const runs = 4000;
    for (let r = 0; r < runs; r++) {
      const [s] = explore(catalog, { scores: SCORES, numResults: 1, settings, random });
      if (s === undefined) throw new Error('empty list');
      const expected =
        s.index === 0 ? 1 - epsilon : s.index === 4 ? (epsilon * u4) / (u4 + u5) : (epsilon * u5) / (u4 + u5);
      expect(s.probability).toBeCloseTo(expected, 6);
      counts.set(s.index, (counts.get(s.index) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 4, 5]);
    for (const [index, count] of counts) {
      const p =
        index === 0 ? 1 - epsilon : index === 4 ? (epsilon * u4) / (u4 + u5) : (epsilon * u5) / (u4 + u5);
      expect(Math.abs(count / runs - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / runs));
    }
  });

  it("makes the list's probability the product of its slots' probabilities (sums to 1 over all lists)", () => {
    const catalog = tinyCatalog();
    const settings = { weight: 0.8, ageCutOffDays: 30 };
    const random = new Random(9);
    const lists = new Map<string, { count: number; probability: number }>();
    const runs = 6000;
    for (let r = 0; r < runs; r++) {
      const list = explore(catalog, { scores: SCORES, numResults: 2, settings, random });
      const key = ids(list).join(',');
      const probability = list.reduce((p, s) => p * s.probability, 1);
      const entry = lists.get(key);
      if (entry === undefined) lists.set(key, { count: 1, probability });
      else {
        expect(probability).toBeCloseTo(entry.probability, 9);
        entry.count++;
      }
    }
    const total = [...lists.values()].reduce((sum, l) => sum + l.probability, 0);
    expect(total).toBeGreaterThan(0.99);
    expect(total).toBeLessThanOrEqual(1 + 1e-9);
    for (const { count, probability } of lists.values()) {
      expect(Math.abs(count / runs - probability)).toBeLessThan(
        4 * Math.sqrt((probability * (1 - probability)) / runs) + 1e-3,
      );
    }
  });

  it('never shows an item twice and fills from exploration when the exploit items run out', () => {
    const catalog = tinyCatalog();
    const random = new Random(1);
    for (let r = 0; r < 200; r++) {
      const list = explore(catalog, {
        scores: SCORES,
        numResults: 8,
        settings: { weight: 1, ageCutOffDays: 50 },
        random,
        exclude: new Set([1]),
      });
      expect(new Set(ids(list)).size).toBe(list.length);
      expect(ids(list)).not.toContain(1);
      expect(list).toHaveLength(7);
    }
  });

  it('stops exploring an item once it has enough data', () => {
    const impressions = [0, 0, 0, 0, EXPLORATION_DATA_LIMIT, 0, 0, 0];
    const catalog = tinyCatalog({ impressions, clicks: [0, 0, 0, 0, 1, 0, 0, 0] });
    const random = new Random(2);
    for (let r = 0; r < 300; r++) {
      const list = explore(catalog, {
        scores: SCORES,
        numResults: 3,
        settings: { weight: 1, ageCutOffDays: 50 },
        random,
      });
      for (const s of list) if (s.explored) expect(s.index).not.toBe(4);
    }
  });

  it('draws unseen candidates more often than candidates shown repeatedly without a click', () => {
    // Equal scores for items 4 and 5; 4 was shown 8 times and never chosen, 5 never shown.
    const scores = Float32Array.from([0.3, 0.25, 0.2, 0.1, 0.05, 0.05, 0.03, 0.02]);
    const catalog = tinyCatalog({ impressions: [20, 0, 0, 0, 8, 0, 0, 0], clicks: [2, 0, 0, 0, 0, 0, 0, 0] });
    expect(upperConfidenceBound(catalog, 4, 0.05)).toBeLessThan(upperConfidenceBound(catalog, 5, 0.05));
    const random = new Random(4);
    let four = 0;
    let five = 0;
    for (let r = 0; r < 2000; r++) {
      const [s] = explore(catalog, {
        scores,
        numResults: 1,
        settings: { weight: 1, ageCutOffDays: 10 },
        random,
      });
      if (s?.index === 4) four++;
      if (s?.index === 5) five++;
    }
    expect(five).toBeGreaterThan(four);
  });

  it('lets an item shown often without a click fall below a less relevant one', () => {
    const before = explore(tinyCatalog(), {
      scores: SCORES,
      numResults: 4,
      settings: { weight: 0, ageCutOffDays: 30 },
    });
    expect(ids(before)).toEqual([0, 1, 2, 3]);
    // Item 0 shown 50 times, never chosen; item 1 chosen 5 times of 50.
    const catalog = tinyCatalog({
      impressions: [50, 50, 0, 0, 0, 0, 0, 0],
      clicks: [0, 5, 0, 0, 0, 0, 0, 0],
    });
    // m₀ = 0.05, f₀ = (0 + s₀ m₀) / ((50 + s₀) m₀) = 1/6: 0.3 / 6 = 0.05 < 0.1 (item 3).
    expect(catalog.suitability[0]).toBeCloseTo(PRIOR_STRENGTH / (50 + PRIOR_STRENGTH), 6);
    const after = explore(catalog, {
      scores: SCORES,
      numResults: 4,
      settings: { weight: 0, ageCutOffDays: 30 },
    });
    expect(ids(after)).toEqual([1, 2, 3, 4]);
    // The response still carries the model's score.
    expect(after[0]?.score).toBeCloseTo(0.25, 6);
  });
});

describe('sparseExplorationScores', () => {
  /** Seeded Gaussian factors; items below `young` were created a day before the latest interaction, with no data. */
  function model(n: number, d: number, young: number, random: Random): Model {
    const gaussian = (length: number) =>
      Float32Array.from({ length }, () => (2 * random.nextNormal()) / Math.sqrt(d));
    const successors = 4;
    return new Model({
      itemIds: Array.from({ length: n }, (_, i) => `i${i}`),
      hiddenDimension: d,
      historyWeights: Float64Array.from({ length: 8 }, (_, k) => 0.8 ** k),
      temperature: 2,
      successorOffsets: Int32Array.from({ length: n + 1 }, (_, i) => i * successors),
      successorItems: Int32Array.from({ length: n * successors }, () => random.nextInt(n)),
      successorWeights: Float32Array.from({ length: n * successors }, () => random.next() * 0.3),
      transitionWeight: 1,
      repeat: {
        eventTypes: [],
        probabilities: new Float64Array(RECENCY_BOUNDS.length * FREQUENCY_BOUNDS.length).fill(0.01),
        itemFactors: new Float32Array(n).fill(1),
      },
      inputEmbeddings: gaussian((n + 1) * d),
      outputEmbeddings: gaussian(n * d),
      itemCounts: Float32Array.from({ length: n }, (_, i) => (i < young ? 0 : 50)),
      itemCreationTimestamps: Float64Array.from(
        { length: n },
        (_, i) => LATEST - (i < young ? 1 : 400) * DAY,
      ),
      latestInteractionTimestamp: LATEST,
      seed: 1,
    });
  }

  it('gives explore the same lists as the whole catalog scored in JavaScript, filters included', () => {
    const random = new Random(21);
    const m = model(3000, 32, 120, random);
    const catalog = explorationCatalog(m);
    const settings = { weight: 0.6, ageCutOffDays: 30 };
    expect(isPlainRanking(catalog, settings)).toBe(false);
    for (let trial = 0; trial < 20; trial++) {
      const history = Array.from({ length: 1 + random.nextInt(12) }, () => `i${random.nextInt(3000)}`);
      const blocked =
        trial % 2 === 0 ? undefined : Uint8Array.from({ length: 3000 }, () => (random.next() < 0.3 ? 1 : 0));
      const exclude =
        blocked === undefined ? undefined : new Set([...blocked.keys()].filter((j) => blocked[j] === 1));
      const k = 1 + random.nextInt(30);
      const sparse = sparseExplorationScores(m, catalog, settings, k, {
        history,
        ...(blocked === undefined ? {} : { blocked }),
      });
      if (sparse === undefined) throw new Error('expected sparse scores');
      // The buffer is reused between calls: only this call's entries are set.
      const scored = new Set(sparse.scored);
      expect([...sparse.scores.keys()].filter((j) => sparse.scores[j] !== 0 && !scored.has(j))).toEqual([]);
      const full = m.scoreAll(history).slice();
      const listOf = (scores: Float32Array, among?: readonly number[]) =>
        explore(catalog, {
          scores,
          numResults: k,
          settings,
          random: new Random(100 + trial),
          ...(exclude === undefined ? {} : { exclude }),
          ...(among === undefined ? {} : { scored: among }),
        });
      const want = listOf(full);
      const got = listOf(sparse.scores, sparse.scored);
      // Finding the exploit list among the scored entries changes nothing against a pass over the catalog.
      expect(listOf(sparse.scores)).toEqual(got);
      expect(ids(got)).toEqual(ids(want));
      expect(got.map((s) => s.explored)).toEqual(want.map((s) => s.explored));
      got.forEach((s, p) => {
        const w = want[p] as ShownItem;
        expect(Math.abs(Math.log(s.score / w.score))).toBeLessThan(2e-2);
        expect(Math.abs(s.probability - w.probability)).toBeLessThan(1e-2);
      });
    }
  });

  it('declines where an impression penalty reorders the catalog, the list is too long or most items are candidates', () => {
    const m = model(200, 8, 20, new Random(3));
    const catalog = explorationCatalog(m);
    const settings = { weight: 0.3, ageCutOffDays: 30 };
    expect(
      sparseExplorationScores(m, catalog, settings, SPARSE_EXPLORATION_MAX_RESULTS + 1, { history: [] }),
    ).toBe(undefined);
    const penalised = explorationCatalog(m, {
      impressions: new Float32Array(200).fill(20),
      clicks: new Float32Array(200),
    });
    expect(penalised.penalised).toBe(true);
    expect(sparseExplorationScores(m, penalised, settings, 10, { history: [] })).toBe(undefined);
    // Most of the catalog young and unseen: one pass over everything is cheaper.
    const fresh = model(200, 8, 150, new Random(4));
    expect(sparseExplorationScores(fresh, explorationCatalog(fresh), settings, 10, { history: [] })).toBe(
      undefined,
    );
    expect(sparseExplorationScores(m, catalog, settings, 10, { history: [] })).toBeDefined();
  });
});
