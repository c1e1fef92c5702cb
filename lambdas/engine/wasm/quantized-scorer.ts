/**
 * The item matrix of a model, quantized to int8 with one scale per item, in its own WebAssembly instance (source:
 * `assembly/scoring.ts`), and the SIMD kernels that scan it: approximate logits of every item with a proven error
 * bound, and the softmax normaliser over a logit array.
 *
 * Quantization, per item j (int8) and per request for the user state u (int16):
 *   q̃_j = round(σ_j q_j),  σ_j = 127 / max_c |q_jc|,  b_j = f32(1 / σ_j),  q̂_j = b_j q̃_j,  r_j = q_j − q̂_j;
 *   ũ = round(σ_u u),  σ_u = min(32767 / max_c |u_c|, (L − √d/2) / ‖u‖₂),  L = (2³¹ − 1) / max_j ‖q̃_j‖₂,
 *   û = ũ / σ_u,  e_u = u − û.
 * ‖ũ‖₂ ≤ σ_u ‖u‖₂ + √d/2 ≤ L, so |Σ_c ũ_c q̃_jc| ≤ ‖ũ‖₂ ‖q̃_j‖₂ < 2³¹ (Cauchy–Schwarz) and the int32 sum of
 * `i32x4.dot_i16x8_s` is exact (intermediate wrap-around cancels); at d = 149 the int16 range, not L, sets σ_u. Then
 *   τ u·q_j = ẑ_j + δ_j,   ẑ_j = τ û·q̂_j,   δ_j = τ (u·r_j + e_u·q̂_j),
 * with, per item, |δ_j| ≤ |τ| (‖u‖₂ max_j ‖r_j‖₂ + ‖e_u‖₂ max_j ‖q̂_j‖₂) (before ẑ_j is rounded to f32), and over
 * all items at once, with R the n × d matrix of residuals and Q̂ that of the q̂_j,
 *   ‖δ‖₂ = |τ| ‖R u + Q̂ e_u‖₂ ≤ |τ| (√(uᵀ RᵀR u) + ‖e_u‖₂ ‖Q̂‖_F),
 * which is what bounds the normaliser (../model.ts). Rounding residuals point every way, so uᵀRᵀRu is about
 * ‖u‖² ‖R‖²_F / d, and ‖δ‖₂ about √(n/d) times the per-item bound rather than √n times. Only that reported bound
 * needs RᵀR (n·d²/2 products, most of what quantizing costs): it is summed once, when a bound is first asked for
 * ({@link QuantizedScorer.errorNormOf}), by quantizing the rows again into scratch space, so serving, which asks for
 * none, never pays it. Each instance's memory is sized once, at construction, so the typed-array views over it stay
 * valid.
 */
import { WASM, type WasmMemory } from './kernels';
import {
  MIN_SHARED_SEGMENTS,
  type ScanExports,
  type ScanLayout,
  ScanThreads,
  SUMMARY_BYTES,
  scanSegment,
} from './scan-threads';
import { SCORING_WASM_BASE64 } from './scoring.generated';

interface ScoringExports extends ScanExports {
  heapBase(): number;
  finishScan(
    stats: number,
    segments: number,
    q: number,
    scale: number,
    n: number,
    stride: number,
    u: number,
    factor: number,
    out: number,
    extremes: number,
  ): void;
  quantizeRows(
    q: number,
    rows: number,
    d: number,
    stride: number,
    qi: number,
    scale: number,
    residuals: number,
    ld: number,
    norms: number,
    stats: number,
  ): void;
  gramAdd(r: number, rows: number, d: number, ld: number, g: number): void;
  quadraticForm(g: number, d: number, ld: number, u: number): number;
  maxOf(p: number, n: number): number;
  expInto(p: number, n: number, dst: number): void;
  sumExp(p: number, n: number, shift: number, squares: number): number;
  candidates(
    p: number,
    n: number,
    k: number,
    margin: number,
    mask: number,
    heap: number,
    dst: number,
  ): number;
  boundedCandidates(
    p: number,
    n: number,
    k: number,
    c: number,
    un: number,
    ue: number,
    slack: number,
    r: number,
    s: number,
    mask: number,
    heap: number,
    dst: number,
  ): number;
}

