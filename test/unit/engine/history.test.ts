import { accumulate, accumulateRows, type SumsRunner } from '../../../lambdas/engine/accumulate';
import { ingestInteractions } from '../../../lambdas/engine/dataset';
import { historyWeights, MAX_HISTORY, pairTable } from '../../../lambdas/engine/history-weights';
import { Random } from '../../../lambdas/engine/random';
import { FREQUENCY_BOUNDS, fitRepeatTable } from '../../../lambdas/engine/repeat';
import { followerSums, followers, stateAt, tailStateSums } from '../../../lambdas/engine/tail';
import { inThread } from '../../../lambdas/engine/train';
import type { Interaction } from '../../../lambdas/engine/types';

describe('historyWeights', () => {
  it('adds a slowly decaying long-term part to the short window and cuts the curve at 1 % of its start', () => {
    const w = historyWeights({ shortDecay: 0.5, window: 3, longWeight: 0.2, longDecay: 0.9 });
    expect(w[0]).toBeCloseTo(1.2, 12);
    expect(w[2]).toBeCloseTo(0.25 + 0.2 * 0.81, 12);
    expect(w[3]).toBeCloseTo(0.2 * 0.729, 12);
    // 0.2 · 0.9^(K−1) ≥ 0.012 > 0.2 · 0.9^K.
    expect(0.2 * 0.9 ** (w.length - 1)).toBeGreaterThanOrEqual(0.012);
    expect(0.2 * 0.9 ** w.length).toBeLessThan(0.012);
    expect(historyWeights({ shortDecay: 0.8, window: 32, longWeight: 0, longDecay: 0.9 })).toHaveLength(32);
    expect(historyWeights({ shortDecay: 1, window: 2, longWeight: 1, longDecay: 1 })).toHaveLength(
      MAX_HISTORY,
    );
  });

  it('pairTable sums w_{m+d} w_m over m = 1..M', () => {
    const w = Float64Array.from([3, 2, 1]);
    const t = pairTable(w);
    const at = (d: number, m: number) => t[d * 4 + m];
    expect(at(0, 3)).toBe(9 + 4 + 1);
    expect(at(1, 2)).toBe(2 * 3 + 1 * 2);
    expect(at(2, 1)).toBe(1 * 3);
    expect(at(2, 3)).toBe(3);
  });
});

describe('accumulate', () => {
  it('equals the Gram and cross sums built position by position, with a target horizon', async () => {
    const r = new Random(5);
    const interactions: Interaction[] = [];
    for (let u = 0; u < 12; u++) {
      const length = 1 + r.nextInt(14);
      for (let t = 0; t < length; t++)
        interactions.push({ userId: `u${u}`, itemId: `i${r.nextInt(7)}`, timestamp: t });
    }
    const seqs = await ingestInteractions(interactions, {});
    const n = seqs.items.size;
    // Head: every item but the last one, which plays a tail item.
    const h = n - 1;
    const headPos = Int32Array.from({ length: n }, (_, i) => (i < h ? i : -1));
    const w = historyWeights({ shortDecay: 0.7, window: 3, longWeight: 0.3, longDecay: 0.8 });
    const keep = new Uint8Array(seqs.users.size).fill(1);
    keep[2] = 0;
    const targets = Float64Array.from([1, 0.5, 0.25]);
    const { g, c, positions } = await accumulate(
      seqs,
      keep,
      headPos,
      h,
      w,
      targets,
      inThread.alloc,
      inThread.sums,
      1,
    );
    // Split into three ranges of head items, run in reverse order (as threads might finish), the bits are the same.
    let ranges = 0;
    const backwards: SumsRunner = async (input, split, g3, c3) => {
      ranges = split.length;
      for (const [j0, j1] of [...split].reverse()) accumulateRows(input, j0, j1, g3, c3);
    };
    const again = await accumulate(seqs, keep, headPos, h, w, targets, inThread.alloc, backwards, 3);
    expect(ranges).toBe(3);
    expect(Buffer.from(again.g.buffer).equals(Buffer.from(g.buffer))).toBe(true);
    expect(Buffer.from(again.c.buffer).equals(Buffer.from(c.buffer))).toBe(true);

    const nx = h + 1;
    const gRef = new Float64Array(nx * nx);
    const cRef = new Float64Array(nx * h);
    let positionsRef = 0;
    for (let u = 0; u < seqs.users.size; u++) {
      if (!keep[u]) continue;
      const a = seqs.userOffsets[u] as number;
      const b = seqs.userOffsets[u + 1] as number;
      for (let t = a + 1; t < b; t++) {
        positionsRef++;
        const x = new Float64Array(nx);
        x[h] = 1;
        for (let k = 1; k <= w.length && t - k >= a; k++) {
          const i = headPos[seqs.itemSeq[t - k] as number] as number;
          if (i >= 0) x[i] = (x[i] as number) + (w[k - 1] as number);
        }
        for (let i = 0; i < nx; i++) for (let j = 0; j < nx; j++) gRef[i * nx + j]! += x[i]! * x[j]!;
        for (let r = 0; r < targets.length && t + r < b; r++) {
          const y = headPos[seqs.itemSeq[t + r] as number] as number;
          if (y >= 0) for (let i = 0; i < nx; i++) cRef[i * h + y]! += targets[r]! * x[i]!;
        }
      }
    }
    expect(positions).toBe(positionsRef);
    for (let i = 0; i < gRef.length; i++) expect(g[i]).toBeCloseTo(gRef[i] as number, 9);
    for (let i = 0; i < cRef.length; i++) expect(c[i]).toBeCloseTo(cRef[i] as number, 9);
  });
});

