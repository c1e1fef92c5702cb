// AssemblyScript source of the serving path's WebAssembly SIMD kernels (int8 × int16 → int32, f32 exp). Compiled
// by `npm run build:wasm` into ../scoring.generated.ts; the TypeScript side is ../quantized-scorer.ts.
//
// The item matrix is stored quantized, one row of `stride` int8 per item (stride a multiple of 8, zero-padded), with
// one f32 scale per item; the user state is quantized to `stride` int16. `scanBlocks` computes every item's
// approximate logit from them, a fixed range of rows per call so that threads can share the work (`scanBlocks`, then
// `finishScan`); `sumExp` the softmax normaliser over a logit array. The memory is imported and shared: every
// thread's instance works on the same matrix.

import { exp4 } from './exp';

/** Blocks that `scanBlocks` takes before their exp terms: their logits stay in L1 until those are summed. */
const SEGMENT_BLOCKS = 16;

/** Address of the first byte free for the caller's arrays. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Σ_c q[j][c] u[c] for the four rows of the block at `block` (layout: see `scan`), lane i for row i: two chunks of
 * eight columns per step, each int8 sign-extended to int16 as it loads (`v128.load8x8_s`) and multiplied with u in
 * pairs by `i32x4.dot_i16x8_s`; the four rows share each load of u, and every load has a constant offset from one
 * running address.
 */
// @ts-ignore: decorator
@inline
function blockSums(block: usize, chunks: i32, u: usize): v128 {
  let a0 = i32x4.splat(0);
  let a1 = i32x4.splat(0);
  let a2 = i32x4.splat(0);
  let a3 = i32x4.splat(0);
  let p = block;
  let x = u;
  const pairs = block + ((<usize>(chunks >> 1)) << 6);
  while (p < pairs) {
    const x0 = v128.load(x);
    const x1 = v128.load(x, 16);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load8x8_s(p), x0));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load8x8_s(p, 8), x0));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load8x8_s(p, 16), x0));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load8x8_s(p, 24), x0));
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load8x8_s(p, 32), x1));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load8x8_s(p, 40), x1));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load8x8_s(p, 48), x1));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load8x8_s(p, 56), x1));
    p += 64;
    x += 32;
  }
  if (chunks & 1) {
    const x0 = v128.load(x);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load8x8_s(p), x0));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load8x8_s(p, 8), x0));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load8x8_s(p, 16), x0));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load8x8_s(p, 24), x0));
  }
  // Lane i is row i's sum: pairwise sums of (a0, a1) and (a2, a3), then of those.
  const s01 = i32x4.add(v128.shuffle<i32>(a0, a1, 0, 2, 4, 6), v128.shuffle<i32>(a0, a1, 1, 3, 5, 7));
  const s23 = i32x4.add(v128.shuffle<i32>(a2, a3, 0, 2, 4, 6), v128.shuffle<i32>(a2, a3, 1, 3, 5, 7));
  return i32x4.add(v128.shuffle<i32>(s01, s23, 0, 2, 4, 6), v128.shuffle<i32>(s01, s23, 1, 3, 5, 7));
}

/** f32(s_i · factor · scale[i]) for the four lanes i, the products taken in f64 (scale: four f32 at `scale`). */
// @ts-ignore: decorator
@inline
function logits4(s: v128, f: v128, scale: usize): v128 {
  const b = v128.load(scale);
  const lo = f64x2.mul(f64x2.mul(f64x2.convert_low_i32x4_s(s), f), f64x2.promote_low_f32x4(b));
  const hi = f64x2.mul(
    f64x2.mul(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(s, s, 2, 3, 0, 1)), f),
    f64x2.promote_low_f32x4(v128.shuffle<i32>(b, b, 2, 3, 0, 1)),
  );
  return v128.shuffle<i32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/**
 * out[j] = f32((Σ_c q[j][c] u[c]) · factor · scale[j]) for the rows of blocks [from, to), the product taken in f64:
 * q is the int8 matrix in blocks of four rows (`quantizeRows`' layout: block b, holding rows 4b to 4b + 3, starts at
 * q + 4b·stride and interleaves its rows eight columns at a time), u `stride` int16, scale one f32 per row. Stores
 * the range's summary at `stats` (see `SUMMARY_BYTES`): the largest out[j] and the largest |out[j]| (f32 at 0 and
 * 4), Σ_j exp(out[j] − m) (f64 at 8) and its shift m, the largest out[j] (f32 at 16), and Σ_j exp(out[j] − m)²
 * (f64 at 24; the squared softmax weights, for the normaliser's second-moment bound in ../../model.ts). Both sums run
 * in the same pass, a segment of blocks at a time, and are rescaled by exp(m_old − m_new) (squared for the second)
 * when a segment holds a larger value. A range is one segment of the caller's fixed partition of the matrix, so its
 * summary does not depend on which thread scans it; `finishScan` combines them in order.
 */
