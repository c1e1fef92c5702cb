/**
 * The training workflow as plain data: the Amazon States Language definition (JSONPath only) that CDK deploys and
 * the local runtime runs, with `${...}` placeholders where each step's Lambda function ARN goes. CloudFormation fills
 * the placeholders through `DefinitionSubstitutions`; the local runner with {@link substitute}.
 *
 *   Prepare → Plan → SumShards (Map: one ShardSums per user shard) → Reduce → Train → Evaluate → Publish → Succeeded
 *      └───────┴────────┴───────────────────────────────────────────┴────────┴────────┴──────────┴──(Catch)──→
 *                                                                                       RecordFailure → Failed
 *
 * `SumShards` is a Distributed Map on AWS (`ProcessorConfig.Mode` DISTRIBUTED: each shard a child execution, as
 * many at once as the plan's `concurrency`, 16 by default); aws-local-stepfunctions runs the same state over the
 * same `ItemsPath` and `MaxConcurrencyPath`, where the plan says one at a time. Besides the solution version ARN,
 * only the plan's shard list (at most a few dozen small numbers) and concurrency travel in the state; sums and models
 * go through the data bucket at fixed keys, so no state comes near Step Functions' 256 KB payload limit and the
 * Map's own result is dropped.
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
  plan: {
    state: 'Plan',
    worker: 'TrainingPlan',
    placeholder: 'PlanFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  shardSums: {
    state: 'ShardSums',
    worker: 'TrainingShardSums',
    placeholder: 'ShardSumsFunctionArn',
    timeoutSeconds: LAMBDA_MAX_SECONDS,
  },
  reduce: {
    state: 'Reduce',
    worker: 'TrainingReduce',
    placeholder: 'ReduceFunctionArn',
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

/** The Distributed Map state over the shards. */
export const SHARD_MAP_STATE = 'SumShards';

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

const catchTo = (next: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: ERROR_PATH, Next: next }];

function task(step: TrainingStep, next: string, failTo: string, keep: readonly string[] = []) {
  // Keep only the ARN (and `keep`): the step's own result is `{"solutionVersionArn"}` too.
  const selector: Record<string, string> = { 'solutionVersionArn.$': '$.solutionVersionArn' };
  for (const key of keep) selector[`${key}.$`] = `$.${key}`;
  return {
    Type: 'Task',
    Resource: `\${${step.placeholder}}`,
    TimeoutSeconds: step.timeoutSeconds,
    Parameters: { 'solutionVersionArn.$': '$.solutionVersionArn' },
    ResultSelector: selector,
    Retry: retry,
    Catch: catchTo(failTo),
    Next: next,
  };
}

/**
 * One child execution per shard, each a single guarded Task; a child that still fails after its retries fails the
 * Map, whose Catch records the failure. The Map retries the transient errors too (locally a child's error reaches
 * it by name; on AWS it sees `States.ExceedToleratedFailureThreshold`, which is not retried).
 */
function shardMap(step: TrainingStep, next: string, failTo: string) {
  return {
    Type: 'Map',
    ItemsPath: '$.shards',
    MaxConcurrencyPath: '$.concurrency',
    ItemSelector: { 'solutionVersionArn.$': '$.solutionVersionArn', 'shard.$': '$$.Map.Item.Value' },
    ItemProcessor: {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
      StartAt: step.state,
      States: {
        [step.state]: {
          Type: 'Task',
          Resource: `\${${step.placeholder}}`,
          TimeoutSeconds: step.timeoutSeconds,
          Retry: retry,
          End: true,
        },
      },
    },
    ResultPath: null,
    Retry: retry,
    Catch: catchTo(failTo),
    Next: next,
  };
}

/** The definition with placeholders; a fresh object on each call. */
export function trainingDefinition(): Record<string, unknown> {
  const s = TRAINING_STEPS;
  return {
    Comment:
      'Trains one solution version: prepare data, plan, sum the user shards, reduce, train, evaluate, publish; any failure is recorded.',
    StartAt: s.prepare.state,
    States: {
      [s.prepare.state]: task(s.prepare, s.plan.state, s.fail.state),
      [s.plan.state]: task(s.plan, SHARD_MAP_STATE, s.fail.state, ['shards', 'concurrency']),
      [SHARD_MAP_STATE]: shardMap(s.shardSums, s.reduce.state, s.fail.state),
      [s.reduce.state]: task(s.reduce, s.train.state, s.fail.state),
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