describe('fitRepeatTable', () => {
  const cell = (rec: number, freq: number, type: number, types: number) =>
    (rec * FREQUENCY_BOUNDS.length + freq) * types + type;

  it('learns that a click is followed by a watch of the same item, and that watched items are not repeated', async () => {
    const interactions: Interaction[] = [];
    for (let u = 0; u < 200; u++) {
      let t = 0;
      for (let k = 0; k < 5; k++) {
        const item = `i${(u * 7 + k * 13) % 300}`;
        interactions.push({ userId: `u${u}`, itemId: item, timestamp: t++, eventType: 'click' });
        interactions.push({ userId: `u${u}`, itemId: item, timestamp: t++, eventType: 'watch' });
      }
    }
    const seqs = await ingestInteractions(interactions, {});
    const keep = new Uint8Array(seqs.users.size).fill(1);
    const table = fitRepeatTable(seqs, keep, new Random(1));
    const types = table.eventTypes.length + 1;
    const click = table.eventTypes.indexOf('click') + 1;
    const watch = table.eventTypes.indexOf('watch') + 1;
    // Every click is followed by a watch of the same item: 800 hits in 800 opportunities, shrunk a little.
    expect(table.probabilities[cell(0, 0, click, types)]).toBeGreaterThan(0.95);
    // A watched item never comes back.
    expect(table.probabilities[cell(0, 1, watch, types)]).toBeLessThan(0.05);
    expect(table.probabilities[cell(1, 1, watch, types)]).toBeLessThan(0.05);
  });

  it('gives a data set without repeats repeat rates of zero', async () => {
    const interactions: Interaction[] = [];
    for (let u = 0; u < 50; u++)
      for (let t = 0; t < 8; t++) interactions.push({ userId: `u${u}`, itemId: `i${u}-${t}`, timestamp: t });
    const seqs = await ingestInteractions(interactions, {});
    const table = fitRepeatTable(seqs, new Uint8Array(50).fill(1), new Random(1));
    expect(Math.max(...table.probabilities)).toBe(0);
  });
});

describe('tailStateSums', () => {
  it("adds, for the kept users' target positions, the state that summing the history curve anew gives", async () => {
    const r = new Random(9);
    const interactions: Interaction[] = [];
    for (const user of ['u', 'v', 'w'])
      for (let t = 0; t < 40; t++)
        interactions.push({ userId: user, itemId: `i${r.nextInt(9)}`, timestamp: t });
    const seqs = await ingestInteractions(interactions, {});
    const n = seqs.items.size;
    // d odd and the summed width r below it, so the kernel's pairs and remainders are both taken.
    const d = 5;
    const width = 4;
    const input = Float32Array.from({ length: (n + 1) * d }, () => r.nextNormal());
    const keep = Uint8Array.of(1, 0, 1);
    const targets = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
    for (const curve of [
      { shortDecay: 0.8, window: 4, longWeight: 0.3, longDecay: 0.9 },
      { shortDecay: 0.5, window: 6, longWeight: 0, longDecay: 0.9 },
    ]) {
      const w = historyWeights(curve);
      const start = Float64Array.from({ length: n * width }, (_, i) => i / 7);
      const expected = Float64Array.from(start);
      const u = new Float64Array(d);
      let added = 0;
      for (let user = 0; user < keep.length; user++) {
        if (!keep[user]) continue;
        const a = seqs.userOffsets[user] as number;
        for (let t = a + 1; t < (seqs.userOffsets[user + 1] as number); t++) {
          const y = seqs.itemSeq[t] as number;
          if (!targets[y]) continue;
          stateAt(seqs, a, t, w, input, n, d, u);
          for (let c = 0; c < width; c++)
            expected[y * width + c] = (expected[y * width + c] as number) + (u[c] as number);
          added++;
        }
      }
      expect(added).toBeGreaterThan(30);
      const sums = Float64Array.from(start);
      tailStateSums(seqs, keep, targets, curve, w.length, input, n, d, sums, width);
      for (let i = 0; i < sums.length; i++) expect(sums[i]).toBeCloseTo(expected[i] as number, 9);
    }
  });
});

describe('followerSums', () => {
  it("sums, per item, the rows of the items that followed it in the kept users' sequences", async () => {
    const r = new Random(4);
    const interactions: Interaction[] = [];
    for (const user of ['u', 'v', 'w'])
      for (let t = 0; t < 30; t++)
        interactions.push({ userId: user, itemId: `i${r.nextInt(7)}`, timestamp: t });
    const seqs = await ingestInteractions(interactions, {});
    const n = seqs.items.size;
    const d = 5;
    const width = 3;
    const m = Float32Array.from({ length: n * d }, () => r.nextNormal());
    const keep = Uint8Array.of(1, 0, 1);
    const expected = new Float64Array(n * width);
    for (let user = 0; user < keep.length; user++) {
      if (!keep[user]) continue;
      for (let t = (seqs.userOffsets[user] as number) + 1; t < (seqs.userOffsets[user + 1] as number); t++) {
        const prev = seqs.itemSeq[t - 1] as number;
        const y = seqs.itemSeq[t] as number;
        for (let c = 0; c < width; c++)
          expected[prev * width + c] = (expected[prev * width + c] as number) + (m[y * d + c] as number);
      }
    }
    const next = followers(seqs, keep, n);
    expect(next.items).toHaveLength(58);
    const sums = new Float64Array(n * width).fill(7);
    followerSums(next, m, n, d, sums, width);
    expect(Array.from(sums)).toEqual(Array.from(expected));
  });
});