export function scanBlocks(q: usize, scale: usize, from: i32, to: i32, stride: i32, u: usize, factor: f64, out: usize, stats: usize): void {
  const blockBytes = <usize>stride << 2;
  const chunks = stride >> 3;
  const f = f64x2.splat(factor);
  let top = f32x4.splat(-Infinity);
  let big = f32x4.splat(0);
  let shift: f32 = -Infinity;
  expTotal = 0;
  expSquares = 0;
  const blocks = to - from;
  const qr = q + <usize>from * blockBytes;
  const outr = out + (<usize>from << 4);
  const scaler = scale + (<usize>from << 4);
  for (let b0 = 0; b0 < blocks; b0 += SEGMENT_BLOCKS) {
    const b1 = min(blocks, b0 + SEGMENT_BLOCKS);
    // The rows' int32 sums go where their logits will, and are turned into logits in place: then (still in cache)
    // their exp terms, the shift first raised to the segment's largest logit if that is larger.
    for (let b = b0; b < b1; b++) v128.store(outr + (<usize>b << 4), blockSums(qr + <usize>b * blockBytes, chunks, u));
    const first = b0 << 2;
    const last = b1 << 2;
    let blockTop = f32x4.splat(-Infinity);
    for (let i = first; i < last; i += 4) {
      const v = logits4(v128.load(outr + (<usize>i << 2)), f, scaler + (<usize>i << 2));
      v128.store(outr + (<usize>i << 2), v);
      blockTop = f32x4.max(blockTop, v);
      big = f32x4.max(big, f32x4.abs(v));
    }
    top = f32x4.max(top, blockTop);
    const m = max(max(f32x4.extract_lane(blockTop, 0), f32x4.extract_lane(blockTop, 1)), max(f32x4.extract_lane(blockTop, 2), f32x4.extract_lane(blockTop, 3)));
    if (m > shift) {
      const g = Math.exp(<f64>shift - <f64>m);
      expTotal *= g;
      expSquares *= g * g;
      shift = m;
    }
    addExpTerms(outr, first, last, shift);
  }
  store<f32>(stats, max(max(f32x4.extract_lane(top, 0), f32x4.extract_lane(top, 1)), max(f32x4.extract_lane(top, 2), f32x4.extract_lane(top, 3))));
  store<f32>(stats, max(max(f32x4.extract_lane(big, 0), f32x4.extract_lane(big, 1)), max(f32x4.extract_lane(big, 2), f32x4.extract_lane(big, 3))), 4);
  store<f64>(stats, expTotal, 8);
  store<f32>(stats, shift, 16);
  store<f64>(stats, expSquares, 24);
}

/** Bytes of one range's summary written by `scanBlocks`. */
const SUMMARY_BYTES: usize = 32;

/**
 * Combines the summaries of `segments` consecutive ranges (at `stats`, `SUMMARY_BYTES` apart, in the order of their
 * rows) and adds the rows past the last whole block of four (`n` rows in all; the missing rows of the last block are
 * zero): their four logits go to out (whose length the caller rounds up to four), then the rows that exist are taken
 * one at a time. Stores the whole matrix's summary at `extremes`, laid out as `scanBlocks`' (the shift m of the sums
 * being the largest logit).
 */
