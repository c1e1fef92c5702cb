import { Model, topK } from '../../../lambdas/engine/model';
import { Random } from '../../../lambdas/engine/random';
import { FREQUENCY_BOUNDS, RECENCY_BOUNDS, type RepeatTable } from '../../../lambdas/engine/repeat';

const TYPES = ['click', 'watch'];

/** A repeat table with φ = 0 everywhere except the given (recency bucket, frequency bucket, type) cells. */
function repeatTable(cells: [number, number, string | undefined, number][] = []): RepeatTable {
  const types = TYPES.length + 1;
  const probabilities = new Float64Array(RECENCY_BOUNDS.length * FREQUENCY_BOUNDS.length * types);
  for (const [rec, freq, type, p] of cells) {
    const t = type === undefined ? 0 : TYPES.indexOf(type) + 1;
    probabilities[(rec * FREQUENCY_BOUNDS.length + freq) * types + t] = p;
  }
  return { eventTypes: TYPES, probabilities, itemFactors: new Float32Array(3).fill(1) };
}

/** Three items in d = 2 with hand-picked embeddings. */
function handModel(transitionWeight = 0, repeat = repeatTable()): Model {
  return new Model({
    itemIds: ['a', 'b', 'c'],
    hiddenDimension: 2,
    historyWeights: Float64Array.from([1, 0.5]),
    temperature: 2,
    // b → c with P(c | b) = 0.5; a and c have no successors.
    successorOffsets: Int32Array.from([0, 0, 1, 1]),
    successorItems: Int32Array.from([2]),
    successorWeights: Float32Array.from([0.5]),
    transitionWeight,
    repeat,
    // rows: a, b, c, context
    inputEmbeddings: Float32Array.from([1, 0, 0, 1, 1, 1, 0.5, 0]),
    outputEmbeddings: Float32Array.from([1, 0, 0, 1, -1, 0]),
    itemCounts: Float32Array.from([3, 2, 1]),
    itemCreationTimestamps: Float64Array.from([1, 2, Number.NaN]),
    latestInteractionTimestamp: 10,
    seed: 7,
  });
}

