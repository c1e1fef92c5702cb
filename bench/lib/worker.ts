/**
 * Child-process entry of the accuracy suite: loads one data set, and for each seed fits one model on Personalize's
 * training users (a learned baseline first tuned on an inner split of them), evaluates it under Personalize's
 * protocol and leave-last-out, and reports metrics, wall-clock times and this process's peak RSS to the parent.
 */

import type { HyperParameters, Model } from '../../lambdas/engine/index';
import {
  evaluate,
  evaluateNextItem,
  type NextItemMetrics,
  type PersonalizeMetrics,
} from '../../lambdas/engine/metrics';
import type { Interaction, Recommender } from '../../lambdas/engine/types';
import { type GridPoint, isBaselineName } from '../baselines';
import { loadEngine, resolveHyperparameters, selfTunedChoices } from './engine';
import { peakRssMiB } from './peak-rss';
import { fitTuned, fitWithOptions } from './tune';
import { type DatasetRequest, foldOf, loadDataset, type SuiteDataset } from './workloads';

/** `data` fits nothing: its peak RSS is the floor every other row of the data set carries. */
export const DATA_ONLY = 'data';

export interface WorkerRequest extends DatasetRequest {
  readonly model: string;
  readonly hyperparameters: Readonly<Record<string, string>>;
  /** Personalize metrics: ask models to leave out each test user's input items. @default false */
  readonly excludeHistory?: boolean;
  /** Print one line per seed on stderr. @default false */
  readonly progress?: boolean;
}

export interface SeedResult {
  readonly seed: number;
  /** Wall-clock seconds of the final fit on all training users (tuning excluded). */
  readonly fitSeconds: number;
  /** Wall-clock seconds of the grid search on the inner split (0 without a grid). */
  readonly tuneSeconds: number;
  /** Wall-clock seconds spent ranking for evaluation. */
  readonly evalSeconds: number;
  readonly personalize: PersonalizeMetrics;
  readonly nextItem: NextItemMetrics;
  /** Seconds of the separate leave-last-out fit, for data sets with a published next-item split. */
  readonly nextItemFitSeconds?: number;
  readonly chosen?: GridPoint;
  readonly validationNdcg?: number;
}

export interface WorkerResult {
  readonly model: string;
  readonly dataset: string;
  readonly description?: string;
  readonly notes?: readonly string[];
  readonly seeds: SeedResult[];
  readonly peakRssMiB: number;
  readonly error?: string;
}

interface Fitted {
  readonly model: Recommender;
  readonly tuneSeconds: number;
  readonly chosen?: GridPoint;
  readonly validationNdcg?: number;
}

async function fitEngine(
  request: WorkerRequest,
  dataset: SuiteDataset,
  interactions: Interaction[],
  seed: number,
): Promise<Model> {
  const engine = loadEngine();
  if (engine === undefined) throw new Error('lambdas/engine/index.ts does not export train');
  return engine.train(
    {
      interactions,
      ...(dataset.items ? { items: dataset.items } : {}),
      ...(dataset.users ? { users: dataset.users } : {}),
    },
    {
      // Keys and types were checked against DEFAULT_HYPERPARAMETERS; ranges are the engine's to validate.
      hyperparameters: resolveHyperparameters(engine, request.hyperparameters) as Partial<HyperParameters>,
      seed,
    },
  );
}

async function fitModel(
  request: WorkerRequest,
  dataset: SuiteDataset,
  train: Interaction[],
  seed: number,
): Promise<Fitted> {
  if (request.model === 'engine') {
    const model = await fitEngine(request, dataset, train, seed);
    return { model, tuneSeconds: 0, chosen: selfTunedChoices(model) };
  }
  if (!isBaselineName(request.model)) throw new Error(`unknown model ${request.model}`);
  const tuned = fitTuned(request.model, train, seed, request.excludeHistory ?? false);
  return {
    model: tuned.model,
    tuneSeconds: tuned.tuneSeconds,
    chosen: tuned.chosen,
    ...(tuned.validationNdcg === undefined ? {} : { validationNdcg: tuned.validationNdcg }),
  };
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

export async function runModel(request: WorkerRequest): Promise<WorkerResult> {
  const dataset = await loadDataset(request);
  const base = {
    model: request.model,
    dataset: request.dataset,
    description: dataset.description,
    notes: dataset.notes,
  };
  if (request.model === DATA_ONLY) return { ...base, seeds: [], peakRssMiB: peakRssMiB() };
  const seeds: SeedResult[] = [];
  for (let seed = 1; seed <= request.seeds; seed++) {
    const fold = foldOf(dataset, seed);
    let started = performance.now();
    const fitted = await fitModel(request, dataset, fold.train, seed);
    const fitSeconds = seconds(started) - fitted.tuneSeconds;
    started = performance.now();
    const personalize = evaluate(fitted.model, fold.test, {
      catalogSize: dataset.catalogSize,
      excludeHistory: request.excludeHistory ?? false,
    });
    let evalSeconds = seconds(started);
    let nextItem: NextItemMetrics;
    let nextItemFitSeconds: number | undefined;
    if (dataset.nextItem === undefined) {
      started = performance.now();
      nextItem = evaluateNextItem(fitted.model, fold.nextItemCases);
      evalSeconds += seconds(started);
    } else {
      // The published split trains on every training sequence, with the options this seed's tuning chose.
      started = performance.now();
      const model = isBaselineName(request.model)
        ? fitWithOptions(request.model, dataset.nextItem.train, fitted.chosen ?? {})
        : await fitEngine(request, dataset, dataset.nextItem.train, seed);
      nextItemFitSeconds = seconds(started);
      started = performance.now();
      nextItem = evaluateNextItem(model, dataset.nextItem.cases);
      evalSeconds += seconds(started);
    }
    seeds.push({
      seed,
      fitSeconds,
      tuneSeconds: fitted.tuneSeconds,
      evalSeconds,
      personalize,
      nextItem,
      ...(nextItemFitSeconds === undefined ? {} : { nextItemFitSeconds }),
      ...(fitted.chosen === undefined ? {} : { chosen: fitted.chosen }),
      ...(fitted.validationNdcg === undefined ? {} : { validationNdcg: fitted.validationNdcg }),
    });
    if (request.progress) {
      process.stderr.write(
        `  ${request.dataset} ${request.model} seed ${seed}: ndcg@10 ` +
          `${personalize.normalized_discounted_cumulative_gain_at_10.toFixed(4)}, fit ${fitSeconds.toFixed(1)} s\n`,
      );
    }
  }
  return { ...base, seeds, peakRssMiB: peakRssMiB() };
}

if (require.main === module) {
  process.once('message', (request: WorkerRequest) => {
    runModel(request)
      .catch(
        (error: unknown): WorkerResult => ({
          model: request.model,
          dataset: request.dataset,
          seeds: [],
          peakRssMiB: peakRssMiB(),
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
      )
      .then((result) => process.send?.(result, () => process.exit(0)));
  });
}
