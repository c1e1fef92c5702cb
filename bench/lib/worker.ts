/**
 * Child-process entry of the accuracy benchmark: loads the workload, fits one model per fold, evaluates it and
 * reports metrics, wall-clock times and this process's peak RSS to the parent.
 */

import type { HyperParameters } from '../../lambdas/engine/index';
import {
  averageMetrics,
  evaluate,
  evaluateNextItem,
  type NextItemMetrics,
  type PersonalizeMetrics,
} from '../../lambdas/engine/metrics';
import type { Interaction, Recommender } from '../../lambdas/engine/types';
import { BASELINE_NAMES, type BaselineName, createBaseline } from '../baselines';
import { loadEngine, resolveHyperparameters } from './engine';
import { peakRssMiB } from './peak-rss';
import { type DatasetRequest, loadWorkload, type Workload } from './workloads';

/** `data` fits nothing: its peak RSS is the floor every other row carries. */
export const DATA_ONLY = 'data';

export interface WorkerRequest extends DatasetRequest {
  readonly model: string;
  readonly hyperparameters: Readonly<Record<string, string>>;
}

export interface WorkerResult {
  readonly model: string;
  readonly description?: string;
  /** Wall-clock seconds of each fit (Personalize folds first, then leave-last-out). */
  readonly fitSeconds: number[];
  /** Wall-clock seconds spent ranking for evaluation, all fits together. */
  readonly evalSeconds: number;
  readonly peakRssMiB: number;
  readonly personalize?: PersonalizeMetrics;
  readonly personalizePerSeed?: PersonalizeMetrics[];
  readonly nextItem?: NextItemMetrics;
  readonly error?: string;
}

async function fitModel(
  request: WorkerRequest,
  workload: Workload,
  interactions: Interaction[],
  seed: number,
): Promise<Recommender> {
  if (request.model === 'engine') {
    const engine = loadEngine();
    if (engine === undefined) throw new Error('lambdas/engine/index.ts does not export train yet');
    return engine.train(
      {
        interactions,
        ...(workload.items ? { items: workload.items } : {}),
        ...(workload.users ? { users: workload.users } : {}),
      },
      {
        // Keys and types were checked against DEFAULT_HYPERPARAMETERS; ranges are the engine's to validate.
        hyperparameters: resolveHyperparameters(engine, request.hyperparameters) as Partial<HyperParameters>,
        seed,
      },
    );
  }
  if (!(BASELINE_NAMES as readonly string[]).includes(request.model))
    throw new Error(`unknown model ${request.model}`);
  const baseline = createBaseline(request.model as BaselineName);
  baseline.fit({ interactions });
  return baseline;
}

export async function runModel(request: WorkerRequest): Promise<WorkerResult> {
  const workload = await loadWorkload(request);
  const fitSeconds: number[] = [];
  let evalSeconds = 0;
  if (request.model === DATA_ONLY) {
    return {
      model: request.model,
      description: workload.description,
      fitSeconds,
      evalSeconds,
      peakRssMiB: peakRssMiB(),
    };
  }
  const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
    const start = performance.now();
    const value = await f();
    return [value, (performance.now() - start) / 1000];
  };
  const perSeed: PersonalizeMetrics[] = [];
  for (const fold of workload.folds) {
    const [model, fitTime] = await timed(() => fitModel(request, workload, fold.train, fold.seed));
    fitSeconds.push(fitTime);
    const [metrics, evalTime] = await timed(() =>
      evaluate(model, fold.test, {
        catalogSize: fold.catalogSize,
        excludeHistory: request.excludeHistory ?? false,
      }),
    );
    evalSeconds += evalTime;
    perSeed.push(metrics);
  }
  const [model, fitTime] = await timed(() => fitModel(request, workload, workload.nextItem.train, 1));
  fitSeconds.push(fitTime);
  const [nextItem, evalTime] = await timed(() => evaluateNextItem(model, workload.nextItem.cases));
  evalSeconds += evalTime;
  return {
    model: request.model,
    description: workload.description,
    fitSeconds,
    evalSeconds,
    peakRssMiB: peakRssMiB(),
    ...(perSeed.length > 0 ? { personalize: averageMetrics(perSeed), personalizePerSeed: perSeed } : {}),
    nextItem,
  };
}

if (require.main === module) {
  process.once('message', (request: WorkerRequest) => {
    runModel(request)
      .catch(
        (error: unknown): WorkerResult => ({
          model: request.model,
          fitSeconds: [],
          evalSeconds: 0,
          peakRssMiB: peakRssMiB(),
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
      )
      .then((result) => process.send?.(result, () => process.exit(0)));
  });
}
