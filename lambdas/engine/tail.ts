/**
 * Items outside the head of the closed form, fitted from the head model's states (see `fitTail`), and the state
 * of a training position that both this and calibration need.
 */
import type { Sequences } from './dataset';
import type { HistoryCurve } from './history-weights';
import { cholesky } from './linalg';
import type { ParallelRunner } from './train';
import { scratch } from './wasm/kernels';

/** Ridge penalty of the tail output regression (on d-dimensional states, so much smaller than the head's). */
const TAIL_RIDGE = 1;
/** Alternations between tail output and input embeddings. */
export const TAIL_ROUNDS = 2;

/** The state u = xᵀP of the history ending before position t (exclusive), written into `u`. */
export function stateAt(
  seqs: Sequences,
  userStart: number,
  t: number,
  window: Float64Array,
  input: Float32Array,
  n: number,
  d: number,
  u: Float64Array,
): void {
  for (let col = 0; col < d; col++) u[col] = input[n * d + col] as number;
  for (let kk = 1; kk <= window.length && t - kk >= userStart; kk++) {
    const row = (seqs.itemSeq[t - kk] as number) * d;
    const w = window[kk - 1] as number;
    for (let col = 0; col < d; col++) u[col] = (u[col] as number) + w * (input[row + col] as number);
  }
}

/**
 * Σ, over the kept users' positions t ≥ 1 whose item is a target (`targets`, 1 per item), of the first r entries of
 * the state before t, added into row y_t of `sums` (n × r): the states are carried from one position to the next
 * instead of summed anew, with the curve w_k = γ^(k−1)[k ≤ W] + c η^(k−1)[k ≤ K],
 *   S_{t+1} = γ S_t + p_{s_t} − γ^W p_{s_{t−W}},   L_{t+1} = η L_t + c p_{s_t} − c η^K p_{s_{t−K}},
 * u_t = p_ctx + S_t + L_t, so a position costs O(d) rather than O(K·d). The pass is the `tailStateSums` kernel; the
 * data is copied into its memory for the call.
 */
export function tailStateSums(
  seqs: Sequences,
  keep: Uint8Array,
  targets: Uint8Array,
  curve: HistoryCurve,
  length: number,
  input: Float32Array,
  n: number,
  d: number,
  sums: Float64Array,
  r: number,
): void {
  const positions = seqs.itemSeq.length;
  const users = keep.length;
  const half = (count: number) => Math.ceil(count / 2);
  const { k, at } = scratch(
    half(positions),
    half(users + 1),
    Math.ceil(users / 8),
    Math.ceil(n / 8),
    half(input.length),
    d,
    d,
    n * r,
  );
  const [seqAt, offsetsAt, keepAt, targetsAt, inputAt, shortAt, longAt, sumsAt] = at as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const buffer = k.memory.buffer;
  new Int32Array(buffer, seqAt, positions).set(seqs.itemSeq);
  new Int32Array(buffer, offsetsAt, users + 1).set(seqs.userOffsets.subarray(0, users + 1));
  new Uint8Array(buffer, keepAt, users).set(keep);
  new Uint8Array(buffer, targetsAt, n).set(targets.subarray(0, n));
  new Float32Array(buffer, inputAt, input.length).set(input);
  const out = new Float64Array(buffer, sumsAt, n * r);
  out.set(sums);
  const { shortDecay: gamma, window, longWeight: c, longDecay: eta } = curve;
  k.tailStateSums(
    seqAt,
    offsetsAt,
    keepAt,
    users,
    targetsAt,
    inputAt,
    n,
    d,
    gamma,
    window,
    gamma ** window,
    c,
    eta,
    length,
    c * eta ** length,
    shortAt,
    longAt,
    sumsAt,
    r,
  );
  sums.set(out);
}

/** Item i's followers are items[offsets[i] .. offsets[i + 1]). */
export interface Followers {
  readonly offsets: Int32Array;
  readonly items: Int32Array;
}

/** The items that followed each item in the kept users' sequences (CSR by item, in sequence order). */
export function followers(seqs: Sequences, keep: Uint8Array, n: number): Followers {
  const offsets = new Int32Array(n + 1);
  const each = (visit: (prev: number, y: number) => void): void => {
    for (let user = 0; user < keep.length; user++) {
      if (!keep[user]) continue;
      const b = seqs.userOffsets[user + 1] as number;
      for (let t = (seqs.userOffsets[user] as number) + 1; t < b; t++)
        visit(seqs.itemSeq[t - 1] as number, seqs.itemSeq[t] as number);
    }
  };
  each((prev) => {
    offsets[prev + 1] = (offsets[prev + 1] as number) + 1;
  });
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i + 1] as number) + (offsets[i] as number);
  const items = new Int32Array(offsets[n] as number);
  const fill = offsets.slice(0, n);
  each((prev, y) => {
    items[fill[prev] as number] = y;
    fill[prev] = (fill[prev] as number) + 1;
  });
  return { offsets, items };
}

