import {
  cholesky,
  choleskyAsync,
  gramAccumulate,
  matmul,
  matmulTransA,
  orthonormalizeColumns,
  solveCholesky,
  solveLower,
  solveUpperT,
  updateTrailing,
} from '../../../lambdas/engine/linalg';
import * as reference from '../../../lambdas/engine/linalg-reference';
import { Random } from '../../../lambdas/engine/random';
import { KERNELS_SOURCE_SHA256, KERNELS_WASM_BASE64 } from '../../../lambdas/engine/wasm/kernels.generated';
import { sourceHash } from '../../../scripts/build-wasm';

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

  describe('WebAssembly kernels', () => {
    const normal = (r: Random, length: number): Float64Array =>
      Float64Array.from({ length }, () => r.nextNormal());
    const bits = (x: Float64Array): string =>
      Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');
    /** Frobenius norm of x − y. */
    const distance = (x: Float64Array, y: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += ((x[i] as number) - (y[i] as number)) ** 2;
      return Math.sqrt(s);
    };
    /** Textbook triple loop, C = A B. */
    const naive = (a: Float64Array, b: Float64Array, r: number, k: number, m: number): Float64Array => {
      const c = new Float64Array(r * m);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += (a[i * k + p] as number) * (b[p * m + j] as number);
          c[i * m + j] = s;
        }
      return c;
    };
    const transpose = (a: Float64Array, r: number, c: number): Float64Array => {
      const t = new Float64Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j] as number;
      return t;
    };

    it('multiply like the textbook loop, across strip, row-block and inner-block edges', () => {
      const r = new Random(11);
      // k = 300 crosses the inner block (256), r = 131 the row blocks (64), m = 13 a partial strip of 8.
      for (const [rows, k, m] of [
        [1, 1, 1],
        [3, 5, 7],
        [131, 300, 13],
        [70, 64, 160],
      ] as const) {
        const a = normal(r, rows * k);
        const b = normal(r, k * m);
        const want = naive(a, b, rows, k, m);
        const got = matmul(a, b, rows, k, m);
        expect(distance(got, want)).toBeLessThan(1e-12 * Math.sqrt(rows * k * m));
        // Same order of summation as the textbook loop (which skips nothing here): the same bits.
        expect(bits(got)).toBe(bits(want));
        expect(bits(matmulTransA(transpose(a, rows, k), b, k, rows, m))).toBe(bits(want));
        // Rows split across callers land in one output with the same bits.
        const split = new Float64Array(rows * m);
        const half = Math.floor(rows / 2);
        matmul(a, b, rows, k, m, split, half, rows);
        matmul(a, b, rows, k, m, split, 0, half);
        expect(bits(split)).toBe(bits(want));
        const splitT = new Float64Array(rows * m);
        matmulTransA(transpose(a, rows, k), b, k, rows, m, splitT, half, rows);
        matmulTransA(transpose(a, rows, k), b, k, rows, m, splitT, 0, half);
        expect(bits(splitT)).toBe(bits(want));
      }
    });

    it('factorise with ‖L Lᵀ − A‖ ≈ 0 and solve many right-hand sides with ‖A X − B‖ ≈ 0', () => {
      const r = new Random(12);
      const n = 203; // four Cholesky blocks, the last one partial
      const m = 37;
      const a = spd(n, r);
      const l = Float64Array.from(a);
      cholesky(l, n);
      const llt = matmul(l, transpose(l, n, n), n, n, n);
      expect(distance(llt, a) / distance(a, new Float64Array(n * n))).toBeLessThan(1e-14);
      const b = normal(r, n * m);
      const x = Float64Array.from(b);
      solveCholesky(l, n, x, m);
      expect(distance(matmul(a, x, n, n, m), b) / distance(b, new Float64Array(n * m))).toBeLessThan(1e-11);
      // The same bits as the two triangular solves one after the other.
      const y = Float64Array.from(b);
      solveLower(l, n, y, m);
      solveUpperT(l, n, y, m);
      expect(bits(x)).toBe(bits(y));
    });

    it('give the bits of the scalar reference, which has the same order of operations', () => {
      const r = new Random(13);
      const n = 150;
      const m = 21;
      const a = spd(n, r);
      const mine = Float64Array.from(a);
      const theirs = Float64Array.from(a);
      cholesky(mine, n);
      reference.cholesky(theirs, n);
      expect(bits(mine)).toBe(bits(theirs));
      const b = normal(r, n * m);
      const x = Float64Array.from(b);
      const y = Float64Array.from(b);
      solveLower(mine, n, x, m, 3, 20);
      reference.solveLower(theirs, n, y, m, 3, 20);
      solveUpperT(mine, n, x, m, 3, 20);
      reference.solveUpperT(theirs, n, y, m, 3, 20);
      expect(bits(x)).toBe(bits(y));
    });

    it('give the same factor whatever rows each trailing update is split into', async () => {
      const r = new Random(14);
      const n = 170;
      const a = spd(n, r);
      const whole = Float64Array.from(a);
      cholesky(whole, n);
      const split = Float64Array.from(a);
      await choleskyAsync(split, n, async (m, size, j0, j1) => {
        // Uneven pieces, last rows first.
        const cut = j1 + Math.floor((size - j1) / 3);
        updateTrailing(m, size, j0, j1, cut, size);
        updateTrailing(m, size, j0, j1, j1, cut);
      });
      expect(bits(split)).toBe(bits(whole));
    });

    it('can keep A in the strict upper triangle: the same factor and the same solves, bit for bit', async () => {
      const r = new Random(16);
      const n = 150;
      const a = spd(n, r);
      const zeroed = Float64Array.from(a);
      cholesky(zeroed, n);
      const kept = Float64Array.from(a);
      await choleskyAsync(
        kept,
        n,
        async (m, size, j0, j1) => updateTrailing(m, size, j0, j1, j1, size),
        true,
      );
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const at = i * n + j;
          expect(kept[at]).toBe(j > i ? a[at] : zeroed[at]);
        }
      }
      const b = normal(r, n * 7);
      const x = Float64Array.from(b);
      solveCholesky(zeroed, n, x, 7);
      const y = Float64Array.from(b);
      solveCholesky(kept, n, y, 7);
      expect(bits(y)).toBe(bits(x));
    });

    it('accumulate G += XᵀX exactly symmetric, equal to the textbook sum, for any split of rows', () => {
      const r = new Random(15);
      const rows = 90;
      const cols = 77;
      const x = normal(r, rows * cols);
      const g0 = spd(cols, r);
      const want = naive(transpose(x, rows, cols), x, cols, rows, cols);
      for (let i = 0; i < want.length; i++) want[i] = (want[i] as number) + (g0[i] as number);
      const g = Float64Array.from(g0);
      gramAccumulate(x, rows, cols, g);
      expect(bits(g)).toBe(bits(want));
      expect(bits(g)).toBe(bits(transpose(g, cols, cols)));
      const parts = Float64Array.from(g0);
      gramAccumulate(x, rows, cols, parts, 40, cols);
      gramAccumulate(x, rows, cols, parts, 0, 40);
      expect(bits(parts)).toBe(bits(g));
      const slow = Float64Array.from(g0);
      reference.gramAccumulate(x, rows, cols, slow);
      expect(bits(slow)).toBe(bits(g));
    });

    it('orthonormalise columns: QᵀQ = I, the span is kept, and a dependent column becomes zero', () => {
      const r = new Random(16);
      const n = 301;
      const k = 17;
      const y = normal(r, n * k);
      for (let i = 0; i < n; i++) y[i * k + 9] = 2 * (y[i * k + 3] as number) - (y[i * k + 5] as number);
      const q = Float64Array.from(y);
      orthonormalizeColumns(q, n, k);
      const qtq = matmulTransA(q, q, n, k, k);
      const identity = new Float64Array(k * k);
      for (let i = 0; i < k; i++) identity[i * k + i] = i === 9 ? 0 : 1;
      expect(distance(qtq, identity)).toBeLessThan(1e-12);
      // Y − Q (Qᵀ Y) = 0: every original column lies in the span of Q.
      const back = matmul(q, matmulTransA(q, y, n, k, k), n, k, k);
      expect(distance(back, y) / distance(y, new Float64Array(n * k))).toBeLessThan(1e-12);
    });

    it('reports a matrix that is not positive definite at the failing row', () => {
      const n = 70;
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) a[i * n + i] = i === 66 ? -1 : 1;
      expect(() => cholesky(a, n)).toThrow('matrix is not positive definite at row 66');
    });

    it('are built from the current AssemblyScript source (run `npm run build:wasm` after editing it)', () => {
      expect(sourceHash('kernels')).toBe(KERNELS_SOURCE_SHA256);
      const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('\0asm');
    });
  });
});
