import { fitTemperature } from '../../../lambdas/engine/calibrate';
import { Random } from '../../../lambdas/engine/random';

/** Σ_s log softmax(τ z_s)[target_s], excluding −∞ logits. */
function logLikelihood(logits: readonly Float32Array[], targets: readonly number[], tau: number): number {
  let total = 0;
  logits.forEach((z, s) => {
    let max = Number.NEGATIVE_INFINITY;
    for (const v of z) if (v > max) max = v;
    let sum = 0;
    for (const v of z) if (v !== Number.NEGATIVE_INFINITY) sum += Math.exp(tau * (v - max));
    total += tau * ((z[targets[s] as number] as number) - max) - Math.log(sum);
  });
  return total;
}

describe('fitTemperature', () => {
  it('finds τ = log(p / (1 − p)) for two logits 1 and 0 whose first wins a share p of the time', () => {
    // softmax(τ·[1, 0])[0] = σ(τ), so the likelihood is maximal where σ(τ) = p; a −∞ logit is excluded.
    const logits: Float32Array[] = [];
    const targets: number[] = [];
    for (let s = 0; s < 400; s++) {
      logits.push(Float32Array.from([1, 0, Number.NEGATIVE_INFINITY]));
      targets.push(s % 4 === 3 ? 1 : 0);
    }
    expect(fitTemperature(logits, targets)).toBeCloseTo(Math.log(3), 5);
  });

  it('maximises the likelihood of random logits (a finer grid search finds nothing better)', () => {
    const r = new Random(5);
    const logits = Array.from({ length: 30 }, () =>
      Float32Array.from({ length: 50 }, (_, j) =>
        j % 7 === 0 ? Number.NEGATIVE_INFINITY : 3 * r.nextNormal(),
      ),
    );
    // Targets drawn from softmax(0.7 z): the fitted τ should land near 0.7, and be the likelihood's maximum.
    const targets = logits.map((z) => {
      const p = Array.from(z, (v) => Math.exp(0.7 * v));
      const total = p.reduce((a, b) => a + b, 0);
      let u = r.next() * total;
      for (let j = 0; j < p.length; j++) {
        u -= p[j] as number;
        if (u <= 0) return j;
      }
      return p.length - 1;
    });
    const tau = fitTemperature(logits, targets);
    const best = logLikelihood(logits, targets, tau);
    for (let t = 0.05; t < 3; t += 0.01)
      expect(logLikelihood(logits, targets, t)).toBeLessThanOrEqual(best + 1e-9);
    expect(tau).toBeGreaterThan(0.3);
    expect(tau).toBeLessThan(1.5);
  });

  it('keeps τ = 1 without samples', () => {
    expect(fitTemperature([], [])).toBe(1);
  });
});
