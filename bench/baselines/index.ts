/** The benchmark baselines by name, and the grids the suite tunes them over. */
import type { Baseline } from './common';
import { EaseBaseline } from './ease';
import { ItemItemBaseline, type ItemItemOptions } from './item-item';
import { ItemKnnBaseline } from './item-knn';
import { MarkovBaseline } from './markov';
import { PopularityBaseline } from './popularity';
import { RepeatRecentBaseline } from './repeat';

export type { Baseline, TrainingData } from './common';
export {
  EaseBaseline,
  ItemItemBaseline,
  ItemKnnBaseline,
  MarkovBaseline,
  PopularityBaseline,
  RepeatRecentBaseline,
};

export const BASELINE_NAMES = ['popularity', 'markov', 'itemknn', 'ease', 'repeat', 'item-item'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

/** The baselines the suite runs unless `--only` says otherwise. */
export const DEFAULT_BASELINES: readonly BaselineName[] = [
  'popularity',
  'markov',
  'itemknn',
  'ease',
  'repeat',
];

export function isBaselineName(name: string): name is BaselineName {
  return (BASELINE_NAMES as readonly string[]).includes(name);
}

/** Options of one grid point: numbers keyed by option name. */
export type GridPoint = Readonly<Record<string, number>>;

/** A baseline whose query-time options can change after fitting. */
export interface ConfigurableBaseline extends Baseline {
  configure?(options: GridPoint): void;
}

export function createBaseline(
  name: BaselineName,
  options: GridPoint = {},
  itemItem: Partial<ItemItemOptions> = {},
): ConfigurableBaseline {
  switch (name) {
    case 'popularity':
      return new PopularityBaseline();
    case 'markov':
      return new MarkovBaseline();
    case 'itemknn':
      return new ItemKnnBaseline(options);
    case 'ease':
      return new EaseBaseline(options);
    case 'repeat':
      return new RepeatRecentBaseline();
    case 'item-item':
      return new ItemItemBaseline(itemItem);
  }
}

/**
 * Tuning grid per learned baseline: `fit` points need a refit, `query` points only `configure`. A baseline without
 * a grid (popularity, markov, repeat, item-item) has nothing the suite tunes.
 */
export const TUNING_GRIDS: Partial<Record<BaselineName, { fit: GridPoint[]; query: GridPoint[] }>> = {
  ease: {
    fit: [{ lambda: 20 }, { lambda: 100 }, { lambda: 500 }],
    query: [{ decay: 1 }, { decay: 0.9 }, { decay: 0.7 }],
  },
  itemknn: {
    fit: [{}],
    query: [20, 100, 400].flatMap((neighbours) => [1, 0.9, 0.7].map((decay) => ({ neighbours, decay }))),
  },
};
