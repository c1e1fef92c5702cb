/**
 * The softmax inverse temperature τ of the "new item" part of the model: the value maximising the mean
 * log-likelihood of the next item under
 *   softmax_{j ∉ H}(τ (u·q_j + ρ P(j | previous item)))
 * on a seeded sample of training positions whose next item is not in the history H (the repeat part of the model
 * scores the others). The successor probabilities leave the sampled transition out. The objective is concave in τ
 * (its second derivative is −Var_p(z)), so damped Newton steps from τ = 1 converge. Returns τ and β = τ ρ.
 */
import type { Sequences } from './dataset';
import type { Random } from './random';
import { HistoryCells } from './repeat';
import { SUCCESSOR_SMOOTHING, type SuccessorTable } from './successors';
import { stateAt } from './tail';
import type { ParallelRunner } from './train';
import { scratch } from './wasm/kernels';

/** Positions sampled at most. */
const CALIBRATION_POSITIONS = 2048;
/** Multiply-adds the sample may cost (positions × items × d). */
const CALIBRATION_BUDGET = 1e8;
/** Items whose output embeddings are multiplied with the sampled states at a time (bounds the f64 copy). */
const ITEM_BLOCK = 8192;

export async function calibrateScores(
  seqs: Sequences,
  keep: Uint8Array,
  w: Float64Array,
  input: Float32Array,
  output: Float32Array,
  d: number,
  rho: number,
  table: SuccessorTable,
  random: Random,
  parallel: ParallelRunner,
): Promise<{ temperature: number; transitionWeight: number }> {
  const n = seqs.items.size;
  const budget = Math.max(
    32,
    Math.min(CALIBRATION_POSITIONS, Math.floor(CALIBRATION_BUDGET / Math.max(1, n * d))),
  );
  const candidates: number[] = [];
  for (let user = 0; user < keep.length; user++) {
    if (keep[user] && (seqs.userOffsets[user + 1] as number) - (seqs.userOffsets[user] as number) >= 2)
      candidates.push(user);
  }
  const history = new HistoryCells(n);
  /** Per sampled position: its next item, the item before it and the items of its history. */
  const samples: { y: number; prev: number; seen: Int32Array }[] = [];
  const states: number[] = [];
  const u = new Float64Array(d);
  const attempts = budget * 4;
  for (let s = 0; s < attempts && samples.length < budget && candidates.length > 0; s++) {
    const user = candidates[random.nextInt(candidates.length)] as number;
    const a = seqs.userOffsets[user] as number;
    const b = seqs.userOffsets[user + 1] as number;
    const t = a + 1 + random.nextInt(b - a - 1);
    const y = seqs.itemSeq[t] as number;
    history.read(
      t - a,
      (k) => seqs.itemSeq[t - 1 - k] as number,
      () => 0,
      1,
    );
    const seen = history.items.slice(0, history.size);
    if (seen.includes(y)) continue;
    stateAt(seqs, a, t, w, input, n, d, u);
    for (let col = 0; col < d; col++) states.push(u[col] as number);
    samples.push({ y, prev: seqs.itemSeq[t - 1] as number, seen });
  }
  // z_s = Q u_s for every sample at once: Q's rows (items) by blocks times Uᵀ (d × samples).
  const m = samples.length;
  const ut = parallel.alloc(d * m);
  for (let s = 0; s < m; s++)
    for (let col = 0; col < d; col++) ut[col * m + s] = states[s * d + col] as number;
  const logits = samples.map(() => new Float32Array(n));
  for (let j0 = 0; j0 < n && m > 0; j0 += ITEM_BLOCK) {
    const j1 = Math.min(n, j0 + ITEM_BLOCK);
    const q = parallel.alloc((j1 - j0) * d);
    q.set(output.subarray(j0 * d, j1 * d));
    const block = await parallel.matmulRows(q, ut, j1 - j0, d, m);
    logits.forEach((z, s) => {
      for (let j = j0; j < j1; j++) z[j] = block[(j - j0) * m + s] as number;
    });
  }
  samples.forEach(({ y, prev, seen }, s) => {
    const z = logits[s] as Float32Array;
    const e0 = table.offsets[prev] as number;
    const e1 = table.offsets[prev + 1] as number;
    const denom = (table.totals[prev] as number) - 1 + SUCCESSOR_SMOOTHING;
    for (let e = e0; e < e1; e++) {
      const j = table.items[e] as number;
      z[j] = (z[j] as number) + (rho * ((table.counts[e] as number) - (j === y ? 1 : 0))) / denom;
    }
    for (const j of seen) z[j] = Number.NEGATIVE_INFINITY;
  });
  const targets = samples.map((x) => x.y);
  const tau = fitTemperature(logits, targets);
  return { temperature: tau, transitionWeight: tau * rho };
}

/**
 * argmax_τ Σ_s log softmax(τ z_s)[target_s] by damped Newton steps; −∞ logits are excluded items. Each sample's
 * finite logits are shifted by their maximum once (y = z − max z, which changes neither the softmax nor the
 * gradient z_target − E_p[z] = y_target − E_p[y]) and copied into the kernels' memory, where a step's sums of
 * e^{τy}, y e^{τy} and y² e^{τy} are one `softmaxMoments` call (exp in f32, sums in f64).
 */
export function fitTemperature(logits: readonly Float32Array[], targets: readonly number[]): number {
  let tau = 1;
  if (logits.length === 0) return tau;
  const m = logits.length;
  const maxima = new Float64Array(m);
  const offsets = new Int32Array(m + 1);
  logits.forEach((z, s) => {
    let max = Number.NEGATIVE_INFINITY;
    let finite = 0;
    for (let j = 0; j < z.length; j++) {
      const zj = z[j] as number;
      if (zj !== Number.NEGATIVE_INFINITY) {
        finite++;
        if (zj > max) max = zj;
      }
    }
    maxima[s] = max;
    offsets[s + 1] = (offsets[s] as number) + finite;
  });
  const total = offsets[m] as number;
  const { k, at } = scratch(Math.ceil(total / 2), Math.ceil((m + 1) / 2), 3 * m);
  const [yAt, offsetsAt, momentsAt] = at as [number, number, number];
  const y = new Float32Array(k.memory.buffer, yAt, total);
  logits.forEach((z, s) => {
    const max = maxima[s] as number;
    let p = offsets[s] as number;
    for (let j = 0; j < z.length; j++) if (z[j] !== Number.NEGATIVE_INFINITY) y[p++] = (z[j] as number) - max;
  });
  new Int32Array(k.memory.buffer, offsetsAt, m + 1).set(offsets);
  const moments = new Float64Array(k.memory.buffer, momentsAt, 3 * m);
  for (let it = 0; it < 60; it++) {
    k.softmaxMoments(yAt, offsetsAt, m, tau, momentsAt);
    let grad = 0;
    let hess = 0;
    for (let s = 0; s < m; s++) {
      const sum = moments[3 * s] as number;
      const mean = (moments[3 * s + 1] as number) / sum;
      const target = (logits[s] as Float32Array)[targets[s] as number] as number;
      grad += target - (maxima[s] as number) - mean;
      hess += (moments[3 * s + 2] as number) / sum - mean * mean;
    }
    if (!(hess > 0)) break;
    // Newton step, limited to a factor of 2 so that a far start cannot overshoot.
    const next = Math.min(1e4, Math.max(1e-3, tau / 2, Math.min(tau * 2, tau + grad / hess)));
    const done = Math.abs(next - tau) < 1e-6 * tau;
    tau = next;
    if (done) break;
  }
  return tau;
}
