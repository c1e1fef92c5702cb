import fc from 'fast-check';
import { normaliserBound } from '../../../lambdas/engine/model';

/**
 * The normaliser's bound against its definition: softmax weights ŵ over approximate logits, errors δ_j (|δ_j| ≤ ε)
 * on the approximate items only, and |log Σ_j ŵ_j e^(δ_j)| ≤ the bound, computed from ‖δ‖₂, √(Σ_A ŵ_j²) and max ŵ_j.
 */
describe('normaliserBound', () => {
  it('bounds |log Z − log Ẑ| for any errors within ε', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            logit: fc.double({ min: -8, max: 8, noNaN: true }),
            // Fraction of ε, so |δ_j| ≤ ε.
            error: fc.double({ min: -1, max: 1, noNaN: true }),
            exact: fc.boolean(),
          }),
          { minLength: 1, maxLength: 300 },
        ),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (items, eps, roundingShare) => {
          const top = Math.max(...items.map((x) => x.logit));
          let z = 0;
          for (const x of items) z += Math.exp(x.logit - top);
          let rest = 0;
          let squares = 0;
          let errors = 0;
          let maxWeight = 0;
          let truth = 0;
          // Part of each error is the scan's (δ_j, measured by ‖δ‖₂), the rest rounding (ρ_j, per item only).
          const scanError = eps * (1 - roundingShare);
          for (const x of items) {
            const w = Math.exp(x.logit - top) / z;
            if (x.exact) {
              truth += w;
              continue;
            }
            const total = x.error * eps;
            const delta = Math.max(-scanError, Math.min(scanError, total));
            rest += w;
            squares += w * w;
            errors += delta * delta;
            maxWeight = Math.max(maxWeight, w);
            truth += w * Math.exp(total);
          }
          const bound = normaliserBound(
            rest,
            eps,
            scanError,
            Math.sqrt(errors),
            Math.sqrt(squares),
            maxWeight,
          );
          // The test's own sums of the weights round too (a few ulps of 1).
          expect(Math.abs(Math.log(truth))).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-12);
          // Never above the per-item form.
          expect(bound).toBeLessThanOrEqual(Math.log1p(rest * Math.expm1(eps)) + 1e-15);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is about the root-mean-square error over a flat softmax, not the largest error', () => {
    // n items of equal weight 1/n, every error ±ε/10 (‖δ‖₂ = √n ε/10), none exact: the first-order term is ε/10.
    const n = 100_000;
    const eps = 0.02;
    const bound = normaliserBound(1, eps, eps, (Math.sqrt(n) * eps) / 10, 1 / Math.sqrt(n), 1 / n);
    expect(bound).toBeGreaterThan(eps / 10);
    expect(bound).toBeLessThan(1.01 * (eps / 10));
  });
});
