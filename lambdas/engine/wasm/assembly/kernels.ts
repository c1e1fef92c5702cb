// AssemblyScript source of the engine's WebAssembly SIMD kernels (float64, f64x2). Compiled by
// `npm run build:wasm` into ../kernels.generated.ts; the TypeScript side is ../kernels.ts.
//
// Every kernel works on f64 matrices at byte addresses in this module's memory. Each output element is computed
// with one fixed operation order that does not depend on how rows or columns are grouped into SIMD lanes or
// blocks, so a caller may split the work across threads in any way and still get the same bits.
//
// "Strips": the right-hand operand of `gemm` and the right-hand sides of the triangular solves are packed as
// strips of 8 columns (zero-padded), each strip stored row after row: element (p, c) sits at
// strip (c >> 3), offset (p * 8 + (c & 7)). One strip row is four f64x2 registers.

import { exp4 } from './exp';

const W: i32 = 8;

/** Address of the first byte free for the caller's matrices. */
export function heapBase(): usize {
  return __heap_base;
}

/** dst (cols × rows, row stride ldd) = srcᵀ, src rows × cols with row stride lds. */
export function transpose(src: usize, lds: i32, rows: i32, cols: i32, dst: usize, ldd: i32): void {
  for (let r0 = 0; r0 < rows; r0 += 32) {
    const r1 = min(rows, r0 + 32);
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const c1 = min(cols, c0 + 32);
      for (let r = r0; r < r1; r++) {
        const s = src + ((<usize>r * lds) << 3);
        for (let c = c0; c < c1; c++) store<f64>(dst + ((<usize>c * ldd + r) << 3), load<f64>(s + (<usize>c << 3)));
      }
    }
  }
}

/** Packs the rows × cols matrix src (row stride lds) into strips at dst (rows per strip = rows). */
export function packStrips(src: usize, lds: i32, rows: i32, cols: i32, dst: usize): void {
  const strips = (cols + W - 1) / W;
  for (let s = 0; s < strips; s++) {
    const c0 = s * W;
    const n = min(W, cols - c0);
    let d = dst + ((<usize>s * rows * W) << 3);
    for (let p = 0; p < rows; p++) {
      const row = src + ((<usize>p * lds + c0) << 3);
      if (n == W) {
        v128.store(d, v128.load(row));
        v128.store(d, v128.load(row, 16), 16);
        v128.store(d, v128.load(row, 32), 32);
        v128.store(d, v128.load(row, 48), 48);
      } else {
        for (let l = 0; l < W; l++) store<f64>(d + (<usize>l << 3), l < n ? load<f64>(row + (<usize>l << 3)) : 0.0);
      }
      d += W << 3;
    }
  }
}

/** Packs srcᵀ into strips: src is cols × rows (row stride lds), the packed matrix is rows × cols. */
export function packStripsT(src: usize, lds: i32, rows: i32, cols: i32, dst: usize): void {
  const strips = (cols + W - 1) / W;
  for (let s = 0; s < strips; s++) {
    const c0 = s * W;
    const n = min(W, cols - c0);
    const d = dst + ((<usize>s * rows * W) << 3);
    for (let l = 0; l < W; l++) {
      const col = src + ((<usize>(c0 + l) * lds) << 3);
      for (let p = 0; p < rows; p++)
        store<f64>(d + ((<usize>p * W + l) << 3), l < n ? load<f64>(col + (<usize>p << 3)) : 0.0);
    }
  }
}

/** Strips back to a row-major rows × cols matrix dst (row stride ldd). */
export function unpackStrips(src: usize, rows: i32, cols: i32, dst: usize, ldd: i32): void {
  for (let c = 0; c < cols; c++) {
    const s = src + ((<usize>(c >> 3) * rows * W + (c & 7)) << 3);
    for (let p = 0; p < rows; p++) store<f64>(dst + ((<usize>p * ldd + c) << 3), load<f64>(s + ((<usize>p * W) << 3)));
  }
}

// @ts-ignore: decorator
@inline
function put1(p: usize, v: f64, mode: i32): void {
  if (mode == 0 || mode == 3) store<f64>(p, v);
  else if (mode == 1) store<f64>(p, load<f64>(p) - v);
  else store<f64>(p, load<f64>(p) + v);
}

