/**
 * A model built through the `Model` constructor from seeded Gaussian factors, for latency benchmarks: scoring time
 * does not depend on the factors' values, and training a 750,000-item model is not what those benchmarks measure.
 * It has the shape training produces: d-dimensional input (plus the context row) and output embeddings, and twenty
 * successors per item. A seeded `newShare` of the items are new (created a day before the latest interaction, no
 * training interactions), the exploration candidates of a catalog that has been trained on; the others are a year
 * old with 50 interactions each.
 */
import { Model } from '../../lambdas/engine/model';
import type { Random } from '../../lambdas/engine/random';
import { FREQUENCY_BOUNDS, RECENCY_BOUNDS } from '../../lambdas/engine/repeat';

const SUCCESSORS = 20;
const DAY = 86_400;
/** The latest interaction's time (epoch seconds). */
const LATEST = 1_700_000_000;

export function randomModel(items: number, d: number, random: Random, newShare = 0.01): Model {
  const scale = 1 / Math.sqrt(d);
  const gaussian = (length: number): Float32Array => {
    const a = new Float32Array(length);
    for (let i = 0; i < length; i++) a[i] = random.nextNormal() * scale;
    return a;
  };
  const isNew = Array.from({ length: items }, () => random.next() < newShare);
  return new Model({
    itemIds: Array.from({ length: items }, (_, i) => `item-${i}`),
    hiddenDimension: d,
    historyWeights: Float64Array.from({ length: 32 }, (_, k) => 0.8 ** k),
    temperature: 1,
    successorOffsets: Int32Array.from({ length: items + 1 }, (_, i) => i * SUCCESSORS),
    successorItems: new Int32Array(items * SUCCESSORS).map(() => random.nextInt(items)),
    successorWeights: new Float32Array(items * SUCCESSORS).fill(0.01),
    transitionWeight: 1,
    repeat: {
      eventTypes: [],
      probabilities: new Float64Array(RECENCY_BOUNDS.length * FREQUENCY_BOUNDS.length),
      itemFactors: new Float32Array(items).fill(1),
    },
    inputEmbeddings: gaussian((items + 1) * d),
    outputEmbeddings: gaussian(items * d),
    itemCounts: Float32Array.from(isNew, (fresh) => (fresh ? 0 : 50)),
    itemCreationTimestamps: Float64Array.from(isNew, (fresh) => LATEST - (fresh ? 1 : 365) * DAY),
    latestInteractionTimestamp: LATEST,
    seed: 0,
  });
}