const PAGE = 65536;
const INT16_LIMIT = 32767;
const INT32_LIMIT = 2 ** 31 - 1;
/** Rows quantized, and their residuals handed to `gramAdd`, per call. */
const GRAM_BLOCK = 256;
const WARM_UP_CALLS = 8;
/**
 * Blocks of four rows per segment of the scan (8,192 rows, 1.2 MB at d = 149): the unit threads claim, and the
 * order in which the normaliser's partial sums are combined, whatever the number of threads.
 */
const SEGMENT_BLOCKS = 2048;
/** Largest k of {@link QuantizedScorer.candidates}. */
export const MAX_K = 1024;
/**
 * Above this share of the catalog, {@link QuantizedScorer.narrowedCandidates} narrows by one pass of the kernel over
 * every item (12 bytes an item) rather than over the candidates in JavaScript (tens of nanoseconds each).
 */
const KERNEL_NARROWING_SHARE = 1 / 16;
let compiled: object | undefined;

/**
 * An instance of the scoring module over a new shared memory of at least `bytes` free bytes from `base` (the first
 * page holds the module's own data).
 */
function instantiate(bytes: number): { k: ScoringExports; memory: WasmMemory; module: object; base: number } {
  compiled ??= new WASM.Module(Buffer.from(SCORING_WASM_BASE64, 'base64'));
  const pages = 1 + Math.ceil(bytes / PAGE);
  const memory = new WASM.Memory({ initial: pages, maximum: pages, shared: true });
  const k = new WASM.Instance(compiled, { env: { memory } }).exports as unknown as ScoringExports;
  if (k.heapBase() > PAGE) throw new Error('the scoring module outgrew its first page');
  return { k, memory, module: compiled, base: PAGE };
}

function align(x: number): number {
  return Math.ceil(x / 64) * 64;
}

/** What a scan's ‖δ‖₂ bound needs: |τ|, ‖u‖₂, ‖e_u‖₂ (module comment) and u itself (the caller's array). */
export interface ScanState {
  readonly tau: number;
  readonly userNorm: number;
  readonly userError: number;
  readonly u: Float32Array;
}

/** Scratch addresses (absolute) and views for a block of rows being quantized. */
interface BlockScratch {
  readonly inputAt: number;
  readonly rowsAt: number;
  readonly scalesAt: number;
  readonly residualAt: number;
  readonly gramAt: number;
  readonly rowSumsAt: number;
  readonly statsAt: number;
  readonly input: Float32Array;
  readonly stats: Float64Array;
}

export class QuantizedScorer {
  readonly size: number;
  readonly dimension: number;
  /** Row length: d rounded up to a multiple of 8 (int8 per item row, int16 for the user state). */
  readonly stride: number;
  /** The approximate logits of the last {@link scan}, then whatever the caller writes there (view over memory). */
  readonly logits: Float32Array;
  /** max_j ‖r_j‖₂ and max_j ‖q̂_j‖₂. */
  readonly maxResidualNorm: number;
  readonly maxRowNorm: number;
  /** ‖Q̂‖_F = √(Σ_j ‖q̂_j‖²). */
  readonly frobeniusNorm: number;
  private readonly k: ScoringExports;
  private readonly qAt: number;
  private readonly scaleAt: number;
  private readonly uAt: number;
  private readonly outAt: number;
  private readonly tmpAt: number;
  private readonly extremesAt: number;
  private readonly statsAt: number;
  private readonly layout: ScanLayout;
  private readonly threads: ScanThreads | undefined;
  private readonly maskAt: number;
  private readonly heapAt: number;
  /** ‖r_j‖₂ and ‖q̂_j‖₂ per item (f32, the views {@link residualNorms} and {@link rowNorms}), and an f64 heap of k. */
  private readonly normsAt: number;
  private readonly boundHeapAt: number;
  private readonly mask: Uint8Array;
  private readonly picked: Int32Array;
  private readonly extremes: Float32Array;
  private readonly scanSums: Float64Array;
  private readonly u16: Int16Array;
  private readonly tmp: Float32Array;
  /** L of the module comment: the largest ‖ũ‖₂ the int32 sums allow. */
  private readonly userNormLimit: number;
  /** Where RᵀR (d × {@link ld}, row-major, zero-padded) and the user state as f64 are, for `quadraticForm`. */
  private readonly formAt: number;
  private readonly formUAt: number;
  private readonly formU: Float64Array;
  private readonly ld: number;
  /** Scratch for a block of rows quantized again (see {@link quantizeBlock}), apart from everything a request uses. */
  private readonly scratch: BlockScratch;
  /** The matrix as given, which {@link gram} quantizes again. */
  private readonly source: Float32Array;
  /** √(RᵀR)_cc, once {@link gram} has summed RᵀR. */
  private gramDiagonalRoots: Float64Array | undefined;
  /** Relative rounding of the f64 sums behind RᵀR (and of the quadratic form taken from it). */
  private readonly gramRounding: number;
  /** ‖r_j‖₂ and ‖q̂_j‖₂ per item, rounded up to f32: the per-item bounds of {@link narrow}. */
  private readonly residualNorms: Float32Array;
  private readonly rowNorms: Float32Array;
  /** |τ|, ‖u‖₂, ‖e_u‖₂ and u of the last {@link scan}. */
  private lastScan: ScanState = { tau: 0, userNorm: 0, userError: 0, u: new Float32Array(0) };

