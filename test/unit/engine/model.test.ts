import { Model, topK } from '../../../lambdas/engine/model';

/** Three items in d = 2 with hand-picked embeddings. */
function handModel(windowPenalty = 0, transitionWeight = 0): Model {
  return new Model({
    itemIds: ['a', 'b', 'c'],
    hiddenDimension: 2,
    bptt: 2,
    decay: 0.5,
    temperature: 2,
    windowPenalty,
    // b → c with P(c | b) = 0.5; a and c have no successors.
    successorOffsets: Int32Array.from([0, 0, 1, 1]),
    successorItems: Int32Array.from([2]),
    successorWeights: Float32Array.from([0.5]),
    transitionWeight,
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
  it('builds the state from the context row and the decayed window, skipping unknown items', () => {
    const m = handModel();
    // u = ctx + 1·p_b + 0.5·p_a = (0.5, 0) + (0, 1) + (0.5, 0) = (1, 1); c is beyond bptt = 2.
    expect(Array.from(m.userState(['c', 'a', 'zzz', 'b']))).toEqual([1, 1]);
    expect(Array.from(m.userState([]))).toEqual([0.5, 0]);
  });

  it('scores with the softmax of τ u·q over the whole catalog', () => {
    const m = handModel();
    // u = (1, 1): logits τ·(1, 1, −1) = (2, 2, −2).
    const z = Math.exp(2) * 2 + Math.exp(-2);
    const out = m.recommend({ history: ['a', 'b'], numResults: 3 });
    expect(out.map((x) => x.itemId)).toEqual(['a', 'b', 'c']);
    expect(out[0]?.score).toBeCloseTo(Math.exp(2) / z, 6);
    expect(out[2]?.score).toBeCloseTo(Math.exp(-2) / z, 6);
    const all = m.scoreAll(['a', 'b']);
    expect(all[1]).toBeCloseTo(Math.exp(2) / z, 6);
    // Exclusions remove items from the list but not from the normaliser.
    const rest = m.recommend({ history: ['a', 'b'], numResults: 3, exclude: new Set(['a']) });
    expect(rest.map((x) => x.itemId)).toEqual(['b', 'c']);
    expect(rest[0]?.score).toBeCloseTo(Math.exp(2) / z, 6);
  });

  it('takes μ times the window weight off the logits of items in the window', () => {
    const m = handModel(1);
    // logits (2, 2, −2) minus τ·μ·(0.5 for a, 1 for b) = (1, 0, −2).
    const out = m.recommend({ history: ['a', 'b'], numResults: 3 });
    const z = Math.exp(1) + Math.exp(0) + Math.exp(-2);
    expect(out.map((x) => x.itemId)).toEqual(['a', 'b', 'c']);
    expect(out[0]?.score).toBeCloseTo(Math.exp(1) / z, 6);
    expect(out[1]?.score).toBeCloseTo(1 / z, 6);
  });

  it('adds β · P(j | last event) from the successor table to the logits', () => {
    const m = handModel(0, 2);
    // logits (2, 2, −2) + β·0.5 for c after b = (2, 2, −1).
    const z = 2 * Math.exp(2) + Math.exp(-1);
    const out = m.recommend({ history: ['a', 'b'], numResults: 3 });
    expect(out[2]?.itemId).toBe('c');
    expect(out[2]?.score).toBeCloseTo(Math.exp(-1) / z, 6);
    // Only the last known event counts: after b then a (u = (1.5, 0.5), logits (3, 1, −3)) c gets nothing.
    expect(m.scoreAll(['b', 'a'])[2]).toBeCloseTo(
      Math.exp(-3) / (Math.exp(3) + Math.exp(1) + Math.exp(-3)),
      6,
    );
  });

  it('round-trips every field through the binary artifact', () => {
    const m = handModel(0.25, 1.5);
    const loaded = Model.load(m.serialize());
    expect(loaded.transitionWeight).toBe(1.5);
    expect(Array.from(loaded.successorOffsets)).toEqual([0, 0, 1, 1]);
    expect(Array.from(loaded.successorItems)).toEqual([2]);
    expect(loaded.itemIds).toEqual(['a', 'b', 'c']);
    expect(loaded.windowPenalty).toBe(0.25);
    expect(loaded.temperature).toBe(2);
    expect(Array.from(loaded.itemCounts)).toEqual([3, 2, 1]);
    expect(loaded.itemCreationTimestamps[2]).toBeNaN();
    expect(loaded.latestInteractionTimestamp).toBe(10);
    expect(loaded.recommend({ history: ['c'], numResults: 2 })).toEqual(
      m.recommend({ history: ['c'], numResults: 2 }),
    );
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
});
