/**
 * Dense linear algebra on row-major Float64Array matrices, just what training needs: Cholesky factorisation,
 * triangular solves, products with a thin matrix and Gram sums. The O(n³) loops run in WebAssembly SIMD
 * (`wasm/kernels.ts`, f64x2); this module copies row blocks in and out of the kernels' memory. Everything is
 * deterministic: every element has one fixed summation order, whatever the blocking or the split across threads.
 * `linalg-reference.ts` holds the scalar JavaScript reference with the same order.
 */
import { CONTINUE, chunkRows, K_BLOCK, STORE, STRIP, SUBTRACT, scratch, strips } from './wasm/kernels';

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

/**
 * {@link cholesky} with the trailing updates delegated (to a worker pool). With `keepUpper` the strict upper
 * triangle is left as it was, still holding A's (the factorisation and the solves read only the lower triangle),
 * so a caller that needs A afterwards does not have to copy it.
 */
export async function choleskyAsync(
  a: Float64Array,
  n: number,
  trailing: (a: Float64Array, n: number, j0: number, j1: number) => Promise<void>,
  keepUpper = false,
): Promise<void> {
  for (let j0 = 0; j0 < n; j0 += CHOLESKY_BLOCK) {
    const j1 = Math.min(n, j0 + CHOLESKY_BLOCK);
    factorPanel(a, n, j0, j1);
    if (j1 < n) await trailing(a, n, j0, j1);
  }
  if (!keepUpper) zeroUpper(a, n);
}

/** Factorises the diagonal block [j0, j1)² and the panel rows [j1, n) × [j0, j1) of an updated matrix. */
function factorPanel(a: Float64Array, n: number, j0: number, j1: number): void {
  const bw = j1 - j0;
  const rows = n - j0;
  const { k, heap, at } = scratch(rows * bw);
  const p = at[0] as number;
  for (let i = 0; i < rows; i++) {
    const src = (j0 + i) * n + j0;
    heap.set(a.subarray(src, src + bw), p / 8 + i * bw);
  }
  const bad = k.factorPanel(p, bw, rows);
  if (bad >= 0) throw new Error(`matrix is not positive definite at row ${j0 + bad}`);
  for (let i = 0; i < rows; i++) {
    const dst = (j0 + i) * n + j0;
    a.set(heap.subarray(p / 8 + i * bw, p / 8 + (i + 1) * bw), dst);
  }
}

/**
 * Trailing update for rows [r0, r1) after block column [j0, j1):
 *   s = Σ_{k=j0}^{j1−1} L[i][k] L[j][k];   A[i][j] −= s   for j1 ≤ j ≤ i.
 */
export function updateTrailing(
  a: Float64Array,
  n: number,
  j0: number,
  j1: number,
  r0: number,
  r1: number,
): void {
  if (r1 <= r0) return;
  const bw = j1 - j0;
  const width = r1 - j1; // columns [j1, r1) of the panel's rows [j1, r1)
  const block = chunkRows(width);
  const { k, heap, at } = scratch(width * bw, strips(width) * STRIP * bw, block * width);
  const [panel, packed, target] = at as [number, number, number];
  for (let i = j1; i < r1; i++) {
    const src = i * n + j0;
    heap.set(a.subarray(src, src + bw), panel / 8 + (i - j1) * bw);
  }
  k.packStripsT(panel, bw, bw, width, packed);
  for (let i0 = r0; i0 < r1; i0 += block) {
    const i1 = Math.min(r1, i0 + block);
    const w = i1 - j1;
    for (let i = i0; i < i1; i++) heap.set(a.subarray(i * n + j1, i * n + i + 1), target / 8 + (i - i0) * w);
    k.gemm(panel + (i0 - j1) * bw * 8, bw, packed, bw, bw, w, target, w, i1 - i0, i0 - j1, SUBTRACT);
    for (let i = i0; i < i1; i++) {
      const t = target / 8 + (i - i0) * w;
      a.set(heap.subarray(t, t + i - j1 + 1), i * n + j1);
    }
  }
}