  /**
   * Quantizes the n × d row-major matrix q; {@link scan} shares its work among `threads` threads (the caller's
   * included) on large catalogs.
   */
  constructor(q: Float32Array, n: number, d: number, threads = 1) {
    if (q.length !== n * d) throw new Error('matrix must be n × d');
    this.size = n;
    this.dimension = d;
    const stride = Math.max(8, Math.ceil(d / 8) * 8);
    this.stride = stride;
    // Even row length for the f64 residual rows `gramAdd` reads two at a time.
    const ld = stride;
    // The int8 rows in blocks of four (the kernel's layout), the last block zero-padded.
    const blocks = Math.ceil(n / 4);
    this.qAt = 0;
    this.scaleAt = align(blocks * 4 * stride);
    this.uAt = this.scaleAt + align(blocks * 16);
    this.outAt = this.uAt + align(stride * 2);
    this.tmpAt = this.outAt + align(n * 4);
    this.extremesAt = this.tmpAt + align(n * 4);
    this.statsAt = this.extremesAt + 64;
    const segments = Math.ceil(Math.floor(n / 4) / SEGMENT_BLOCKS);
    // At least one summary, for the warm-up.
    this.maskAt = this.statsAt + align(Math.max(1, segments) * SUMMARY_BYTES);
    this.heapAt = this.maskAt + align(n);
    // RᵀR (d × ld, both triangles) and u as f64, for the quadratic form of a bound.
    this.formAt = this.heapAt + align(MAX_K * 4);
    this.formUAt = this.formAt + align(d * ld * 8);
    this.normsAt = this.formUAt + align(ld * 8);
    this.boundHeapAt = this.normsAt + 2 * align(n * 4);
    // Scratch for a block of input rows, their int8 rows, scales and residuals, and the residuals' Gram matrix.
    const inputAt = this.boundHeapAt + align(MAX_K * 8);
    const rowsAt = inputAt + align(GRAM_BLOCK * d * 4);
    const scalesAt = rowsAt + align(GRAM_BLOCK * stride);
    const residualAt = scalesAt + align(GRAM_BLOCK * 4);
    const gramAt = residualAt + align(GRAM_BLOCK * ld * 8);
    const rowSumsAt = gramAt + align(d * ld * 8);
    const statsAt = rowSumsAt + align(GRAM_BLOCK * 16);
    const end = statsAt + 64;
    const { k, memory, module, base } = instantiate(end);
    this.k = k;
    this.qAt += base;
    this.scaleAt += base;
    this.uAt += base;
    this.outAt += base;
    this.tmpAt += base;
    this.extremesAt += base;
    this.statsAt += base;
    this.maskAt += base;
    this.heapAt += base;
    this.normsAt += base;
    this.boundHeapAt += base;
    this.formAt += base;
    this.formUAt += base;
    const buffer = memory.buffer;
    this.ld = ld;
    this.source = q;
    this.scratch = {
      inputAt: inputAt + base,
      rowsAt: rowsAt + base,
      scalesAt: scalesAt + base,
      residualAt: residualAt + base,
      gramAt: gramAt + base,
      rowSumsAt: rowSumsAt + base,
      statsAt: statsAt + base,
      input: new Float32Array(buffer, inputAt + base, GRAM_BLOCK * d),
      stats: new Float64Array(buffer, statsAt + base, 4),
    };
    const { stats } = this.scratch;
    stats.fill(0);
    // ‖r_j‖² and ‖q̂_j‖² of each row of a block, as the kernel summed them for its maxima.
    const rowSums = new Float64Array(buffer, rowSumsAt + base, 2 * GRAM_BLOCK);
    this.residualNorms = new Float32Array(buffer, this.normsAt, n);
    this.rowNorms = new Float32Array(buffer, this.normsAt + align(n * 4), n);
    for (let j = 0; j < n; j += GRAM_BLOCK) {
      const rows = this.quantizeBlock(j, this.qAt + j * stride, this.scaleAt + 4 * j, 0);
      for (let row = 0; row < rows; row++) {
        this.residualNorms[j + row] = roundUp(Math.sqrt(rowSums[2 * row] as number));
        this.rowNorms[j + row] = roundUp(Math.sqrt(rowSums[2 * row + 1] as number));
      }
    }
    const [maxResidual, maxRow, maxQuantized, frobenius] = Array.from(stats);
    this.maxResidualNorm = Math.sqrt(maxResidual as number);
    this.maxRowNorm = Math.sqrt(maxRow as number);
    this.frobeniusNorm = Math.sqrt(frobenius as number) * (1 + 2 ** -40);
    this.userNormLimit =
      (maxQuantized as number) > 0 ? INT32_LIMIT / Math.sqrt(maxQuantized as number) : INT32_LIMIT;
    this.formU = new Float64Array(buffer, this.formUAt, ld);
    this.formU.fill(0);
    // Each entry is a sequential f64 sum of n products, the quadratic form one of d² more: γ_m = m·2⁻⁵³ / (1 − m·2⁻⁵³).
    this.gramRounding = 2 * (n + d * d + 4) * 2 ** -53;
    this.u16 = new Int16Array(buffer, this.uAt, stride);
    this.logits = new Float32Array(buffer, this.outAt, n);
    this.tmp = new Float32Array(buffer, this.tmpAt, n);
    this.extremes = new Float32Array(buffer, this.extremesAt, 5);
    this.scanSums = new Float64Array(buffer, this.extremesAt + 8, 3);
    this.mask = new Uint8Array(buffer, this.maskAt, n);
    this.mask.fill(0);
    // The candidates share the scratch array of `exp`.
    this.picked = new Int32Array(buffer, this.tmpAt, n);
    this.layout = {
      qAt: this.qAt,
      scaleAt: this.scaleAt,
      stride,
      uAt: this.uAt,
      outAt: this.outAt,
      statsAt: this.statsAt,
      blocks: Math.floor(n / 4),
      segmentBlocks: SEGMENT_BLOCKS,
      segments,
    };
    this.warmUp();
    this.threads =
      threads > 1 && segments >= MIN_SHARED_SEGMENTS
        ? new ScanThreads(threads, module, memory, this.layout, this)
        : undefined;
  }