// @ts-ignore: decorator
@inline
function put2(p: usize, v: v128, mode: i32): void {
  if (mode == 0 || mode == 3) v128.store(p, v);
  else if (mode == 1) v128.store(p, f64x2.sub(v128.load(p), v));
  else v128.store(p, f64x2.add(v128.load(p), v));
}

/** Writes the first n (≤ 8 used) columns of one strip row. */
// @ts-ignore: decorator
@inline
function putRow(p: usize, n: i32, x0: v128, x1: v128, x2: v128, x3: v128, mode: i32): void {
  if (n >= 8) {
    put2(p, x0, mode);
    put2(p + 16, x1, mode);
    put2(p + 32, x2, mode);
    put2(p + 48, x3, mode);
    return;
  }
  if (n > 0) put1(p, f64x2.extract_lane(x0, 0), mode);
  if (n > 1) put1(p + 8, f64x2.extract_lane(x0, 1), mode);
  if (n > 2) put1(p + 16, f64x2.extract_lane(x1, 0), mode);
  if (n > 3) put1(p + 24, f64x2.extract_lane(x1, 1), mode);
  if (n > 4) put1(p + 32, f64x2.extract_lane(x2, 0), mode);
  if (n > 5) put1(p + 40, f64x2.extract_lane(x2, 1), mode);
  if (n > 6) put1(p + 48, f64x2.extract_lane(x3, 0), mode);
}

// @ts-ignore: decorator
@inline
function rowCount(i: i32, cols: i32, tri: i32): i32 {
  return tri < 0 ? cols : min(cols, tri + i + 1);
}

/** First strip row of an output block: zero, or (mode 3) the partial sums already in `out`. */
// @ts-ignore: decorator
@inline
function start(p: usize, n: i32, lane: i32, mode: i32): v128 {
  if (mode != 3) return f64x2.splat(0);
  if (n >= lane + 2) return v128.load(p + (<usize>lane << 3));
  if (n == lane + 1) return f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(p + (<usize>lane << 3)));
  return f64x2.splat(0);
}

/**
 * out ∘= A B for a rows × k matrix A (row stride lda) and B packed in strips of ldb rows (its rows [0, k) are used):
 *   s = 0;  s += A[i][p] · B[p][c] for p = 0 … k−1;  then out[i][c] = s (mode 0), −= s (mode 1) or += s (mode 2).
 * Mode 3 continues a sum over a longer inner dimension split into blocks: s starts from out[i][c] (exactly the
 * partial sum the previous block stored, so the order is that of one long loop) and out[i][c] = s.
 * With tri ≥ 0 only the columns c ≤ tri + i of row i are written (a lower triangle).
 */
