import {
  cholesky,
  matmul,
  matmulTransA,
  orthonormalizeColumns,
  solveLower,
  solveUpperT,
  symmetricEigen,
} from '../../../lambdas/engine/linalg';
import { Random } from '../../../lambdas/engine/random';

/** A random symmetric positive definite n×n matrix MᵀM + I. */
function spd(n: number, r: Random): Float64Array {
  const m = Float64Array.from({ length: n * n }, () => r.nextNormal());
  const a = matmulTransA(m, m, n, n, n);
  for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i] as number) + 1;
  return a;
}

describe('linalg', () => {
  it('multiplies small matrices as by hand', () => {
    // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
    const a = Float64Array.from([1, 2, 3, 4]);
    const b = Float64Array.from([5, 6, 7, 8]);
    expect(Array.from(matmul(a, b, 2, 2, 2))).toEqual([19, 22, 43, 50]);
    // Aᵀ B = [1 3; 2 4] · B = [26 30; 38 44]
    expect(Array.from(matmulTransA(a, b, 2, 2, 2))).toEqual([26, 30, 38, 44]);
  });

  it('factorises A = L Lᵀ and solves A X = B so that ‖A X − B‖ ≈ 0', () => {
    const r = new Random(1);
    const n = 12;
    const m = 3;
    const a = spd(n, r);
    const l = Float64Array.from(a);
    cholesky(l, n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    const lt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[i * n + j] = l[j * n + i] as number;
    const llt = matmul(l, lt, n, n, n);
    for (let i = 0; i < n * n; i++) expect(llt[i]).toBeCloseTo(a[i] as number, 9);

    const b = Float64Array.from({ length: n * m }, () => r.nextNormal());
    const x = Float64Array.from(b);
    solveLower(l, n, x, m);
    solveUpperT(l, n, x, m);
    const ax = matmul(a, x, n, n, m);
    for (let i = 0; i < n * m; i++) expect(ax[i]).toBeCloseTo(b[i] as number, 9);
  });

  it('rejects a matrix that is not positive definite', () => {
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/positive definite/);
  });

  it('solves column blocks independently', () => {
    const r = new Random(2);
    const n = 8;
    const l = spd(n, r);
    cholesky(l, n);
    const b = Float64Array.from({ length: n * 4 }, () => r.nextNormal());
    const whole = Float64Array.from(b);
    solveLower(l, n, whole, 4);
    const split = Float64Array.from(b);
    solveLower(l, n, split, 4, 0, 2);
    solveLower(l, n, split, 4, 2, 4);
    expect(Array.from(split)).toEqual(Array.from(whole));
  });

  it('finds eigenpairs with A v = λ v, in descending order', () => {
    const r = new Random(3);
    const k = 6;
    const a = spd(k, r);
    const { values, vectors } = symmetricEigen(a, k);
    for (let e = 0; e < k; e++) {
      if (e > 0) expect(values[e - 1]).toBeGreaterThanOrEqual(values[e] as number);
      for (let i = 0; i < k; i++) {
        let av = 0;
        for (let j = 0; j < k; j++) av += (a[i * k + j] as number) * (vectors[j * k + e] as number);
        expect(av).toBeCloseTo((values[e] as number) * (vectors[i * k + e] as number), 8);
      }
    }
    // diag(3, 1) has eigenvalues 3 and 1.
    expect(Array.from(symmetricEigen(Float64Array.from([1, 0, 0, 3]), 2).values)).toEqual([3, 1]);
  });

  it('orthonormalises columns: YᵀY = I', () => {
    const r = new Random(4);
    const n = 20;
    const k = 5;
    const y = Float64Array.from({ length: n * k }, () => r.nextNormal());
    orthonormalizeColumns(y, n, k);
    const yty = matmulTransA(y, y, n, k, k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) expect(yty[i * k + j]).toBeCloseTo(i === j ? 1 : 0, 10);
  });
});