describe('Model', () => {
  it('builds the state from the context row and the weighted history, skipping unknown items', () => {
    const m = handModel();
    // u = ctx + 1·p_b + 0.5·p_a = (0.5, 0) + (0, 1) + (0.5, 0) = (1, 1); c is beyond the two weights.
    expect(Array.from(m.userState(['c', 'a', 'zzz', 'b']))).toEqual([1, 1]);
    expect(Array.from(m.userState([]))).toEqual([0.5, 0]);
  });

  it('scores new items with the softmax of τ u·q over the items outside the history', () => {
    const m = handModel();
    // No history: u = ctx = (0.5, 0), logits τ·(0.5, 0, −0.5) = (1, 0, −1).
    const z0 = Math.exp(1) + 1 + Math.exp(-1);
    const cold = m.recommend({ history: [], numResults: 3 });
    expect(cold.map((x) => x.itemId)).toEqual(['a', 'b', 'c']);
    expect(cold[0]?.score).toBeCloseTo(Math.exp(1) / z0, 6);
    // History [c]: u = (1.5, 1), logits (3, 2, −3); c was seen and φ = 0, so a and b share all the mass.
    const z = Math.exp(3) + Math.exp(2);
    const out = m.recommend({ history: ['c'], numResults: 3 });
    expect(out.map((x) => x.itemId)).toEqual(['a', 'b', 'c']);
    expect(out[0]?.score).toBeCloseTo(Math.exp(3) / z, 6);
    expect(out[2]?.score).toBe(0);
    const all = m.scoreAll(['c']);
    expect(all[1]).toBeCloseTo(Math.exp(2) / z, 6);
    // Exclusions remove items from the list but not from the normaliser.
    const rest = m.recommend({ history: ['c'], numResults: 3, exclude: new Set(['a']) });
    expect(rest.map((x) => x.itemId)).toEqual(['b', 'c']);
    expect(rest[0]?.score).toBeCloseTo(Math.exp(2) / z, 6);
  });

  it('gives history items their learned repeat probability and the rest 1 − Σφ, by recency and event type', () => {
    // The newest distinct item, seen once, repeats with 0.6 after a click and 0.1 after a watch.
    const m = handModel(
      0,
      repeatTable([
        [0, 0, 'click', 0.6],
        [0, 0, 'watch', 0.1],
      ]),
    );
    const clicked = m.recommend({ history: ['c'], historyEventTypes: ['click'], numResults: 3 });
    const z = Math.exp(3) + Math.exp(2);
    expect(clicked.map((x) => x.itemId)).toEqual(['c', 'a', 'b']);
    expect(clicked[0]?.score).toBeCloseTo(0.6, 6);
    expect(clicked[1]?.score).toBeCloseTo((0.4 * Math.exp(3)) / z, 6);
    const watched = m.recommend({ history: ['c'], historyEventTypes: ['watch'], numResults: 3 });
    expect(watched.map((x) => x.itemId)).toEqual(['a', 'b', 'c']);
    expect(watched[2]?.score).toBeCloseTo(0.1, 6);
    const total = m.scoreAll(['c'], ['watch']).reduce((x, y) => x + y, 0);
    expect(total).toBeCloseTo(1, 6);
    // Without a type, the cell of "no type" (φ = 0) applies.
    expect(m.recommend({ history: ['c'], numResults: 3 })[2]?.itemId).toBe('c');
  });

  it('adds β · P(j | last event) from the successor table to the logits', () => {
    const m = handModel(2);
    // History [b]: u = (0.5, 1), logits τ·(0.5, 1, −0.5) = (1, 2, −1), + β·0.5 for c after b = (1, 2, 0); b is seen.
    const z = Math.exp(1) + Math.exp(0);
    expect(m.scoreAll(['b'])[2]).toBeCloseTo(1 / z, 6);
    // Only the last known event counts: after b then a (u = (1.5, 0.5), logits (3, 1, −3)) c gets nothing.
    expect(m.scoreAll(['b', 'a'])[2]).toBeCloseTo(1, 6);
  });

  it('round-trips every field through the binary artifact', () => {
    const m = new Model({ ...handModel(1.5, repeatTable([[1, 0, 'watch', 0.2]])), tuned: { bptt: '2' } });
    const loaded = Model.load(m.serialize());
    expect(loaded.transitionWeight).toBe(1.5);
    expect(Array.from(loaded.successorOffsets)).toEqual([0, 0, 1, 1]);
    expect(Array.from(loaded.successorItems)).toEqual([2]);
    expect(Array.from(loaded.historyWeights)).toEqual([1, 0.5]);
    expect(loaded.repeat.eventTypes).toEqual(TYPES);
    expect(Array.from(loaded.repeat.probabilities)).toEqual(Array.from(m.repeat.probabilities));
    expect(loaded.tuned).toEqual({ bptt: '2' });
    expect(loaded.itemIds).toEqual(['a', 'b', 'c']);
    expect(loaded.temperature).toBe(2);
    expect(Array.from(loaded.itemCounts)).toEqual([3, 2, 1]);
    expect(loaded.itemCreationTimestamps[2]).toBeNaN();
    expect(loaded.latestInteractionTimestamp).toBe(10);
    const req = { history: ['c', 'a'], historyEventTypes: ['watch', 'click'], numResults: 3 };
    expect(loaded.recommend(req)).toEqual(m.recommend(req));
    // Zero-copy: the embeddings are views over the artifact; a misaligned artifact is copied instead.
    const bytes = m.serialize();
    expect(Model.load(bytes).outputEmbeddings.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const misaligned = Model.load(shifted.subarray(1));
    expect(misaligned.outputEmbeddings.buffer).not.toBe(shifted.buffer);
    expect(Array.from(misaligned.outputEmbeddings)).toEqual(Array.from(m.outputEmbeddings));
    expect(misaligned.recommend(req)).toEqual(m.recommend(req));
    const corrupt = m.serialize();
    corrupt[0] = 0;
    expect(() => Model.load(corrupt)).toThrow(/not a model artifact/);
  });

  it('topK keeps the k best, best first, lower index on ties', () => {
    const scores = Float32Array.from([0.1, 0.5, 0.5, 0.9, 0.3]);
    expect(topK(scores, 3, new Set())).toEqual([3, 1, 2]);
    expect(topK(scores, 2, new Set([3]))).toEqual([1, 2]);
    expect(topK(scores, 10, new Set())).toEqual([3, 1, 2, 4, 0]);
  });

  describe('SIMD path against the float64 reference', () => {
    /** Seeded Gaussian factors, several successors per item, repeat rates for click and watch events. */
    function randomModel(n: number, d: number, tau: number, random: Random): Model {
      const gaussian = (length: number) =>
        Float32Array.from({ length }, () => random.nextNormal() / Math.sqrt(d));
      const successors = 5;
      const repeat = repeatTable([
        [0, 0, 'click', 0.3],
        [1, 0, 'watch', 0.05],
        [3, 1, undefined, 0.01],
      ]);
      return new Model({
        itemIds: Array.from({ length: n }, (_, i) => `i${i}`),
        hiddenDimension: d,
        historyWeights: Float64Array.from({ length: 8 }, (_, k) => 0.7 ** k),
        temperature: tau,
        successorOffsets: Int32Array.from({ length: n + 1 }, (_, i) => i * successors),
        successorItems: Int32Array.from({ length: n * successors }, () => random.nextInt(n)),
        successorWeights: Float32Array.from({ length: n * successors }, () => random.next() * 0.3),
        transitionWeight: 2,
        repeat: { ...repeat, itemFactors: new Float32Array(n).fill(1) },
        inputEmbeddings: gaussian((n + 1) * d),
        outputEmbeddings: gaussian(n * d),
        itemCounts: new Float32Array(n).fill(1),
        itemCreationTimestamps: new Float64Array(n),
        latestInteractionTimestamp: 0,
        seed: 1,
      });
    }

    it.each([
      [3000, 37, 1],
      [5000, 64, 6],
    ])(
      'returns the same list in the same order, scores within the proven bound (n %i, d %i, τ %d)',
      (n, d, tau) => {
        const random = new Random(n + d);
        const m = randomModel(n, d, tau, random);
        let exactlyReRanked = 0;
        for (let r = 0; r < 60; r++) {
          const history = Array.from({ length: 1 + random.nextInt(30) }, () => `i${random.nextInt(n)}`);
          const req = {
            history,
            historyEventTypes: history.map((_, i) =>
              i % 3 === 0 ? 'click' : i % 3 === 1 ? 'watch' : undefined,
            ),
            numResults: 1 + random.nextInt(60),
            excludeHistory: r % 4 === 0,
            ...(r % 3 === 0
              ? { exclude: new Set(Array.from({ length: 200 }, () => `i${random.nextInt(n)}`)) }
              : {}),
            // A filter's mask that blocks about half the catalog.
            ...(r % 5 === 1
              ? { blocked: Uint8Array.from({ length: n }, () => (random.next() < 0.5 ? 1 : 0)) }
              : {}),
          };
          const fast = m.recommend(req);
          const bounds = m.bounds();
          const reference = m.recommendReference(req);
          expect(fast.map((x) => x.itemId)).toEqual(reference.map((x) => x.itemId));
          for (const [i, x] of fast.entries()) {
            const y = reference[i]?.score as number;
            // Repeat items' logits are log Z-relative and rounded to f32: one more rounding step of slack.
            expect(Math.abs(x.score - y)).toBeLessThanOrEqual(y * (Math.expm1(bounds.logZ) + 1e-6));
          }
          // int8 rows: about 10⁻³ on a flat softmax over many items, up to 2·10⁻² on these small catalogs at τ = 6,
          // where a few dozen approximate items hold most of Z.
          expect(bounds.logZ).toBeLessThan(3e-2);
          exactlyReRanked += bounds.candidates;
        }
        // The margin is small: few items beyond the requested ones are recomputed.
        expect(exactlyReRanked).toBeLessThan(60 * 120);
      },
    );

    it('sums Z again when the history items held most of the scan’s sum', () => {
      const random = new Random(11);
      const base = randomModel(3000, 16, 1, random);
      // i0's output vector points along its own input vector, 40×: with history [i0] it holds nearly all of the
      // scan's sum, and it is a history item, so its term leaves Z.
      const output = base.outputEmbeddings.slice();
      const d = 16;
      for (let c = 0; c < d; c++) output[c] = 40 * (base.inputEmbeddings[c] as number);
      const m = new Model({ ...base, outputEmbeddings: output });
      const req = { history: ['i0'], numResults: 10 };
      const fast = m.recommend(req);
      const reference = m.recommendReference(req);
      expect(fast.map((x) => x.itemId)).toEqual(reference.map((x) => x.itemId));
      for (const [i, x] of fast.entries()) {
        const y = reference[i]?.score as number;
        expect(Math.abs(x.score - y)).toBeLessThanOrEqual(y * Math.expm1(m.bounds().logZ));
      }
      // A 40× larger row widens the proven bound 40×.
      expect(m.bounds().logZ).toBeLessThan(1e-2);
    });

    it('normalises over excluded items too, as the reference does', () => {
      const random = new Random(5);
      const m = randomModel(2000, 16, 2, random);
      const all = m.recommendReference({ history: ['i1'], numResults: 5 });
      const exclude = new Set(all.slice(0, 3).map((x) => x.itemId));
      const fast = m.recommend({ history: ['i1'], numResults: 2, exclude });
      expect(fast.map((x) => x.itemId)).toEqual(all.slice(3, 5).map((x) => x.itemId));
      // Without the excluded items in Z the score would be larger by their share of Z (a few %, far above the bound).
      const y = all[3]?.score as number;
      expect(Math.abs((fast[0]?.score as number) - y)).toBeLessThanOrEqual(y * Math.expm1(m.bounds().logZ));
    });

    it('scores any items asked for (history items, excluded and blocked ones included) within the proven bound', () => {
      const random = new Random(8);
      const n = 3000;
      const m = randomModel(n, 24, 3, random);
      for (let r = 0; r < 10; r++) {
        const history = Array.from({ length: 1 + random.nextInt(10) }, () => `i${random.nextInt(n)}`);
        const also = [
          ...Array.from({ length: 40 }, () => random.nextInt(n)),
          m.itemIndex(history[0] as string) as number,
        ];
        const blocked = Uint8Array.from({ length: n }, () => (random.next() < 0.3 ? 1 : 0));
        const req = { history, numResults: 5, ...(r % 2 === 0 ? { blocked } : {}) };
        const { top, also: scores } = m.recommendAlso(req, also);
        const bound = m.bounds().logZ;
        expect(top.map((x) => x.itemId)).toEqual(m.recommendReference(req).map((x) => x.itemId));
        const reference = m.scoreAll(history);
        also.forEach((j, i) => {
          const y = reference[j] as number;
          // A blocked item outside the exact candidates keeps the scan's logit: its own bound ε widens it.
          const slack = req.blocked?.[j] === 1 ? Math.expm1(bound + 2 * m.bounds().logit) : Math.expm1(bound);
          expect(Math.abs((scores[i] as number) - y)).toBeLessThanOrEqual(y * (slack + 1e-6));
        });
      }
    });
  });
});