export function gemm(
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  k: i32,
  cols: i32,
  out: usize,
  ldo: i32,
  rows: i32,
  tri: i32,
  mode: i32,
): void {
  const stripBytes = (<usize>ldb * W) << 3;
  let i = 0;
  for (; i + 1 < rows; i += 2) {
    const n0 = rowCount(i, cols, tri);
    const n1 = rowCount(i + 1, cols, tri);
    const a0 = a + ((<usize>i * lda) << 3);
    const a1 = a0 + (<usize>lda << 3);
    const o0 = out + ((<usize>i * ldo) << 3);
    const o1 = o0 + (<usize>ldo << 3);
    for (let c = 0; c < n1; c += W) {
      let bp = b + <usize>(c >> 3) * stripBytes;
      const p0 = o0 + (<usize>c << 3);
      const p1 = o1 + (<usize>c << 3);
      let x0 = start(p0, n0 - c, 0, mode);
      let x1 = start(p0, n0 - c, 2, mode);
      let x2 = start(p0, n0 - c, 4, mode);
      let x3 = start(p0, n0 - c, 6, mode);
      let y0 = start(p1, n1 - c, 0, mode);
      let y1 = start(p1, n1 - c, 2, mode);
      let y2 = start(p1, n1 - c, 4, mode);
      let y3 = start(p1, n1 - c, 6, mode);
      for (let p = 0; p < k; p++) {
        const u = v128.load64_splat(a0 + (<usize>p << 3));
        const v = v128.load64_splat(a1 + (<usize>p << 3));
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const b2 = v128.load(bp, 32);
        const b3 = v128.load(bp, 48);
        x0 = f64x2.add(x0, f64x2.mul(u, b0));
        x1 = f64x2.add(x1, f64x2.mul(u, b1));
        x2 = f64x2.add(x2, f64x2.mul(u, b2));
        x3 = f64x2.add(x3, f64x2.mul(u, b3));
        y0 = f64x2.add(y0, f64x2.mul(v, b0));
        y1 = f64x2.add(y1, f64x2.mul(v, b1));
        y2 = f64x2.add(y2, f64x2.mul(v, b2));
        y3 = f64x2.add(y3, f64x2.mul(v, b3));
        bp += W << 3;
      }
      putRow(p0, n0 - c, x0, x1, x2, x3, mode);
      putRow(p1, n1 - c, y0, y1, y2, y3, mode);
    }
  }
  if (i < rows) {
    const n0 = rowCount(i, cols, tri);
    const a0 = a + ((<usize>i * lda) << 3);
    const o0 = out + ((<usize>i * ldo) << 3);
    for (let c = 0; c < n0; c += W) {
      let bp = b + <usize>(c >> 3) * stripBytes;
      const p0 = o0 + (<usize>c << 3);
      let x0 = start(p0, n0 - c, 0, mode);
      let x1 = start(p0, n0 - c, 2, mode);
      let x2 = start(p0, n0 - c, 4, mode);
      let x3 = start(p0, n0 - c, 6, mode);
      for (let p = 0; p < k; p++) {
        const u = v128.load64_splat(a0 + (<usize>p << 3));
        x0 = f64x2.add(x0, f64x2.mul(u, v128.load(bp)));
        x1 = f64x2.add(x1, f64x2.mul(u, v128.load(bp, 16)));
        x2 = f64x2.add(x2, f64x2.mul(u, v128.load(bp, 32)));
        x3 = f64x2.add(x3, f64x2.mul(u, v128.load(bp, 48)));
        bp += W << 3;
      }
      putRow(p0, n0 - c, x0, x1, x2, x3, mode);
    }
  }
}

/**
 * Forward substitution for rows [i0, i1) of L Z = B, B in `strips` strips of n rows (rows < i0 already solved):
 *   z = B[i];  z −= L[i][k] · Z[k] for k = 0 … i−1;  Z[i] = z · (1 / L[i][i]).
 * `l` holds the rows [i0, i1) of L (row stride ldl, column 0 first).
 */
