/**
 * The User-Personalization recipe's training hyperparameters with Personalize's names, ranges and defaults
 * (spec §2.7, §7.2). Personalize passes them as string maps; `parseHyperParameters` turns those into numbers.
 */

export interface HyperParameters {
  /**
   * Size of the learned representation: users' states and items are vectors of this length, and the
   * sequence model is reduced to this rank. Personalize key `hidden_dimension`, integer 32–256.
   * @default 149
   */
  readonly hiddenDimension: number;
  /**
   * How many of a user's most recent events shape the prediction (the window of the sequence model).
   * Personalize key `bptt`, integer 2–32.
   * @default 32
   */
  readonly bptt: number;
  /**
   * Weigh recent events more: inside the `bptt` window an event k steps back counts with weight γ^(k−1)
   * (γ = {@link RECENCY_DECAY}); without the mask every event in the window counts the same.
   * Personalize key `recency_mask`, `true`/`false`.
   * @default true
   */
  readonly recencyMask: boolean;
  /**
   * Users whose history is shorter than this percentile of history lengths are left out of training.
   * Personalize key `min_user_history_length_percentile` (featureTransformationParameters), 0–1.
   * @default 0
   */
  readonly minUserHistoryLengthPercentile: number;
  /**
   * Users whose history is longer than this percentile of history lengths are left out of training
   * (e.g. bots). Personalize key `max_user_history_length_percentile` (featureTransformationParameters), 0–1.
   * @default 0.99
   */
  readonly maxUserHistoryLengthPercentile: number;
}

/** Per-step decay of event weights inside the window when `recencyMask` is on. */
export const RECENCY_DECAY = 0.8;

export const DEFAULT_HYPERPARAMETERS: HyperParameters = Object.freeze({
  hiddenDimension: 149,
  bptt: 32,
  recencyMask: true,
  minUserHistoryLengthPercentile: 0,
  maxUserHistoryLengthPercentile: 0.99,
});

/** A hyperparameter that is unknown, malformed or out of range; the service answers InvalidInputException. */
export class HyperParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'HyperParameterError';
  }
}

const ALGORITHM_KEYS = new Set(['hidden_dimension', 'bptt', 'recency_mask']);
const FEATURE_KEYS = new Set(['min_user_history_length_percentile', 'max_user_history_length_percentile']);

/**
 * Parses Personalize's `algorithmHyperParameters` and `featureTransformationParameters` maps. Missing keys take
 * their defaults; unknown keys, malformed values and values outside the documented ranges throw
 * {@link HyperParameterError} naming the parameter.
 */
export function parseHyperParameters(
  algorithm: Readonly<Record<string, string>> = {},
  feature: Readonly<Record<string, string>> = {},
): HyperParameters {
  for (const key of Object.keys(algorithm)) {
    if (!ALGORITHM_KEYS.has(key))
      throw new HyperParameterError(key, `Unknown algorithm hyperparameter: ${key}`);
  }
  for (const key of Object.keys(feature)) {
    if (!FEATURE_KEYS.has(key))
      throw new HyperParameterError(key, `Unknown feature transformation parameter: ${key}`);
  }
  const d = DEFAULT_HYPERPARAMETERS;
  const parsed: HyperParameters = {
    hiddenDimension: integer(algorithm, 'hidden_dimension', 32, 256, d.hiddenDimension),
    bptt: integer(algorithm, 'bptt', 2, 32, d.bptt),
    recencyMask: boolean(algorithm, 'recency_mask', d.recencyMask),
    minUserHistoryLengthPercentile: fraction(
      feature,
      'min_user_history_length_percentile',
      d.minUserHistoryLengthPercentile,
    ),
    maxUserHistoryLengthPercentile: fraction(
      feature,
      'max_user_history_length_percentile',
      d.maxUserHistoryLengthPercentile,
    ),
  };
  return validateHyperParameters(parsed);
}

/** Range-checks already typed hyperparameters (the path `train` takes for `Partial<HyperParameters>`). */
export function validateHyperParameters(h: HyperParameters): HyperParameters {
  checkInteger('hidden_dimension', h.hiddenDimension, 32, 256);
  checkInteger('bptt', h.bptt, 2, 32);
  checkFraction('min_user_history_length_percentile', h.minUserHistoryLengthPercentile);
  checkFraction('max_user_history_length_percentile', h.maxUserHistoryLengthPercentile);
  if (h.minUserHistoryLengthPercentile > h.maxUserHistoryLengthPercentile) {
    throw new HyperParameterError(
      'min_user_history_length_percentile',
      'min_user_history_length_percentile must not exceed max_user_history_length_percentile',
    );
  }
  return h;
}

function integer(
  map: Readonly<Record<string, string>>,
  key: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = map[key];
  if (raw === undefined) return fallback;
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(value)) {
    throw new HyperParameterError(key, `${key} must be an integer, got "${raw}"`);
  }
  checkInteger(key, value, min, max);
  return value;
}

function fraction(map: Readonly<Record<string, string>>, key: string, fallback: number): number {
  const raw = map[key];
  if (raw === undefined) return fallback;
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new HyperParameterError(key, `${key} must be a number, got "${raw}"`);
  }
  checkFraction(key, value);
  return value;
}

function boolean(map: Readonly<Record<string, string>>, key: string, fallback: boolean): boolean {
  const raw = map[key];
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HyperParameterError(key, `${key} must be true or false, got "${raw}"`);
}

function checkInteger(key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HyperParameterError(key, `${key} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function checkFraction(key: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new HyperParameterError(key, `${key} must be in [0, 1], got ${value}`);
  }
}
