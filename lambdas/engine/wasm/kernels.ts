/**
 * The engine's WebAssembly SIMD kernels (source: `assembly/kernels.ts`, bytes: `kernels.generated.ts`). Each thread
 * that imports this module compiles and instantiates its own copy on first use. The kernels work on matrices
 * copied into the instance's growable memory; {@link scratch} lays out that space for one call.
 */
import { KERNELS_WASM_BASE64 } from './kernels.generated';

// The project's `lib` has no WebAssembly typings (they ship with the DOM ones); this is the part used here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (limits: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
export const WASM = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The module's exports; pointers are byte addresses in `memory`, sizes count f64 elements. */
export interface KernelExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  transpose(src: number, lds: number, rows: number, cols: number, dst: number, ldd: number): void;
  packStrips(src: number, lds: number, rows: number, cols: number, dst: number): void;
  packStripsT(src: number, lds: number, rows: number, cols: number, dst: number): void;
  unpackStrips(src: number, rows: number, cols: number, dst: number, ldd: number): void;
  gemm(
    a: number,
    lda: number,
    b: number,
    ldb: number,
    k: number,
    cols: number,
    out: number,
    ldo: number,
    rows: number,
    tri: number,
    mode: number,
  ): void;
  solveLower(l: number, ldl: number, i0: number, i1: number, z: number, n: number, strips: number): void;
  solveUpperT(u: number, ldu: number, k0: number, k1: number, z: number, n: number, strips: number): void;
  factorPanel(p: number, bw: number, rows: number): number;
  orthonormalizeRow(y: number, n: number, j: number): void;
  tailStateSums(
    seq: number,
    offsets: number,
    keep: number,
    users: number,
    target: number,
    input: number,
    n: number,
    d: number,
    gamma: number,
    window: number,
    shortOut: number,
    c: number,
    eta: number,
    length: number,
    longOut: number,
    short: number,
    long: number,
    sums: number,
    r: number,
  ): void;
  followerSums(
    offsets: number,
    items: number,
    n: number,
    m: number,
    d: number,
    r: number,
    sums: number,
  ): void;
  softmaxMoments(y: number, offsets: number, samples: number, tau: number, out: number): void;
}

/** Columns per strip of a packed right-hand operand. */
export const STRIP = 8;
/** `gemm` modes: out = s, out −= s, out += s, and out = s continuing from the partial sum in out. */
export const STORE = 0;
export const SUBTRACT = 1;
export const ADD = 2;
export const CONTINUE = 3;
/** Size of one row block copied in at a time, so the scratch memory stays small next to the matrices. */
export const CHUNK_BYTES = 8 * 2 ** 20;
/**
 * Rows per kernel call. Short calls let V8 switch to the optimised code of a kernel soon after it is hot (it only
 * switches between calls) and keep a block's operands in cache.
 */
export const ROWS_PER_CALL = 64;
/** Inner-dimension block of a product (a block of B's strips stays in cache). */
export const K_BLOCK = 256;

const PAGE = 65536;
const WARM_UP_CALLS = 8;
let compiled: object | undefined;
let instance: KernelExports | undefined;

function kernels(): KernelExports {
  if (!instance) {
    compiled ??= new WASM.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    instance = new WASM.Instance(compiled, {}).exports as unknown as KernelExports;
    warmUp(instance);
  }
  return instance;
}

/**
 * V8 first runs a function's baseline code and swaps in the optimised code, compiled in the background once the
 * function is hot, only at a later call. A few small calls of each kernel (on zeroed memory, results unused) get
 * that compilation going before the first real call.
 */