export function solveLower(l: usize, ldl: i32, i0: i32, i1: i32, z: usize, n: i32, strips: i32): void {
  const stripBytes = (<usize>n * W) << 3;
  for (let s = 0; s < strips; s++) {
    const zs = z + <usize>s * stripBytes;
    let i = i0;
    for (; i + 1 < i1; i += 2) {
      const l0 = l + ((<usize>(i - i0) * ldl) << 3);
      const l1 = l0 + (<usize>ldl << 3);
      const z0 = zs + ((<usize>i * W) << 3);
      const z1 = z0 + (W << 3);
      let x0 = v128.load(z0);
      let x1 = v128.load(z0, 16);
      let x2 = v128.load(z0, 32);
      let x3 = v128.load(z0, 48);
      let y0 = v128.load(z1);
      let y1 = v128.load(z1, 16);
      let y2 = v128.load(z1, 32);
      let y3 = v128.load(z1, 48);
      let zk = zs;
      for (let k = 0; k < i; k++) {
        const u = v128.load64_splat(l0 + (<usize>k << 3));
        const v = v128.load64_splat(l1 + (<usize>k << 3));
        const b0 = v128.load(zk);
        const b1 = v128.load(zk, 16);
        const b2 = v128.load(zk, 32);
        const b3 = v128.load(zk, 48);
        x0 = f64x2.sub(x0, f64x2.mul(u, b0));
        x1 = f64x2.sub(x1, f64x2.mul(u, b1));
        x2 = f64x2.sub(x2, f64x2.mul(u, b2));
        x3 = f64x2.sub(x3, f64x2.mul(u, b3));
        y0 = f64x2.sub(y0, f64x2.mul(v, b0));
        y1 = f64x2.sub(y1, f64x2.mul(v, b1));
        y2 = f64x2.sub(y2, f64x2.mul(v, b2));
        y3 = f64x2.sub(y3, f64x2.mul(v, b3));
        zk += W << 3;
      }
      const inv0 = f64x2.splat(1.0 / load<f64>(l0 + (<usize>i << 3)));
      x0 = f64x2.mul(x0, inv0);
      x1 = f64x2.mul(x1, inv0);
      x2 = f64x2.mul(x2, inv0);
      x3 = f64x2.mul(x3, inv0);
      v128.store(z0, x0);
      v128.store(z0, x1, 16);
      v128.store(z0, x2, 32);
      v128.store(z0, x3, 48);
      const v = v128.load64_splat(l1 + (<usize>i << 3));
      const inv1 = f64x2.splat(1.0 / load<f64>(l1 + (<usize>(i + 1) << 3)));
      v128.store(z1, f64x2.mul(f64x2.sub(y0, f64x2.mul(v, x0)), inv1));
      v128.store(z1, f64x2.mul(f64x2.sub(y1, f64x2.mul(v, x1)), inv1), 16);
      v128.store(z1, f64x2.mul(f64x2.sub(y2, f64x2.mul(v, x2)), inv1), 32);
      v128.store(z1, f64x2.mul(f64x2.sub(y3, f64x2.mul(v, x3)), inv1), 48);
    }
    if (i < i1) {
      const l0 = l + ((<usize>(i - i0) * ldl) << 3);
      const z0 = zs + ((<usize>i * W) << 3);
      let x0 = v128.load(z0);
      let x1 = v128.load(z0, 16);
      let x2 = v128.load(z0, 32);
      let x3 = v128.load(z0, 48);
      let zk = zs;
      for (let k = 0; k < i; k++) {
        const u = v128.load64_splat(l0 + (<usize>k << 3));
        x0 = f64x2.sub(x0, f64x2.mul(u, v128.load(zk)));
        x1 = f64x2.sub(x1, f64x2.mul(u, v128.load(zk, 16)));
        x2 = f64x2.sub(x2, f64x2.mul(u, v128.load(zk, 32)));
        x3 = f64x2.sub(x3, f64x2.mul(u, v128.load(zk, 48)));
        zk += W << 3;
      }
      const inv0 = f64x2.splat(1.0 / load<f64>(l0 + (<usize>i << 3)));
      v128.store(z0, f64x2.mul(x0, inv0));
      v128.store(z0, f64x2.mul(x1, inv0), 16);
      v128.store(z0, f64x2.mul(x2, inv0), 32);
      v128.store(z0, f64x2.mul(x3, inv0), 48);
    }
  }
}

/**
 * Back substitution for rows [k0, k1) of Lᵀ Z = B (rows ≥ k1 already solved), Z in strips of n rows:
 *   z = B[k];  z −= L[i][k] · Z[i] for i = n−1 down to k+1;  Z[k] = z · (1 / L[k][k]).
 * `u` holds Lᵀ for those rows: u[(k − k0) · ldu + (i − k0)] = L[i][k] for k0 ≤ k < k1, k ≤ i < n.
 */
