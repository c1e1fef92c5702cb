/**
 * SDK clients, built once per process. Endpoints come from the standard `AWS_ENDPOINT_URL_<SERVICE>` variables,
 * so the same code reaches AWS, LocalStack or the embedded emulators. On Lambda their calls are traced in X-Ray.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from './observability';

/**
 * Retries of every SDK client: throttling (`ProvisionedThroughputExceededException`, `ThrottlingException`,
 * `SlowDown`) and transient errors are retried with exponential back-off and jitter up to this many attempts, so a
 * burst of throttling slows a request down instead of failing it. (The SDK default of 3 attempts gives up within
 * about a second.) What still fails after that is answered as Personalize's `ThrottlingException` (HTTP 400).
 */
export const RETRY_CONFIG = { maxAttempts: 8, retryMode: 'standard' } as const;

/** The DynamoDB client configuration every process uses (tests add an endpoint and a request handler). */
export function dynamoDbClientConfig(): ConstructorParameters<typeof DynamoDBClient>[0] & object {
  return { ...RETRY_CONFIG };
}

/** The S3 client configuration every process uses. */
export function s3ClientConfig(): ConstructorParameters<typeof S3Client>[0] & object {
  // A custom S3 endpoint (LocalStack, the embedded emulator) needs path-style addressing; checksums are only
  // computed when an operation requires them, which the emulators accept.
  return {
    ...RETRY_CONFIG,
    forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

let ddb: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let lambda: LambdaClient | undefined;
let secretsManager: SecretsManagerClient | undefined;
let sfn: SFNClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(traced(new DynamoDBClient(dynamoDbClientConfig())), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return ddb;
}

export function s3Client(): S3Client {
  s3 ??= traced(new S3Client(s3ClientConfig()));
  return s3;
}

export function lambdaClient(): LambdaClient {
  lambda ??= traced(new LambdaClient({}));
  return lambda;
}

export function secretsManagerClient(): SecretsManagerClient {
  secretsManager ??= traced(new SecretsManagerClient({}));
  return secretsManager;
}

export function sfnClient(): SFNClient {
  sfn ??= traced(new SFNClient({}));
  return sfn;
}
