/**
 * Offline accuracy metrics: Amazon Personalize's solution-version metrics (spec §6.2) and the standard leave-last-out
 * NDCG@K / HR@K used by the sequential-recommendation literature. Pure functions; ranks are 1-based.
 */
import { Random } from './random';
import type { Recommender } from './types';

/** The metric map GetSolutionMetrics returns for User-Personalization, with Personalize's exact key names. */
export interface PersonalizeMetrics {
  coverage: number;
  mean_reciprocal_rank_at_25: number;
  normalized_discounted_cumulative_gain_at_5: number;
  normalized_discounted_cumulative_gain_at_10: number;
  normalized_discounted_cumulative_gain_at_25: number;
  precision_at_5: number;
  precision_at_10: number;
  precision_at_25: number;
}

/** One held-out user: the model sees `history` (oldest first) and is judged against `truth`. */
export interface TestCase {
  readonly userId: string;
  readonly history: readonly string[];
  /** The event type of each history entry, where known. */
  readonly historyEventTypes?: readonly (string | undefined)[];
  /** The user's categorical Users metadata, where known. */
  readonly userAttributes?: Readonly<Record<string, readonly string[]>>;
  /** The first truth event's contextual metadata: what a request made just before it would carry. */
  readonly context?: Readonly<Record<string, readonly string[]>>;
  readonly truth: readonly string[];
}

/** Personalize's deepest cut-off: MRR, NDCG and coverage all look at the top 25. */
export const METRIC_DEPTH = 25;

/**
 * Most test users one evaluation ranks. Beyond it a seeded sample is drawn, so the evaluate step's cost stays flat
 * as the user count grows (10 % of 3M users would be 300k requests); 20,000 users put the standard error of a mean
 * metric well under 0.01.
 */
export const MAX_EVALUATED_USERS = 20_000;

/**
 * At most `max` of `cases`, drawn uniformly without replacement by `seed` and kept in their input order; all of
 * them, in order, when there are no more than `max`. The same cases, max and seed always give the same sample.
 */
export function sampleTestCases<T>(cases: readonly T[], max: number, seed: number): T[] {
  if (cases.length <= max) return [...cases];
  // Partial Fisher–Yates: the first `max` slots of a shuffled index array are a uniform sample.
  const index = Int32Array.from({ length: cases.length }, (_, i) => i);
  const random = new Random(seed);
  for (let i = 0; i < max; i++) {
    const j = i + random.nextInt(cases.length - i);
    const tmp = index[i] as number;
    index[i] = index[j] as number;
    index[j] = tmp;
  }
  return Array.from(index.subarray(0, max).sort(), (i) => cases[i] as T);
}

/**
 * Personalize's NDCG@K for one user (spec §6.2): the ideal DCG is the same top K re-sorted by relevance, i.e. the
 * h relevant items found in the top K moved to ranks 1..h.
 *
 *   DCG@K  = Σ_{relevant r in top K} 1 / log(1 + rank(r))
 *   IDCG@K = Σ_{i=1..h} 1 / log(1 + i),   h = # distinct relevant items in the top K
 *   NDCG@K = DCG@K / IDCG@K, and 0 when h = 0
 *
 * So one hit at rank 1 scores 1 however many items the user has in the truth. The log base cancels. Duplicated
 * recommendations count once (the first occurrence).
 */
export function ndcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let dcg = 0;
  let hits = 0;
  const seen = new Set<string>();
  const depth = Math.min(k, ranked.length);
  for (let i = 0; i < depth; i++) {
    const item = ranked[i] as string;
    if (relevant.has(item) && !seen.has(item)) {
      seen.add(item);
      hits++;
      dcg += 1 / Math.log(2 + i);
    }
  }
  if (hits === 0) return 0;
  let idcg = 0;
  for (let i = 0; i < hits; i++) idcg += 1 / Math.log(2 + i);
  return dcg / idcg;
}