export function solveUpperT(u: usize, ldu: i32, k0: i32, k1: i32, z: usize, n: i32, strips: i32): void {
  const stripBytes = (<usize>n * W) << 3;
  for (let s = 0; s < strips; s++) {
    const zs = z + <usize>s * stripBytes;
    let k = k1 - 1;
    for (; k - 1 >= k0; k -= 2) {
      // Rows k and k − 1 share the terms i > k; row k − 1 then takes i = k.
      const u0 = u + ((<usize>(k - k0) * ldu - k0) << 3);
      const u1 = u0 - (<usize>ldu << 3);
      const z0 = zs + ((<usize>k * W) << 3);
      const z1 = z0 - (W << 3);
      let x0 = v128.load(z0);
      let x1 = v128.load(z0, 16);
      let x2 = v128.load(z0, 32);
      let x3 = v128.load(z0, 48);
      let y0 = v128.load(z1);
      let y1 = v128.load(z1, 16);
      let y2 = v128.load(z1, 32);
      let y3 = v128.load(z1, 48);
      let zi = zs + ((<usize>(n - 1) * W) << 3);
      for (let i = n - 1; i > k; i--) {
        const p = v128.load64_splat(u0 + (<usize>i << 3));
        const q = v128.load64_splat(u1 + (<usize>i << 3));
        const b0 = v128.load(zi);
        const b1 = v128.load(zi, 16);
        const b2 = v128.load(zi, 32);
        const b3 = v128.load(zi, 48);
        x0 = f64x2.sub(x0, f64x2.mul(p, b0));
        x1 = f64x2.sub(x1, f64x2.mul(p, b1));
        x2 = f64x2.sub(x2, f64x2.mul(p, b2));
        x3 = f64x2.sub(x3, f64x2.mul(p, b3));
        y0 = f64x2.sub(y0, f64x2.mul(q, b0));
        y1 = f64x2.sub(y1, f64x2.mul(q, b1));
        y2 = f64x2.sub(y2, f64x2.mul(q, b2));
        y3 = f64x2.sub(y3, f64x2.mul(q, b3));
        zi -= W << 3;
      }
      const inv0 = f64x2.splat(1.0 / load<f64>(u0 + (<usize>k << 3)));
      x0 = f64x2.mul(x0, inv0);
      x1 = f64x2.mul(x1, inv0);
      x2 = f64x2.mul(x2, inv0);
      x3 = f64x2.mul(x3, inv0);
      v128.store(z0, x0);
      v128.store(z0, x1, 16);
      v128.store(z0, x2, 32);
      v128.store(z0, x3, 48);
      const q = v128.load64_splat(u1 + (<usize>k << 3));
      const inv1 = f64x2.splat(1.0 / load<f64>(u1 + (<usize>(k - 1) << 3)));
      v128.store(z1, f64x2.mul(f64x2.sub(y0, f64x2.mul(q, x0)), inv1));
      v128.store(z1, f64x2.mul(f64x2.sub(y1, f64x2.mul(q, x1)), inv1), 16);
      v128.store(z1, f64x2.mul(f64x2.sub(y2, f64x2.mul(q, x2)), inv1), 32);
      v128.store(z1, f64x2.mul(f64x2.sub(y3, f64x2.mul(q, x3)), inv1), 48);
    }
    if (k >= k0) {
      const u0 = u + ((<usize>(k - k0) * ldu - k0) << 3);
      const z0 = zs + ((<usize>k * W) << 3);
      let x0 = v128.load(z0);
      let x1 = v128.load(z0, 16);
      let x2 = v128.load(z0, 32);
      let x3 = v128.load(z0, 48);
      let zi = zs + ((<usize>(n - 1) * W) << 3);
      for (let i = n - 1; i > k; i--) {
        const p = v128.load64_splat(u0 + (<usize>i << 3));
        x0 = f64x2.sub(x0, f64x2.mul(p, v128.load(zi)));
        x1 = f64x2.sub(x1, f64x2.mul(p, v128.load(zi, 16)));
        x2 = f64x2.sub(x2, f64x2.mul(p, v128.load(zi, 32)));
        x3 = f64x2.sub(x3, f64x2.mul(p, v128.load(zi, 48)));
        zi -= W << 3;
      }
      const inv0 = f64x2.splat(1.0 / load<f64>(u0 + (<usize>k << 3)));
      v128.store(z0, f64x2.mul(x0, inv0));
      v128.store(z0, f64x2.mul(x1, inv0), 16);
      v128.store(z0, f64x2.mul(x2, inv0), 32);
      v128.store(z0, f64x2.mul(x3, inv0), 48);
    }
  }
}

/**
 * Factorises one Cholesky panel in place: p holds rows [j0, n) × columns [j0, j1) of the updated matrix
 * (rows × bw, row stride bw, first row = row j0). In the engine's reference order:
 *   s = A[i][j];  s −= L[i][k] · L[j][k] for k = j0 … j−1;  L[j][j] = √s,  L[i][j] = s / L[j][j].
 * Returns −1, or the local row whose pivot was not positive.
 */
