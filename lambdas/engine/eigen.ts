/**
 * Eigen-decomposition of a small dense symmetric matrix (the rank reduction's k×k projected matrix): Householder
 * reduction to tridiagonal form, then implicit symmetric QR steps with Wilkinson shifts (Golub & Van Loan,
 * Matrix Computations, §8.3). About 10k³ flops with the vectors, against some 3k³ per sweep (and 6–10 sweeps) for
 * cyclic Jacobi. Deterministic: a fixed sequence of floating-point operations for a given input.
 */

/** Relative size below which an off-diagonal element of the tridiagonal matrix counts as zero. */
const DEFLATION = Number.EPSILON;
/** QR steps per eigenvalue before giving up (convergence is cubic; a handful is typical). */
const MAX_STEPS_PER_VALUE = 60;

/**
 * Eigenvalues of the symmetric k×k matrix `s` (row-major, both triangles) in descending order, and the matching
 * orthonormal eigenvectors as the columns of a row-major k×k matrix.
 */
export function symmetricEigen(s: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const { d, e, q } = tridiagonalize(s, k);
  // Work on Qᵀ (row j = column j of Q) so that each rotation updates two contiguous rows.
  const qt = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) qt[j * k + i] = q[i * k + j] as number;
  diagonalize(d, e, qt, k);
  const order = Array.from({ length: k }, (_, i) => i).sort(
    (x, y) => (d[y] as number) - (d[x] as number) || x - y,
  );
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * k);
  order.forEach((src, dst) => {
    values[dst] = d[src] as number;
    for (let r = 0; r < k; r++) vectors[r * k + dst] = qt[src * k + r] as number;
  });
  return { values, vectors };
}

/**
 * S = Q T Qᵀ with T tridiagonal (diagonal d, sub-diagonal e) and Q orthogonal (row-major), by Householder
 * reflections H_j = I − β v vᵀ that zero column j below its sub-diagonal:
 *   p = β S v,  w = p − (β vᵀp / 2) v,  S ← S − v wᵀ − w vᵀ   (on the trailing block),  Q ← Q H_j.
 */
function tridiagonalize(s: Float64Array, k: number): { d: Float64Array; e: Float64Array; q: Float64Array } {
  const a = Float64Array.from(s);
  const q = new Float64Array(k * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  const v = new Float64Array(k);
  const w = new Float64Array(k);
  for (let j = 0; j + 2 < k; j++) {
    const lo = j + 1;
    let norm2 = 0;
    for (let i = lo; i < k; i++) norm2 += (a[i * k + j] as number) ** 2;
    const x0 = a[lo * k + j] as number;
    const tail2 = norm2 - x0 * x0;
    if (tail2 === 0) continue; // already tridiagonal in this column
    const alpha = (x0 >= 0 ? -1 : 1) * Math.sqrt(norm2);
    for (let i = lo; i < k; i++) v[i] = a[i * k + j] as number;
    v[lo] = x0 - alpha;
    const vv = tail2 + (v[lo] as number) ** 2;
    const beta = 2 / vv;
    let vp = 0;
    for (let i = lo; i < k; i++) {
      let sum = 0;
      for (let t = lo; t < k; t++) sum += (a[i * k + t] as number) * (v[t] as number);
      w[i] = beta * sum;
      vp += (v[i] as number) * (w[i] as number);
    }
    const half = (beta * vp) / 2;
    for (let i = lo; i < k; i++) w[i] = (w[i] as number) - half * (v[i] as number);
    for (let i = lo; i < k; i++) {
      const vi = v[i] as number;
      const wi = w[i] as number;
      for (let t = lo; t < k; t++)
        a[i * k + t] = (a[i * k + t] as number) - vi * (w[t] as number) - wi * (v[t] as number);
    }
    a[lo * k + j] = alpha;
    a[j * k + lo] = alpha;
    for (let i = lo + 1; i < k; i++) {
      a[i * k + j] = 0;
      a[j * k + i] = 0;
    }
    for (let r = 0; r < k; r++) {
      let dot = 0;
      for (let t = lo; t < k; t++) dot += (q[r * k + t] as number) * (v[t] as number);
      const f = beta * dot;
      for (let t = lo; t < k; t++) q[r * k + t] = (q[r * k + t] as number) - f * (v[t] as number);
    }
  }
  const d = new Float64Array(k);
  const e = new Float64Array(Math.max(0, k - 1));
  for (let i = 0; i < k; i++) d[i] = a[i * k + i] as number;
  for (let i = 0; i + 1 < k; i++) e[i] = a[(i + 1) * k + i] as number;
  return { d, e, q };
}

/**
 * Diagonalises the tridiagonal (d, e) in place by implicit QR steps on its unreduced blocks, from the bottom up,
 * each shifted by the Wilkinson shift of the block's trailing 2×2. A step chases the bulge down with rotations R
 * acting on rows and columns (r, r+1) — T ← R T Rᵀ, R = [c s; −s c] — and accumulates Qᵀ ← R Qᵀ.
 */
function diagonalize(d: Float64Array, e: Float64Array, qt: Float64Array, k: number): void {
  const negligible = (i: number): boolean =>
    Math.abs(e[i] as number) <= DEFLATION * (Math.abs(d[i] as number) + Math.abs(d[i + 1] as number));
  let steps = 0;
  for (let hi = k - 1; hi > 0; ) {
    if (negligible(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    if (++steps > MAX_STEPS_PER_VALUE * k) throw new Error('symmetric eigensolver did not converge');
    let lo = hi - 1;
    while (lo > 0 && !negligible(lo - 1)) lo--;
    // Wilkinson shift: the eigenvalue of the trailing 2×2 [a b; b c] nearer to c.
    const a2 = d[hi - 1] as number;
    const b2 = e[hi - 1] as number;
    const c2 = d[hi] as number;
    const delta = (a2 - c2) / 2;
    const shift = c2 - (b2 * b2) / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, b2));
    let x = (d[lo] as number) - shift;
    let z = e[lo] as number;
    for (let r = lo; r < hi; r++) {
      const rho = Math.hypot(x, z);
      const c = rho === 0 ? 1 : x / rho;
      const s = rho === 0 ? 0 : z / rho;
      if (r > lo) e[r - 1] = rho;
      const p = d[r] as number;
      const qq = d[r + 1] as number;
      const off = e[r] as number;
      d[r] = c * c * p + 2 * c * s * off + s * s * qq;
      d[r + 1] = s * s * p - 2 * c * s * off + c * c * qq;
      e[r] = (c * c - s * s) * off + c * s * (qq - p);
      if (r + 1 < hi) {
        const next = e[r + 1] as number;
        z = s * next;
        e[r + 1] = c * next;
        x = e[r] as number;
      }
      const rowA = r * k;
      const rowB = (r + 1) * k;
      for (let i = 0; i < k; i++) {
        const qa = qt[rowA + i] as number;
        const qb = qt[rowB + i] as number;
        qt[rowA + i] = c * qa + s * qb;
        qt[rowB + i] = c * qb - s * qa;
      }
    }
  }
}
