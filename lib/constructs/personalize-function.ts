import * as path from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Access } from '../../lambdas/api/routes';
import { ENV, type EnvKey } from '../../lambdas/env';

/** Read access to a table: single items, queries, scans and batch reads, nothing that changes data. */
export const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:BatchGetItem',
  'dynamodb:DescribeTable',
] as const;

/** Write access adds item writes; `ConditionCheckItem` is what a condition-only part of TransactWriteItems needs. */
export const TABLE_WRITE_ACTIONS = [
  ...TABLE_READ_ACTIONS,
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** Tag keys naming what a function serves, so tools and tests find functions without logical ids. */
export const OPERATION_TAG = 'open-personalize:operation';
export const HANDLER_TAG = 'open-personalize:handler';

/** Lambda caps all environment variables of one function at 4 KB together. */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;

/** Where handler sources live: `<sourceRoot>/lambdas/handlers/<handler>.ts`, with `<sourceRoot>/package-lock.json`. */
export function handlerEntry(sourceRoot: string, handler: string): string {
  return path.join(sourceRoot, 'lambdas', 'handlers', `${handler}.ts`);
}

export interface PersonalizeFunctionProps {
  /** Kebab-case handler file name without extension, exporting `handler`. */
  readonly handler: string;
  /** The API operation or worker this function serves; tagged on the function. */
  readonly operation: string;
  /** Directory holding `package-lock.json` and `lambdas/handlers/`. */
  readonly sourceRoot: string;
  /**
   * Memory in MB; Lambda allows 128–10240.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Lambda allows at most 15 minutes.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's log group keeps events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The one Lambda function shape of the project: Node 22 on ARM64, esbuild bundle with source maps, its own log
 * group with a retention. Every `bind*` method grants the least privilege a piece of the env contract needs and
 * sets the matching variable in the same call, so a grant never exists without its variable or the reverse.
 */
export class PersonalizeFunction extends NodejsFunction {
  readonly operation: string;

  constructor(scope: Construct, id: string, props: PersonalizeFunctionProps) {
    const memorySize = props.memorySize ?? 512;
    const timeout = props.timeout ?? Duration.seconds(15);
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(
        `${props.operation}: memorySize must be an integer from 128 to 10240 MB, got ${memorySize}`,
      );
    }
    if (!timeout.isUnresolved() && (timeout.toSeconds() < 1 || timeout.toSeconds() > 900)) {
      throw new Error(
        `${props.operation}: timeout must be from 1 second to 15 minutes, got ${timeout.toHumanString()}`,
      );
    }
    // Log groups are bounded by their retention; retaining them past the stack would only leave orphans behind.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: handlerEntry(props.sourceRoot, props.handler),
      handler: 'handler',
      projectRoot: props.sourceRoot,
      depsLockFilePath: path.join(props.sourceRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout,
      logGroup,
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        // The SDK is bundled rather than taken from the runtime so the deployed client versions are the ones in
        // package-lock.json (clients.ts relies on checksum options that older runtime SDKs lack).
        externalModules: [],
      },
    });
    this.operation = props.operation;
    Tags.of(this).add(OPERATION_TAG, props.operation);
    Tags.of(this).add(HANDLER_TAG, props.handler);
  }

  /** The account id used in ARNs the function builds. */
  bindAccountId(): this {
    this.addEnvironment(ENV.ACCOUNT_ID, Aws.ACCOUNT_ID);
    return this;
  }

  /** A DynamoDB table named by `envKey`; read access cannot put, update or delete items. */
  bindTable(table: ITable, envKey: EnvKey, access: Access): this {
    table.grant(this, ...(access === 'write' ? TABLE_WRITE_ACTIONS : TABLE_READ_ACTIONS));
    this.addEnvironment(envKey, table.tableName);
    return this;
  }

  /** The data bucket: objects and listings, plus puts and deletes for `write`. */
  bindBucket(bucket: IBucket, envKey: EnvKey, access: Access): this {
    if (access === 'write') bucket.grantReadWrite(this);
    else bucket.grantRead(this);
    this.addEnvironment(envKey, bucket.bucketName);
    return this;
  }

  /** The deployment's SigV4 key pair, read (never written) from Secrets Manager. */
  bindCredentialsSecret(secret: ISecret): this {
    secret.grantRead(this);
    this.addEnvironment(ENV.CREDENTIALS_SECRET_ARN, secret.secretArn);
    return this;
  }

  /** Another function this one starts by name (e.g. the import worker). */
  bindInvoke(target: IFunction, envKey: EnvKey): this {
    target.grantInvoke(this);
    this.addEnvironment(envKey, target.functionName);
    return this;
  }

  /**
   * The router's dispatch table: invoke permission on exactly these functions and `OP_OPERATION_FUNCTIONS` as a
   * JSON object of operation name to function name.
   */
  bindOperationFunctions(functions: Readonly<Record<string, IFunction>>): this {
    const names: Record<string, string> = {};
    for (const [operation, fn] of Object.entries(functions)) {
      fn.grantInvoke(this);
      names[operation] = fn.functionName;
    }
    this.addEnvironment(ENV.OPERATION_FUNCTIONS, Stack.of(this).toJsonString(names));
    return this;
  }

  /**
   * Assume the customer's role named in a dataset import job, as Personalize does. The resource is `*` because the
   * role ARN is only known per request; each customer role's trust policy decides whether this function may assume
   * it, which is where Personalize puts that decision too.
   */
  bindAssumeRole(): this {
    this.addToRolePolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: ['*'] }));
    this.addEnvironment(ENV.IMPORT_ASSUME_ROLE, 'true');
    return this;
  }
}