/** Reciprocal rank of the best-ranked relevant item within the top K, 0 if none is there. */
export function reciprocalRankAtK(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number {
  const depth = Math.min(k, ranked.length);
  for (let i = 0; i < depth; i++) {
    if (relevant.has(ranked[i] as string)) return 1 / (i + 1);
  }
  return 0;
}

/** (# distinct relevant items in the top K) ÷ K — a short list is still divided by K, as Personalize does. */
export function precisionAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  const hits = new Set<string>();
  const depth = Math.min(k, ranked.length);
  for (let i = 0; i < depth; i++) {
    const item = ranked[i] as string;
    if (relevant.has(item)) hits.add(item);
  }
  return hits.size / k;
}

/** Personalize's coverage: distinct recommended items ÷ distinct items in the Interactions + Items datasets. */
export function coverage(recommended: ReadonlySet<string>, catalogSize: number): number {
  return catalogSize > 0 ? recommended.size / catalogSize : 0;
}

export interface EvaluateOptions {
  /** Distinct items in the Interactions and Items datasets together (the coverage denominator). */
  readonly catalogSize: number;
  /**
   * Ask the recommender to leave out the test user's input items. Personalize's metrics do not filter, so repeat
   * consumption counts as a hit. @default false
   */
  readonly excludeHistory?: boolean;
  /** Most test users ranked; more are sampled down with `sampleSeed`. @default MAX_EVALUATED_USERS */
  readonly maxUsers?: number;
  /** Seed of that sample. @default 1 */
  readonly sampleSeed?: number;
}

/**
 * Runs the test cases (a seeded sample of at most `maxUsers`) through the recommender (top 25) and averages the
 * per-user metrics over them, as GetSolutionMetrics reports them. Coverage counts the items recommended to the
 * evaluated users.
 */
export function evaluate(
  recommender: Recommender,
  testCases: readonly TestCase[],
  options: EvaluateOptions,
): PersonalizeMetrics {
  return summarize(
    [scoreCases(recommender, evaluatedCases(testCases, options), options.excludeHistory ?? false)],
    options.catalogSize,
  );
}

/** The test cases an evaluation ranks: the seeded sample of `options`. */
export function evaluatedCases(testCases: readonly TestCase[], options: EvaluateOptions): TestCase[] {
  return sampleTestCases(testCases, options.maxUsers ?? MAX_EVALUATED_USERS, options.sampleSeed ?? 1);
}

/** The per-user values {@link summarize} averages, in this order. */
const CASE_METRICS = 7;

/** What {@link scoreCases} found for a run of test cases. */
export interface CaseScores {
  /** Per case, in case order: MRR@25, NDCG@5, @10, @25, precision@5, @10, @25. */
  readonly values: Float64Array;
  /** The distinct items recommended to those cases. */
  readonly recommended: readonly string[];
}

/** Runs each test case through the recommender (top 25) and takes its metrics. */
export function scoreCases(
  recommender: Recommender,
  cases: readonly TestCase[],
  excludeHistory: boolean,
): CaseScores {
  const values = new Float64Array(cases.length * CASE_METRICS);
  const recommended = new Set<string>();
  cases.forEach((testCase, c) => {
    const ranked = recommender
      .recommend({
        history: testCase.history,
        ...(testCase.historyEventTypes ? { historyEventTypes: testCase.historyEventTypes } : {}),
        ...(testCase.userAttributes ? { userAttributes: testCase.userAttributes } : {}),
        ...(testCase.context ? { context: testCase.context } : {}),
        numResults: METRIC_DEPTH,
        excludeHistory,
      })
      .map((s) => s.itemId);
    for (const item of ranked.slice(0, METRIC_DEPTH)) recommended.add(item);
    const relevant = new Set(testCase.truth);
    values.set(
      [
        reciprocalRankAtK(ranked, relevant, 25),
        ndcgAtK(ranked, relevant, 5),
        ndcgAtK(ranked, relevant, 10),
        ndcgAtK(ranked, relevant, 25),
        precisionAtK(ranked, relevant, 5),
        precisionAtK(ranked, relevant, 10),
        precisionAtK(ranked, relevant, 25),
      ],
      c * CASE_METRICS,
    );
  });
  return { values, recommended: [...recommended] };
}