/**
 * Row i of `sums` (n × r) = Σ of the first r entries of `m`'s rows (of d) of item i's followers, in their order:
 * the `followerSums` kernel, on copies in its memory.
 */
export function followerSums(
  next: Followers,
  m: Float32Array,
  n: number,
  d: number,
  sums: Float64Array,
  r: number,
): void {
  const half = (count: number) => Math.ceil(count / 2);
  const { k, at } = scratch(half(n + 1), half(next.items.length), half(m.length), n * r);
  const [offsetsAt, itemsAt, mAt, sumsAt] = at as [number, number, number, number];
  const buffer = k.memory.buffer;
  new Int32Array(buffer, offsetsAt, n + 1).set(next.offsets);
  new Int32Array(buffer, itemsAt, next.items.length).set(next.items);
  new Float32Array(buffer, mAt, m.length).set(m);
  k.followerSums(offsetsAt, itemsAt, n, mAt, d, r, sumsAt);
  sums.set(new Float64Array(buffer, sumsAt, n * r));
}

/**
 * Items outside the head. Output: ridge regression of the item's indicator on the states that preceded it,
 *   q_j = (UᵀU + λI)⁻¹ Σ_{t: y_t = j} u_t,  with UᵀU (`statesGram`, r × r) = PᵀXᵀXP over head positions.
 * Input: the mean output embedding of the items that followed it, scaled by the least-squares factor that maps
 * the same statistic onto P for head items.
 */
export async function fitTail(
  seqs: Sequences,
  keep: Uint8Array,
  headPos: Int32Array,
  curve: HistoryCurve,
  window: Float64Array,
  input: Float32Array,
  output: Float32Array,
  d: number,
  statesGram: Float64Array,
  r: number,
  parallel: ParallelRunner,
  rounds: number = TAIL_ROUNDS,
): Promise<void> {
  const n = headPos.length;
  const utu = Float64Array.from(statesGram);
  for (let i = 0; i < r; i++) utu[i * r + i] = (utu[i * r + i] as number) + TAIL_RIDGE;
  cholesky(utu, r);

  const isTail = (i: number): boolean => (headPos[i] as number) < 0 && (seqs.itemCounts[i] as number) > 0;
  const tail: number[] = [];
  for (let i = 0; i < n; i++) if (isTail(i)) tail.push(i);
  const sums = new Float64Array(n * r);
  const successor = new Float64Array(n * r);
  const next = followers(seqs, keep, n);
  const successorCount = Float64Array.from(
    { length: n },
    (_, i) => (next.offsets[i + 1] as number) - (next.offsets[i] as number),
  );
  const targets = new Uint8Array(n);
  for (const i of tail) targets[i] = 1;
  // Tail inputs and outputs depend on each other (a tail item's state may contain tail items), so two rounds.
  for (let round = 0; round < rounds; round++) {
    sums.fill(0);
    tailStateSums(seqs, keep, targets, curve, window.length, input, n, d, sums, r);
    // All tail items in one solve: column q of the r × |tail| right-hand side is tail item q's sum.
    const rhs = parallel.alloc(r * tail.length);
    tail.forEach((i, q) => {
      for (let col = 0; col < r; col++) rhs[col * tail.length + q] = sums[i * r + col] as number;
    });
    await parallel.solveColumns(utu, r, rhs, tail.length);
    tail.forEach((i, q) => {
      for (let col = 0; col < r; col++) output[i * d + col] = rhs[col * tail.length + q] as number;
    });

    followerSums(next, output, n, d, successor, r);
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      if ((headPos[i] as number) < 0 || !(successorCount[i] as number)) continue;
      const inv = 1 / (successorCount[i] as number);
      for (let col = 0; col < r; col++) {
        const s = (successor[i * r + col] as number) * inv;
        num += s * (input[i * d + col] as number);
        den += s * s;
      }
    }
    const scale = den > 0 ? num / den : 0;
    for (let i = 0; i < n; i++) {
      const cnt = successorCount[i] as number;
      if (!isTail(i) || cnt === 0) continue;
      for (let col = 0; col < r; col++)
        input[i * d + col] = (scale * (successor[i * r + col] as number)) / cnt;
    }
  }
}
