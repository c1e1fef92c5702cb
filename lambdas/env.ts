/**
 * The one environment-variable contract shared by the CDK app (`lib/`), the Lambda handlers and the local runtime.
 * CDK sets these on each function through the house function construct's `bind*` methods; the local runtime sets
 * them on `process.env` before it loads any handler.
 */
export const ENV = {
  /** DynamoDB table holding every control-plane resource (see `store/tables.ts`). */
  RESOURCES_TABLE: 'OP_RESOURCES_TABLE',
  /** DynamoDB table holding interaction events recorded with PutEvents. */
  EVENTS_TABLE: 'OP_EVENTS_TABLE',
  /** DynamoDB table holding items and users recorded with PutItems / PutUsers. */
  RECORDS_TABLE: 'OP_RECORDS_TABLE',
  /** S3 bucket for imported dataset data and model artifacts. */
  DATA_BUCKET: 'OP_DATA_BUCKET',
  /** Account id used in ARNs. */
  ACCOUNT_ID: 'OP_ACCOUNT_ID',
  /** Region used in ARNs (Lambda sets AWS_REGION; the local runtime sets it too). */
  REGION: 'AWS_REGION',
  /** Secrets Manager secret (ARN) holding `{"accessKeyId","secretAccessKey"}` accepted for SigV4 (AWS only). */
  CREDENTIALS_SECRET_ARN: 'OP_CREDENTIALS_SECRET_ARN',
  /** Access key pair accepted for SigV4 when no secret ARN is set (local runtime). */
  ACCESS_KEY_ID: 'OPEN_PERSONALIZE_ACCESS_KEY_ID',
  SECRET_ACCESS_KEY: 'OPEN_PERSONALIZE_SECRET_ACCESS_KEY',
  /** Router only: JSON object mapping control-plane operation name to the Lambda function name that serves it. */
  OPERATION_FUNCTIONS: 'OP_OPERATION_FUNCTIONS',
  /** Name of the function that runs dataset import jobs asynchronously. */
  IMPORT_FUNCTION: 'OP_IMPORT_FUNCTION',
  /**
   * `true` (set by CDK): the import worker reads the customer's S3 data with credentials from `sts:AssumeRole` on
   * the job's `roleArn`, as Personalize does. Unset (local runtime): it reads with its own credentials.
   */
  IMPORT_ASSUME_ROLE: 'OP_IMPORT_ASSUME_ROLE',
  /** ARN of the training state machine that CreateSolutionVersion starts (see `lambdas/workflows/`). */
  TRAINING_STATE_MACHINE_ARN: 'OP_TRAINING_STATE_MACHINE_ARN',
  /**
   * Training plan step only, optional: interactions per user shard of the distributed training's sums (default
   * `SHARD_INTERACTIONS` of `services/training.ts`).
   */
  TRAINING_SHARD_INTERACTIONS: 'OP_TRAINING_SHARD_INTERACTIONS',
  /**
   * Training plan step only, optional: shards summed at once (default `SHARD_CONCURRENCY` of
   * `services/training.ts`); the local runtime sets 1.
   */
  TRAINING_SHARD_CONCURRENCY: 'OP_TRAINING_SHARD_CONCURRENCY',
  /** ARN of the batch inference state machine that CreateBatchInferenceJob starts. */
  BATCH_INFERENCE_STATE_MACHINE_ARN: 'OP_BATCH_INFERENCE_STATE_MACHINE_ARN',
  /**
   * `true` (local runtime only): GetRecommendations answers before its `recommendationId` record is written, since
   * the process outlives the request. Unset (Lambda): the write is awaited. See `services/deferred-writes.ts`.
   */
  DEFER_RESPONSE_WRITES: 'OP_DEFER_RESPONSE_WRITES',
  /**
   * Milliseconds (local runtime only): how long GetRecommendations reuses a user's recent events, forgotten when the
   * process stores events of that user. Unset (Lambda, where PutEvents runs elsewhere): read on every request. See
   * `services/recent-events-cache.ts`.
   */
  RECENT_EVENTS_CACHE_MS: 'OP_RECENT_EVENTS_CACHE_MS',
  /** Console function only: directory of the built console (default: `console/` beside the handler bundle). */
  CONSOLE_ASSETS_DIR: 'OP_CONSOLE_ASSETS_DIR',
} as const;

export type EnvKey = (typeof ENV)[keyof typeof ENV];

/** Reads a required variable; throws at cold start naming the missing key. */
export function requireEnv(key: EnvKey): string {
  const value = process.env[key];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${key}`);
  }
  return value;
}

/** Reads an optional variable; empty counts as unset. */
export function optionalEnv(key: EnvKey): string | undefined {
  const value = process.env[key];
  return value === undefined || value === '' ? undefined : value;
}
