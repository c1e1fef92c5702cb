import fc from 'fast-check';
import { topK } from '../../../lambdas/engine/model';
import { MAX_K, QuantizedScorer } from '../../../lambdas/engine/wasm/quantized-scorer';

const scorers = new Map<number, QuantizedScorer>();

/** The scorer's candidates over the given values (written into its logits). */
function candidates(
  values: Float32Array,
  k: number,
  margin: number,
  excluded: ReadonlySet<number>,
): number[] {
  let s = scorers.get(values.length);
  if (s === undefined) {
    s = new QuantizedScorer(new Float32Array(values.length), values.length, 1);
    scorers.set(values.length, s);
  }
  s.logits.set(values);
  let largest = 0;
  for (const v of values) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  return Array.from(s.candidates(k, margin, excluded, largest));
}

describe('QuantizedScorer.candidates', () => {
  it('keeps the items within the margin of the k-th largest, skipping excluded and −∞ ones', () => {
    const x = Float32Array.from([0.5, 0.9, Number.NEGATIVE_INFINITY, 0.85, 0.2, 0.7, 0.86]);
    // k = 2 outside {1}: 0.86 and 0.85, so T = 0.85; margin 0.2 keeps ≥ 0.65.
    expect(candidates(x, 2, 0.2, new Set([1]))).toEqual([3, 5, 6]);
    expect(candidates(x, 2, 0, new Set())).toEqual([1, 6]);
    // Fewer eligible items than k: all of them.
    expect(candidates(x, 10, 0, new Set([0]))).toEqual([1, 3, 4, 5, 6]);
    expect(() => candidates(x, MAX_K + 1, 0, new Set())).toThrow(/k must be/);
  });

  it('contains the exact top k whenever every approximation is within ε', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), {
          minLength: 1,
          maxLength: 3000,
        }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (values, k, eps) => {
          const exact = Float32Array.from(values);
          // History items (−∞) are never candidates.
          exact.fill(Number.NEGATIVE_INFINITY, 0, Math.min(3, exact.length - 1));
          const excluded = new Set<number>();
          for (let j = 0; j < exact.length; j += 7) excluded.add(j);
          const truth = topK(exact, k, excluded).filter((j) => exact[j] !== Number.NEGATIVE_INFINITY);
          // The worst case: the true top k approximated ε low, everything else ε high.
          const top = new Set(truth);
          const approx = exact.map((v, j) => (top.has(j) ? v - eps : v + eps));
          // Their float32 rounding is at most 2⁻²³ · 10.5 more.
          const kept = new Set(candidates(approx, k, 2 * (eps + 2e-6), excluded));
          for (const j of truth) expect(kept.has(j)).toBe(true);
          for (const j of kept) expect(excluded.has(j) || exact[j] === Number.NEGATIVE_INFINITY).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('QuantizedScorer.narrow', () => {
  /** n × d rows, each a Gaussian direction times a norm from `norms` (cycled), and a unit-scale user state. */
  function world(n: number, d: number, norms: readonly number[], seed: number) {
    let s = seed;
    const next = (): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648 - 0.5;
    };
    const q = new Float32Array(n * d);
    for (let j = 0; j < n; j++)
      for (let c = 0; c < d; c++) q[j * d + c] = next() * (norms[j % norms.length] as number);
    const u = Float32Array.from({ length: d }, () => next());
    return { q, u };
  }

  function narrowed(n: number, d: number, norms: readonly number[], seed: number, tau: number, k: number) {
    const { q, u } = world(n, d, norms, seed);
    const scorer = new QuantizedScorer(q, n, d);
    const scanError = scorer.scan(u, tau);
    const exact = new Float32Array(n);
    let largest = 0;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += (u[c] as number) * (q[j * d + c] as number);
      exact[j] = tau * dot;
      largest = Math.max(largest, Math.abs(scorer.logits[j] as number));
    }
    // The f32 roundings of the scan's logits and of the exact ones (as model.ts's bound has them).
    const slack = 2 ** -21 * (largest + scanError + 1) + 1e-6;
    const excluded = new Set([0, 5]);
    const found = scorer.candidates(k, 2 * (scanError * (1 + 2 ** -20) + slack), excluded, largest);
    const before = found.length;
    const kept = Array.from(scorer.narrow(found, k, slack));
    // The kernel's one pass over the catalog, which narrowedCandidates takes when the candidates are many.
    const fused = Array.from(scorer.boundedCandidates(k, excluded, slack));
    return { before, kept, fused, truth: topK(exact, k, excluded) };
  }

  it('keeps the exact top k, for rows of very different norms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom([1], [1, 1e-3], [10, 0.1, 0.01], [1, 1, 1, 1e-4]),
        fc.double({ min: 0.1, max: 200, noNaN: true }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (n, k, norms, tau, seed) => {
          const { before, kept, fused, truth } = narrowed(n + 6, 16, norms, seed, tau, k);
          const set = new Set(kept);
          for (const j of truth) expect(set.has(j)).toBe(true);
          expect(set.has(0) || set.has(5)).toBe(false);
          // narrow returns its input whole when it holds k items or fewer; otherwise both give the same set.
          if (before > k) expect(fused).toEqual(kept);
          for (const j of truth) expect(fused).toContain(j);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('leaves few candidates where a few large rows make the global bound wide and the rest are small', () => {
    // One item in two thousand has fifty times the norm: the global bound, set by those, covers much of the
    // catalog around the k-th logit, the per-item bounds of the small rows do not.
    const norms = [50, ...Array.from({ length: 1999 }, () => 1)];
    const { before, kept, fused, truth } = narrowed(20_000, 32, norms, 7, 1, 25);
    expect(before).toBeGreaterThan(1000);
    expect(kept.length).toBeLessThan(200);
    for (const j of truth) expect(kept).toContain(j);
    expect(fused).toEqual(kept);
  });
});
