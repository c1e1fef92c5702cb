/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019) on the most frequent items, with a
 * recency-weighted input.
 *
 *   G = XᵀX + λI   (X: users × head items, binary),   P = G⁻¹,   B = I − P · diag(1 / diag P)
 *
 * so B_jj = 0 and B_ij = −P_ij / P_jj. A request's input x weighs each head item of the history by
 * decay^(age of its most recent occurrence), age 0 being the newest event (decay 1 gives Steck's binary input), and
 *
 *   score_j = Σ_i x_i B_ij = x_j − (xP)_j / P_jj.
 *
 * Items outside the head are back-filled by popularity. P comes from the Cholesky factor L of G: W = L⁻¹, P = WᵀW.
 */
import { cholesky } from '../../lambdas/engine/linalg';
import type { RecommendRequest, ScoredItem } from '../../lambdas/engine/types';
import {
  type Baseline,
  excludedIndices,
  flatten,
  popularityOrder,
  type TrainingData,
  toScored,
} from './common';

export interface EaseOptions {
  /** L2 penalty λ. @default 100 */
  readonly lambda: number;
  /** Most frequent items the closed form covers (time O(n³), memory O(n²)). @default 1500 */
  readonly maxItems: number;
  /** Per-event decay of a history item's input weight. @default 1 */
  readonly decay: number;
}

export const DEFAULT_EASE_OPTIONS: EaseOptions = { lambda: 100, maxItems: 1500, decay: 1 };

export class EaseBaseline implements Baseline {
  readonly name = 'ease';
  private options: EaseOptions;
  private itemIds: string[] = [];
  private indexOf = new Map<string, number>();
  private order: Int32Array = new Int32Array(0);
  /** Head position of each item, −1 outside the head. */
  private headOf: Int32Array = new Int32Array(0);
  private head: Int32Array = new Int32Array(0);
  /** P = (XᵀX + λI)⁻¹ over the head, full symmetric n×n. */
  private p: Float64Array = new Float64Array(0);

  constructor(options: Partial<EaseOptions> = {}) {
    this.options = { ...DEFAULT_EASE_OPTIONS, ...options };
  }

  /** Changes the input decay; needs no refit. */
  configure(options: Partial<Pick<EaseOptions, 'decay'>>): void {
    this.options = { ...this.options, ...options };
  }

  fit(data: TrainingData): void {
    const flat = flatten(data.interactions);
    this.itemIds = flat.itemIds;
    this.indexOf = flat.indexOf;
    this.order = popularityOrder(flat.counts);
    const n = Math.min(this.options.maxItems, flat.itemIds.length);
    this.head = this.order.slice(0, n);
    this.headOf = new Int32Array(flat.itemIds.length).fill(-1);
    for (let h = 0; h < n; h++) this.headOf[this.head[h] as number] = h;

    // G = XᵀX (lower triangle) from each user's distinct head items, then + λI.
    const g = new Float64Array(n * n);
    const mark = new Int32Array(n).fill(-1);
    const rows: number[] = [];
    for (let u = 0; u + 1 < flat.userStart.length; u++) {
      rows.length = 0;
      for (let e = flat.userStart[u] as number; e < (flat.userStart[u + 1] as number); e++) {
        const h = this.headOf[flat.events[e] as number] as number;
        if (h >= 0 && mark[h] !== u) {
          mark[h] = u;
          rows.push(h);
        }
      }
      rows.sort((a, b) => a - b);
      for (let a = 0; a < rows.length; a++) {
        const ra = (rows[a] as number) * n;
        for (let b = 0; b <= a; b++) g[ra + (rows[b] as number)]! += 1;
      }
    }
    for (let i = 0; i < n; i++) g[i * n + i]! += this.options.lambda;
    this.p = inverseFromCholesky(g, n);
  }

  recommend(request: RecommendRequest): ScoredItem[] {
    const n = this.head.length;
    const excluded = excludedIndices(request, this.indexOf);
    // x: decay^(age of the newest occurrence) per head item of the history.
    const x = new Map<number, number>();
    let age = 0;
    for (let t = request.history.length - 1; t >= 0; t--, age++) {
      const idx = this.indexOf.get(request.history[t] as string);
      if (idx === undefined) continue;
      const h = this.headOf[idx] as number;
      if (h >= 0 && !x.has(h)) x.set(h, this.options.decay ** age);
    }
    const scores = new Float64Array(n);
    if (x.size > 0) {
      const xp = new Float64Array(n);
      for (const [i, w] of x) {
        const row = i * n;
        for (let j = 0; j < n; j++) xp[j]! += w * (this.p[row + j] as number);
      }
      for (let j = 0; j < n; j++)
        scores[j] = (x.get(j) ?? 0) - (xp[j] as number) / (this.p[j * n + j] as number);
    }
    // Head items by score (ties by popularity, which is head order), then the tail by popularity.
    const ranked = Array.from({ length: n }, (_, h) => h)
      .filter((h) => !excluded.has(this.head[h] as number))
      .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
      .slice(0, request.numResults);
    const items = ranked.map((h) => this.head[h] as number);
    const out = ranked.map((h) => scores[h] as number);
    for (let r = n; r < this.order.length && items.length < request.numResults; r++) {
      const item = this.order[r] as number;
      if (excluded.has(item)) continue;
      items.push(item);
      out.push(Number.NEGATIVE_INFINITY);
    }
    return toScored(this.itemIds, items, out);
  }
}

/**
 * (L Lᵀ)⁻¹ for the symmetric positive definite matrix given by its lower triangle (destroyed), as a full symmetric
 * n×n matrix: with W = L⁻¹ (lower triangular), A⁻¹ = Wᵀ W.
 *
 *   W[i][j] = (δ_ij − Σ_{k=j..i−1} L[i][k] W[k][j]) / L[i][i],   (WᵀW)[a][b] = Σ_{k ≥ max(a,b)} W[k][a] W[k][b]
 *
 * Both loops run along rows (contiguous memory), touch only the triangles (n³/6 multiply-adds each) and take four
 * rows of W per sweep, so the n² matrix they update streams through memory a quarter as often. W's zero upper
 * triangle lets the four rows share one inner loop.
 */
export function inverseFromCholesky(a: Float64Array, n: number): Float64Array {
  cholesky(a, n);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    // Row i of L W = e_i:  L[i][i] W[i][·] = e_i − Σ_{k<i} L[i][k] W[k][·]  (W[k][·] is zero beyond k).
    let k = 0;
    for (; k + 3 < i; k += 4) {
      const r0 = k * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      const l0 = a[ri + k] as number;
      const l1 = a[ri + k + 1] as number;
      const l2 = a[ri + k + 2] as number;
      const l3 = a[ri + k + 3] as number;
      for (let j = 0; j <= k + 3; j++) {
        w[ri + j]! -=
          l0 * (w[r0 + j] as number) +
          l1 * (w[r1 + j] as number) +
          l2 * (w[r2 + j] as number) +
          l3 * (w[r3 + j] as number);
      }
    }
    for (; k < i; k++) {
      const lik = a[ri + k] as number;
      const rk = k * n;
      for (let j = 0; j <= k; j++) w[ri + j]! -= lik * (w[rk + j] as number);
    }
    w[ri + i]! += 1;
    const inv = 1 / (a[ri + i] as number);
    for (let j = 0; j <= i; j++) w[ri + j]! *= inv;
  }
  const p = a;
  p.fill(0);
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const r0 = k * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let i = 0; i <= k + 3; i++) {
      const c0 = w[r0 + i] as number;
      const c1 = w[r1 + i] as number;
      const c2 = w[r2 + i] as number;
      const c3 = w[r3 + i] as number;
      const ri = i * n;
      for (let j = 0; j <= i; j++) {
        p[ri + j]! +=
          c0 * (w[r0 + j] as number) +
          c1 * (w[r1 + j] as number) +
          c2 * (w[r2 + j] as number) +
          c3 * (w[r3 + j] as number);
      }
    }
  }
  for (; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const wki = w[rk + i] as number;
      const ri = i * n;
      for (let j = 0; j <= i; j++) p[ri + j]! += wki * (w[rk + j] as number);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) p[j * n + i] = p[i * n + j] as number;
  return p;
}
