// AssemblyScript source of the serving path's WebAssembly SIMD kernels (int16 × int16 → int32, f32 exp). Compiled
// by `npm run build:wasm` into ../scoring.generated.ts; the TypeScript side is ../quantized-scorer.ts.
//
// The item matrix is stored quantized, one row of `stride` int16 per item (stride a multiple of 8, zero-padded),
// with one f32 scale per item; the user state is quantized the same way. `scan` computes every item's approximate
// logit from them; `sumExp` the softmax normaliser over a logit array.

/** Address of the first byte free for the caller's arrays. */
export function heapBase(): usize {
  return __heap_base;
}

/** Σ over the four i32 lanes, wrapping: the caller keeps the true sum within ±2³¹ (see quantized-scorer.ts). */
// @ts-ignore: decorator
@inline
function lanes(v: v128): i32 {
  return (
    i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3)
  );
}

/**
 * out[j] = f32(factor · scale[j] · Σ_c q[j][c] u[c]) for j in [0, n): q is n rows of `stride` int16 at `q`, u
 * `stride` int16, scale n f32. Products are summed in pairs by i32x4.dot_i16x8_s; two rows share each load of u and
 * the chunk loop is unrolled by two with separate accumulators. The largest out[j] and the largest |out[j]| are
 * stored as two f32 at `extremes`, then (f64 at extremes + 8, f32 at extremes + 16) Σ_j exp(out[j] − m) and its
 * shift m, the largest out[j]: the softmax normaliser, summed in the same pass (the exp of each group of four rows
 * runs while the next rows load), rescaled by exp(m_old − m_new) whenever a larger value appears.
 */
export function scan(q: usize, scale: usize, n: i32, stride: i32, u: usize, factor: f64, out: usize, extremes: usize): void {
  const rowBytes = <usize>stride << 1;
  let top: f32 = -Infinity;
  let big: f32 = 0;
  let shift: f32 = -Infinity;
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const r0 = q + <usize>j * rowBytes;
    const r1 = r0 + rowBytes;
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let b0 = i32x4.splat(0);
    let b1 = i32x4.splat(0);
    let c: usize = 0;
    for (; c + 32 <= rowBytes; c += 32) {
      const x = v128.load(u + c);
      const y = v128.load(u + c, 16);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(r0 + c), x));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load(r1 + c), x));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(v128.load(r0 + c, 16), y));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(v128.load(r1 + c, 16), y));
    }
    if (c < rowBytes) {
      const x = v128.load(u + c);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(r0 + c), x));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load(r1 + c), x));
    }
    const s = scale + (<usize>j << 2);
    const z0 = <f32>(<f64>lanes(i32x4.add(a0, b0)) * factor * <f64>load<f32>(s));
    const z1 = <f32>(<f64>lanes(i32x4.add(a1, b1)) * factor * <f64>load<f32>(s, 4));
    store<f32>(out + (<usize>j << 2), z0);
    store<f32>(out + (<usize>j << 2), z1, 4);
    top = max(top, max(z0, z1));
    big = max(big, max(abs(z0), abs(z1)));
    if ((j & 3) == 2) {
      const v = v128.load(out + (<usize>(j - 2) << 2));
      if (v128.any_true(f32x4.gt(v, f32x4.splat(shift)))) {
        const m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
        const f = f64x2.splat(Math.exp(<f64>shift - <f64>m));
        acc0 = f64x2.mul(acc0, f);
        acc1 = f64x2.mul(acc1, f);
        shift = m;
      }
      const e = exp4(f32x4.sub(v, f32x4.splat(shift)));
      acc0 = f64x2.add(acc0, f64x2.promote_low_f32x4(e));
      acc1 = f64x2.add(acc1, f64x2.promote_low_f32x4(v128.shuffle<i32>(e, e, 2, 3, 0, 1)));
    }
  }
  if (j < n) {
    const r0 = q + <usize>j * rowBytes;
    let a0 = i32x4.splat(0);
    for (let c: usize = 0; c < rowBytes; c += 16) a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(r0 + c), v128.load(u + c)));
    const z0 = <f32>(<f64>lanes(a0) * factor * <f64>load<f32>(scale + (<usize>j << 2)));
    store<f32>(out + (<usize>j << 2), z0);
    top = max(top, z0);
    big = max(big, abs(z0));
  }
  let total = f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1) + f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
  // The rows after the last full group of four.
  for (let i = n & ~3; i < n; i++) {
    const z = load<f32>(out + (<usize>i << 2));
    if (z > shift) {
      total *= Math.exp(<f64>shift - <f64>z);
      shift = z;
    }
    total += <f64>f32x4.extract_lane(exp4(f32x4.splat(z - shift)), 0);
  }
  store<f32>(extremes, top);
  store<f32>(extremes, big, 4);
  store<f64>(extremes, total, 8);
  store<f32>(extremes, shift, 16);
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

// exp(x) for x ≤ 0 in f32 lanes (Cephes expf): x = k ln 2 + r with |r| ≤ ln 2 / 2, ln 2 split in two parts so k ln 2
// is exact, e^r by its degree-7 Taylor-like minimax polynomial, 2^k by building the exponent bits. Below −87.3
// (2^k no longer normal) the result is 0: such a term is below 2⁻¹²⁶ of the largest, which is 1.
// @ts-ignore: decorator
@inline
function exp4(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(-87.3));
  const xc = f32x4.max(x, f32x4.splat(-87.3));
  const k = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(k, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const two = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, two), under);
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

/** Σ_j exp(p[j] − shift) over n f32 at p, each term in f32 (p[j] ≤ shift), summed in f64. */
export function sumExp(p: usize, n: i32, shift: f32): f64 {
  const s = f32x4.splat(shift);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const e = exp4(f32x4.sub(v128.load(p + (<usize>i << 2)), s));
    acc0 = f64x2.add(acc0, f64x2.promote_low_f32x4(e));
    acc1 = f64x2.add(acc1, f64x2.promote_low_f32x4(v128.shuffle<i32>(e, e, 2, 3, 0, 1)));
  }
  let total = f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1) + f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
  for (; i < n; i++) {
    const v = exp4(f32x4.splat(load<f32>(p + (<usize>i << 2)) - shift));
    total += <f64>f32x4.extract_lane(v, 0);
  }
  return total;
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
      if (size < k) {
        let pos = size++;
        while (pos > 0) {
          const parent = (pos - 1) >> 1;
          const pv = load<f32>(heap + (<usize>parent << 2));
          if (pv <= v) break;
          store<f32>(heap + (<usize>pos << 2), pv);
          pos = parent;
        }
        store<f32>(heap + (<usize>pos << 2), v);
      } else if (v > load<f32>(heap)) {
        let pos = 0;
        for (;;) {
          const l = 2 * pos + 1;
          if (l >= size) break;
          const r = l + 1;
          let m = l;
          if (r < size && load<f32>(heap + (<usize>r << 2)) < load<f32>(heap + (<usize>l << 2))) m = r;
          const mv = load<f32>(heap + (<usize>m << 2));
          if (mv >= v) break;
          store<f32>(heap + (<usize>pos << 2), mv);
          pos = m;
        }
        store<f32>(heap + (<usize>pos << 2), v);
      }
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
