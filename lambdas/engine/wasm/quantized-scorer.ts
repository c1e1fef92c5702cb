/**
 * The item matrix of a model, quantized to int16 with one scale per item, in its own WebAssembly instance (source:
 * `assembly/scoring.ts`), and the SIMD kernels that scan it: approximate logits of every item with a proven error
 * bound, and the softmax normaliser over a logit array.
 *
 * Quantization (per item j, and per request for the user state u):
 *   q̃_j = round(σ_j q_j),  σ_j = min(32767 / max_c |q_jc|, (L − √d/2) / ‖q_j‖₂),  b_j = f32(1 / σ_j),
 *   q̂_j = b_j q̃_j,  r_j = q_j − q̂_j;   the same for u with scale a and residual e_u (u = a ũ + e_u).
 * With L = 46334 both ‖q̃_j‖₂ and ‖ũ‖₂ stay ≤ L, so |Σ_c ũ_c q̃_jc| ≤ L² < 2³¹ (Cauchy–Schwarz) and the int32 sum of
 * `i32x4.dot_i16x8_s` is exact (intermediate wrap-around cancels). Then
 *   τ u·q_j = τ a b_j ũ·q̃_j + τ (u·r_j + e_u·q̂_j),   so   |τ u·q_j − ẑ_j| ≤ τ (‖u‖₂ max_j ‖r_j‖₂ + ‖e_u‖₂ max_j ‖q̂_j‖₂)
 * before ẑ_j is rounded to f32. Each instance's memory is sized once, at construction, so the typed-array views
 * over it stay valid.
 */
import { WASM, type WasmMemory } from './kernels';
import { SCORING_WASM_BASE64 } from './scoring.generated';

interface ScoringExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  scan(
    q: number,
    scale: number,
    n: number,
    stride: number,
    u: number,
    factor: number,
    out: number,
    extremes: number,
  ): void;
  maxOf(p: number, n: number): number;
  expInto(p: number, n: number, dst: number): void;
  sumExp(p: number, n: number, shift: number): number;
  candidates(
    p: number,
    n: number,
    k: number,
    margin: number,
    mask: number,
    heap: number,
    dst: number,
  ): number;
}

const PAGE = 65536;
/** Bound on ‖q̃‖₂ and ‖ũ‖₂ (L² < 2³¹). */
const NORM_LIMIT = 46334;
const INT16_LIMIT = 32767;
const WARM_UP_CALLS = 8;
/** Largest k of {@link QuantizedScorer.candidates}. */
export const MAX_K = 1024;
let compiled: object | undefined;

function instantiate(bytes: number): { k: ScoringExports; base: number } {
  compiled ??= new WASM.Module(Buffer.from(SCORING_WASM_BASE64, 'base64'));
  const k = new WASM.Instance(compiled, {}).exports as unknown as ScoringExports;
  const base = Math.ceil(k.heapBase() / 64) * 64;
  const have = k.memory.buffer.byteLength;
  if (base + bytes > have) k.memory.grow(Math.ceil((base + bytes - have) / PAGE));
  return { k, base };
}

/** The scale σ of a vector with this largest |x| and L2 norm (0 for the zero vector). */
function quantScale(maxAbs: number, norm: number, d: number): number {
  if (!(maxAbs > 0)) return 0;
  return Math.min(INT16_LIMIT / maxAbs, (NORM_LIMIT - Math.sqrt(d) / 2) / norm);
}

function align(x: number): number {
  return Math.ceil(x / 64) * 64;
}

export class QuantizedScorer {
  readonly size: number;
  readonly dimension: number;
  /** Row length in int16: d rounded up to a multiple of 8. */
  readonly stride: number;
  /** The approximate logits of the last {@link scan}, then whatever the caller writes there (view over memory). */
  readonly logits: Float32Array;
  /** max_j ‖r_j‖₂ and max_j ‖q̂_j‖₂. */
  readonly maxResidualNorm: number;
  readonly maxRowNorm: number;
  private readonly k: ScoringExports;
  private readonly qAt: number;
  private readonly scaleAt: number;
  private readonly uAt: number;
  private readonly outAt: number;
  private readonly tmpAt: number;
  private readonly extremesAt: number;
  private readonly maskAt: number;
  private readonly heapAt: number;
  private readonly mask: Uint8Array;
  private readonly picked: Int32Array;
  private readonly extremes: Float32Array;
  private readonly scanSums: Float64Array;
  private readonly u16: Int16Array;
  private readonly tmp: Float32Array;

