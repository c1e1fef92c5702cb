import fc from 'fast-check';
import { candidates } from '../../../lambdas/engine/candidates';
import { topK } from '../../../lambdas/engine/model';

describe('candidates', () => {
  it('keeps the items within the margin of the k-th largest, skipping excluded and −∞ ones', () => {
    const x = Float32Array.from([0.5, 0.9, Number.NEGATIVE_INFINITY, 0.85, 0.2, 0.7, 0.86]);
    // k = 2 outside {1}: 0.86 and 0.85, so T = 0.85; margin 0.2 keeps ≥ 0.65.
    expect(candidates(x, 2, 0.2, new Set([1]))).toEqual([3, 5, 6]);
    expect(candidates(x, 2, 0, new Set())).toEqual([1, 6]);
    // Fewer eligible items than k: all of them.
    expect(candidates(x, 10, 0, new Set([0]))).toEqual([1, 3, 4, 5, 6]);
  });

  it('contains the exact top k whenever every approximation is within ε', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer(),
        (values, k, eps, seed) => {
          const exact = Float32Array.from(values);
          let state = seed >>> 0;
          const approx = exact.map((v) => {
            state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
            return v + eps * ((state / 2 ** 32) * 2 - 1);
          });
          const excluded = new Set<number>();
          for (let j = 0; j < exact.length; j += 7) excluded.add(j);
          // The float32 rounding of approx is at most 2⁻²³ · 10 more.
          const kept = new Set(candidates(approx, k, 2 * (eps + 2e-6), excluded));
          for (const j of topK(exact, k, excluded)) expect(kept.has(j)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