export function factorPanel(p: usize, bw: i32, rows: i32): i32 {
  for (let i = 0; i < rows; i++) {
    const ri = p + ((<usize>i * bw) << 3);
    const jEnd = min(i + 1, bw);
    for (let j = 0; j < jEnd; j++) {
      const rj = p + ((<usize>j * bw) << 3);
      let s = load<f64>(ri + (<usize>j << 3));
      for (let k = 0; k < j; k++) s -= load<f64>(ri + (<usize>k << 3)) * load<f64>(rj + (<usize>k << 3));
      if (i == j) {
        if (!(s > 0)) return i;
        store<f64>(ri + (<usize>i << 3), Math.sqrt(s));
      } else {
        store<f64>(ri + (<usize>j << 3), s / load<f64>(rj + (<usize>j << 3)));
      }
    }
  }
  return -1;
}

/** Σ_i x[i] y[i] over n elements: even and odd i summed in two lanes, then added. */
// @ts-ignore: decorator
@inline
function dot(x: usize, y: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const o = <usize>i << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (i < n) s += load<f64>(x + (<usize>i << 3)) * load<f64>(y + (<usize>i << 3));
  return s;
}

/**
 * One step of modified Gram–Schmidt on the rows of y (k × n, row stride n): row j is made orthogonal to the rows
 * p < j (already orthonormal) and normalised; a row whose norm falls to 1e−12 or below becomes zero.
 *   y_j −= (y_j · y_p) y_p  for p = 0 … j−1;   y_j /= ‖y_j‖
 */
export function orthonormalizeRow(y: usize, n: i32, j: i32): void {
  const yj = y + ((<usize>j * n) << 3);
  for (let p = 0; p < j; p++) {
    const yp = y + ((<usize>p * n) << 3);
    const d = f64x2.splat(dot(yj, yp, n));
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const o = <usize>i << 3;
      v128.store(yj + o, f64x2.sub(v128.load(yj + o), f64x2.mul(d, v128.load(yp + o))));
    }
    if (i < n) {
      const o = <usize>i << 3;
      store<f64>(yj + o, load<f64>(yj + o) - f64x2.extract_lane(d, 0) * load<f64>(yp + o));
    }
  }
  const norm = Math.sqrt(dot(yj, yj, n));
  const inv = f64x2.splat(norm > 1e-12 ? 1.0 / norm : 0.0);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const o = <usize>i << 3;
    v128.store(yj + o, f64x2.mul(v128.load(yj + o), inv));
  }
  if (i < n) {
    const o = <usize>i << 3;
    store<f64>(yj + o, load<f64>(yj + o) * f64x2.extract_lane(inv, 0));
  }
}

/**
 * The tail fit's pass over the training positions (../tail.ts): for each user u with keep[u] ≠ 0 (u8), whose
 * positions are seq[offsets[u] .. offsets[u + 1]) (i32 item indices), the state before each position t ≥ 1 is
 * carried from the previous one,
 *   S ← γ S + p_{s_{t−1}} − γ^W p_{s_{t−1−W}},   L ← η L + c p_{s_{t−1}} − c η^K p_{s_{t−1−K}},
 * (each subtraction only where that position is the user's; `shortOut` = γ^W, `longOut` = c η^K, L left out when
 * c = 0), and where the item y at t is a target (u8 at target + y), the state's first r entries,
 * (p_ctx + S) + L, are added to row y of `sums` (f64, n × r). p is `input`: (n + 1) × d f32, its last row p_ctx.
 * `short` and `long` are d f64 of scratch. Each entry takes the scalar code's operations in its order (products and
 * sums of f64, no fused multiply-add), so the sums are the same bits as the JavaScript version's.
 */
