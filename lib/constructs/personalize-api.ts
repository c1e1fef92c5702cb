import { existsSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { EndpointType, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type Grants, ROUTES, type Route, WORKERS, type WorkerDef } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import type { ApiCredentials } from './api-credentials';
import type { DataStore } from './data-store';
import { handlerEntry, LAMBDA_ENV_LIMIT_BYTES, PersonalizeFunction } from './personalize-function';

/** API Gateway stops waiting for a Lambda integration after 29 seconds. */
export const API_GATEWAY_TIMEOUT = Duration.seconds(29);

/** The worker that `invokeImport` grants point at. */
const IMPORT_WORKER = 'DatasetImport';

/** Longest function name Lambda allows; CloudFormation-generated names can reach it. */
const MAX_FUNCTION_NAME = 64;

/** Room for every router variable other than the operation map (secret ARN, account id, NODE_OPTIONS, keys). */
const ROUTER_OTHER_ENV_BYTES = 512;

export interface PersonalizeApiProps {
  readonly data: DataStore;
  readonly credentials: ApiCredentials;
  /** Directory holding `package-lock.json` and `lambdas/handlers/`. */
  readonly sourceRoot: string;
  /**
   * Routes served by this API, one function each.
   * @default ROUTES
   */
  readonly routes?: readonly Route[];
  /**
   * Asynchronous workers, one function each.
   * @default WORKERS
   */
  readonly workers?: readonly WorkerDef[];
  /**
   * Memory of the router and of each operation function, in MB.
   * @default 512
   */
  readonly apiMemorySize?: number;
  /**
   * Timeout of each operation function. The router waits for the operation synchronously inside API Gateway's
   * 29 second limit, so this must be at most 28 seconds.
   * @default Duration.seconds(15)
   */
  readonly apiTimeout?: Duration;
  /**
   * Memory of each worker, in MB.
   * @default 2048
   */
  readonly workerMemorySize?: number;
  /**
   * Timeout of each worker.
   * @default Duration.minutes(15)
   */
  readonly workerTimeout?: Duration;
  /**
   * Log retention of every function.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Steady-state request rate of the `prod` stage, per second.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst capacity of the `prod` stage, in requests; at least `throttlingRateLimit` is sensible.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
}

/**
 * The REST API and its functions. Control-plane calls (AWS JSON 1.1) all arrive at `POST /` and name their
 * operation only in `X-Amz-Target`, which API Gateway cannot route on; a small router function authenticates the
 * call and invokes the operation's own function synchronously with the unchanged event. Runtime and events
 * operations have their own REST paths and map straight to their functions. There is no API Gateway authorizer:
 * the SDKs sign for service `personalize`, which API Gateway's IAM auth (service `execute-api`) would reject, so
 * SigV4 is verified inside the functions against the key pair in `credentials`.
 */
export class PersonalizeApi extends Construct {
  readonly restApi: RestApi;
  readonly router: PersonalizeFunction;
  /** Operation functions by operation name. */
  readonly functions: Readonly<Record<string, PersonalizeFunction>>;
  /** Worker functions by worker name. */
  readonly workers: Readonly<Record<string, PersonalizeFunction>>;

  constructor(scope: Construct, id: string, props: PersonalizeApiProps) {
    super(scope, id);
    const routes = props.routes ?? ROUTES;
    const workerDefs = props.workers ?? WORKERS;
    const apiTimeout = props.apiTimeout ?? Duration.seconds(15);
    const rateLimit = props.throttlingRateLimit ?? 100;
    const burstLimit = props.throttlingBurstLimit ?? 200;
    const controlPlane = routes.filter((r) => r.path === undefined);
    this.validate(routes, controlPlane, apiTimeout, rateLimit, burstLimit);
    this.requireHandlers(props.sourceRoot, [
      ...routes.map((r) => r.handler),
      ...workerDefs.map((w) => w.handler),
      'router',
    ]);

    const common = { sourceRoot: props.sourceRoot, logRetention: props.logRetention };
    const workers: Record<string, PersonalizeFunction> = {};
    for (const def of workerDefs) {
      const fn = new PersonalizeFunction(this, `${def.name}Worker`, {
        ...common,
        handler: def.handler,
        operation: def.name,
        memorySize: props.workerMemorySize ?? 2048,
        timeout: props.workerTimeout ?? Duration.minutes(15),
      }).bindAccountId();
      props.data.bindGrants(fn, def.grants);
      if (def.name === IMPORT_WORKER) fn.bindAssumeRole();
      this.bindInvokes(fn, def.grants, workers);
      workers[def.name] = fn;
    }
    this.workers = workers;

    const functions: Record<string, PersonalizeFunction> = {};
    for (const route of routes) {
      const fn = new PersonalizeFunction(this, route.operation, {
        ...common,
        handler: route.handler,
        operation: route.operation,
        memorySize: props.apiMemorySize,
        timeout: apiTimeout,
      })
        .bindAccountId()
        .bindCredentialsSecret(props.credentials.secret);
      props.data.bindGrants(fn, route.grants);
      this.bindInvokes(fn, route.grants, workers);
      functions[route.operation] = fn;
    }
    this.functions = functions;

    const dispatch: Record<string, PersonalizeFunction> = {};
    for (const route of controlPlane) dispatch[route.operation] = functions[route.operation]!;
    this.router = new PersonalizeFunction(this, 'Router', {
      ...common,
      handler: 'router',
      operation: 'Router',
      memorySize: props.apiMemorySize,
      timeout: API_GATEWAY_TIMEOUT,
    })
      .bindAccountId()
      .bindCredentialsSecret(props.credentials.secret)
      .bindOperationFunctions(dispatch);

    this.restApi = new RestApi(this, 'RestApi', {
      description: 'open-personalize: Amazon Personalize-compatible API',
      endpointTypes: [EndpointType.REGIONAL],
      // No access logging, so no account-wide CloudWatch role that would outlive the stack.
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
      },
    });
    // The stack names the endpoint output itself; RestApi's own output would repeat it under a generated name.
    this.restApi.node.tryRemoveChild('Endpoint');
    // Test invocations from the console are not needed; skipping them halves the Lambda permissions.
    this.restApi.root.addMethod('POST', new LambdaIntegration(this.router, { allowTestInvoke: false }));
    for (const route of routes) {
      if (route.path === undefined) continue;
      this.restApi.root
        .resourceForPath(route.path)
        .addMethod('POST', new LambdaIntegration(functions[route.operation]!, { allowTestInvoke: false }));
    }
  }

  private bindInvokes(
    fn: PersonalizeFunction,
    grants: Grants,
    workers: Readonly<Record<string, PersonalizeFunction>>,
  ): void {
    if (grants.invokeImport !== true) return;
    const worker = workers[IMPORT_WORKER];
    if (worker === undefined) {
      throw new Error(`${fn.operation}: invokeImport needs a ${IMPORT_WORKER} worker, none is defined`);
    }
    fn.bindInvoke(worker, ENV.IMPORT_FUNCTION);
  }

  /** Names every missing handler file at once, where esbuild would stop at the first. */
  private requireHandlers(sourceRoot: string, handlers: readonly string[]): void {
    const missing = handlers.map((h) => handlerEntry(sourceRoot, h)).filter((file) => !existsSync(file));
    if (missing.length > 0) {
      throw new Error(`${this.node.path}: missing handler files:\n  ${missing.join('\n  ')}`);
    }
  }

  private validate(
    routes: readonly Route[],
    controlPlane: readonly Route[],
    apiTimeout: Duration,
    rateLimit: number,
    burstLimit: number,
  ): void {
    const where = this.node.path;
    const seen = new Set<string>();
    for (const route of routes) {
      if (seen.has(route.operation))
        throw new Error(`${where}: operation ${route.operation} is routed twice`);
      seen.add(route.operation);
    }
    if (!apiTimeout.isUnresolved() && apiTimeout.toSeconds() >= API_GATEWAY_TIMEOUT.toSeconds()) {
      throw new Error(
        `${where}: apiTimeout must be below API Gateway's ${API_GATEWAY_TIMEOUT.toSeconds()} s so the router ` +
          `can answer when an operation times out, got ${apiTimeout.toHumanString()}`,
      );
    }
    if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1) {
      throw new Error(
        `${where}: throttlingRateLimit must be positive and throttlingBurstLimit a positive integer, ` +
          `got ${rateLimit} and ${burstLimit}`,
      );
    }
    // The router's operation map is one environment variable; function names are tokens at synth time, so check
    // the worst case (every name at Lambda's maximum length) against Lambda's 4 KB limit.
    const worstCase = controlPlane.reduce((n, r) => n + r.operation.length + MAX_FUNCTION_NAME + 6, 2);
    if (worstCase + ROUTER_OTHER_ENV_BYTES > LAMBDA_ENV_LIMIT_BYTES) {
      throw new Error(
        `${where}: ${controlPlane.length} control-plane operations may not fit the router's ` +
          `${ENV.OPERATION_FUNCTIONS} in Lambda's ${LAMBDA_ENV_LIMIT_BYTES} byte environment limit`,
      );
    }
  }
}