  /** Threads the scan runs on now (the caller's included). */
  get scanThreads(): number {
    return this.threads?.active ? this.threads.threadCount : 1;
  }

  /** Settles once the scan's threads run (at once without threads). */
  async ready(): Promise<void> {
    await this.threads?.started;
  }

  /** How many of the last {@link scan}'s segments other threads scanned (0 without threads). */
  get sharedSegments(): number {
    return this.threads?.active ? this.layout.segments - this.threads.lastOwnSegments : 0;
  }

  /** Ends the scan's threads; later scans run on the calling thread. */
  async close(): Promise<void> {
    await this.threads?.close();
  }

  /**
   * V8 runs a WebAssembly function's baseline code first and swaps in the optimised code, compiled in the
   * background once the function is hot, only at a later call; a few calls on a few rows start that compilation
   * before the first request scans the whole matrix.
   */
  private warmUp(): void {
    const rows = Math.min(this.size, 64);
    for (let rep = 0; rep < WARM_UP_CALLS; rep++) {
      this.k.scanBlocks(
        this.qAt,
        this.scaleAt,
        0,
        rows >> 2,
        this.stride,
        this.uAt,
        1,
        this.outAt,
        this.statsAt,
      );
      this.k.finishScan(
        this.statsAt,
        1,
        this.qAt,
        this.scaleAt,
        rows,
        this.stride,
        this.uAt,
        1,
        this.outAt,
        this.extremesAt,
      );
      this.k.candidates(this.outAt, rows, 1, 0, this.maskAt, this.heapAt, this.tmpAt);
      this.k.boundedCandidates(
        this.outAt,
        rows,
        1,
        0,
        0,
        0,
        0,
        this.normsAt,
        this.normsAt + align(this.size * 4),
        this.maskAt,
        this.boundHeapAt,
        this.tmpAt,
      );
      this.k.sumExp(this.outAt, rows, this.k.maxOf(this.outAt, rows), this.extremesAt + 24);
    }
  }

