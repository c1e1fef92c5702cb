/**
 * Tuning of a learned baseline the way the suite requires: on an inner Personalize split of the *training* users
 * only (same protocol, its own seed), every grid point is scored by NDCG@10; the best one is refit on all training
 * users.
 */
import { evaluate } from '../../lambdas/engine/metrics';
import { catalogSize, splitByUser } from '../../lambdas/engine/split';
import type { Interaction } from '../../lambdas/engine/types';
import {
  type BaselineName,
  type ConfigurableBaseline,
  createBaseline,
  type GridPoint,
  TUNING_GRIDS,
} from '../baselines';

/** The inner split's seed is the outer seed plus this, so the two never coincide. */
export const INNER_SPLIT_SEED_OFFSET = 1000;

export interface TunedBaseline {
  readonly model: ConfigurableBaseline;
  /** The chosen grid point (fit and query options together); empty when the baseline has no grid. */
  readonly chosen: GridPoint;
  /** NDCG@10 of the chosen point on the inner split. */
  readonly validationNdcg?: number;
  readonly tuneSeconds: number;
}

export function fitWithOptions(
  name: BaselineName,
  train: Interaction[],
  options: GridPoint,
): ConfigurableBaseline {
  const grid = TUNING_GRIDS[name];
  const fitKeys = new Set(grid?.fit.flatMap((p) => Object.keys(p)) ?? []);
  const fitOptions = Object.fromEntries(Object.entries(options).filter(([k]) => fitKeys.has(k)));
  const queryOptions = Object.fromEntries(Object.entries(options).filter(([k]) => !fitKeys.has(k)));
  const model = createBaseline(name, fitOptions);
  model.fit({ interactions: train });
  if (Object.keys(queryOptions).length > 0) model.configure?.(queryOptions);
  return model;
}

export function fitTuned(
  name: BaselineName,
  train: Interaction[],
  seed: number,
  excludeHistory: boolean,
): TunedBaseline {
  const grid = TUNING_GRIDS[name];
  if (grid === undefined) return { model: fitWithOptions(name, train, {}), chosen: {}, tuneSeconds: 0 };
  const started = performance.now();
  const inner = splitByUser(train, { seed: seed + INNER_SPLIT_SEED_OFFSET });
  const catalog = catalogSize(train);
  let best: { point: GridPoint; ndcg: number } | undefined;
  for (const fitPoint of grid.fit) {
    const model = createBaseline(name, fitPoint);
    model.fit({ interactions: inner.train });
    for (const queryPoint of grid.query) {
      model.configure?.(queryPoint);
      const ndcg = evaluate(model, inner.test, {
        catalogSize: catalog,
        excludeHistory,
      }).normalized_discounted_cumulative_gain_at_10;
      // Strictly better only: ties keep the earlier (simpler) grid point.
      if (best === undefined || ndcg > best.ndcg) best = { point: { ...fitPoint, ...queryPoint }, ndcg };
    }
  }
  const tuneSeconds = (performance.now() - started) / 1000;
  const chosen = best?.point ?? {};
  return {
    model: fitWithOptions(name, train, chosen),
    chosen,
    ...(best ? { validationNdcg: best.ndcg } : {}),
    tuneSeconds,
  };
}
