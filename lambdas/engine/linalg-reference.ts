/**
 * Scalar JavaScript reference for the kernels of `linalg.ts`, which run them in WebAssembly SIMD. Tests and
 * `bench/linalg.ts` compare against these; the engine itself does not use them. Each function computes every
 * element with the same operation order as its WebAssembly counterpart (except that zero factors are skipped here,
 * which only matters for infinities and the sign of zero).
 */

/** Block width of the Cholesky factorisation. */
const CHOLESKY_BLOCK = 64;

/**
 * In-place Cholesky factorisation A = L Lᵀ of a symmetric positive definite n×n matrix; on return the lower
 * triangle holds L and the strict upper triangle is zeroed.
 *
 *   L[j][j] = √(A[j][j] − Σ_{k<j} L[j][k]²),   L[i][j] = (A[i][j] − Σ_{k<j} L[i][k] L[j][k]) / L[j][j]  (i > j)
 *
 * Right-looking and blocked: per block column [j0, j1) the diagonal block and the panel below it are factorised
 * here, then the trailing matrix is updated by `trailing` (rows split across threads by the worker pool; any split
 * gives the same bits).
 */
export function cholesky(a: Float64Array, n: number): void {
  for (let j0 = 0; j0 < n; j0 += CHOLESKY_BLOCK) {
    const j1 = Math.min(n, j0 + CHOLESKY_BLOCK);
    factorPanel(a, n, j0, j1);
    updateTrailing(a, n, j0, j1, j1, n);
  }
  zeroUpper(a, n);
}

/** Factorises the diagonal block [j0, j1)² and the panel rows [j1, n) × [j0, j1) of an updated matrix. */
function factorPanel(a: Float64Array, n: number, j0: number, j1: number): void {
  for (let i = j0; i < n; i++) {
    const ri = i * n;
    const jEnd = Math.min(i + 1, j1);
    for (let j = j0; j < jEnd; j++) {
      const rj = j * n;
      let s = a[ri + j] as number;
      for (let k = j0; k < j; k++) s -= (a[ri + k] as number) * (a[rj + k] as number);
      if (i === j) {
        if (!(s > 0)) throw new Error(`matrix is not positive definite at row ${i}`);
        a[ri + i] = Math.sqrt(s);
      } else {
        a[ri + j] = s / (a[rj + j] as number);
      }
    }
  }
}

/**
 * Trailing update for rows [r0, r1) after block column [j0, j1):
 *   A[i][j] −= Σ_{k=j0}^{j1−1} L[i][k] L[j][k]   for j1 ≤ j ≤ i.
 */
export function updateTrailing(
  a: Float64Array,
  n: number,
  j0: number,
  j1: number,
  r0: number,
  r1: number,
): void {
  for (let i = r0; i < r1; i++) {
    const ri = i * n;
    for (let j = j1; j <= i; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = j0; k < j1; k++) s += (a[ri + k] as number) * (a[rj + k] as number);
      a[ri + j] = (a[ri + j] as number) - s;
    }
  }
}

function zeroUpper(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
}

/**
 * Solves L Z = B in place for the columns [c0, c1) of the n×m matrix B (row-major), L lower triangular n×n:
 *   Z[i] = (B[i] − Σ_{k<i} L[i][k] Z[k]) / L[i][i]
 * Column ranges are independent, which is how workers split the work.
 */
export function solveLower(l: Float64Array, n: number, b: Float64Array, m: number, c0 = 0, c1 = m): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const bi = i * m;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k] as number;
      if (lik === 0) continue;
      const bk = k * m;
      for (let c = c0; c < c1; c++) b[bi + c] = (b[bi + c] as number) - lik * (b[bk + c] as number);
    }
    const inv = 1 / (l[ri + i] as number);
    for (let c = c0; c < c1; c++) b[bi + c] = (b[bi + c] as number) * inv;
  }
}

/**
 * Solves Lᵀ Z = B in place (back substitution), L lower triangular n×n, B n×m:
 *   Z[i] = (B[i] − Σ_{k>i} L[k][i] Z[k]) / L[i][i]
 */
export function solveUpperT(l: Float64Array, n: number, b: Float64Array, m: number, c0 = 0, c1 = m): void {
  for (let i = n - 1; i >= 0; i--) {
    const bi = i * m;
    const inv = 1 / (l[i * n + i] as number);
    for (let c = c0; c < c1; c++) b[bi + c] = (b[bi + c] as number) * inv;
    // Row i of Z is final: subtract its contribution from all earlier rows.
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k] as number;
      if (lik === 0) continue;
      const bk = k * m;
      for (let c = c0; c < c1; c++) b[bk + c] = (b[bk + c] as number) - lik * (b[bi + c] as number);
    }
  }
}

/** C = A B with A r×k, B k×m (row-major); rows [r0, r1) only, so workers can split by rows. */
export function matmul(
  a: Float64Array,
  b: Float64Array,
  r: number,
  k: number,
  m: number,
  out: Float64Array = new Float64Array(r * m),
  r0 = 0,
  r1 = r,
): Float64Array {
  for (let i = r0; i < r1; i++) {
    const ai = i * k;
    const oi = i * m;
    out.fill(0, oi, oi + m);
    for (let p = 0; p < k; p++) {
      const aip = a[ai + p] as number;
      if (aip === 0) continue;
      const bp = p * m;
      for (let c = 0; c < m; c++) out[oi + c] = (out[oi + c] as number) + aip * (b[bp + c] as number);
    }
  }
  return out;
}

/** C = Aᵀ B with A k×r, B k×m: C is r×m. Accumulated row by row of A and B, so no transpose is materialised. */
export function matmulTransA(
  a: Float64Array,
  b: Float64Array,
  k: number,
  r: number,
  m: number,
): Float64Array {
  const out = new Float64Array(r * m);
  for (let p = 0; p < k; p++) {
    const ap = p * r;
    const bp = p * m;
    for (let i = 0; i < r; i++) {
      const api = a[ap + i] as number;
      if (api === 0) continue;
      const oi = i * m;
      for (let c = 0; c < m; c++) out[oi + c] = (out[oi + c] as number) + api * (b[bp + c] as number);
    }
  }
  return out;
}

/**
 * G += XᵀX for the dense rows × cols matrix X, rows [r0, r1) of G (cols × cols) and their mirror images:
 *   s = Σ_{t=0}^{rows−1} X[t][i] X[t][j];   G[i][j] += s,  G[j][i] += s   for r0 ≤ i < r1, j ≤ i.
 */
export function gramAccumulate(
  x: Float64Array,
  rows: number,
  cols: number,
  g: Float64Array,
  r0 = 0,
  r1 = cols,
): void {
  for (let i = r0; i < r1; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < rows; t++) s += (x[t * cols + i] as number) * (x[t * cols + j] as number);
      g[i * cols + j] = (g[i * cols + j] as number) + s;
      if (j < i) g[j * cols + i] = (g[j * cols + i] as number) + s;
    }
  }
}
