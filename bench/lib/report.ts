/**
 * Aggregation of the suite's per-seed results into one summary per data set: mean ± 95 % CI of every metric per
 * model, and the engine's ratio to the best baseline under Personalize's protocol.
 */
import type { GridPoint } from '../baselines';
import { formatMeanCi, type MeanCi, meanCi } from './stats';
import { fixed, formatTable } from './table';
import type { SeedResult, WorkerResult } from './worker';

/** Reported columns: short name and how to read it from one seed's result. */
export const METRIC_COLUMNS: readonly (readonly [string, (r: SeedResult) => number])[] = [
  ['ndcg@10', (r) => r.personalize.normalized_discounted_cumulative_gain_at_10],
  ['p@10', (r) => r.personalize.precision_at_10],
  ['mrr@25', (r) => r.personalize.mean_reciprocal_rank_at_25],
  ['coverage', (r) => r.personalize.coverage],
  ['LLO ndcg@10', (r) => r.nextItem.ndcg_at_10],
  ['LLO hr@10', (r) => r.nextItem.hit_rate_at_10],
];

export interface ModelSummary {
  readonly model: string;
  readonly metrics: Readonly<Record<string, MeanCi>>;
  readonly fitSecondsMean: number;
  readonly tuneSecondsMean: number;
  readonly peakRssMiB: number;
  /** Grid points the tuning chose, one per seed. */
  readonly chosen: readonly GridPoint[];
  readonly error?: string;
}

/** The engine against the best baseline on one metric (best = highest mean over seeds). */
export interface Ratio {
  readonly baseline: string;
  /** engine mean ÷ baseline mean. */
  readonly ratio: number;
  /** Mean ± CI of the per-seed ratios (same split on both sides). */
  readonly perSeed: MeanCi;
}