export function finishScan(stats: usize, segments: i32, q: usize, scale: usize, n: i32, stride: i32, u: usize, factor: f64, out: usize, extremes: usize): void {
  let t: f32 = -Infinity;
  let a: f32 = 0;
  let shift: f32 = -Infinity;
  let total: f64 = 0;
  let squares: f64 = 0;
  for (let s = 0; s < segments; s++) {
    const at = stats + <usize>s * SUMMARY_BYTES;
    t = max(t, load<f32>(at));
    a = max(a, load<f32>(at, 4));
    const m = load<f32>(at, 16);
    if (m == -Infinity) continue; // an empty range
    if (m > shift) {
      const g = Math.exp(<f64>shift - <f64>m);
      total *= g;
      squares *= g * g;
      shift = m;
    }
    const h = Math.exp(<f64>m - <f64>shift);
    total += load<f64>(at, 8) * h;
    squares += load<f64>(at, 24) * h * h;
  }
  let j = (n >> 2) << 2;
  if (j < n) {
    v128.store(out + (<usize>j << 2), logits4(blockSums(q + (<usize>j >> 2) * (<usize>stride << 2), stride >> 3, u), f64x2.splat(factor), scale + (<usize>j << 2)));
    for (; j < n; j++) {
      const z = load<f32>(out + (<usize>j << 2));
      t = max(t, z);
      a = max(a, abs(z));
      if (z > shift) {
        const g = Math.exp(<f64>shift - <f64>z);
        total *= g;
        squares *= g * g;
        shift = z;
      }
      const e = <f64>f32x4.extract_lane(exp4(f32x4.splat(z - shift)), 0);
      total += e;
      squares += e * e;
    }
  }
  store<f32>(extremes, t);
  store<f32>(extremes, a, 4);
  store<f64>(extremes, total, 8);
  store<f32>(extremes, shift, 16);
  store<f64>(extremes, squares, 24);
}

/**
 * Quantizes `rows` rows of d f32 at `q` (row-major) to int8: for row j, σ = 127 / max_c |q_jc| (0 for a zero row),
 * b = f32(1 / σ) stored as an f32 at `scale` + 4j, q̃_jc = round(σ q_jc) (ties to even; |q̃_jc| ≤ 127) as int8
 * in `scan`'s layout of blocks of four rows from `qi` (rows a multiple of four, or the call is the last; padding
 * left as it is), the residual q_jc − b q̃_jc, exact in f64, as `ld` f64 at `residuals` + 8·j·ld (padding left
 * as it is; nothing when `residuals` is 0), and ‖r_j‖² and ‖b q̃_j‖² as two f64 at `norms` + 16j. Stores, as f64 at
 * `stats`, the running maxima over all calls of ‖r_j‖², ‖b q̃_j‖² and ‖q̃_j‖², and the running sum of ‖b q̃_j‖².
 */
export function quantizeRows(q: usize, rows: i32, d: i32, stride: i32, qi: usize, scale: usize, residuals: usize, ld: i32, norms: usize, stats: usize): void {
  let maxResidual = load<f64>(stats);
  let maxRow = load<f64>(stats, 8);
  let maxQuantized = load<f64>(stats, 16);
  let frobenius = load<f64>(stats, 24);
  for (let j = 0; j < rows; j++) {
    const row = q + ((<usize>j * <usize>d) << 2);
    let maxAbs: f32 = 0;
    for (let c = 0; c < d; c++) maxAbs = max(maxAbs, abs(load<f32>(row + (<usize>c << 2))));
    const sigma: f64 = maxAbs > 0 ? 127 / <f64>maxAbs : 0;
    const b = <f32>(sigma > 0 ? 1 / sigma : 0);
    store<f32>(scale + (<usize>j << 2), b);
    // Row j of its block of four: eight columns at a time, interleaved with the block's other rows (see `scan`).
    const out = qi + (<usize>(j >> 2) * <usize>stride << 2) + (<usize>(j & 3) << 3);
    const res = residuals + ((<usize>j * <usize>ld) << 3);
    let residual: f64 = 0;
    let rowNorm: f64 = 0;
    let quantized: f64 = 0;
    for (let c = 0; c < d; c++) {
      const x = <f64>load<f32>(row + (<usize>c << 2));
      const v: f64 = min<f64>(127, max<f64>(-127, nearest<f64>(x * sigma)));
      store<i8>(out + ((<usize>c >> 3) << 5) + (<usize>c & 7), <i8>(<i32>v));
      // Exact in f64: b v has at most 31 significant bits, and x − b v is a multiple of x's and b v's last bits.
      const back = <f64>b * v;
      const r = x - back;
      if (residuals != 0) store<f64>(res + (<usize>c << 3), r);
      residual += r * r;
      rowNorm += back * back;
      quantized += v * v;
    }
    store<f64>(norms + (<usize>j << 4), residual);
    store<f64>(norms + (<usize>j << 4), rowNorm, 8);
    maxResidual = max(maxResidual, residual);
    maxRow = max(maxRow, rowNorm);
    maxQuantized = max(maxQuantized, quantized);
    frobenius += rowNorm;
  }
  store<f64>(stats, maxResidual);
  store<f64>(stats, maxRow, 8);
  store<f64>(stats, maxQuantized, 16);
  store<f64>(stats, frobenius, 24);
}

