/** The benchmark baselines by name. */
import type { Baseline } from './common';
import { ItemItemBaseline, type ItemItemOptions } from './item-item';
import { MarkovBaseline } from './markov';
import { PopularityBaseline } from './popularity';

export type { Baseline, TrainingData } from './common';
export { ItemItemBaseline, MarkovBaseline, PopularityBaseline };

export const BASELINE_NAMES = ['popularity', 'markov', 'item-item'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

export function createBaseline(name: BaselineName, itemItem: Partial<ItemItemOptions> = {}): Baseline {
  switch (name) {
    case 'popularity':
      return new PopularityBaseline();
    case 'markov':
      return new MarkovBaseline();
    case 'item-item':
      return new ItemItemBaseline(itemItem);
  }
}