  /**
   * ẑ_j = τ b_j ũ·q̃_j / σ_u into {@link logits} for every item; returns the bound on |δ_j| = |τ u·q_j − ẑ_j| before
   * ẑ_j's rounding to f32 (module comment). {@link scanMax} and {@link scanMaxAbs} then hold the largest ẑ_j and
   * |ẑ_j|, {@link scanSum} Σ_j exp(ẑ_j − {@link scanShift}) and {@link scanSquares} Σ_j exp(ẑ_j − scanShift)² by
   * the kernel's exp (as {@link sumExp} would give them), and {@link scanErrorNorm} the bound on ‖δ‖₂.
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
    const sigma =
      maxAbs > 0 ? Math.min(INT16_LIMIT / maxAbs, (this.userNormLimit - Math.sqrt(d) / 2) / uNorm) : 0;
    const a = sigma > 0 ? 1 / sigma : 0;
    let residual = 0;
    for (let c = 0; c < d; c++) {
      const x = u[c] as number;
      const v = Math.round(x * sigma);
      this.u16[c] = v;
      residual += (x - a * v) * (x - a * v);
    }
    const factor = tau * a;
    if (this.threads?.active) this.threads.run(this.k, factor);
    else for (let s = 0; s < this.layout.segments; s++) scanSegment(this.k, this.layout, s, factor);
    this.k.finishScan(
      this.statsAt,
      this.layout.segments,
      this.qAt,
      this.scaleAt,
      this.size,
      this.stride,
      this.uAt,
      factor,
      this.outAt,
      this.extremesAt,
    );
    const userError = Math.sqrt(residual);
    this.lastScan = { tau: Math.abs(tau), userNorm: uNorm, userError, u };
    return Math.abs(tau) * (uNorm * this.maxResidualNorm + userError * this.maxRowNorm);
  }

  /**
   * What the last {@link scan} was, for {@link errorNormOf} (which may be asked after later scans). It holds the
   * scanned u itself, not a copy, so that serving, which never asks for the bound, copies nothing: a caller that
   * reuses its buffer for the next state must copy this state's u before asking.
   */
  get scanState(): ScanState {
    return this.lastScan;
  }

  /** Whether RᵀR has been summed (by the first {@link errorNormOf}). */
  get hasGram(): boolean {
    return this.gramDiagonalRoots !== undefined;
  }

  /**
   * The bound on ‖δ‖₂ over all items of a scan (module comment), before the logits' f32 rounding. The first call
   * sums RᵀR.
   */
  errorNormOf(scan: ScanState): number {
    const roots = this.gram();
    const d = this.dimension;
    // uᵀ RᵀR u, and its rounding: |Δ(RᵀR)_ce| ≤ γ √((RᵀR)_cc (RᵀR)_ee) (Cauchy–Schwarz on each sum).
    let weighted = 0;
    for (let c = 0; c < d; c++) {
      this.formU[c] = scan.u[c] as number;
      weighted += Math.abs(scan.u[c] as number) * (roots[c] as number);
    }
    const form = this.k.quadraticForm(this.formAt, d, this.ld, this.formUAt);
    const ru = Math.sqrt(Math.max(0, form) + this.gramRounding * weighted * weighted);
    return scan.tau * (ru + scan.userError * this.frobeniusNorm) * (1 + 2 ** -40);
  }

