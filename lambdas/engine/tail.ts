/**
 * Items outside the head of the closed form, fitted from the head model's states (see `fitTail`), and the state
 * of a training position that both this and calibration need.
 */
import type { Sequences } from './dataset';
import { cholesky, matmulTransA, solveLower, solveUpperT } from './linalg';

/** Ridge penalty of the tail output regression (on d-dimensional states, so much smaller than the head's). */
const TAIL_RIDGE = 1;
/** Alternations between tail output and input embeddings. */
const TAIL_ROUNDS = 2;

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
 * Items outside the head. Output: ridge regression of the item's indicator on the states that preceded it,
 *   q_j = (UᵀU + λI)⁻¹ Σ_{t: y_t = j} u_t,  with UᵀU = PᵀXᵀXP = (LᵀP)ᵀ(LᵀP) − λPᵀP over head positions.
 * Input: the mean output embedding of the items that followed it, scaled by the least-squares factor that maps
 * the same statistic onto P for head items.
 */
export function fitTail(
  seqs: Sequences,
  keep: Uint8Array,
  headPos: Int32Array,
  window: Float64Array,
  input: Float32Array,
  output: Float32Array,
  d: number,
  l: Float64Array,
  nx: number,
  pHead: Float64Array,
  r: number,
  ridge: number,
): void {
  const n = headPos.length;
  // LᵀP (nx × r): row i = Σ_{k ≥ i} L[k][i] P[k].
  const ltp = new Float64Array(nx * r);
  for (let kRow = 0; kRow < nx; kRow++) {
    for (let i = 0; i <= kRow; i++) {
      const lki = l[kRow * nx + i] as number;
      if (lki === 0) continue;
      for (let col = 0; col < r; col++) {
        ltp[i * r + col] = (ltp[i * r + col] as number) + lki * (pHead[kRow * r + col] as number);
      }
    }
  }
  const utu = matmulTransA(ltp, ltp, nx, r, r);
  const ptp = matmulTransA(pHead, pHead, nx, r, r);
  for (let i = 0; i < r * r; i++) utu[i] = (utu[i] as number) - ridge * (ptp[i] as number);
  for (let i = 0; i < r; i++) utu[i * r + i] = (utu[i * r + i] as number) + TAIL_RIDGE;
  cholesky(utu, r);

  const isTail = (i: number): boolean => (headPos[i] as number) < 0 && (seqs.itemCounts[i] as number) > 0;
  const tail: number[] = [];
  for (let i = 0; i < n; i++) if (isTail(i)) tail.push(i);
  const sums = new Float64Array(n * r);
  const successor = new Float64Array(n * r);
  const successorCount = new Float64Array(n);
  const u = new Float64Array(d);
  // Tail inputs and outputs depend on each other (a tail item's state may contain tail items), so two rounds.
  for (let round = 0; round < TAIL_ROUNDS; round++) {
    sums.fill(0);
    for (let user = 0; user < keep.length; user++) {
      if (!keep[user]) continue;
      const a = seqs.userOffsets[user] as number;
      const b = seqs.userOffsets[user + 1] as number;
      for (let t = a + 1; t < b; t++) {
        const y = seqs.itemSeq[t] as number;
        if (!isTail(y)) continue;
        stateAt(seqs, a, t, window, input, n, d, u);
        for (let col = 0; col < r; col++)
          sums[y * r + col] = (sums[y * r + col] as number) + (u[col] as number);
      }
    }
    // All tail items in one solve: column q of the r × |tail| right-hand side is tail item q's sum.
    const rhs = new Float64Array(r * tail.length);
    tail.forEach((i, q) => {
      for (let col = 0; col < r; col++) rhs[col * tail.length + q] = sums[i * r + col] as number;
    });
    solveLower(utu, r, rhs, tail.length);
    solveUpperT(utu, r, rhs, tail.length);
    tail.forEach((i, q) => {
      for (let col = 0; col < r; col++) output[i * d + col] = rhs[col * tail.length + q] as number;
    });

    successor.fill(0);
    successorCount.fill(0);
    for (let user = 0; user < keep.length; user++) {
      if (!keep[user]) continue;
      const a = seqs.userOffsets[user] as number;
      const b = seqs.userOffsets[user + 1] as number;
      for (let t = a + 1; t < b; t++) {
        const y = seqs.itemSeq[t] as number;
        const prev = seqs.itemSeq[t - 1] as number;
        for (let col = 0; col < r; col++) {
          successor[prev * r + col] = (successor[prev * r + col] as number) + (output[y * d + col] as number);
        }
        successorCount[prev] = (successorCount[prev] as number) + 1;
      }
    }
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