/**
 * G += Σ_i r_i r_iᵀ over `rows` rows of `ld` f64 at `r` (ld even, entries past d zero), on and above G's diagonal
 * (G is d × ld f64 at `g`, row-major; each row c is updated from column c rounded down to even, so a few entries
 * just below the diagonal are written too and must not be read). Four rows at a time, so each pair of G's entries is
 * loaded and stored once per four rank-one updates; every entry is a plain sequential f64 sum over the rows.
 */
export function gramAdd(r: usize, rows: i32, d: i32, ld: i32, g: usize): void {
  const rowBytes = <usize>ld << 3;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const r0 = r + <usize>i * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    for (let c = 0; c < d; c++) {
      const o = <usize>c << 3;
      const x0 = f64x2.splat(load<f64>(r0 + o));
      const x1 = f64x2.splat(load<f64>(r1 + o));
      const x2 = f64x2.splat(load<f64>(r2 + o));
      const x3 = f64x2.splat(load<f64>(r3 + o));
      const gr = g + <usize>c * rowBytes;
      for (let e: usize = o & ~15; e < rowBytes; e += 16) {
        let acc = v128.load(gr + e);
        acc = f64x2.add(acc, f64x2.mul(x0, v128.load(r0 + e)));
        acc = f64x2.add(acc, f64x2.mul(x1, v128.load(r1 + e)));
        acc = f64x2.add(acc, f64x2.mul(x2, v128.load(r2 + e)));
        acc = f64x2.add(acc, f64x2.mul(x3, v128.load(r3 + e)));
        v128.store(gr + e, acc);
      }
    }
  }
  for (; i < rows; i++) {
    const r0 = r + <usize>i * rowBytes;
    for (let c = 0; c < d; c++) {
      const o = <usize>c << 3;
      const x0 = f64x2.splat(load<f64>(r0 + o));
      const gr = g + <usize>c * rowBytes;
      for (let e: usize = o & ~15; e < rowBytes; e += 16) {
        v128.store(gr + e, f64x2.add(v128.load(gr + e), f64x2.mul(x0, v128.load(r0 + e))));
      }
    }
  }
}

/**
 * uᵀ G u for the d × d matrix G at `g` (row-major, rows `ld` f64 apart, ld even, entries past d zero) and the `ld`
 * f64 of u at `u` (entries past d zero): each row's Σ_e g_ce u_e in two f64 lanes (even and odd e), then
 * Σ_c u_c · row_c, a sum of d² products in f64.
 */
export function quadraticForm(g: usize, d: i32, ld: i32, u: usize): f64 {
  const rowBytes = <usize>ld << 3;
  let form: f64 = 0;
  for (let c = 0; c < d; c++) {
    const row = g + <usize>c * rowBytes;
    let acc = f64x2.splat(0);
    for (let e: usize = 0; e < rowBytes; e += 16) acc = f64x2.add(acc, f64x2.mul(v128.load(row + e), v128.load(u + e)));
    form += load<f64>(u + (<usize>c << 3)) * (f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
  }
  return form;
}

/** The largest of n f32 at p (−∞ for n = 0; −∞ entries are allowed). */
export function maxOf(p: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) m = f32x4.max(m, v128.load(p + (<usize>i << 2)));
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < n; i++) r = max(r, load<f32>(p + (<usize>i << 2)));
  return r;
}

/** exp(x) for n f32 at p into n f32 at dst (x ≤ 0; see exp4). */
export function expInto(p: usize, n: i32, dst: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), exp4(v128.load(p + (<usize>i << 2))));
  for (; i < n; i++) {
    const v = exp4(f32x4.splat(load<f32>(p + (<usize>i << 2))));
    store<f32>(dst + (<usize>i << 2), f32x4.extract_lane(v, 0));
  }
}

/** The running sums of exp terms and of their squares that `addExpTerms` adds to (reset by each caller). */
let expTotal: f64 = 0;
let expSquares: f64 = 0;

/**
 * Adds Σ exp(p[j] − shift) over j in [first, last) (a multiple of four apart; p[j] ≤ shift), each term in f32, to
 * `expTotal`, and the terms' squares to `expSquares`, both summed in f64: in two pairs of f64 lanes, then added.
 */
