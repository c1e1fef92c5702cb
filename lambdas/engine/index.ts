/** The recommendation engine's public surface: hyperparameters, training, the model and its artifact. */

export type { ModelChoices } from './fit';
export {
  DEFAULT_HYPERPARAMETERS,
  HyperParameterError,
  type HyperParameters,
  parseHyperParameters,
  RECENCY_DECAY,
  validateHyperParameters,
} from './hyperparameters';
export { MODEL_FORMAT, MODEL_FORMAT_VERSION, Model, type ModelParts, type TrainingStats } from './model';
export { inThread, type ParallelRunner, type TrainingData, type TrainOptions, train } from './train';
export type { HpoSearch } from './tuning';
export type {
  Interaction,
  ItemMeta,
  Recommender,
  RecommendRequest,
  ScoredItem,
  UserMeta,
} from './types';
