/**
 * `performHPO` and `solutionConfig.hpoConfig` (FILTERS.md §4): validation of the request and the search the engine
 * runs (`engine/tuning.ts`). The recipe's tunable hyperparameters are `hidden_dimension` and `bptt` (integer
 * ranges) and `recency_mask` (categorical); the objective is not configurable, as in Personalize.
 */
import type { HPOConfig } from '@aws-sdk/client-personalize';
import type { HpoSearch } from '../engine/tuning';
import { invalidInput } from '../errors';

/** Personalize's limits on `hpoResourceConfig`. */
export const MAX_TRAINING_JOBS = 40;
export const MAX_PARALLEL_TRAINING_JOBS = 10;
/** Trials when `maxNumberOfTrainingJobs` is not given. */
export const DEFAULT_TRAINING_JOBS = 16;

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  hidden_dimension: [32, 256],
  bptt: [2, 32],
};

function jobs(value: string | undefined, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > max) {
    throw invalidInput(
      `hpoConfig.hpoResourceConfig.${name} must be an integer from 1 to ${max}, got "${value}"`,
    );
  }
  return n;
}

/**
 * The search for a solution, or undefined without `performHPO`. Throws InvalidInputException for an hpoConfig
 * without performHPO, an objective, an unknown or non-tunable name, a range outside the recipe's or inverted, and
 * job counts outside Personalize's limits.
 */
export function hpoSearchOf(
  performHPO: boolean | undefined,
  config: HPOConfig | undefined,
): HpoSearch | undefined {
  if (performHPO !== true) {
    if (config !== undefined) throw invalidInput('solutionConfig.hpoConfig requires performHPO to be true.');
    return undefined;
  }
  if (config?.hpoObjective !== undefined) {
    throw invalidInput('hpoConfig.hpoObjective is not supported for aws-user-personalization; omit it.');
  }
  const maxTrials = jobs(
    config?.hpoResourceConfig?.maxNumberOfTrainingJobs,
    'maxNumberOfTrainingJobs',
    MAX_TRAINING_JOBS,
    DEFAULT_TRAINING_JOBS,
  );
  jobs(
    config?.hpoResourceConfig?.maxParallelTrainingJobs,
    'maxParallelTrainingJobs',
    MAX_PARALLEL_TRAINING_JOBS,
    1,
  );
  const ranges = config?.algorithmHyperParameterRanges;
  if (ranges === undefined) {
    // No ranges: the recipe's default ranges.
    return {
      hiddenDimension: INTEGER_RANGES.hidden_dimension,
      bptt: INTEGER_RANGES.bptt,
      recencyMask: [true, false],
      maxTrials,
    };
  }
  const search: { -readonly [K in keyof HpoSearch]: HpoSearch[K] } = { maxTrials };
  for (const r of ranges.integerHyperParameterRanges ?? []) {
    const name = r.name ?? '';
    const limits = INTEGER_RANGES[name];
    if (limits === undefined) {
      throw invalidInput(
        `${name} is not an integer hyperparameter of aws-user-personalization that HPO can tune.`,
      );
    }
    const lo = r.minValue ?? limits[0];
    const hi = r.maxValue ?? limits[1];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < limits[0] || hi > limits[1] || lo > hi) {
      throw invalidInput(`The range of ${name} must lie within [${limits[0]}, ${limits[1]}] with min ≤ max.`);
    }
    if (name === 'hidden_dimension') search.hiddenDimension = [lo, hi];
    else search.bptt = [lo, hi];
  }
  for (const r of ranges.continuousHyperParameterRanges ?? []) {
    throw invalidInput(`${r.name ?? ''} is not a continuous hyperparameter of aws-user-personalization.`);
  }
  for (const r of ranges.categoricalHyperParameterRanges ?? []) {
    if (r.name !== 'recency_mask') {
      throw invalidInput(`${r.name ?? ''} is not a categorical hyperparameter of aws-user-personalization.`);
    }
    const values = (r.values ?? []).map((v) => v.trim().toLowerCase());
    if (values.length === 0 || values.some((v) => v !== 'true' && v !== 'false')) {
      throw invalidInput('recency_mask values must be "true" or "false".');
    }
    search.recencyMask = [...new Set(values)].map((v) => v === 'true');
  }
  return search;
}
