import { interleave, promotedSlots, promotionPositions } from '../../../lambdas/services/promotions';

describe('promotions', () => {
  it('takes round(percent × numResults / 100) slots, at least one, at most all', () => {
    expect(promotedSlots(10, 25)).toBe(3);
    expect(promotedSlots(30, 10)).toBe(3);
    expect(promotedSlots(1, 10)).toBe(1);
    expect(promotedSlots(100, 7)).toBe(7);
    expect(promotedSlots(50, 1)).toBe(1);
  });

  it('draws distinct ascending positions, the same for the same seed', () => {
    for (let seed = 0; seed < 50; seed++) {
      const p = promotionPositions(seed, 10, 4);
      expect(p).toHaveLength(4);
      expect(new Set(p).size).toBe(4);
      expect([...p].sort((a, b) => a - b)).toEqual(p);
      expect(p.every((x) => x >= 0 && x < 10)).toBe(true);
      expect(promotionPositions(seed, 10, 4)).toEqual(p);
    }
    expect(promotionPositions(7, 5, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(promotionPositions(7, 5, 0)).toEqual([]);
  });

  it('puts each slot first about equally often (uniform positions)', () => {
    // One promoted item among 5 slots over 5,000 seeds: each slot expects 1,000 (σ ≈ 28).
    const counts = [0, 0, 0, 0, 0];
    for (let seed = 0; seed < 5000; seed++) counts[promotionPositions(seed * 7919, 5, 1)[0] as number]! += 1;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('interleaves keeping both orders', () => {
    expect(interleave(['P1', 'P2'], ['a', 'b', 'c'], [1, 4])).toEqual(['a', 'P1', 'b', 'c', 'P2']);
    expect(interleave(['P1'], [], [0])).toEqual(['P1']);
    expect(interleave([], ['a', 'b'], [])).toEqual(['a', 'b']);
  });
});
