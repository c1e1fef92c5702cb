import { Random } from '../../../lambdas/engine/random';

describe('Random', () => {
  it('repeats the same sequence for the same seed and differs for another seed', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    const seqB = Array.from({ length: 5 }, () => b.nextUint32());
    const seqC = Array.from({ length: 5 }, () => c.nextUint32());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it('draws uniform values whose mean and variance match U(0,1) and N(0,1)', () => {
    const r = new Random(7);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let nSum = 0;
    let nSumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      sumSq += u * u;
      const z = r.nextNormal();
      nSum += z;
      nSumSq += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(nSum / n).toBeCloseTo(0, 1);
    expect(nSumSq / n).toBeCloseTo(1, 1);
  });

  it('shuffles into a permutation', () => {
    const r = new Random(1);
    const shuffled = r.shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...shuffled].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffled).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