// @ts-ignore: decorator
@inline
function addExpTerms(p: usize, first: i32, last: i32, shift: f32): void {
  const s = f32x4.splat(shift);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let sq0 = f64x2.splat(0);
  let sq1 = f64x2.splat(0);
  for (let i = first; i < last; i += 4) {
    const e = exp4(f32x4.sub(v128.load(p + (<usize>i << 2)), s));
    const e0 = f64x2.promote_low_f32x4(e);
    const e1 = f64x2.promote_low_f32x4(v128.shuffle<i32>(e, e, 2, 3, 0, 1));
    acc0 = f64x2.add(acc0, e0);
    acc1 = f64x2.add(acc1, e1);
    sq0 = f64x2.add(sq0, f64x2.mul(e0, e0));
    sq1 = f64x2.add(sq1, f64x2.mul(e1, e1));
  }
  expTotal += f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1) + f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
  expSquares += f64x2.extract_lane(sq0, 0) + f64x2.extract_lane(sq0, 1) + f64x2.extract_lane(sq1, 0) + f64x2.extract_lane(sq1, 1);
}

/**
 * Σ_j exp(p[j] − shift) over n f32 at p, each term in f32 (p[j] ≤ shift), summed in f64; the sum of the terms'
 * squares is stored as an f64 at `squares`.
 */
export function sumExp(p: usize, n: i32, shift: f32, squares: usize): f64 {
  expTotal = 0;
  expSquares = 0;
  const whole = n & ~3;
  addExpTerms(p, 0, whole, shift);
  for (let i = whole; i < n; i++) {
    const v = <f64>f32x4.extract_lane(exp4(f32x4.splat(load<f32>(p + (<usize>i << 2)) - shift)), 0);
    expTotal += v;
    expSquares += v * v;
  }
  store<f64>(squares, expSquares);
  return expTotal;
}

/** Adds v to the min-heap of `size` values of T at `heap` (which has room for one more). */
// @ts-ignore: decorator
@inline
function heapInsert<T>(heap: usize, size: i32, v: T): void {
  let pos = size;
  while (pos > 0) {
    const parent = (pos - 1) >> 1;
    const pv = load<T>(heap + <usize>parent * sizeof<T>());
    if (pv <= v) break;
    store<T>(heap + <usize>pos * sizeof<T>(), pv);
    pos = parent;
  }
  store<T>(heap + <usize>pos * sizeof<T>(), v);
}

/** Replaces the smallest of the min-heap of `size` values of T at `heap` with v (v larger than it). */
// @ts-ignore: decorator
@inline
function heapReplaceTop<T>(heap: usize, size: i32, v: T): void {
  let pos = 0;
  for (;;) {
    const l = 2 * pos + 1;
    if (l >= size) break;
    const r = l + 1;
    let m = l;
    if (r < size && load<T>(heap + <usize>r * sizeof<T>()) < load<T>(heap + <usize>l * sizeof<T>())) m = r;
    const mv = load<T>(heap + <usize>m * sizeof<T>());
    if (mv >= v) break;
    store<T>(heap + <usize>pos * sizeof<T>(), mv);
    pos = m;
  }
  store<T>(heap + <usize>pos * sizeof<T>(), v);
}

/**
 * The candidates for an exact top k (see ../../candidates.ts): indices j (ascending, written as i32 at `dst`) with
 * p[j] finite, mask[j] = 0 and p[j] ≥ T − margin, where T is the k-th largest such p[j] (−∞ while fewer than k);
 * returns their count. `heap` holds k f32 (a min-heap of the k largest so far). Four values at a time are compared
 * with the running floor, so the scalar path runs only for the few that pass it.
 */
export function candidates(p: usize, n: i32, k: i32, margin: f32, mask: usize, heap: usize, dst: usize): i32 {
  let size = 0;
  let count = 0;
  let floor: f32 = -Infinity;
  let i = 0;
  while (i < n) {
    if (i + 4 <= n && !v128.any_true(f32x4.ge(v128.load(p + (<usize>i << 2)), f32x4.splat(floor)))) {
      i += 4;
      continue;
    }
    const end = min(n, i + 4);
    for (; i < end; i++) {
      const v = load<f32>(p + (<usize>i << 2));
      if (!(v >= floor) || v == -Infinity || load<u8>(mask + <usize>i) != 0) continue;
      store<i32>(dst + (<usize>count << 2), i);
      count++;
      if (size < k) heapInsert<f32>(heap, size++, v);
      else if (v > load<f32>(heap)) heapReplaceTop<f32>(heap, size, v);
      if (size == k) floor = load<f32>(heap) - margin;
    }
  }
  // Keep those still above the final floor.
  let kept = 0;
  for (let c = 0; c < count; c++) {
    const j = load<i32>(dst + (<usize>c << 2));
    if (load<f32>(p + (<usize>j << 2)) >= floor) {
      store<i32>(dst + (<usize>kept << 2), j);
      kept++;
    }
  }
  return kept;
}

