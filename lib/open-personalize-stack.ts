import * as path from 'node:path';
import { Aws, CfnOutput, type Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ApiCredentials } from './constructs/api-credentials';
import { AutomaticTraining } from './constructs/automatic-training';
import { AutomaticUpdates } from './constructs/automatic-updates';
import { BatchInferenceWorkflow } from './constructs/batch-inference-workflow';
import { DataStore } from './constructs/data-store';
import { PersonalizeApi } from './constructs/personalize-api';
import { TrainingWorkflow } from './constructs/training-workflow';
import { WebConsole } from './constructs/web-console';
import { DEFAULT_SERVING_CAPACITY, type ServingCapacity, servingMemoryMb } from './serving-memory';

/** The repository root: it holds `package-lock.json` and `lambdas/handlers/`. */
export const REPOSITORY_ROOT = path.resolve(__dirname, '..');

export interface OpenPersonalizeStackProps extends StackProps {
  /**
   * What happens to the tables, the data bucket and the credentials secret when the stack is deleted.
   * `DESTROY` suits throw-away dev stacks; it also empties the bucket on deletion.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Keep old versions of objects in the data bucket.
   * @default false
   */
  readonly bucketVersioning?: boolean;
  /**
   * Memory of the router and each operation function, in MB (128–10240).
   * @default 512
   */
  readonly apiMemorySize?: number;
  /**
   * The largest catalog a campaign serves: GetRecommendations' and GetPersonalizedRanking's memory follows it
   * (`servingMemoryMb`, formula in `lib/serving-memory.ts`).
   * @default DEFAULT_SERVING_CAPACITY (100,000 items, hidden dimension 256, 20M history events, 1M users)
   */
  readonly servingCapacity?: ServingCapacity;
  /**
   * Timeout of each operation function; below 29 seconds (API Gateway's limit).
   * @default Duration.seconds(15)
   */
  readonly apiTimeout?: Duration;
  /**
   * Memory of the asynchronous workers (dataset import), in MB (128–10240).
   * @default 2048
   */
  readonly workerMemorySize?: number;
  /**
   * Timeout of the asynchronous workers; at most 15 minutes.
   * @default Duration.minutes(15)
   */
  readonly workerTimeout?: Duration;
  /**
   * Log retention of every function.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Memory of the workers that hold a dataset or model (training prepare, train, evaluate; automatic update and
   * training check), in MB (128–10240).
   * @default 4096
   */
  readonly trainingMemorySize?: number;
  /**
   * Steady-state request rate of the API stage, per second.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst capacity of the API stage, in requests.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Directory holding `package-lock.json` and `lambdas/handlers/<handler>.ts`.
   * @default the repository root
   */
  readonly sourceRoot?: string;
}

/**
 * open-personalize on AWS: data (tables, bucket), the generated SigV4 key pair, and the REST API with one function
 * per operation. Constructs are exposed so later parts (training workflow, automatic-update schedule) can bind to
 * the same data and functions.
 */
export class OpenPersonalizeStack extends Stack {
  readonly data: DataStore;
  readonly credentials: ApiCredentials;
  readonly api: PersonalizeApi;
  readonly training: TrainingWorkflow;
  readonly updates: AutomaticUpdates;
  readonly autoTraining: AutomaticTraining;
  readonly batchInference: BatchInferenceWorkflow;
  readonly console: WebConsole;

  constructor(scope: Construct, id: string, props: OpenPersonalizeStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.data = new DataStore(this, 'Data', {
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      versioned: props.bucketVersioning,
    });
    this.credentials = new ApiCredentials(this, 'Credentials', { removalPolicy });
    this.api = new PersonalizeApi(this, 'Api', {
      data: this.data,
      credentials: this.credentials,
      sourceRoot: props.sourceRoot ?? REPOSITORY_ROOT,
      apiMemorySize: props.apiMemorySize,
      servingMemorySize: servingMemoryMb(props.servingCapacity ?? DEFAULT_SERVING_CAPACITY),
      apiTimeout: props.apiTimeout,
      workerMemorySize: props.workerMemorySize,
      workerTimeout: props.workerTimeout,
      logRetention: props.logRetention,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
    });
    this.training = new TrainingWorkflow(this, 'Training', {
      api: this.api,
      trainingMemorySize: props.trainingMemorySize,
      logRetention: props.logRetention,
    });

    this.updates = new AutomaticUpdates(this, 'AutomaticUpdates', {
      api: this.api,
      memorySize: props.trainingMemorySize,
      logRetention: props.logRetention,
    });
    this.autoTraining = new AutomaticTraining(this, 'AutomaticTraining', {
      api: this.api,
      memorySize: props.trainingMemorySize,
    });
    this.batchInference = new BatchInferenceWorkflow(this, 'BatchInference', {
      api: this.api,
      memorySize: props.trainingMemorySize,
      logRetention: props.logRetention,
    });

    this.console = new WebConsole(this, 'Console', {
      restApi: this.api.restApi,
      sourceRoot: props.sourceRoot ?? REPOSITORY_ROOT,
      logRetention: props.logRetention,
    });

    const secretArn = this.credentials.secret.secretArn;
    new CfnOutput(this, 'ApiEndpoint', {
      description: 'Endpoint for the Personalize, Personalize Runtime and Personalize Events clients',
      value: this.api.restApi.url,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      description: 'The web console; sign in with the key pair in CredentialsSecretArn',
      value: this.api.restApi.urlForPath('/console'),
    });
    new CfnOutput(this, 'CredentialsSecretArn', {
      description: 'Secrets Manager secret holding {"accessKeyId","secretAccessKey"} accepted by the API',
      value: secretArn,
    });
    new CfnOutput(this, 'ReadCredentialsCommand', {
      description: 'Prints the key pair',
      value: `aws secretsmanager get-secret-value --secret-id ${secretArn} --region ${Aws.REGION} --query SecretString --output text`,
    });
  }
}