  /**
   * Quantizes `GRAM_BLOCK` rows of the source from row `j` into the int8 rows at `rowsAt` and the scales at
   * `scalesAt`, their residuals at `residualAt` (none for 0), their squared norms into the scratch and their maxima
   * into the scratch's statistics; returns the count.
   */
  private quantizeBlock(j: number, rowsAt: number, scalesAt: number, residualAt: number): number {
    const { dimension: d, stride, ld, scratch } = this;
    const rows = Math.min(GRAM_BLOCK, this.size - j);
    scratch.input.set(this.source.subarray(j * d, (j + rows) * d));
    this.k.quantizeRows(
      scratch.inputAt,
      rows,
      d,
      stride,
      rowsAt,
      scalesAt,
      residualAt,
      ld,
      scratch.rowSumsAt,
      scratch.statsAt,
    );
    return rows;
  }

  /**
   * RᵀR in the quadratic form's matrix, summed on the first call from the rows quantized again (the same kernel on
   * the same input gives the same residuals, into the scratch rather than over the rows requests scan); returns
   * √(RᵀR)_cc.
   */
  private gram(): Float64Array {
    if (this.gramDiagonalRoots !== undefined) return this.gramDiagonalRoots;
    const { dimension: d, ld, scratch } = this;
    const buffer = this.scratch.input.buffer;
    const gramView = new Float64Array(buffer, scratch.gramAt, d * ld);
    gramView.fill(0);
    for (let j = 0; j < this.size; j += GRAM_BLOCK) {
      const rows = this.quantizeBlock(j, scratch.rowsAt, scratch.scalesAt, scratch.residualAt);
      this.k.gramAdd(scratch.residualAt, rows, d, ld, scratch.gramAt);
    }
    // The upper triangle, symmetrised into the quadratic form's matrix.
    const formMatrix = new Float64Array(buffer, this.formAt, d * ld);
    formMatrix.fill(0);
    for (let c = 0; c < d; c++) {
      for (let e = c; e < d; e++) {
        const v = gramView[c * ld + e] as number;
        formMatrix[c * ld + e] = v;
        formMatrix[e * ld + c] = v;
      }
    }
    this.gramDiagonalRoots = Float64Array.from({ length: d }, (_, c) =>
      Math.sqrt(formMatrix[c * ld + c] as number),
    );
    return this.gramDiagonalRoots;
  }