function warmUp(k: KernelExports): void {
  const n = 64;
  const base = Math.ceil(k.heapBase() / 64) * 64;
  const bytes = 4 * n * n * 8;
  const have = k.memory.buffer.byteLength;
  if (base + bytes > have) k.memory.grow(Math.ceil((base + bytes - have) / PAGE));
  const heap = new Float64Array(k.memory.buffer);
  const [a, b, c, d] = [0, 1, 2, 3].map((q) => base + q * n * n * 8) as [number, number, number, number];
  for (let i = 0; i < n; i++) heap[a / 8 + i * n + i] = 1;
  for (let rep = 0; rep < WARM_UP_CALLS; rep++) {
    k.transpose(a, n, n, n, d, n);
    k.packStrips(a, n, n, n, b);
    k.packStripsT(a, n, n, n, b);
    k.unpackStrips(b, n, n, c, n);
    k.gemm(a, n, b, n, n, n, c, n, n, rep % 2 ? -1 : 0, rep % 4);
    k.solveLower(a, n, 0, n, b, n, n / STRIP);
    k.solveUpperT(a, n, 0, n, b, n, n / STRIP);
    heap.set(heap.subarray(a / 8, a / 8 + n * n), d / 8);
    k.factorPanel(d, n, n);
    for (let j = 0; j < 4; j++) k.orthonormalizeRow(c, n, j);
    warmUpTailStates(k, d);
    // Two samples of 64 values (offsets 0, 64, 128 after them).
    new Int32Array(k.memory.buffer, c + 512, 3).set([0, 64, 128]);
    k.softmaxMoments(c, c + 512, 2, 1, c + 1024);
  }
  heap.fill(0, base / 8, (base + bytes) / 8);
}

/**
 * One user of 64 events of item 0 (of one item, d = 8) through `tailStateSums`, in 1,344 bytes at `at` (zeroed
 * here): the pass's loops run, so the warm-up starts its compilation too.
 */
function warmUpTailStates(k: KernelExports, at: number): void {
  new Uint8Array(k.memory.buffer, at, 1344).fill(0);
  const words = new Int32Array(k.memory.buffer, at, 72);
  words[65] = 64; // offsets = [0, 64] after the 64 positions
  const flags = new Uint8Array(k.memory.buffer, at + 272, 2);
  flags[0] = 1; // keep[0]
  flags[1] = 1; // target[item 0]
  const [seq, offsets, keep, target, input, short, long, sums] = [
    0, 256, 272, 273, 512, 1024, 1152, 1280,
  ].map((offset) => at + offset) as [number, number, number, number, number, number, number, number];
  k.tailStateSums(
    seq,
    offsets,
    keep,
    1,
    target,
    input,
    1,
    8,
    0.5,
    2,
    0.25,
    0.1,
    0.9,
    3,
    0.07,
    short,
    long,
    sums,
    8,
  );
  // Item 0 followed 64 times by item 0 (the same offsets and positions).
  k.followerSums(offsets, seq, 1, input, 8, 8, sums);
}

/** A call's view of the kernels: byte offsets of its matrices and a Float64Array over the memory. */
export interface Scratch {
  readonly k: KernelExports;
  readonly heap: Float64Array;
  /** Byte addresses, one per requested size, 64-byte aligned. */
  readonly at: number[];
}

/** Reserves consecutive regions of the given sizes (f64 elements), growing the memory if needed. */
export function scratch(...sizes: number[]): Scratch {
  const k = kernels();
  const at: number[] = [];
  let top = Math.ceil(k.heapBase() / 64) * 64;
  for (const size of sizes) {
    at.push(top);
    top += Math.ceil((size * 8) / 64) * 64;
  }
  const have = k.memory.buffer.byteLength;
  if (top > have) k.memory.grow(Math.ceil((top - have) / PAGE));
  return { k, heap: new Float64Array(k.memory.buffer), at };
}

/** Number of strips that hold `cols` columns. */
export function strips(cols: number): number {
  return Math.ceil(cols / STRIP);
}

/** Rows per block: at most ROWS_PER_CALL, and `rows × width` f64 fit in CHUNK_BYTES (at least 2). */
export function chunkRows(width: number): number {
  return Math.max(2, Math.min(ROWS_PER_CALL, Math.floor(CHUNK_BYTES / 8 / Math.max(1, width))));
}