export function tailStateSums(
  seq: usize,
  offsets: usize,
  keep: usize,
  users: i32,
  target: usize,
  input: usize,
  n: i32,
  d: i32,
  gamma: f64,
  window: i32,
  shortOut: f64,
  c: f64,
  eta: f64,
  length: i32,
  longOut: f64,
  short: usize,
  long: usize,
  sums: usize,
  r: i32,
): void {
  const pairs = d & ~1;
  const rPairs = r & ~1;
  const ctx = input + ((<usize>n * <usize>d) << 2);
  const g2 = f64x2.splat(gamma);
  const so2 = f64x2.splat(shortOut);
  const e2 = f64x2.splat(eta);
  const c2 = f64x2.splat(c);
  const lo2 = f64x2.splat(longOut);
  const withLong = c > 0;
  for (let u = 0; u < users; u++) {
    if (load<u8>(keep + <usize>u) == 0) continue;
    const a = load<i32>(offsets + (<usize>u << 2));
    const b = load<i32>(offsets + (<usize>(u + 1) << 2));
    memory.fill(short, 0, <usize>d << 3);
    memory.fill(long, 0, <usize>d << 3);
    for (let t = a + 1; t < b; t++) {
      const inRow = input + ((<usize>load<i32>(seq + (<usize>(t - 1) << 2)) * <usize>d) << 2);
      const dropShort = t - 1 - window >= a;
      const shortRow = dropShort ? input + ((<usize>load<i32>(seq + (<usize>(t - 1 - window) << 2)) * <usize>d) << 2) : 0;
      const dropLong = withLong && t - 1 - length >= a;
      const longRow = dropLong ? input + ((<usize>load<i32>(seq + (<usize>(t - 1 - length) << 2)) * <usize>d) << 2) : 0;
      let col = 0;
      for (; col < pairs; col += 2) {
        const at = <usize>col << 3;
        const p = f64x2.promote_low_f32x4(v128.load64_zero(inRow + (<usize>col << 2)));
        let s = f64x2.add(f64x2.mul(g2, v128.load(short + at)), p);
        if (dropShort) s = f64x2.sub(s, f64x2.mul(so2, f64x2.promote_low_f32x4(v128.load64_zero(shortRow + (<usize>col << 2)))));
        v128.store(short + at, s);
        if (withLong) {
          let l = f64x2.add(f64x2.mul(e2, v128.load(long + at)), f64x2.mul(c2, p));
          if (dropLong) l = f64x2.sub(l, f64x2.mul(lo2, f64x2.promote_low_f32x4(v128.load64_zero(longRow + (<usize>col << 2)))));
          v128.store(long + at, l);
        }
      }
      for (; col < d; col++) {
        const at = <usize>col << 3;
        const p = <f64>load<f32>(inRow + (<usize>col << 2));
        let s = gamma * load<f64>(short + at) + p;
        if (dropShort) s = s - shortOut * <f64>load<f32>(shortRow + (<usize>col << 2));
        store<f64>(short + at, s);
        if (withLong) {
          let l = eta * load<f64>(long + at) + c * p;
          if (dropLong) l = l - longOut * <f64>load<f32>(longRow + (<usize>col << 2));
          store<f64>(long + at, l);
        }
      }
      const y = load<i32>(seq + (<usize>t << 2));
      if (load<u8>(target + <usize>y) == 0) continue;
      const row = sums + ((<usize>y * <usize>r) << 3);
      col = 0;
      for (; col < rPairs; col += 2) {
        const at = <usize>col << 3;
        let v = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(ctx + (<usize>col << 2))), v128.load(short + at));
        if (withLong) v = f64x2.add(v, v128.load(long + at));
        else v = f64x2.add(v, f64x2.splat(0));
        v128.store(row + at, f64x2.add(v128.load(row + at), v));
      }
      for (; col < r; col++) {
        const at = <usize>col << 3;
        const v = <f64>load<f32>(ctx + (<usize>col << 2)) + load<f64>(short + at) + (withLong ? load<f64>(long + at) : 0);
        store<f64>(row + at, load<f64>(row + at) + v);
      }
    }
  }
}

/**
 * Row i of `sums` (f64, n × r) = Σ of the first r entries of rows items[offsets[i] .. offsets[i + 1]) (i32) of `m`
 * (f32, rows of d), summed from 0 in that order: the tail fit's sums of the output vectors that followed each item.
 */