  /** Σ_j exp(ẑ_j − {@link scanShift})², summed by the last {@link scan} (or of the last {@link sumExp}'s terms). */
  get scanSquares(): number {
    return this.scanSums[2] as number;
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

  /**
   * Σ_j exp(logits_j − shift) (logits_j ≤ shift), each term in f32 with the kernel's exp, summed in f64; the sum of
   * the terms' squares is then in {@link scanSquares}.
   */
  sumExp(shift: number): number {
    return this.k.sumExp(this.outAt, this.size, shift, this.extremesAt + 24);
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

  /**
   * {@link candidates} for `margin` (twice the largest per-item bound, at least), narrowed by the per-item bounds
   * ({@link narrow}; `slack` as there): in JavaScript over the candidates where they are few, else by
   * {@link boundedCandidates}' one pass over the catalog, which gives the same set. Returns a new array, ascending.
   */
  narrowedCandidates(
    k: number,
    margin: number,
    excluded: Iterable<number>,
    largest: number,
    slack: number,
    blocked?: Uint8Array,
  ): Int32Array {
    const found = this.candidates(k, margin, excluded, largest, blocked);
    if (found.length <= k) return found.slice();
    if (found.length <= this.size * KERNEL_NARROWING_SHARE) return this.narrow(found, k, slack);
    return this.boundedCandidates(k, excluded, slack, blocked);
  }

  /**
   * {@link narrow}'s answer computed over every item at once, in one pass of the kernel: the indices outside
   * `excluded` and `blocked` with a finite logit whose upper bound logits_j + ε_j reaches T′ − 2⁻⁴⁰(|T′| + 1), T′
   * the k-th largest lower bound logits_j − ε_j over those items. Every item's ε_j is that of {@link narrow}, by the
   * same f64 arithmetic, and T′ is the same (the k largest lower bounds lie among `narrow`'s candidates), so the
   * set is the same. Returns a new array, ascending.
   */
  boundedCandidates(k: number, excluded: Iterable<number>, slack: number, blocked?: Uint8Array): Int32Array {
    if (!(k >= 1 && k <= MAX_K)) throw new Error(`k must be in [1, ${MAX_K}]`);
    const { tau, userNorm, userError } = this.lastScan;
    if (blocked !== undefined) this.mask.set(blocked.subarray(0, this.size));
    for (const j of excluded) this.mask[j] = 1;
    const count = this.k.boundedCandidates(
      this.outAt,
      this.size,
      k,
      (1 + 2 ** -20) * tau,
      userNorm,
      userError,
      slack,
      this.normsAt,
      this.normsAt + align(this.size * 4),
      this.maskAt,
      this.boundHeapAt,
      this.tmpAt,
    );
    if (blocked !== undefined) this.mask.fill(0);
    else for (const j of excluded) this.mask[j] = 0;
    return this.picked.slice(0, count);
  }

  /**
   * Narrows {@link candidates}' answer with per-item bounds. Given exact values x_j within ε_j = (1 + 2⁻²⁰)|τ|(‖u‖₂
   * ‖r_j‖₂ + ‖e_u‖₂ ‖q̂_j‖₂) + `slack` of logits_j (the per-item form of {@link scan}'s bound, `slack` the caller's
   * further terms), and `found` = the candidates for a margin of twice the largest ε_j: the k largest x_j are among
   * the returned indices. (The k items with the largest lower bounds logits_j − ε_j have x ≥ T′, the k-th largest of
   * them; an item in the top k has x ≥ T′, so logits_j + ε_j ≥ T′. Items outside `found` have lower bounds below
   * T − 2ε ≤ T′, T the k-th largest logit, so T′ is the same over `found` as over every item.) On flat
   * distributions most of the catalog lies within twice the largest bound of the k-th logit, while the items with
   * small vectors, usually the bulk of the catalog, have far smaller bounds. Returns a new array, ascending.
   */
  narrow(found: Int32Array, k: number, slack: number): Int32Array {
    if (found.length <= k) return found;
    const { tau, userNorm, userError } = this.lastScan;
    const m = found.length;
    // Each candidate's bound, and its lower bound in an array of its own (kthLargest reorders it).
    const bounds = new Float64Array(m);
    const lower = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const j = found[i] as number;
      const b =
        (1 + 2 ** -20) *
          tau *
          (userNorm * (this.residualNorms[j] as number) + userError * (this.rowNorms[j] as number)) +
        slack;
      bounds[i] = b;
      lower[i] = (this.logits[j] as number) - b;
    }
    const threshold = kthLargest(lower, k);
    // Widened by a relative 2⁻⁴⁰ for the f64 arithmetic of the bounds.
    const floor = threshold - 2 ** -40 * (Math.abs(threshold) + 1);
    const kept = new Int32Array(m);
    let count = 0;
    for (let i = 0; i < m; i++) {
      const j = found[i] as number;
      if ((this.logits[j] as number) + (bounds[i] as number) >= floor) kept[count++] = j;
    }
    return kept.slice(0, count);
  }

  /** The kernel's f32 exp of each x ≤ 0 (for tests of its accuracy); the result is reused by the next call. */
  exp(x: Float32Array): Float32Array {
    if (x.length > this.size) throw new Error('at most size values');
    this.logits.set(x);
    this.k.expInto(this.outAt, x.length, this.tmpAt);
    return this.tmp.subarray(0, x.length);
  }
}

/** The smallest f32 not below x (x ≥ 0). */
function roundUp(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : Math.fround(x * (1 + 2 ** -23));
}

/** The k-th largest value (1-based) of `a` (reordered in place), by quickselect. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) > pivot) i++;
      while ((a[j] as number) < pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target] as number;
}