/**
 * The candidates for an exact top k by per-item bounds (the fused form of `candidates` followed by
 * QuantizedScorer.narrow): item j (mask[j] = 0, p[j] finite) has bound b_j = c (un r[j] + ue s[j]) + slack, lower
 * p[j] − b_j and upper p[j] + b_j, all in f64 from the f32 p, r and s. T is the k-th largest lower bound over those
 * items (−∞ while fewer than k); returns, written ascending as i32 at `dst`, the count of the items whose upper bound
 * is at least T − 2⁻⁴⁰(|T| + 1). `heap` holds k f64 (a min-heap of the k largest lower bounds so far). An item
 * whose upper bound is below the running floor is skipped: its lower bound is below the running T, which only
 * rises, so it is neither a candidate nor among the k largest lower bounds. Four items at a time are compared with
 * the running floor in f64 lanes, by the same arithmetic as the scalar path.
 */
export function boundedCandidates(p: usize, n: i32, k: i32, c: f64, un: f64, ue: f64, slack: f64, r: usize, s: usize, mask: usize, heap: usize, dst: usize): i32 {
  let size = 0;
  let count = 0;
  let floor: f64 = -Infinity;
  const cv = f64x2.splat(c);
  const unv = f64x2.splat(un);
  const uev = f64x2.splat(ue);
  const slackv = f64x2.splat(slack);
  let i = 0;
  while (i < n) {
    if (i + 4 <= n) {
      const at = <usize>i << 2;
      const pv = v128.load(p + at);
      const rv = v128.load(r + at);
      const sv = v128.load(s + at);
      const swap = (x: v128): v128 => v128.shuffle<i32>(x, x, 2, 3, 0, 1);
      const b0 = f64x2.add(f64x2.mul(cv, f64x2.add(f64x2.mul(unv, f64x2.promote_low_f32x4(rv)), f64x2.mul(uev, f64x2.promote_low_f32x4(sv)))), slackv);
      const b1 = f64x2.add(f64x2.mul(cv, f64x2.add(f64x2.mul(unv, f64x2.promote_low_f32x4(swap(rv))), f64x2.mul(uev, f64x2.promote_low_f32x4(swap(sv))))), slackv);
      const f = f64x2.splat(floor);
      const up0 = f64x2.ge(f64x2.add(f64x2.promote_low_f32x4(pv), b0), f);
      const up1 = f64x2.ge(f64x2.add(f64x2.promote_low_f32x4(swap(pv)), b1), f);
      if (!v128.any_true(v128.or(up0, up1))) {
        i += 4;
        continue;
      }
    }
    const end = min(n, i + 4);
    for (; i < end; i++) {
      const v = <f64>load<f32>(p + (<usize>i << 2));
      if (v == -Infinity || load<u8>(mask + <usize>i) != 0) continue;
      const b = c * (un * <f64>load<f32>(r + (<usize>i << 2)) + ue * <f64>load<f32>(s + (<usize>i << 2))) + slack;
      if (!(v + b >= floor)) continue;
      store<i32>(dst + (<usize>count << 2), i);
      count++;
      const lower = v - b;
      if (size < k) heapInsert<f64>(heap, size++, lower);
      else if (lower > load<f64>(heap)) heapReplaceTop<f64>(heap, size, lower);
      if (size == k) {
        const t = load<f64>(heap);
        floor = t - 9.094947017729282e-13 * (abs(t) + 1);
      }
    }
  }
  // Keep those still above the final floor.
  let kept = 0;
  for (let q = 0; q < count; q++) {
    const j = load<i32>(dst + (<usize>q << 2));
    const v = <f64>load<f32>(p + (<usize>j << 2));
    const b = c * (un * <f64>load<f32>(r + (<usize>j << 2)) + ue * <f64>load<f32>(s + (<usize>j << 2))) + slack;
    if (v + b >= floor) {
      store<i32>(dst + (<usize>kept << 2), j);
      kept++;
    }
  }
  return kept;
}