export function followerSums(offsets: usize, items: usize, n: i32, m: usize, d: i32, r: i32, sums: usize): void {
  const pairs = r & ~1;
  for (let i = 0; i < n; i++) {
    const from = load<i32>(offsets + (<usize>i << 2));
    const to = load<i32>(offsets + (<usize>(i + 1) << 2));
    const row = sums + ((<usize>i * <usize>r) << 3);
    memory.fill(row, 0, <usize>r << 3);
    for (let e = from; e < to; e++) {
      const src = m + ((<usize>load<i32>(items + (<usize>e << 2)) * <usize>d) << 2);
      let col = 0;
      for (; col < pairs; col += 2) {
        const at = row + (<usize>col << 3);
        v128.store(at, f64x2.add(v128.load(at), f64x2.promote_low_f32x4(v128.load64_zero(src + (<usize>col << 2)))));
      }
      for (; col < r; col++) {
        const at = row + (<usize>col << 3);
        store<f64>(at, load<f64>(at) + <f64>load<f32>(src + (<usize>col << 2)));
      }
    }
  }
}

/**
 * The softmax moments of calibration's Newton steps: for each of `samples` samples s, over its f32 values y_j ≤ 0
 * (rows offsets[s] to offsets[s + 1] of `y`, offsets i32), with e_j = exp(f32(f32(τ) y_j)) by `exp4`: Σ e_j,
 * Σ e_j y_j and Σ e_j y_j², each summed in f64 over four lanes (two f64x2, then added), as three f64 at out + 24s.
 */
export function softmaxMoments(y: usize, offsets: usize, samples: i32, tau: f64, out: usize): void {
  const t: f32 = <f32>tau;
  const tv = f32x4.splat(t);
  for (let s = 0; s < samples; s++) {
    const from = load<i32>(offsets + (<usize>s << 2));
    const to = load<i32>(offsets + (<usize>(s + 1) << 2));
    let sum0 = f64x2.splat(0);
    let sum1 = f64x2.splat(0);
    let mean0 = f64x2.splat(0);
    let mean1 = f64x2.splat(0);
    let second0 = f64x2.splat(0);
    let second1 = f64x2.splat(0);
    let j = from;
    for (; j + 4 <= to; j += 4) {
      const v = v128.load(y + (<usize>j << 2));
      const e = exp4(f32x4.mul(tv, v));
      const e0 = f64x2.promote_low_f32x4(e);
      const e1 = f64x2.promote_low_f32x4(v128.shuffle<i32>(e, e, 2, 3, 0, 1));
      const y0 = f64x2.promote_low_f32x4(v);
      const y1 = f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1));
      const ey0 = f64x2.mul(e0, y0);
      const ey1 = f64x2.mul(e1, y1);
      sum0 = f64x2.add(sum0, e0);
      sum1 = f64x2.add(sum1, e1);
      mean0 = f64x2.add(mean0, ey0);
      mean1 = f64x2.add(mean1, ey1);
      second0 = f64x2.add(second0, f64x2.mul(ey0, y0));
      second1 = f64x2.add(second1, f64x2.mul(ey1, y1));
    }
    let sum = f64x2.extract_lane(sum0, 0) + f64x2.extract_lane(sum0, 1) + f64x2.extract_lane(sum1, 0) + f64x2.extract_lane(sum1, 1);
    let mean = f64x2.extract_lane(mean0, 0) + f64x2.extract_lane(mean0, 1) + f64x2.extract_lane(mean1, 0) + f64x2.extract_lane(mean1, 1);
    let second = f64x2.extract_lane(second0, 0) + f64x2.extract_lane(second0, 1) + f64x2.extract_lane(second1, 0) + f64x2.extract_lane(second1, 1);
    for (; j < to; j++) {
      const v = load<f32>(y + (<usize>j << 2));
      const e = <f64>f32x4.extract_lane(exp4(f32x4.splat(t * v)), 0);
      const ey = e * <f64>v;
      sum += e;
      mean += ey;
      second += ey * <f64>v;
    }
    const at = out + <usize>s * 24;
    store<f64>(at, sum);
    store<f64>(at, mean, 8);
    store<f64>(at, second, 16);
  }
}