function zeroUpper(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
}

/** Copies the columns [c0, c1) of the n×m matrix B into the kernels' memory as strips; returns their address. */
function loadColumns(b: Float64Array, n: number, m: number, c0: number, c1: number, extra: number[]) {
  const w = c1 - c0;
  const s = scratch(n * w, strips(w) * STRIP * n, ...extra);
  const [raw, z] = s.at as [number, number];
  for (let i = 0; i < n; i++) s.heap.set(b.subarray(i * m + c0, i * m + c1), raw / 8 + i * w);
  s.k.packStrips(raw, w, n, w, z);
  return { ...s, raw, z, w, more: s.at.slice(2) };
}

function storeColumns(
  s: { k: ReturnType<typeof scratch>['k']; heap: Float64Array; raw: number; z: number; w: number },
  b: Float64Array,
  n: number,
  m: number,
  c0: number,
): void {
  s.k.unpackStrips(s.z, n, s.w, s.raw, s.w);
  for (let i = 0; i < n; i++)
    b.set(s.heap.subarray(s.raw / 8 + i * s.w, s.raw / 8 + (i + 1) * s.w), i * m + c0);
}

/** Forward substitution on strips already in the kernels' memory, L copied in by row blocks. */
function forward(l: Float64Array, n: number, z: number, w: number, buffer: number, block: number): void {
  const { k, heap } = scratch(); // the regions were reserved by the caller
  for (let i0 = 0; i0 < n; i0 += block) {
    const i1 = Math.min(n, i0 + block);
    for (let i = i0; i < i1; i++) heap.set(l.subarray(i * n, i * n + i + 1), buffer / 8 + (i - i0) * i1);
    k.solveLower(buffer, i1, i0, i1, z, n, strips(w));
  }
}

/** Back substitution on strips, Lᵀ built by column blocks of L (transposed in the kernels' memory). */
function backward(l: Float64Array, n: number, z: number, w: number, buffer: number, block: number): void {
  const { k, heap } = scratch(); // the regions were reserved by the caller
  for (let k1 = n; k1 > 0; k1 -= block) {
    const k0 = Math.max(0, k1 - block);
    const bw = k1 - k0;
    const raw = buffer;
    const u = buffer + Math.ceil(((n - k0) * bw * 8) / 64) * 64;
    for (let i = k0; i < n; i++) heap.set(l.subarray(i * n + k0, i * n + k1), raw / 8 + (i - k0) * bw);
    k.transpose(raw, bw, n - k0, bw, u, n - k0);
    k.solveUpperT(u, n - k0, k0, k1, z, n, strips(w));
  }
}

/**
 * Solves L Z = B in place for the columns [c0, c1) of the n×m matrix B (row-major), L lower triangular n×n:
 *   z = B[i];  z −= L[i][k] Z[k] for k = 0 … i−1;  Z[i] = z · (1 / L[i][i])
 * Column ranges are independent, which is how workers split the work.
 */
export function solveLower(l: Float64Array, n: number, b: Float64Array, m: number, c0 = 0, c1 = m): void {
  if (c1 <= c0 || n === 0) return;
  const block = chunkRows(n);
  const s = loadColumns(b, n, m, c0, c1, [block * n]);
  forward(l, n, s.z, s.w, s.more[0] as number, block);
  storeColumns(s, b, n, m, c0);
}

/**
 * Solves Lᵀ Z = B in place (back substitution), L lower triangular n×n, B n×m:
 *   z = B[i];  z −= L[k][i] Z[k] for k = n−1 down to i+1;  Z[i] = z · (1 / L[i][i])
 */
