/**
 * The engine as seen by the benchmark: loaded only if `lambdas/engine/index.ts` exists and exports `train`, so the
 * harness runs the baselines whatever state the engine is in. The call is `train(data, options)` with data
 * `{ interactions, items, users }` and options `{ hyperparameters, seed }`, in this thread (no worker pool), so
 * fit times compare with the single-threaded baselines.
 */
import type * as Engine from '../../lambdas/engine/index';
import type { GridPoint } from '../baselines';

/** Typed against the engine's real signature, so an interface change fails type checking here. */
export interface EngineModule {
  readonly train: typeof Engine.train;
  readonly DEFAULT_HYPERPARAMETERS?: Readonly<Record<string, unknown>>;
}

const ENGINE_PATH = '../../lambdas/engine/index';

export function loadEngine(): EngineModule | undefined {
  let mod: Partial<EngineModule>;
  try {
    mod = require(ENGINE_PATH) as Partial<EngineModule>;
  } catch (error) {
    const missing =
      error instanceof Error &&
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      error.message.includes('lambdas/engine/index');
    if (missing) return undefined;
    throw error;
  }
  return typeof mod.train === 'function' ? (mod as EngineModule) : undefined;
}

/**
 * Maps `--hidden-dimension 64` onto the engine's own key (`hidden_dimension` or `hiddenDimension`, whichever
 * DEFAULT_HYPERPARAMETERS has) and the type of its default value.
 */
export function resolveHyperparameters(
  engine: Pick<EngineModule, 'DEFAULT_HYPERPARAMETERS'>,
  given: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const defaults = engine.DEFAULT_HYPERPARAMETERS ?? {};
  const out: Record<string, unknown> = { ...defaults };
  for (const [flag, raw] of Object.entries(given)) {
    const snake = flag.replace(/-/g, '_');
    const camel = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const key = [flag, snake, camel].find((k) => k in defaults);
    if (key === undefined) {
      throw new Error(`unknown engine hyperparameter --${flag}; known: ${Object.keys(defaults).join(', ')}`);
    }
    const current = defaults[key];
    out[key] =
      typeof current === 'number' ? Number(raw) : typeof current === 'boolean' ? raw === 'true' : raw;
  }
  return out;
}

/** Hyperparameters of the recipe, which the engine reports in `tunedHPOParams` but does not self-tune. */
const RECIPE_KEYS = new Set(['hidden_dimension', 'bptt', 'recency_mask']);

/**
 * The engine's self-tuned choices (its `tunedHPOParams` less the recipe's own hyperparameters), for the report's
 * "tuned" column; empty for a model that reports none.
 */
export function selfTunedChoices(model: { readonly tuned?: Readonly<Record<string, string>> }): GridPoint {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(model.tuned ?? {}))
    if (!RECIPE_KEYS.has(key)) out[key] = Number(value);
  return out;
}
