/**
 * The training workflow as plain data: the Amazon States Language definition (JSONPath only) that CDK deploys and
 * the local runtime runs, with `${...}` placeholders where each step's Lambda function ARN goes. CloudFormation fills
 * the placeholders through `DefinitionSubstitutions`; the local runner with {@link substitute}.
 *
 *   Prepare → Train → Evaluate → Publish → Succeeded
 *      └────────┴────────┴─────────┴──(Catch)──→ RecordFailure → Failed
 *
 * Only the solution version ARN travels between states (each step returns `{"solutionVersionArn"}`); data and
 * models go through the data bucket, so no state comes near Step Functions' 256 KB payload limit.
 */

/** One Task state of the workflow and the worker function behind it. */
export interface TrainingStep {
  /** State name in the definition. */
  readonly state: string;
  /** Worker name in `WORKERS` (`lambdas/api/routes.ts`), i.e. the function name. */
  readonly worker: string;
  /** The `${...}` placeholder standing for the function's ARN. */
  readonly placeholder: string;
  /** The Task's `TimeoutSeconds`. */
  readonly timeoutSeconds: number;
}

/** Lambda's longest run; the data and model steps may need all of it. */
const LAMBDA_MAX_SECONDS = 900;
/** Status writes only. */
const SHORT_STEP_SECONDS = 60;

export const TRAINING_STEPS = {
  prepare: {
    state: 'Prepare',
    worker: 'TrainingPrepare',
    placeholder: 'PrepareFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  train: {
    state: 'Train',
    worker: 'TrainingTrain',
    placeholder: 'TrainFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  evaluate: {
    state: 'Evaluate',
    worker: 'TrainingEvaluate',
    placeholder: 'EvaluateFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  publish: {
    state: 'Publish',
    worker: 'TrainingPublish',
    placeholder: 'PublishFunctionArn',
    timeoutSeconds: SHORT_STEP_SECONDS,
  },
  fail: {
    state: 'RecordFailure',
    worker: 'TrainingFail',
    placeholder: 'FailFunctionArn',
    timeoutSeconds: SHORT_STEP_SECONDS,
  },
} as const satisfies Record<string, TrainingStep>;

export const TRAINING_STEP_LIST: readonly TrainingStep[] = Object.values(TRAINING_STEPS);

/** Where a caught error is put in the state, for the failure step: `{"Error": name, "Cause": text}`. */
export const ERROR_PATH = '$.error';

/**
 * Errors of the Lambda service itself, worth retrying; errors the step code throws (too little data, a stopped
 * version) are final and go straight to the Catch.
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

const retry = [{ ErrorEquals: [...TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }];

function task(step: TrainingStep, next: string, catchTo: string) {
  return {
    Type: 'Task',
    Resource: `\${${step.placeholder}}`,
    TimeoutSeconds: step.timeoutSeconds,
    // Keep only the ARN: the step's own result is `{"solutionVersionArn"}` too.
    Parameters: { 'solutionVersionArn.$': '$.solutionVersionArn' },
    ResultSelector: { 'solutionVersionArn.$': '$.solutionVersionArn' },
    Retry: retry,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: ERROR_PATH, Next: catchTo }],
    Next: next,
  };
}

/** The definition with placeholders; a fresh object on each call. */
export function trainingDefinition(): Record<string, unknown> {
  const s = TRAINING_STEPS;
  return {
    Comment: 'Trains one solution version: prepare data, train, evaluate, publish; any failure is recorded.',
    StartAt: s.prepare.state,
    States: {
      [s.prepare.state]: task(s.prepare, s.train.state, s.fail.state),
      [s.train.state]: task(s.train, s.evaluate.state, s.fail.state),
      [s.evaluate.state]: task(s.evaluate, s.publish.state, s.fail.state),
      [s.publish.state]: task(s.publish, 'Succeeded', s.fail.state),
      [s.fail.state]: {
        Type: 'Task',
        Resource: `\${${s.fail.placeholder}}`,
        TimeoutSeconds: s.fail.timeoutSeconds,
        Parameters: { 'solutionVersionArn.$': '$.solutionVersionArn', 'error.$': ERROR_PATH },
        Retry: retry,
        // Recording the failure failed too: end the execution failed all the same.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: 'Failed' }],
        Next: 'Failed',
      },
      Succeeded: { Type: 'Succeed' },
      Failed: {
        Type: 'Fail',
        Error: 'TrainingFailed',
        Cause: 'The solution version is CREATE FAILED; see its failureReason.',
      },
    },
  };
}

/** Replaces every `${key}` in the serialised definition; an unknown or missing placeholder throws. */
export function substitute(
  definition: Record<string, unknown>,
  values: Readonly<Record<string, string>>,
): string {
  const text = JSON.stringify(definition);
  const out = text.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`No value for placeholder \${${key}}`);
    return value;
  });
  return out;
}