export function solveUpperT(l: Float64Array, n: number, b: Float64Array, m: number, c0 = 0, c1 = m): void {
  if (c1 <= c0 || n === 0) return;
  const block = chunkRows(2 * n);
  const s = loadColumns(b, n, m, c0, c1, [2 * block * n + 8]);
  backward(l, n, s.z, s.w, s.more[0] as number, block);
  storeColumns(s, b, n, m, c0);
}

/**
 * B ← (L Lᵀ)⁻¹ B for the columns [c0, c1): {@link solveLower} then {@link solveUpperT} (the same bits), with the
 * right-hand sides kept in the kernels' memory between the two.
 */
export function solveCholesky(l: Float64Array, n: number, b: Float64Array, m: number, c0 = 0, c1 = m): void {
  if (c1 <= c0 || n === 0) return;
  const block = chunkRows(2 * n);
  const s = loadColumns(b, n, m, c0, c1, [2 * block * n + 8]);
  forward(l, n, s.z, s.w, s.more[0] as number, block);
  backward(l, n, s.z, s.w, s.more[0] as number, block);
  storeColumns(s, b, n, m, c0);
}

/** Copies the k×m matrix B into the kernels' memory as strips, plus further regions; returns the addresses. */
function loadRight(b: Float64Array, k: number, m: number, extra: number[]) {
  const s = scratch(k * m, strips(m) * STRIP * k, ...extra);
  const [raw, packed] = s.at as [number, number];
  s.heap.set(b.subarray(0, k * m), raw / 8);
  s.k.packStrips(raw, m, k, m, packed);
  return { ...s, packed, more: s.at.slice(2) };
}

/**
 * result = A B for `rows` rows of A (row stride k) and B in strips (k × cols), blocked over the inner dimension;
 * each block continues the previous block's sums, so the order is that of one loop over p = 0 … k−1.
 */
function product(
  kernels: ReturnType<typeof scratch>['k'],
  a: number,
  packed: number,
  k: number,
  cols: number,
  result: number,
  rows: number,
  tri = -1,
): void {
  if (k === 0) kernels.gemm(a, k, packed, k, 0, cols, result, cols, rows, tri, STORE);
  for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
    const p1 = Math.min(k, p0 + K_BLOCK);
    kernels.gemm(
      a + p0 * 8,
      k,
      packed + p0 * STRIP * 8,
      k,
      p1 - p0,
      cols,
      result,
      cols,
      rows,
      tri,
      p0 === 0 ? STORE : CONTINUE,
    );
  }
}

/**
 * C = A B with A r×k, B k×m (row-major); rows [r0, r1) only, so workers can split by rows:
 *   C[i][c] = Σ_{p=0}^{k−1} A[i][p] B[p][c]  (summed in order of p)
 */
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
  if (r1 <= r0 || m === 0) return out;
  const block = chunkRows(k + m);
  const s = loadRight(b, k, m, [block * k, block * m]);
  const [rows, result] = s.more as [number, number];
  for (let i0 = r0; i0 < r1; i0 += block) {
    const i1 = Math.min(r1, i0 + block);
    s.heap.set(a.subarray(i0 * k, i1 * k), rows / 8);
    product(s.k, rows, s.packed, k, m, result, i1 - i0);
    out.set(s.heap.subarray(result / 8, result / 8 + (i1 - i0) * m), i0 * m);
  }
  return out;
}

/**
 * C = Aᵀ B with A k×r, B k×m: C is r×m, C[i][c] = Σ_{p=0}^{k−1} A[p][i] B[p][c] (in order of p). Rows [r0, r1) of
 * C only, so workers can split by rows. Blocks of A's columns are transposed in the kernels' memory, so no
 * transpose is materialised here.
 */
