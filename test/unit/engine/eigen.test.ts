import { symmetricEigen } from '../../../lambdas/engine/eigen';
import { Random } from '../../../lambdas/engine/random';

/** A random symmetric k×k matrix (M + Mᵀ)/2 with standard normal M. */
function symmetric(k: number, r: Random): Float64Array {
  const m = Float64Array.from({ length: k * k }, () => r.nextNormal());
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) a[i * k + j] = ((m[i * k + j] as number) + (m[j * k + i] as number)) / 2;
  return a;
}

/** max |A V − V Λ| and max |VᵀV − I|. */
function residuals(a: Float64Array, k: number, values: Float64Array, vectors: Float64Array) {
  let eigen = 0;
  let ortho = 0;
  for (let e = 0; e < k; e++) {
    for (let i = 0; i < k; i++) {
      let av = 0;
      for (let j = 0; j < k; j++) av += (a[i * k + j] as number) * (vectors[j * k + e] as number);
      eigen = Math.max(eigen, Math.abs(av - (values[e] as number) * (vectors[i * k + e] as number)));
    }
    for (let f = 0; f < k; f++) {
      let dot = 0;
      for (let i = 0; i < k; i++) dot += (vectors[i * k + e] as number) * (vectors[i * k + f] as number);
      ortho = Math.max(ortho, Math.abs(dot - (e === f ? 1 : 0)));
    }
  }
  return { eigen, ortho };
}

describe('symmetricEigen', () => {
  it.each([1, 2, 3, 6, 40, 159])(
    'finds orthonormal eigenpairs A v = λ v in descending order (k = %i)',
    (k) => {
      const a = symmetric(k, new Random(k));
      const { values, vectors } = symmetricEigen(a, k);
      for (let e = 1; e < k; e++) expect(values[e - 1]).toBeGreaterThanOrEqual(values[e] as number);
      const { eigen, ortho } = residuals(a, k, values, vectors);
      expect(eigen).toBeLessThan(1e-10 * k);
      expect(ortho).toBeLessThan(1e-12 * k);
      // The trace is the sum of the eigenvalues.
      let trace = 0;
      for (let i = 0; i < k; i++) trace += a[i * k + i] as number;
      expect(values.reduce((x, y) => x + y, 0)).toBeCloseTo(trace, 9);
    },
  );

  it('solves known cases by hand', () => {
    // [2 1; 1 2] has eigenvalues 3 (vector (1, 1)/√2) and 1 (vector (1, −1)/√2).
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(vectors[0] as number)).toBeCloseTo(Math.SQRT1_2, 14);
    expect((vectors[0] as number) * (vectors[2] as number)).toBeCloseTo(0.5, 14);
    // A diagonal matrix: its diagonal, sorted, with unit vectors.
    const diagonal = symmetricEigen(Float64Array.from([1, 0, 0, 0, 5, 0, 0, 0, 3]), 3);
    expect(Array.from(diagonal.values)).toEqual([5, 3, 1]);
    expect(Array.from(diagonal.vectors).map(Math.abs)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it('handles repeated eigenvalues and a rank-deficient matrix', () => {
    // A = U diag(4, 4, 4, 0, 0) Uᵀ for an orthonormal U (Householder reflection of a random vector).
    const k = 5;
    const r = new Random(9);
    const u = Float64Array.from({ length: k }, () => r.nextNormal());
    const norm2 = u.reduce((s, x) => s + x * x, 0);
    const h = new Float64Array(k * k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++)
        h[i * k + j] = (i === j ? 1 : 0) - (2 * (u[i] as number) * (u[j] as number)) / norm2;
    const lambda = [4, 4, 4, 0, 0];
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++)
        for (let t = 0; t < k; t++)
          a[i * k + j] =
            (a[i * k + j] as number) +
            (h[i * k + t] as number) * (lambda[t] as number) * (h[j * k + t] as number);
    const { values, vectors } = symmetricEigen(a, k);
    for (const [e, l] of lambda.entries()) expect(values[e]).toBeCloseTo(l, 12);
    const { eigen, ortho } = residuals(a, k, values, vectors);
    expect(eigen).toBeLessThan(1e-12);
    expect(ortho).toBeLessThan(1e-12);
  });

  it('is deterministic', () => {
    const a = symmetric(30, new Random(4));
    expect(Array.from(symmetricEigen(a, 30).vectors)).toEqual(Array.from(symmetricEigen(a, 30).vectors));
  });
});