export interface DatasetSummary {
  readonly dataset: string;
  readonly description?: string;
  readonly notes: readonly string[];
  readonly dataPeakRssMiB?: number;
  readonly seeds: number;
  readonly models: readonly ModelSummary[];
  /** Present when the engine and at least one baseline ran. */
  readonly engineVsBest?: { readonly ndcg10: Ratio; readonly precision10: Ratio; readonly mrr25: Ratio };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function summarize(
  dataset: string,
  results: readonly WorkerResult[],
  dataRow?: WorkerResult,
): DatasetSummary {
  const models: ModelSummary[] = results.map((r) => ({
    model: r.model,
    metrics: Object.fromEntries(METRIC_COLUMNS.map(([name, get]) => [name, meanCi(r.seeds.map(get))])),
    fitSecondsMean: mean(r.seeds.map((s) => s.fitSeconds)),
    tuneSecondsMean: mean(r.seeds.map((s) => s.tuneSeconds)),
    peakRssMiB: r.peakRssMiB,
    chosen: r.seeds.flatMap((s) => (s.chosen && Object.keys(s.chosen).length > 0 ? [s.chosen] : [])),
    ...(r.error ? { error: r.error } : {}),
  }));
  const engine = results.find((r) => r.model === 'engine' && !r.error && r.seeds.length > 0);
  const baselines = results.filter((r) => r.model !== 'engine' && !r.error && r.seeds.length > 0);
  const ratio = (column: string): Ratio | undefined => {
    const get = METRIC_COLUMNS.find(([name]) => name === column)?.[1];
    if (engine === undefined || baselines.length === 0 || get === undefined) return undefined;
    let best = baselines[0] as WorkerResult;
    for (const b of baselines) if (mean(b.seeds.map(get)) > mean(best.seeds.map(get))) best = b;
    const perSeed: number[] = [];
    for (const s of engine.seeds) {
      const other = best.seeds.find((t) => t.seed === s.seed);
      if (other !== undefined && get(other) > 0) perSeed.push(get(s) / get(other));
    }
    return {
      baseline: best.model,
      ratio: mean(engine.seeds.map(get)) / mean(best.seeds.map(get)),
      perSeed: meanCi(perSeed),
    };
  };
  const ndcg10 = ratio('ndcg@10');
  const precision10 = ratio('p@10');
  const mrr25 = ratio('mrr@25');
  const first = results.find((r) => r.description !== undefined) ?? dataRow;
  return {
    dataset,
    ...(first?.description ? { description: first.description } : {}),
    notes: first?.notes ?? [],
    ...(dataRow ? { dataPeakRssMiB: dataRow.peakRssMiB } : {}),
    seeds: Math.max(0, ...results.map((r) => r.seeds.length)),
    models,
    ...(ndcg10 && precision10 && mrr25 ? { engineVsBest: { ndcg10, precision10, mrr25 } } : {}),
  };
}

function describeChosen(points: readonly GridPoint[]): string {
  const distinct = [
    ...new Set(
      points.map((p) =>
        Object.entries(p)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ),
    ),
  ];
  return distinct.length === 0 ? '' : distinct.join(' / ');
}

function formatRatio(r: Ratio): string {
  return `${r.ratio.toFixed(2)}× ${r.baseline} (per seed ${formatMeanCi(r.perSeed, 2)})`;
}

/** One data set's table and its engine ÷ best-baseline line. */
export function formatDataset(summary: DatasetSummary): string {
  const headers = [
    'model',
    ...METRIC_COLUMNS.map(([name]) => name),
    'fit s',
    'tune s',
    'peak RSS MiB',
    'tuned (per seed)',
  ];
  const rows = summary.models.map((m) => [
    m.error ? `${m.model} (failed)` : m.model,
    ...METRIC_COLUMNS.map(([name]) => formatMeanCi(m.metrics[name], 4)),
    fixed(m.fitSecondsMean, 1),
    fixed(m.tuneSecondsMean, 1),
    fixed(m.peakRssMiB, 0),
    describeChosen(m.chosen),
  ]);
  const lines = [
    `## ${summary.dataset} — ${summary.description ?? ''}`,
    ...summary.notes.map((n) => `note: ${n}`),
    '',
    formatTable(headers, rows),
  ];
  if (summary.dataPeakRssMiB !== undefined) {
    lines.push(`(loading the data alone peaks at ${fixed(summary.dataPeakRssMiB, 0)} MiB)`);
  }
  const v = summary.engineVsBest;
  if (v !== undefined) {
    lines.push(
      '',
      `>>> ENGINE ÷ BEST BASELINE, NDCG@10: ${formatRatio(v.ndcg10)}`,
      `    precision@10: ${formatRatio(v.precision10)};  MRR@25: ${formatRatio(v.mrr25)}`,
    );
  }
  return lines.join('\n');
}

/** The cross-data-set summary: the engine's ratios side by side. */
export function formatOverview(summaries: readonly DatasetSummary[]): string {
  const rows = summaries.flatMap((s) => {
    const v = s.engineVsBest;
    const engine = s.models.find((m) => m.model === 'engine');
    if (v === undefined || engine === undefined) return [];
    const best = s.models.find((m) => m.model === v.ndcg10.baseline);
    return [
      [
        s.dataset,
        formatMeanCi(engine.metrics['ndcg@10'], 4),
        v.ndcg10.baseline,
        formatMeanCi(best?.metrics['ndcg@10'], 4),
        `${v.ndcg10.ratio.toFixed(2)}×`,
        `${v.precision10.ratio.toFixed(2)}× (${v.precision10.baseline})`,
        `${v.mrr25.ratio.toFixed(2)}× (${v.mrr25.baseline})`,
      ],
    ];
  });
  if (rows.length === 0) return '';
  return formatTable(
    [
      'data set',
      'engine ndcg@10',
      'best baseline',
      'its ndcg@10',
      'engine ÷ best',
      'p@10 ÷ best',
      'mrr@25 ÷ best',
    ],
    rows,
  );
}
