/** Means with Student-t 95 % confidence intervals over seeds. */

/** t_{0.975, df} for df = 1..30; beyond, the normal 1.96 is within 2 %. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface MeanCi {
  readonly mean: number;
  /** Half-width of the 95 % interval (NaN with fewer than 2 values). */
  readonly halfWidth: number;
  readonly n: number;
}

/**
 *   mean ± t_{0.975, n−1} · s / √n,   s² = Σ (x − mean)² / (n − 1)
 */
export function meanCi(values: readonly number[]): MeanCi {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, halfWidth: Number.NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, halfWidth: Number.NaN, n };
  const variance = values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const t = T975[n - 2] ?? 1.96;
  return { mean, halfWidth: (t * Math.sqrt(variance)) / Math.sqrt(n), n };
}

/** "0.1234 ± 0.0056" (or just the mean with one value). */
export function formatMeanCi(value: MeanCi | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value.mean)) return '—';
  if (Number.isNaN(value.halfWidth)) return value.mean.toFixed(digits);
  return `${value.mean.toFixed(digits)} ± ${value.halfWidth.toFixed(digits)}`;
}