/**
 * The metrics of consecutive runs of test cases, given in case order: each metric is the mean of its per-case
 * values, summed in case order, so how the cases were split into runs changes no bit.
 */
export function summarize(parts: readonly CaseScores[], catalogSize: number): PersonalizeMetrics {
  const sums = new Float64Array(CASE_METRICS);
  const recommended = new Set<string>();
  let n = 0;
  for (const part of parts) {
    const cases = part.values.length / CASE_METRICS;
    for (let c = 0; c < cases; c++)
      for (let m = 0; m < CASE_METRICS; m++)
        sums[m] = (sums[m] as number) + (part.values[c * CASE_METRICS + m] as number);
    n += cases;
    for (const item of part.recommended) recommended.add(item);
  }
  const mean = (m: number): number => (n > 0 ? (sums[m] as number) / n : 0);
  return {
    coverage: coverage(recommended, catalogSize),
    mean_reciprocal_rank_at_25: mean(0),
    normalized_discounted_cumulative_gain_at_5: mean(1),
    normalized_discounted_cumulative_gain_at_10: mean(2),
    normalized_discounted_cumulative_gain_at_25: mean(3),
    precision_at_5: mean(4),
    precision_at_10: mean(5),
    precision_at_25: mean(6),
  };
}

/** Averages metric maps key by key (e.g. over split seeds). */
export function averageMetrics(runs: readonly PersonalizeMetrics[]): PersonalizeMetrics {
  const keys = Object.keys(runs[0] ?? {}) as (keyof PersonalizeMetrics)[];
  const out = {} as PersonalizeMetrics;
  for (const key of keys) {
    let sum = 0;
    for (const run of runs) sum += run[key];
    out[key] = sum / runs.length;
  }
  return out;
}

/** One leave-last-out case: the whole sequence but its last item is the input, the last item is the target. */
export interface NextItemCase {
  readonly userId: string;
  readonly history: readonly string[];
  readonly target: string;
}

/** Standard single-target NDCG@K: 1 / log2(1 + rank) when the target is in the top K, else 0. */
export function nextItemNdcgAtK(ranked: readonly string[], target: string, k: number): number {
  const depth = Math.min(k, ranked.length);
  for (let i = 0; i < depth; i++) {
    if (ranked[i] === target) return 1 / Math.log2(2 + i);
  }
  return 0;
}

/** Standard HR@K: 1 when the target is in the top K, else 0. */
export function hitAtK(ranked: readonly string[], target: string, k: number): number {
  const depth = Math.min(k, ranked.length);
  for (let i = 0; i < depth; i++) {
    if (ranked[i] === target) return 1;
  }
  return 0;
}

export interface NextItemMetrics {
  readonly ndcg_at_10: number;
  readonly hit_rate_at_10: number;
  readonly users: number;
}

/**
 * Leave-last-out protocol: rank the full catalog minus the user's input items (`excludeHistory`), score the held-out
 * last item, average over all users.
 */
export function evaluateNextItem(recommender: Recommender, cases: readonly NextItemCase[]): NextItemMetrics {
  let ndcg = 0;
  let hits = 0;
  for (const c of cases) {
    const ranked = recommender
      .recommend({ history: c.history, numResults: 10, excludeHistory: true })
      .map((s) => s.itemId);
    ndcg += nextItemNdcgAtK(ranked, c.target, 10);
    hits += hitAtK(ranked, c.target, 10);
  }
  const n = cases.length;
  return { ndcg_at_10: n > 0 ? ndcg / n : 0, hit_rate_at_10: n > 0 ? hits / n : 0, users: n };
}

/** Builds leave-last-out cases from per-user sequences (oldest first); users with fewer than 2 items are skipped. */
export function leaveLastOut(sequences: ReadonlyMap<string, readonly string[]>): NextItemCase[] {
  const cases: NextItemCase[] = [];
  for (const [userId, seq] of sequences) {
    if (seq.length < 2) continue;
    cases.push({ userId, history: seq.slice(0, -1), target: seq[seq.length - 1] as string });
  }
  return cases;
}
