/**
 * The batch inference workflow as plain data (Amazon States Language, JSONPath), deployed by CDK and run by the
 * local runtime, with `${...}` placeholders for each step's Lambda function ARN (see `training-definition.ts`):
 *
 *   Prepare → Infer (Map over the chunks, one InferChunk each) → Finish → Succeeded
 *      └──────────┴───────────────────────────────────────────┴──(Catch)──→ RecordFailure → Failed
 *
 * `Infer` is a Distributed Map on AWS (`ProcessorConfig.Mode` DISTRIBUTED: each chunk a child execution, up to
 * {@link MAX_PARALLEL_CHUNKS} at once); aws-local-stepfunctions runs the same state as an inline Map with the same
 * `ItemsPath` and `MaxConcurrency`. The chunk list travels in the state (Prepare caps it at 500 small entries);
 * chunk results go through the data bucket, so the Map's own result is dropped.
 */
import { TRANSIENT_ERRORS } from './training-definition';

export interface BatchStep {
  readonly state: string;
  readonly worker: string;
  readonly placeholder: string;
  readonly timeoutSeconds: number;
}

/** Chunks scored at once. */
export const MAX_PARALLEL_CHUNKS = 10;
const LAMBDA_MAX_SECONDS = 900;
const SHORT_STEP_SECONDS = 60;

export const BATCH_STEPS = {
  prepare: {
    state: 'Prepare',
    worker: 'BatchInferencePrepare',
    placeholder: 'BatchPrepareFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  chunk: {
    state: 'InferChunk',
    worker: 'BatchInferenceChunk',
    placeholder: 'BatchChunkFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  finish: {
    state: 'Finish',
    worker: 'BatchInferenceFinish',
    placeholder: 'BatchFinishFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  fail: {
    state: 'RecordFailure',
    worker: 'BatchInferenceFail',
    placeholder: 'BatchFailFunctionArn',
    timeoutSeconds: SHORT_STEP_SECONDS,
  },
} as const satisfies Record<string, BatchStep>;

export const BATCH_STEP_LIST: readonly BatchStep[] = Object.values(BATCH_STEPS);

const ERROR_PATH = '$.error';
const retry = [{ ErrorEquals: [...TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }];
const catchTo = (next: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: ERROR_PATH, Next: next }];
const resource = (step: BatchStep) => `\${${step.placeholder}}`;

/** The definition with placeholders; a fresh object on each call. */
export function batchInferenceDefinition(): Record<string, unknown> {
  const s = BATCH_STEPS;
  return {
    Comment:
      'Runs one batch inference job: cut the input into chunks, score them in parallel, assemble the output.',
    StartAt: s.prepare.state,
    States: {
      [s.prepare.state]: {
        Type: 'Task',
        Resource: resource(s.prepare),
        TimeoutSeconds: s.prepare.timeoutSeconds,
        Parameters: { 'batchInferenceJobArn.$': '$.batchInferenceJobArn' },
        Retry: retry,
        Catch: catchTo(s.fail.state),
        Next: 'Infer',
      },
      Infer: {
        Type: 'Map',
        ItemsPath: '$.chunks',
        MaxConcurrency: MAX_PARALLEL_CHUNKS,
        ItemSelector: { 'batchInferenceJobArn.$': '$.batchInferenceJobArn', 'chunk.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: s.chunk.state,
          States: {
            [s.chunk.state]: {
              Type: 'Task',
              Resource: resource(s.chunk),
              TimeoutSeconds: s.chunk.timeoutSeconds,
              Retry: retry,
              End: true,
            },
          },
        },
        ResultPath: null,
        Catch: catchTo(s.fail.state),
        Next: s.finish.state,
      },
      [s.finish.state]: {
        Type: 'Task',
        Resource: resource(s.finish),
        TimeoutSeconds: s.finish.timeoutSeconds,
        Parameters: { 'batchInferenceJobArn.$': '$.batchInferenceJobArn' },
        Retry: retry,
        Catch: catchTo(s.fail.state),
        Next: 'Succeeded',
      },
      [s.fail.state]: {
        Type: 'Task',
        Resource: resource(s.fail),
        TimeoutSeconds: s.fail.timeoutSeconds,
        Parameters: { 'batchInferenceJobArn.$': '$.batchInferenceJobArn', 'error.$': ERROR_PATH },
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: 'Failed' }],
        Next: 'Failed',
      },
      Succeeded: { Type: 'Succeed' },
      Failed: {
        Type: 'Fail',
        Error: 'BatchInferenceFailed',
        Cause: 'The batch inference job is CREATE FAILED; see its failureReason.',
      },
    },
  };
}