export function matmulTransA(
  a: Float64Array,
  b: Float64Array,
  k: number,
  r: number,
  m: number,
  out: Float64Array = new Float64Array(r * m),
  r0 = 0,
  r1 = r,
): Float64Array {
  if (r1 <= r0 || m === 0) return out;
  const block = chunkRows(2 * k + m);
  const s = loadRight(b, k, m, [block * k, block * k, block * m]);
  const [raw, rows, result] = s.more as [number, number, number];
  for (let i0 = r0; i0 < r1; i0 += block) {
    const i1 = Math.min(r1, i0 + block);
    const w = i1 - i0;
    for (let p = 0; p < k; p++) s.heap.set(a.subarray(p * r + i0, p * r + i1), raw / 8 + p * w);
    s.k.transpose(raw, w, k, w, rows, k);
    product(s.k, rows, s.packed, k, m, result, w);
    out.set(s.heap.subarray(result / 8, result / 8 + w * m), i0 * m);
  }
  return out;
}

/**
 * Gram accumulation G += XᵀX for a dense rows × cols block X (row-major) and a cols × cols matrix G, for the rows
 * [r0, r1) of G and their mirror images (so a split of [0, cols) across threads writes disjoint elements):
 *   s = Σ_{t=0}^{rows−1} X[t][i] X[t][j]  (in order of t);   G[i][j] += s,  G[j][i] += s   for r0 ≤ i < r1, j ≤ i.
 * A symmetric G stays exactly symmetric. Accumulate a long X block by block: each call adds one block's sums.
 */
export function gramAccumulate(
  x: Float64Array,
  rows: number,
  cols: number,
  g: Float64Array,
  r0 = 0,
  r1 = cols,
): void {
  if (r1 <= r0 || rows === 0) return;
  const block = chunkRows(2 * rows + r1);
  // Right operand: X's columns [0, r1) as strips.
  const s = scratch(rows * r1, strips(r1) * STRIP * rows, block * rows, block * rows, block * r1);
  const [raw, packed, rawT, rowsT, result] = s.at as [number, number, number, number, number];
  for (let t = 0; t < rows; t++) s.heap.set(x.subarray(t * cols, t * cols + r1), raw / 8 + t * r1);
  s.k.packStrips(raw, r1, rows, r1, packed);
  for (let i0 = r0; i0 < r1; i0 += block) {
    const i1 = Math.min(r1, i0 + block);
    const w = i1 - i0;
    for (let t = 0; t < rows; t++) s.heap.set(x.subarray(t * cols + i0, t * cols + i1), rawT / 8 + t * w);
    s.k.transpose(rawT, w, rows, w, rowsT, rows);
    product(s.k, rowsT, packed, rows, i1, result, w, i0);
    const heap = s.heap;
    for (let i = i0; i < i1; i++) {
      const ri = result / 8 + (i - i0) * i1;
      const gi = i * cols;
      for (let j = 0; j <= i; j++) g[gi + j] = (g[gi + j] as number) + (heap[ri + j] as number);
    }
    for (let j = 0; j < i1; j++) {
      const gj = j * cols;
      for (let i = Math.max(i0, j + 1); i < i1; i++)
        g[gj + i] = (g[gj + i] as number) + (heap[result / 8 + (i - i0) * i1 + j] as number);
    }
  }
}

/**
 * Orthonormalises the columns of the n×k matrix Y in place (modified Gram–Schmidt, twice for stability).
 * A column that collapses to zero is left at zero. The columns are transposed into rows in the kernels' memory so
 * each dot product and update runs over contiguous memory.
 */
export function orthonormalizeColumns(y: Float64Array, n: number, k: number): void {
  if (n === 0 || k === 0) return;
  const { k: kernels, heap, at } = scratch(n * k, n * k);
  const [raw, rows] = at as [number, number];
  heap.set(y.subarray(0, n * k), raw / 8);
  kernels.transpose(raw, k, n, k, rows, n);
  for (let pass = 0; pass < 2; pass++) for (let j = 0; j < k; j++) kernels.orthonormalizeRow(rows, n, j);
  kernels.transpose(rows, n, k, n, raw, k);
  y.set(heap.subarray(raw / 8, raw / 8 + n * k));
}