  /** Quantizes the n × d row-major matrix q. */
  constructor(q: Float32Array, n: number, d: number) {
    if (q.length !== n * d) throw new Error('matrix must be n × d');
    this.size = n;
    this.dimension = d;
    const stride = Math.max(8, Math.ceil(d / 8) * 8);
    this.stride = stride;
    this.qAt = 0;
    this.scaleAt = align(n * stride * 2);
    this.uAt = this.scaleAt + align(n * 4);
    this.outAt = this.uAt + align(stride * 2);
    this.tmpAt = this.outAt + align(n * 4);
    this.extremesAt = this.tmpAt + align(n * 4);
    this.maskAt = this.extremesAt + 64;
    this.heapAt = this.maskAt + align(n);
    const { k, base } = instantiate(this.heapAt + align(MAX_K * 4));
    this.k = k;
    this.qAt += base;
    this.scaleAt += base;
    this.uAt += base;
    this.outAt += base;
    this.tmpAt += base;
    this.extremesAt += base;
    this.maskAt += base;
    this.heapAt += base;
    const buffer = k.memory.buffer;
    const qi = new Int16Array(buffer, this.qAt, n * stride);
    const scales = new Float32Array(buffer, this.scaleAt, n);
    let maxResidual = 0;
    let maxRow = 0;
    for (let j = 0, row = 0; j < n; j++, row += d) {
      let maxAbs = 0;
      let sq = 0;
      for (let c = 0; c < d; c++) {
        const x = q[row + c] as number;
        sq += x * x;
        if (Math.abs(x) > maxAbs) maxAbs = Math.abs(x);
      }
      const sigma = quantScale(maxAbs, Math.sqrt(sq), d);
      const b = Math.fround(sigma > 0 ? 1 / sigma : 0);
      scales[j] = b;
      let residual = 0;
      let rowNorm = 0;
      for (let c = 0; c < d; c++) {
        const x = q[row + c] as number;
        const v = Math.round(x * sigma);
        qi[j * stride + c] = v;
        const back = b * v;
        residual += (x - back) * (x - back);
        rowNorm += back * back;
      }
      if (residual > maxResidual) maxResidual = residual;
      if (rowNorm > maxRow) maxRow = rowNorm;
    }
    this.maxResidualNorm = Math.sqrt(maxResidual);
    this.maxRowNorm = Math.sqrt(maxRow);
    this.u16 = new Int16Array(buffer, this.uAt, stride);
    this.logits = new Float32Array(buffer, this.outAt, n);
    this.tmp = new Float32Array(buffer, this.tmpAt, n);
    this.extremes = new Float32Array(buffer, this.extremesAt, 5);
    this.scanSums = new Float64Array(buffer, this.extremesAt + 8, 1);
    this.mask = new Uint8Array(buffer, this.maskAt, n);
    // The candidates share the scratch array of `exp`.
    this.picked = new Int32Array(buffer, this.tmpAt, n);
    this.warmUp();
  }

  /**
   * V8 runs a WebAssembly function's baseline code first and swaps in the optimised code, compiled in the
   * background once the function is hot, only at a later call; a few calls on a few rows start that compilation
   * before the first request scans the whole matrix.
   */
  private warmUp(): void {
    const rows = Math.min(this.size, 64);
    for (let rep = 0; rep < WARM_UP_CALLS; rep++) {
      this.k.scan(this.qAt, this.scaleAt, rows, this.stride, this.uAt, 1, this.outAt, this.extremesAt);
      this.k.candidates(this.outAt, rows, 1, 0, this.maskAt, this.heapAt, this.tmpAt);
      this.k.sumExp(this.outAt, rows, this.k.maxOf(this.outAt, rows));
    }
  }

