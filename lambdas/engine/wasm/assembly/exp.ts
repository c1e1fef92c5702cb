// exp in f32 lanes, shared by the serving kernels (scoring.ts) and the training kernels (kernels.ts).

// exp(x) for x ≤ 0 in f32 lanes (Cephes expf): x = k ln 2 + r with |r| ≤ ln 2 / 2, ln 2 split in two parts so k ln 2
// is exact, e^r by its degree-7 Taylor-like minimax polynomial, 2^k by building the exponent bits. Below −87.3
// (2^k no longer normal) the result is 0: such a term is below 2⁻¹²⁶ of the largest, which is 1.
// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(-87.3));
  const xc = f32x4.max(x, f32x4.splat(-87.3));
  // t = x log₂e + 1.5·2²³ rounds x log₂e to the nearest integer k (ties to even) in its low mantissa bits, so
  // k = t − 1.5·2²³ exactly, and (bits of t) + 127 shifted left by 23 are the bits of 2^k (the magic's own bits
  // shift out).
  const t = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912));
  const k = f32x4.sub(t, f32x4.splat(12582912));
  let r = f32x4.sub(xc, f32x4.mul(k, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const two = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, two), under);
}
