import { DEFAULT_HYPERPARAMETERS, type Interaction, Model, train } from '../../../lambdas/engine';
import { DEFAULT_CHOICES } from '../../../lambdas/engine/fit';
import { Random } from '../../../lambdas/engine/random';

const CYCLE = ['A', 'B', 'C', 'D', 'E', 'F'];

/** Users walking the cycle A→B→…→F→A from random starting points. */
function cyclicInteractions(users: number, length: number, seed = 1): Interaction[] {
  const r = new Random(seed);
  const out: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    const start = r.nextInt(CYCLE.length);
    for (let t = 0; t < length; t++) {
      out.push({ userId: `u${u}`, itemId: CYCLE[(start + t) % CYCLE.length] as string, timestamp: 1000 + t });
    }
  }
  return out;
}

const SMALL = { hiddenDimension: 32 };

describe('train + recommend', () => {
  it('puts the successor of the last event first in a cyclic world, for a user unknown at training time', async () => {
    const model = await train({ interactions: cyclicInteractions(30, 20) }, { hyperParameters: SMALL });
    for (let i = 0; i < CYCLE.length; i++) {
      const history = [CYCLE[(i + 4) % 6] as string, CYCLE[(i + 5) % 6] as string, CYCLE[i] as string];
      const [first] = model.recommend({ history, numResults: 3 });
      expect(first?.itemId).toBe(CYCLE[(i + 1) % 6]);
    }
  });

  it('scores are softmax probabilities: they sum to 1 over the catalog and come best first', async () => {
    const model = await train({ interactions: cyclicInteractions(30, 20) }, { hyperParameters: SMALL });
    const all = model.recommend({ history: ['A'], numResults: 500 });
    expect(all).toHaveLength(CYCLE.length);
    expect(all.reduce((s, x) => s + x.score, 0)).toBeCloseTo(1, 5);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.score).toBeGreaterThanOrEqual(all[i]!.score);
  });

  it('ranks by popularity for an empty history', async () => {
    // Every user's second event is P, so P is by far the most frequent next item.
    const interactions: Interaction[] = [];
    const r = new Random(3);
    for (let u = 0; u < 40; u++) {
      const seq = [`x${r.nextInt(10)}`, 'P', `x${r.nextInt(10)}`, 'P', `x${r.nextInt(10)}`];
      seq.forEach((itemId, t) => {
        interactions.push({ userId: `u${u}`, itemId, timestamp: t });
      });
    }
    const model = await train({ interactions }, { hyperParameters: SMALL });
    expect(model.recommend({ history: [], numResults: 1 })[0]?.itemId).toBe('P');
    expect(model.recommend({ history: ['never-seen'], numResults: 1 })[0]?.itemId).toBe('P');
  });

  it('respects numResults, the exclusion set and excludeHistory', async () => {
    const model = await train({ interactions: cyclicInteractions(30, 20) }, { hyperParameters: SMALL });
    const top = model.recommend({ history: ['A'], numResults: 2 });
    expect(top.map((x) => x.itemId)).toEqual(['B', expect.any(String)]);
    const excluded = model.recommend({ history: ['A'], numResults: 10, exclude: new Set(['B', 'C']) });
    expect(excluded.map((x) => x.itemId)).not.toContain('B');
    expect(excluded.map((x) => x.itemId)).not.toContain('C');
    expect(excluded).toHaveLength(4);
    const noHistory = model.recommend({ history: ['E', 'F', 'A'], numResults: 10, excludeHistory: true });
    expect(noHistory.map((x) => x.itemId).sort()).toEqual(['B', 'C', 'D']);
  });

  it('is deterministic: same data and seed give the same bytes; the artifact round-trips', async () => {
    const data = cyclicInteractions(25, 15, 9);
    const a = await train({ interactions: data }, { hyperParameters: SMALL, seed: 5 });
    const b = await train({ interactions: data }, { hyperParameters: SMALL, seed: 5 });
    const bytes = a.serialize();
    expect(Buffer.from(b.serialize()).equals(Buffer.from(bytes))).toBe(true);
    const loaded = Model.load(bytes);
    expect(loaded.itemCount).toBe(a.itemCount);
    expect(Buffer.from(loaded.serialize()).equals(Buffer.from(bytes))).toBe(true);
    const req = { history: ['C', 'D'], numResults: 4 };
    expect(loaded.recommend(req)).toEqual(a.recommend(req));
    expect(() => Model.load(bytes.slice(0, 20))).toThrow();
  });

  it('gives the same bytes with two and three worker threads as in one thread', async () => {
    // 150 items: more than one Cholesky block, so the threaded trailing update runs too.
    const r = new Random(8);
    const interactions: Interaction[] = [];
    for (let u = 0; u < 200; u++) {
      let cur = r.nextInt(150);
      for (let t = 0; t < 20; t++) {
        cur = (cur + 1 + r.nextInt(3)) % 150;
        interactions.push({ userId: `u${u}`, itemId: `i${cur}`, timestamp: t });
      }
    }
    const data = { interactions };
    const one = await train(data, { hyperParameters: SMALL, seed: 3, workers: 1 });
    const bytes = Buffer.from(one.serialize());
    for (const workers of [2, 3]) {
      const shared = await train(data, { hyperParameters: SMALL, seed: 3, workers });
      expect(Buffer.from(shared.serialize()).equals(bytes)).toBe(true);
    }
  });

  it('fits items outside the closed-form head from the states before them and the items after them', async () => {
    // Users walk a chain of 30 frequent items h0 → h1 → …; after hX they sometimes take the rare tX, then go on
    // with h(X+1). With a head of 30 items, every tX is fitted as a tail item.
    const r = new Random(12);
    const interactions: Interaction[] = [];
    for (let u = 0; u < 300; u++) {
      let cur = r.nextInt(30);
      let t = 0;
      for (let step = 0; step < 15; step++) {
        interactions.push({ userId: `u${u}`, itemId: `h${cur}`, timestamp: t++ });
        if (cur < 20 && r.next() < 0.3)
          interactions.push({ userId: `u${u}`, itemId: `t${cur}`, timestamp: t++ });
        cur = (cur + 1) % 30;
      }
    }
    const model = await train({ interactions }, { hyperParameters: SMALL, headItems: 30 });
    const top = (history: string[]) =>
      model.recommend({ history, numResults: 3, excludeHistory: true }).map((x) => x.itemId);
    let before = 0;
    let after = 0;
    for (let x = 1; x < 20; x++) {
      if (top([`h${x - 1}`, `h${x}`]).includes(`t${x}`)) before++;
      if (top([`h${x - 1}`, `h${x}`, `t${x}`])[0] === `h${x + 1}`) after++;
    }
    // Chance would put a given item in the top 3 of 47 candidates about once in 16 tries.
    expect(before).toBeGreaterThanOrEqual(15);
    expect(after).toBeGreaterThanOrEqual(15);
  });

  it('bptt bounds the short-term window; the long-term part carries the context beyond it', async () => {
    // Start S1 … fixed run N1..N5 … then T1; start S2 … same run … then T2.
    const interactions: Interaction[] = [];
    const run = ['N1', 'N2', 'N3', 'N4', 'N5'];
    for (let u = 0; u < 60; u++) {
      const second = u % 2 === 0;
      const seq = [second ? 'S2' : 'S1', ...run, second ? 'T2' : 'T1'];
      seq.forEach((itemId, t) => {
        interactions.push({ userId: `u${u}`, itemId, timestamp: t });
      });
    }
    const windowOnly = { ...DEFAULT_CHOICES, longWeight: 0 };
    const long = await train(
      { interactions },
      { hyperParameters: { ...SMALL, bptt: 32 }, choices: windowOnly },
    );
    const short = await train(
      { interactions },
      { hyperParameters: { ...SMALL, bptt: 2 }, choices: windowOnly },
    );
    const remembering = await train(
      { interactions },
      { hyperParameters: { ...SMALL, bptt: 2 }, choices: { ...windowOnly, longWeight: 0.3 } },
    );
    const from = (m: Model, start: string) =>
      m.recommend({ history: [start, ...run], numResults: 1 })[0]?.itemId;
    expect(from(long, 'S1')).toBe('T1');
    expect(from(long, 'S2')).toBe('T2');
    expect(from(remembering, 'S1')).toBe('T1');
    expect(from(remembering, 'S2')).toBe('T2');
    const t1 = (start: string) => short.scoreAll([start, ...run])[short.itemIndex('T1') as number];
    expect(t1('S1')).toBeCloseTo(t1('S2') as number, 6);
  });

  it('recency_mask weighs recent events more; without it the window is order-blind', async () => {
    // Pairs A→B, C→D, E→F in random order: the last event alone says what comes next.
    const pairs = [
      ['A', 'B'],
      ['C', 'D'],
      ['E', 'F'],
    ];
    const r = new Random(4);
    const interactions: Interaction[] = [];
    for (let u = 0; u < 40; u++) {
      for (let t = 0; t < 10; t++) {
        const [x, y] = pairs[r.nextInt(3)] as string[];
        interactions.push({ userId: `u${u}`, itemId: x as string, timestamp: 2 * t });
        interactions.push({ userId: `u${u}`, itemId: y as string, timestamp: 2 * t + 1 });
      }
    }
    const masked = await train({ interactions }, { hyperParameters: { ...SMALL, recencyMask: true } });
    const flat = await train({ interactions }, { hyperParameters: { ...SMALL, recencyMask: false } });
    expect(masked.historyWeights[1]).toBeLessThan(masked.historyWeights[0] as number);
    expect(new Set(flat.historyWeights.subarray(0, DEFAULT_HYPERPARAMETERS.bptt)).size).toBe(1);
    const ac = flat.userState(['A', 'C']);
    const ca = flat.userState(['C', 'A']);
    for (let i = 0; i < ac.length; i++) expect(ac[i]).toBeCloseTo(ca[i] as number, 5);
    expect(masked.recommend({ history: ['A', 'C'], numResults: 1 })[0]?.itemId).toBe('D');
    expect(masked.recommend({ history: ['C', 'A'], numResults: 1 })[0]?.itemId).toBe('B');
  });

  it('hidden_dimension is the size of user and item vectors', async () => {
    const data = { interactions: cyclicInteractions(10, 10) };
    const m32 = await train(data, { hyperParameters: { hiddenDimension: 32 } });
    const m64 = await train(data, { hyperParameters: { hiddenDimension: 64 } });
    expect(m32.userState(['A'])).toHaveLength(32);
    expect(m64.userState(['A'])).toHaveLength(64);
    expect(m64.outputEmbeddings).toHaveLength(64 * m64.itemCount);
  });

  it('history-length percentiles drop the longest and shortest users from training', async () => {
    // Long users (30 events) teach X→Y; short users (4 events) teach X→Z.
    const interactions: Interaction[] = [];
    for (let u = 0; u < 20; u++) {
      const long = u < 5;
      const seq: string[] = [];
      const len = long ? 15 : 2;
      for (let i = 0; i < len; i++) seq.push('X', long ? 'Y' : 'Z');
      seq.forEach((itemId, t) => {
        interactions.push({ userId: `u${u}`, itemId, timestamp: t });
      });
    }
    const all = await train(
      { interactions },
      { hyperParameters: { ...SMALL, maxUserHistoryLengthPercentile: 1 } },
    );
    const capped = await train(
      { interactions },
      { hyperParameters: { ...SMALL, maxUserHistoryLengthPercentile: 0.5 } },
    );
    const floored = await train(
      { interactions },
      {
        hyperParameters: { ...SMALL, minUserHistoryLengthPercentile: 0.9, maxUserHistoryLengthPercentile: 1 },
      },
    );
    expect(all.stats?.trainingUsers).toBe(20);
    expect(capped.stats?.trainingUsers).toBe(15);
    expect(floored.stats?.trainingUsers).toBe(5);
    expect(all.recommend({ history: ['X'], numResults: 1 })[0]?.itemId).toBe('Y');
    expect(capped.recommend({ history: ['X'], numResults: 1 })[0]?.itemId).toBe('Z');
    expect(floored.recommend({ history: ['X'], numResults: 1 })[0]?.itemId).toBe('Y');
  });

  it('trains only on the chosen event type and on values at or above the threshold', async () => {
    const interactions: Interaction[] = [];
    for (let u = 0; u < 30; u++) {
      interactions.push({ userId: `u${u}`, itemId: 'A', timestamp: 0, eventType: 'buy', eventValue: 5 });
      interactions.push({ userId: `u${u}`, itemId: 'B', timestamp: 1, eventType: 'click', eventValue: 5 });
      interactions.push({ userId: `u${u}`, itemId: 'C', timestamp: 2, eventType: 'buy', eventValue: 1 });
      interactions.push({ userId: `u${u}`, itemId: 'D', timestamp: 3, eventType: 'buy', eventValue: 4 });
    }
    const clicks = await train({ interactions }, { hyperParameters: SMALL, eventType: 'buy' });
    expect(clicks.recommend({ history: ['A'], numResults: 1 })[0]?.itemId).toBe('C');
    const valued = await train({ interactions }, { hyperParameters: SMALL, eventValueThreshold: 4 });
    expect(valued.itemIds).not.toContain('C');
    expect(valued.recommend({ history: ['B'], numResults: 1 })[0]?.itemId).toBe('D');
  });

  it('gives cold items an embedding from their metadata, near warm items of the same kind', async () => {
    // Two genres whose items follow each other; one cold item per genre.
    const interactions: Interaction[] = [];
    const r = new Random(11);
    const genre = (g: string) => [0, 1, 2, 3, 4].map((i) => `${g}${i}`);
    for (let u = 0; u < 60; u++) {
      const items = genre(u % 2 === 0 ? 'x' : 'y');
      for (let t = 0; t < 12; t++) {
        interactions.push({ userId: `u${u}`, itemId: items[r.nextInt(5)] as string, timestamp: t });
      }
    }
    const items = [
      ...['x', 'y'].flatMap((g) =>
        genre(g).map((itemId) => ({
          itemId,
          categorical: { genre: [g] },
          text: `a ${g === 'x' ? 'space' : 'love'} story`,
        })),
      ),
      { itemId: 'cold-x', categorical: { genre: ['x'] }, text: 'another space story' },
      { itemId: 'cold-y', categorical: { genre: ['y'] }, text: 'another love story' },
    ];
    const model = await train({ interactions, items }, { hyperParameters: SMALL });
    const rank = (history: string[], id: string) =>
      model.recommend({ history, numResults: 100 }).findIndex((x) => x.itemId === id);
    expect(rank(['x1', 'x2', 'x3'], 'cold-x')).toBeLessThan(rank(['x1', 'x2', 'x3'], 'cold-y'));
    expect(rank(['y1', 'y2', 'y3'], 'cold-y')).toBeLessThan(rank(['y1', 'y2', 'y3'], 'cold-x'));
    expect(model.itemCounts[model.itemIndex('cold-x') as number]).toBe(0);
  });

  it('exposes Personalize defaults', () => {
    expect(DEFAULT_HYPERPARAMETERS).toEqual({
      hiddenDimension: 149,
      bptt: 32,
      recencyMask: true,
      minUserHistoryLengthPercentile: 0,
      maxUserHistoryLengthPercentile: 0.99,
    });
  });
});
