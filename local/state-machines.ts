/** The state machines the local runtime hosts by default: the same definitions CDK deploys. */
import { ENV } from '../lambdas/env';
import { BATCH_STEP_LIST, batchInferenceDefinition } from '../lambdas/workflows/batch-inference-definition';
import { substitute, TRAINING_STEP_LIST, trainingDefinition } from '../lambdas/workflows/training-definition';
import type { StateMachineSpec } from './runtime';

/** The training workflow; CreateSolutionVersion finds it through `OP_TRAINING_STATE_MACHINE_ARN`. */
export const TRAINING_STATE_MACHINE: StateMachineSpec = {
  name: 'Training',
  envKey: ENV.TRAINING_STATE_MACHINE_ARN,
  definition: (lambdaArn) =>
    substitute(
      trainingDefinition(),
      Object.fromEntries(TRAINING_STEP_LIST.map((step) => [step.placeholder, lambdaArn(step.worker)])),
    ),
};

/** The batch inference workflow; CreateBatchInferenceJob finds it through `OP_BATCH_INFERENCE_STATE_MACHINE_ARN`. */
export const BATCH_INFERENCE_STATE_MACHINE: StateMachineSpec = {
  name: 'BatchInference',
  envKey: ENV.BATCH_INFERENCE_STATE_MACHINE_ARN,
  definition: (lambdaArn) =>
    substitute(
      batchInferenceDefinition(),
      Object.fromEntries(BATCH_STEP_LIST.map((step) => [step.placeholder, lambdaArn(step.worker)])),
    ),
};

export const DEFAULT_STATE_MACHINES: readonly StateMachineSpec[] = [
  TRAINING_STATE_MACHINE,
  BATCH_INFERENCE_STATE_MACHINE,
];
