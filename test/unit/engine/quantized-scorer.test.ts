import { EXP_ERROR } from '../../../lambdas/engine/model';
import { Random } from '../../../lambdas/engine/random';
import { QuantizedScorer } from '../../../lambdas/engine/wasm/quantized-scorer';
import { SCORING_SOURCE_SHA256, SCORING_WASM_BASE64 } from '../../../lambdas/engine/wasm/scoring.generated';
import { sourceHash } from '../../../scripts/build-wasm';

function gaussian(random: Random, length: number, scale: number): Float32Array {
  return Float32Array.from({ length }, () => random.nextNormal() * scale);
}

/** τ u·q_j in float64, the slow reference. */
function exactLogits(q: Float32Array, u: Float32Array, n: number, d: number, tau: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += (u[c] as number) * (q[j * d + c] as number);
    out[j] = tau * s;
  }
  return out;
}

describe('QuantizedScorer', () => {
  it('gives the hand-computed logits of a tiny matrix', () => {
    // q rows (1, 0, 0), (0, 2, 0), (−1, 1, 0.5); u = (3, 4, 2); τ = 0.5 → (1.5, 4, 1).
    const q = Float32Array.from([1, 0, 0, 0, 2, 0, -1, 1, 0.5]);
    const s = new QuantizedScorer(q, 3, 3);
    const bound = s.scan(Float32Array.from([3, 4, 2]), 0.5);
    const expected = [1.5, 4, 1];
    for (let j = 0; j < 3; j++) {
      expect(Math.abs((s.logits[j] as number) - (expected[j] as number))).toBeLessThanOrEqual(bound + 4e-6);
    }
    // Row 3 (σ = 127) rounds 63.5 to 64, a residual of 0.5 / 127 in one coordinate; the other rows and u round
    // to within 10⁻⁴ of themselves, so the bound is τ ‖u‖ 0.5 / 127 to within 1 %.
    const largest = (0.5 * Math.sqrt(29) * 0.5) / 127;
    expect(bound).toBeGreaterThan(0.99 * largest);
    expect(bound).toBeLessThan(1.01 * largest);
    expect(s.scanMax).toBe(s.logits[1]);
    expect(s.scanMaxAbs).toBe(s.logits[1]);
  });

  it.each([
    [2001, 149, 1],
    [777, 37, 3.5],
    [64, 8, -2],
  ])('keeps every logit of random data within its proven bound (n %i, d %i, τ %d)', (n, d, tau) => {
    const random = new Random(n + d);
    const q = gaussian(random, n * d, 1 / Math.sqrt(d));
    // A few rows far larger than the rest, and one all-zero row.
    for (let c = 0; c < d; c++) {
      q[5 * d + c] = (q[5 * d + c] as number) * 100;
      q[9 * d + c] = 0;
    }
    const s = new QuantizedScorer(q, n, d);
    for (let trial = 0; trial < 5; trial++) {
      const u = gaussian(random, d, 1 + trial);
      const bound = s.scan(u, tau);
      const errorNorm = s.errorNormOf(s.scanState);
      const exact = exactLogits(q, u, n, d, tau);
      let worst = 0;
      let top = Number.NEGATIVE_INFINITY;
      let big = 0;
      let errorSquares = 0;
      let logitSquares = 0;
      for (let j = 0; j < n; j++) {
        const z = s.logits[j] as number;
        // The bounds hold before the f32 rounding of ẑ_j.
        worst = Math.max(worst, Math.abs(z - (exact[j] as number)) - 2 ** -24 * Math.abs(z));
        errorSquares += (z - (exact[j] as number)) ** 2;
        logitSquares += z * z;
        top = Math.max(top, z);
        big = Math.max(big, Math.abs(z));
      }
      expect(worst).toBeLessThanOrEqual(bound);
      // ‖δ‖₂ over all items: within its Gram-matrix bound, and far below √n times the per-item one.
      expect(Math.sqrt(errorSquares)).toBeLessThanOrEqual(errorNorm + 2 ** -24 * Math.sqrt(logitSquares));
      expect(errorNorm).toBeLessThan(0.5 * Math.sqrt(n) * bound);
      // And tight: uᵀRᵀRu is ‖Ru‖² itself, and u's own rounding adds little.
      expect(errorNorm).toBeLessThan(1.5 * Math.sqrt(errorSquares));
      expect(Math.abs(s.logits[9] as number)).toBe(0);
      expect(s.scanMax).toBe(top);
      expect(s.scanMaxAbs).toBe(big);
      // The normaliser summed in the same pass, against the float64 sum of the same f32 logits.
      expect(s.scanShift).toBe(top);
      let z = 0;
      let z2 = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp((s.logits[j] as number) - top);
        z += e;
        z2 += e * e;
      }
      expect(Math.abs(s.scanSum / z - 1)).toBeLessThan(EXP_ERROR + 2 ** -22 * (2 * big + 1));
      expect(Math.abs(s.scanSquares / z2 - 1)).toBeLessThan(2 * (EXP_ERROR + 2 ** -22 * (2 * big + 1)));
      // int8 with a scale per row: a residual coordinate is at most 1/254 of the row's largest entry, so on
      // Gaussian rows the bound is about 1/150 of the largest possible logit.
      let uNorm = 0;
      for (let c = 0; c < d; c++) uNorm += (u[c] as number) ** 2;
      expect(bound).toBeLessThan(1.5e-2 * Math.abs(tau) * Math.sqrt(uNorm) * s.maxRowNorm);
    }
  });

  it('sums RᵀR only when a bound on ‖δ‖₂ is asked for, and bounds an earlier scan as if asked at once', () => {
    const n = 901;
    const d = 37;
    const random = new Random(3);
    const q = gaussian(random, n * d, 1);
    const first = gaussian(random, d, 1);
    const second = gaussian(random, d, 2);
    const atOnce = new QuantizedScorer(q, n, d);
    atOnce.scan(first, 1.5);
    const asked = atOnce.errorNormOf(atOnce.scanState);
    const lazy = new QuantizedScorer(q, n, d);
    lazy.scan(first, 1.5);
    const state = lazy.scanState;
    lazy.scan(second, 0.5);
    expect(lazy.hasGram).toBe(false);
    // The same bits from the state kept across a later scan, with RᵀR summed after it.
    expect(lazy.errorNormOf(state)).toBe(asked);
    expect(lazy.hasGram).toBe(true);
    // The later scan's logits are untouched by the summing, which quantizes the rows again into scratch space.
    const exact = exactLogits(q, second, n, d, 0.5);
    const bound = lazy.errorNormOf(lazy.scanState);
    let squares = 0;
    for (let j = 0; j < n; j++) squares += ((lazy.logits[j] as number) - (exact[j] as number)) ** 2;
    expect(Math.sqrt(squares)).toBeLessThanOrEqual(bound * (1 + 1e-6));
    expect(Math.sqrt(squares)).toBeGreaterThan(0.5 * bound);
  });

  it('does not overflow its int32 sums at the largest quantized values', () => {
    // d = 1024, every entry ±1: each q̃_j is ±127 everywhere (‖q̃_j‖₂ = 4064), so the int32 limit, not the int16
    // range, sets the user's scale: ũ_c = 16513 and Σ_c ũ_c q̃_0c = 2,147,482,624, just below 2³¹.
    const d = 1024;
    const q = new Float32Array(2 * d).fill(1);
    for (let c = 0; c < d; c++) q[d + c] = c % 2 === 0 ? -1 : 1;
    const s = new QuantizedScorer(q, 2, d);
    const bound = s.scan(new Float32Array(d).fill(1), 1);
    expect(Math.abs((s.logits[0] as number) - d)).toBeLessThanOrEqual(bound + 2 ** -24 * d);
    expect(Math.abs(s.logits[1] as number)).toBeLessThanOrEqual(bound);
    // u's rounding (ũ_c / σ_u = 1 + 3·10⁻⁵) times ‖q̂_j‖₂ = 32 is most of the bound.
    expect(bound).toBeLessThan(1e-4 * d);
  });

  it('computes exp within EXP_ERROR of Math.exp on [−87, 0] and 0 below −87.3', () => {
    const m = 100_000;
    const s = new QuantizedScorer(new Float32Array(m), m, 1);
    const x = Float32Array.from({ length: m }, (_, i) => -87 * (i / (m - 1)));
    const e = s.exp(x);
    let worst = 0;
    for (let i = 0; i < m; i++)
      worst = Math.max(worst, Math.abs((e[i] as number) / Math.exp(x[i] as number) - 1));
    expect(worst).toBeLessThan(EXP_ERROR);
    expect(Array.from(s.exp(Float32Array.from([-88, -1000, Number.NEGATIVE_INFINITY, 0])))).toEqual([
      0, 0, 0, 1,
    ]);
  });

  it('sums exp(x − shift) and its square over the logits like the float64 sums', () => {
    const n = 4099;
    const random = new Random(3);
    const d = 16;
    const q = gaussian(random, n * d, 1);
    const s = new QuantizedScorer(q, n, d);
    s.scan(gaussian(random, d, 1), 1);
    s.logits[17] = Number.NEGATIVE_INFINITY;
    const shift = s.max();
    let expected = 0;
    for (let j = 0; j < n; j++) expected += Math.exp((s.logits[j] as number) - shift);
    let squares = 0;
    for (let j = 0; j < n; j++) squares += Math.exp(2 * ((s.logits[j] as number) - shift));
    expect(Math.abs(s.sumExp(shift) / expected - 1)).toBeLessThan(EXP_ERROR);
    expect(Math.abs(s.scanSquares / squares - 1)).toBeLessThan(2 * EXP_ERROR);
  });

  it('scans on several threads to the same bits as on one, its segments summed like the float64 sums', async () => {
    // Five segments of 8,192 rows and three rows past the last whole block.
    const n = 40_963;
    // Segments long enough (1.2 MB each) that the other thread wakes before the caller has scanned them all.
    const d = 149;
    const random = new Random(11);
    // Entries from a multiplicative hash: 6M draws of the seeded generator would take seconds here.
    const q = Float32Array.from(
      { length: n * d },
      (_, i) => (Math.imul(i + 1, 0x9e3779b1) >>> 0) / 2 ** 32 - 0.5,
    );
    const alone = new QuantizedScorer(q, n, d, 1);
    const shared = new QuantizedScorer(q, n, d, 2);
    try {
      expect(shared.scanThreads).toBe(2);
      // The other thread takes segments once it has started; until then the caller scans them all.
      let helped = 0;
      for (let trial = 0; trial < 400 && helped < 3; trial++) {
        const u = gaussian(random, d, 2);
        const bound = alone.scan(u, 1.5);
        expect(shared.scan(u, 1.5)).toBe(bound);
        if (shared.sharedSegments > 0) helped++;
        const bits = (s: QuantizedScorer) => Buffer.from(s.logits.buffer, s.logits.byteOffset, n * 4);
        expect(bits(shared).equals(bits(alone))).toBe(true);
        expect([
          shared.scanMax,
          shared.scanMaxAbs,
          shared.scanShift,
          shared.scanSum,
          shared.scanSquares,
        ]).toEqual([alone.scanMax, alone.scanMaxAbs, alone.scanShift, alone.scanSum, alone.scanSquares]);
        if (shared.sharedSegments === 0) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(helped).toBe(3);
      let expected = 0;
      for (let j = 0; j < n; j++) expected += Math.exp((alone.logits[j] as number) - alone.scanShift);
      expect(Math.abs(alone.scanSum / expected - 1)).toBeLessThan(EXP_ERROR);
    } finally {
      await shared.close();
    }
    expect(shared.scanThreads).toBe(1);
  }, 30_000);

  it('is built from the current AssemblyScript source (run `npm run build:wasm` after editing it)', () => {
    expect(sourceHash('scoring')).toBe(SCORING_SOURCE_SHA256);
    expect(Buffer.from(SCORING_WASM_BASE64, 'base64').subarray(0, 4).toString('latin1')).toBe('\0asm');
  });
});