  /**
   * ẑ_j = τ a b_j ũ·q̃_j into {@link logits} for every item; returns the bound on |τ u·q_j − ẑ_j| before ẑ_j's
   * rounding to f32 (module comment). {@link scanMax} and {@link scanMaxAbs} then hold the largest ẑ_j and |ẑ_j|,
   * and {@link scanSum} Σ_j exp(ẑ_j − {@link scanShift}) by the kernel's exp (as {@link sumExp} would give it).
   */
  scan(u: Float32Array, tau: number): number {
    const d = this.dimension;
    let maxAbs = 0;
    let sq = 0;
    for (let c = 0; c < d; c++) {
      const x = u[c] as number;
      sq += x * x;
      if (Math.abs(x) > maxAbs) maxAbs = Math.abs(x);
    }
    const uNorm = Math.sqrt(sq);
    const sigma = quantScale(maxAbs, uNorm, d);
    const a = sigma > 0 ? 1 / sigma : 0;
    let residual = 0;
    for (let c = 0; c < d; c++) {
      const x = u[c] as number;
      const v = Math.round(x * sigma);
      this.u16[c] = v;
      residual += (x - a * v) * (x - a * v);
    }
    this.k.scan(
      this.qAt,
      this.scaleAt,
      this.size,
      this.stride,
      this.uAt,
      tau * a,
      this.outAt,
      this.extremesAt,
    );
    return Math.abs(tau) * (uNorm * this.maxResidualNorm + Math.sqrt(residual) * this.maxRowNorm);
  }

  get scanMax(): number {
    return this.extremes[0] as number;
  }

  get scanMaxAbs(): number {
    return this.extremes[1] as number;
  }

  get scanSum(): number {
    return this.scanSums[0] as number;
  }

  get scanShift(): number {
    return this.extremes[4] as number;
  }

  /** The largest entry of {@link logits} now (−∞ when all are). */
  max(): number {
    return this.k.maxOf(this.outAt, this.size);
  }

  /** Σ_j exp(logits_j − shift) (logits_j ≤ shift), each term in f32 with the kernel's exp, summed in f64. */
  sumExp(shift: number): number {
    return this.k.sumExp(this.outAt, this.size, shift);
  }

  /**
   * Candidates for re-ranking {@link logits} exactly: given exact values x_j with |x_j − logits_j| ≤ ε for every
   * j, the k largest x_j outside `excluded` are among the returned indices when margin ≥ 2ε. (Each of the k items
   * with the largest logits has x ≥ T − ε, T the k-th largest logit, so the k-th largest x is ≥ T − ε too; an item
   * with that large an x has a logit ≥ T − 2ε.) Returns, ascending, the indices outside `excluded` with a finite
   * logit ≥ T − margin (all of them when fewer than k); the view is reused by the next call. `largest` bounds
   * every finite |logit|; `blocked` (1 = excluded) adds to `excluded`.
   */
  candidates(
    k: number,
    margin: number,
    excluded: Iterable<number>,
    largest: number,
    blocked?: Uint8Array,
  ): Int32Array {
    if (!(k >= 1 && k <= MAX_K)) throw new Error(`k must be in [1, ${MAX_K}]`);
    if (blocked !== undefined) this.mask.set(blocked.subarray(0, this.size));
    for (const j of excluded) this.mask[j] = 1;
    // The kernel subtracts the margin in f32: widen it by that rounding (|T| ≤ the largest |logit|).
    const widened = margin * (1 + 2 ** -20) + 2 ** -22 * (largest + margin);
    const count = this.k.candidates(this.outAt, this.size, k, widened, this.maskAt, this.heapAt, this.tmpAt);
    if (blocked !== undefined) this.mask.fill(0);
    else for (const j of excluded) this.mask[j] = 0;
    return this.picked.subarray(0, count);
  }

  /** The kernel's f32 exp of each x ≤ 0 (for tests of its accuracy); the result is reused by the next call. */
  exp(x: Float32Array): Float32Array {
    if (x.length > this.size) throw new Error('at most size values');
    this.logits.set(x);
    this.k.expInto(this.outAt, x.length, this.tmpAt);
    return this.tmp.subarray(0, x.length);
  }
}
