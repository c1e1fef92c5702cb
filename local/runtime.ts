/**
 * The embedded runtime behind `npm start` and the integration tests: DynamoDB and S3 emulators, a local Lambda
 * Invoke API and a local API Gateway over the same handler modules the deployed functions run, all in this process
 * except the CPU-bound functions (training steps, imports, batch chunks), which run in child processes
 * (`child-functions.ts`) so that a training does not stall the emulators and the API.
 *
 * Handlers read their configuration from `process.env` (the contract in `lambdas/env.ts`), so the runtime sets it
 * before the first handler is loaded. SDK clients are built once per module registry (`lambdas/clients.ts`) and
 * keep the endpoints they saw first: start one runtime per process (or per jest module registry) at a time.
 */
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AUTO_TRAINING_CHECK_HOURS, AUTO_TRAINING_WORKER, ROUTES, WORKERS } from '../lambdas/api/routes';
import { dynamoDbClientConfig, s3ClientConfig } from '../lambdas/clients';
import { ENV, type EnvKey } from '../lambdas/env';
import type { AutoTrainingReport } from '../lambdas/services/automatic-training';
import { createServiceContext, type ServiceContext } from '../lambdas/services/context';
import { deferredWrites } from '../lambdas/services/deferred-writes';
import { recoverAfterRestart } from '../lambdas/services/recovery';
import { DATA_BUCKET, TABLES } from '../lambdas/store/tables';
import { UPDATE_INTERVAL_HOURS, updateDefinitionJson } from '../lambdas/workflows/update-definition';
import { createApiServer } from './api-gateway';
import { ChildFunctions } from './child-functions';
import { type Emulators, S3_CREDENTIALS, startEmulators } from './emulators';
import { FunctionRegistry, type HandlerLoader, requireHandler } from './functions';
import { close, listen } from './http-util';
import { createLambdaServer } from './lambda-api';
import { DEFAULT_STATE_MACHINES } from './state-machines';
import { createStepFunctionsServer, LocalStepFunctions } from './step-functions';
import { FixedRate, LocalSchedule, type ScheduleSpec } from './timer';
import { ApiWorkers } from './workers';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Port of the API when neither `--port` nor `OPEN_PERSONALIZE_PORT` is given. */
export const DEFAULT_PORT = 8080;
export const DEFAULT_REGION = 'us-east-1';
/** The account id in every local ARN (override with `OP_ACCOUNT_ID`). */
export const DEFAULT_ACCOUNT_ID = '000000000000';
/** The key pair the API accepts when `OPEN_PERSONALIZE_ACCESS_KEY_ID` / `_SECRET_ACCESS_KEY` are not set. */
export const DEFAULT_API_CREDENTIALS: Credentials = {
  accessKeyId: 'OPENPERSONALIZELOCAL',
  secretAccessKey: 'open-personalize-local-secret',
};
/** The data bucket inside the embedded S3 (users create their own buckets beside it for uploads). */
export const LOCAL_DATA_BUCKET = 'open-personalize-data';
export const DEFAULT_DATA_DIR = '.data';

/** Name of the automatic-update state machine in the local Step Functions. */
export const UPDATE_STATE_MACHINE_NAME = 'AutomaticUpdates';
/** How often the local timer starts the automatic-update workflow, as the deployed EventBridge rule does. */
export const DEFAULT_UPDATE_INTERVAL_MS = UPDATE_INTERVAL_HOURS * 3_600_000;
/** Environment variable that sets the interval of `npm start` (a duration such as `2h`, `30m`, `90s`; 0 = off). */
export const UPDATE_INTERVAL_ENV = 'OPEN_PERSONALIZE_UPDATE_INTERVAL';
/** How often the local timer runs the automatic-training check, as the deployed EventBridge rule does. */
export const DEFAULT_AUTO_TRAINING_INTERVAL_MS = AUTO_TRAINING_CHECK_HOURS * 3_600_000;
/** Environment variable that sets the automatic-training check's interval of `npm start` (0 = off). */
export const AUTO_TRAINING_INTERVAL_ENV = 'OPEN_PERSONALIZE_AUTO_TRAINING_INTERVAL';

/** How long GetRecommendations reuses a user's recent events when no PutEvents for the user says otherwise. */
export const RECENT_EVENTS_CACHE_MS = 1_000;
/** Interactions per training shard locally unless `OP_TRAINING_SHARD_INTERACTIONS` says otherwise: one shard. */
export const LOCAL_SHARD_INTERACTIONS = 1_000_000_000;

const HOST = '127.0.0.1';
const IMPORT_WORKER_HANDLER = 'dataset-import-worker';

/** A state machine the local Step Functions hosts. */
export interface StateMachineSpec {
  readonly name: string;
  /** The env key that carries its ARN to the handlers that start it. */
  readonly envKey?: EnvKey;
  /** The definition as JSON, given how to name a local function's ARN for its Task states. */
  definition(lambdaArn: (functionName: string) => string): string;
}

export interface RuntimeOptions {
  /** API port; 0 = ephemeral. @default `OPEN_PERSONALIZE_PORT` or 8080 */
  readonly port?: number;
  /** Embedded S3 port; 0 = ephemeral. @default port + 1, or ephemeral when port is 0 */
  readonly s3Port?: number;
  /** Directory to persist data in; `undefined` keeps everything in memory. */
  readonly dataDir?: string;
  /** @default `AWS_REGION` or us-east-1 */
  readonly region?: string;
  /** @default `OP_ACCOUNT_ID` or 000000000000 */
  readonly accountId?: string;
  /** Key pair clients must sign with. @default the `OPEN_PERSONALIZE_*` variables or DEFAULT_API_CREDENTIALS */
  readonly apiCredentials?: Credentials;
  /** Replaces loading `lambdas/handlers/<file>.ts`; for tests of the runtime itself. */
  readonly loadHandler?: HandlerLoader;
  /** State machines to host. @default DEFAULT_STATE_MACHINES (the training workflow) */
  readonly stateMachines?: readonly StateMachineSpec[];
  /** Functions invoked at a fixed rate, as EventBridge schedules invoke them in AWS. @default none */
  readonly schedules?: readonly ScheduleSpec[];
  /**
   * Interval of the automatic-update timer in ms; 0 turns the timer off (the workflow can still be started with
   * {@link Runtime.automaticUpdate} or through the local Step Functions API).
   * @default `OPEN_PERSONALIZE_UPDATE_INTERVAL` or two hours
   */
  readonly updateIntervalMs?: number;
  /**
   * Interval of the automatic-training check in ms; 0 turns the timer off (the check can still be run with
   * {@link Runtime.automaticTraining}).
   * @default `OPEN_PERSONALIZE_AUTO_TRAINING_INTERVAL` or one hour
   */
  readonly autoTrainingIntervalMs?: number;
  /**
   * API workers: with N > 0 the API is served by N node:cluster worker processes sharing the port, against the
   * emulators, Lambda and Step Functions of this process; 0 serves it from this process.
   * @default 0
   */
  readonly workers?: number;
  /**
   * Directory holding a built web console (`console/build.ts`), served at `GET /console`.
   * @default none: `/console` answers 404 until a console is built
   */
  readonly consoleAssetsDir?: string;
}

/** How one run of the automatic-update workflow ended. */
export interface AutomaticUpdateRun {
  readonly executionArn: string;
  readonly status: string;
  /** The workflow's output: `{"campaignArns": [...], "results": [<outcome per campaign>]}`. */
  readonly output?: unknown;
}

export interface Runtime {
  /** Base URL of the API (control plane, runtime and events alike). */
  readonly endpoint: string;
  /** Base URL of the embedded S3, for uploading import data (path-style addressing). */
  readonly s3Endpoint: string;
  readonly apiCredentials: Credentials;
  readonly s3Credentials: Credentials;
  readonly region: string;
  readonly accountId: string;
  /** Bucket the runtime keeps its own data in. */
  readonly dataBucket: string;
  /** Loopback-only endpoints the handlers use: the DynamoDB emulator, the local Lambda and Step Functions APIs. */
  readonly internalEndpoints: {
    readonly dynamodb: string;
    readonly lambda: string;
    readonly stepFunctions: string;
  };
  /** ARN of the automatic-update state machine in the local Step Functions. */
  readonly updateStateMachineArn: string;
  /** Interval of the automatic-update timer in ms (0: off). */
  readonly updateIntervalMs: number;
  /** Process ids of the API workers (empty when this process serves the API itself). */
  readonly workerPids: () => number[];
  /** Runs the automatic-update workflow now (as the timer does) and resolves when it has finished. */
  automaticUpdate(): Promise<AutomaticUpdateRun>;
  /** Interval of the automatic-training check in ms (0: off). */
  readonly autoTrainingIntervalMs: number;
  /**
   * Runs the automatic-training check now (as the timer does; a check already running is shared) and resolves with
   * its decisions. The trainings it starts run on; {@link idle} waits for them.
   */
  automaticTraining(): Promise<AutoTrainingReport>;
  /** Resolves when no asynchronous work (imports, training executions, scheduled runs) is running. */
  idle(): Promise<void>;
  /** Stops accepting requests, waits for in-flight work, then closes the servers and emulators. */
  stop(): Promise<void>;
}

/**
 * Something that runs beside the API and must be drained on shutdown: asynchronous Lambda invocations now; the
 * Step Functions runner and the periodic timer join this list, each able to start work in the others.
 */
interface Background {
  /** Whether work is running now. */
  busy(): boolean;
  /** Resolves when the work running now (and what it starts here) has settled. */
  idle(): Promise<void>;
  /** Starts no new work (a timer stops ticking) and resolves when the running work has settled. */
  stop(): Promise<void>;
}

function envValue(key: string): string | undefined {
  const value = process.env[key];
  return value === undefined || value === '' ? undefined : value;
}

function portFromEnv(): number {
  const raw = envValue('OPEN_PERSONALIZE_PORT');
  return raw === undefined ? DEFAULT_PORT : parsePort(raw, 'OPEN_PERSONALIZE_PORT');
}

export function parsePort(raw: string, what: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${what} must be a port number: ${raw}`);
  return port;
}

/** Parses `2h`, `30m`, `90s`, `500ms` or a plain number of milliseconds; 0 means off. */
export function parseDuration(raw: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (m === null) throw new Error(`${what} must be a duration such as 2h, 30m, 90s or 500ms: ${raw}`);
  const scale = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * scale);
}

function intervalFromEnv(key: string, fallback: number): number {
  const raw = envValue(key);
  return raw === undefined ? fallback : parseDuration(raw, key);
}

/** Runs the automatic-training worker as the deployed rule invokes it; a failed run surfaces as an error. */
async function runAutoTrainingCheck(registry: FunctionRegistry): Promise<AutoTrainingReport> {
  const outcome = await registry.invoke(AUTO_TRAINING_WORKER, {});
  if (!outcome.ok) throw new Error(`${outcome.error.errorType}: ${outcome.error.errorMessage}`);
  return outcome.result as AutoTrainingReport;
}

/**
 * The local stand-in for the EventBridge rule: starts the automatic-update workflow at a fixed rate (see
 * {@link FixedRate}) and reports how each timer-started run ended.
 */
class UpdateTimer extends FixedRate<AutomaticUpdateRun> implements Background {
  constructor(stepFunctions: LocalStepFunctions, stateMachineArn: string, intervalMs: number) {
    super(
      intervalMs,
      () => runWorkflow(stepFunctions, stateMachineArn),
      (run) =>
        run.then(
          (r) => {
            if (r.status !== 'SUCCEEDED') console.error(`[updates] ${r.executionArn} ended ${r.status}`);
          },
          (err: unknown) => console.error('[updates] could not start the automatic update:', err),
        ),
    );
  }
}

async function runWorkflow(
  stepFunctions: LocalStepFunctions,
  stateMachineArn: string,
): Promise<AutomaticUpdateRun> {
  const started = stepFunctions.startExecution(stateMachineArn, undefined, '{}');
  let execution = started;
  while (execution.status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 25));
    execution = stepFunctions.describeExecution(started.executionArn);
  }
  return {
    executionArn: execution.executionArn,
    status: execution.status,
    ...(execution.output === undefined ? {} : { output: JSON.parse(execution.output) as unknown }),
  };
}

/** How often the local runtime deletes expired recommendation records (DynamoDB's TTL does it on AWS). */
const RECORD_SWEEP_MS = 60 * 60_000;

/** A service context over this runtime's emulators, for the runtime's own housekeeping. */
function housekeepingContext(emulators: Emulators, region: string, accountId: string): ServiceContext {
  const credentials = { ...S3_CREDENTIALS };
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...dynamoDbClientConfig(),
      endpoint: emulators.dynamodbEndpoint,
      region,
      credentials,
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const s3 = new S3Client({
    ...s3ClientConfig(),
    forcePathStyle: true,
    endpoint: emulators.s3Endpoint,
    region,
    credentials,
  });
  return createServiceContext({ ddb, s3, region, accountId, dataBucket: LOCAL_DATA_BUCKET });
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const startedAt = Date.now();
  const port = options.port ?? portFromEnv();
  const s3Port = options.s3Port ?? (port === 0 ? 0 : port + 1);
  const region = options.region ?? envValue(ENV.REGION) ?? DEFAULT_REGION;
  const accountId = options.accountId ?? envValue(ENV.ACCOUNT_ID) ?? DEFAULT_ACCOUNT_ID;
  const apiCredentials = options.apiCredentials ?? {
    accessKeyId: envValue(ENV.ACCESS_KEY_ID) ?? DEFAULT_API_CREDENTIALS.accessKeyId,
    secretAccessKey: envValue(ENV.SECRET_ACCESS_KEY) ?? DEFAULT_API_CREDENTIALS.secretAccessKey,
  };
  if (!/^\d{12}$/.test(accountId)) throw new Error(`Account id must be 12 digits: ${accountId}`);

  const importFunction = WORKERS.find((w) => w.handler === IMPORT_WORKER_HANDLER)?.name;
  if (importFunction === undefined)
    throw new Error(`No worker with handler ${IMPORT_WORKER_HANDLER} in WORKERS`);

  const tables = TABLES.map((def) => ({ def, name: def.id }));
  const emulators: Emulators = await startEmulators({
    dataDir: options.dataDir === undefined ? undefined : resolve(options.dataDir),
    dynamodbPort: 0,
    s3Port,
    tables,
    bucket: LOCAL_DATA_BUCKET,
    region,
  });

  // CPU-bound functions run in child processes, except with a custom loader, whose handlers live only here.
  const children = options.loadHandler === undefined ? new ChildFunctions() : undefined;
  const registry = new FunctionRegistry(options.loadHandler ?? requireHandler, children);
  const lambdaArn = (fn: string) => `arn:aws:lambda:${region}:${accountId}:function:${fn}`;
  const updateIntervalMs =
    options.updateIntervalMs ?? intervalFromEnv(UPDATE_INTERVAL_ENV, DEFAULT_UPDATE_INTERVAL_MS);
  if (!(updateIntervalMs >= 0)) throw new Error(`Update interval must be 0 or more ms: ${updateIntervalMs}`);
  const autoTrainingIntervalMs =
    options.autoTrainingIntervalMs ??
    intervalFromEnv(AUTO_TRAINING_INTERVAL_ENV, DEFAULT_AUTO_TRAINING_INTERVAL_MS);
  if (!(autoTrainingIntervalMs >= 0))
    throw new Error(`Automatic-training interval must be 0 or more ms: ${autoTrainingIntervalMs}`);
  const updateMachine: StateMachineSpec = {
    name: UPDATE_STATE_MACHINE_NAME,
    definition: (arnOf) => updateDefinitionJson(arnOf),
  };
  const machineSpecs = [...(options.stateMachines ?? DEFAULT_STATE_MACHINES), updateMachine];
  const stepFunctions = new LocalStepFunctions(
    region,
    accountId,
    machineSpecs.map((m) => ({ name: m.name, definition: m.definition(lambdaArn) })),
  );
  const lambdaServer = createLambdaServer(registry);
  const statesServer = createStepFunctionsServer(stepFunctions);
  const apiServer = createApiServer(registry);
  const schedules = (options.schedules ?? []).map((spec) => new LocalSchedule(registry, spec));
  const updateStateMachineArn = stepFunctions.stateMachineArn(UPDATE_STATE_MACHINE_NAME);
  const updates = new UpdateTimer(stepFunctions, updateStateMachineArn, updateIntervalMs);
  const autoTraining = new FixedRate(
    autoTrainingIntervalMs,
    () => runAutoTrainingCheck(registry),
    (run) => run.catch((err: unknown) => console.error('[training] automatic-training check failed:', err)),
  );
  const housekeeping = housekeepingContext(emulators, region, accountId);
  const recordSweep = new FixedRate(
    RECORD_SWEEP_MS,
    () => housekeeping.recommendations.sweepExpired(),
    (run) => run.catch((err: unknown) => console.error('[records] sweep failed:', err)),
  );
  const background: Background[] = [
    ...schedules,
    updates,
    autoTraining,
    recordSweep,
    { busy: () => registry.pending > 0, idle: () => registry.idle(), stop: () => registry.idle() },
    stepFunctions,
  ];

  const stopAll = async (): Promise<void> => {
    // Order matters: no new requests, then drain the work they started (which still needs Lambda and the
    // emulators), then the internal servers, then the emulators, which flush their data.
    await close(apiServer);
    await apiWorkers?.stop();
    await deferredWrites.settled();
    // Executions invoke functions and functions start executions: stop both from taking new work only once
    // neither has any left.
    for (const schedule of schedules) await schedule.stop();
    await updates.stop();
    await autoTraining.stop();
    await recordSweep.stop();
    do {
      for (const b of background) await b.idle();
    } while (background.some((b) => b.busy()));
    for (const b of background) await b.stop();
    // Only the steps of stopped executions can still run in a child here; they end with it.
    await children?.close();
    await close(statesServer);
    await close(lambdaServer);
    housekeeping.ddb.destroy();
    housekeeping.s3.destroy();
    await emulators.stop();
  };

  const workerCount = options.workers ?? 0;
  if (!Number.isInteger(workerCount) || workerCount < 0)
    throw new Error(`Workers must be 0 or more: ${workerCount}`);
  let apiWorkers: ApiWorkers | undefined;

  try {
    const lambdaPort = await listen(lambdaServer, 0, HOST);
    const statesPort = await listen(statesServer, 0, HOST);
    // With workers the API port is theirs; they are forked once the environment below is set.
    const ownApiPort = workerCount > 0 ? undefined : await listen(apiServer, port, HOST);

    // Set only once every port is bound, so a failed start leaves a running runtime's environment alone; no
    // request can reach a handler before this synchronous block ends. The handlers' environment is exactly what
    // CDK sets on the deployed functions, plus the endpoint overrides.
    for (const { def, name } of tables) process.env[def.envKey] = name;
    process.env[DATA_BUCKET.envKey] = LOCAL_DATA_BUCKET;
    process.env[ENV.ACCOUNT_ID] = accountId;
    process.env[ENV.REGION] = region;
    process.env.AWS_DEFAULT_REGION = region;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = emulators.dynamodbEndpoint;
    process.env.AWS_ENDPOINT_URL_S3 = emulators.s3Endpoint;
    const lambdaEndpoint = `http://${HOST}:${lambdaPort}`;
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambdaEndpoint;
    const statesEndpoint = `http://${HOST}:${statesPort}`;
    process.env.AWS_ENDPOINT_URL_SFN = statesEndpoint;
    for (const m of machineSpecs) {
      if (m.envKey !== undefined) process.env[m.envKey] = stepFunctions.stateMachineArn(m.name);
    }
    // The handlers' own identity: the only pair s3rver accepts (dynalite and local Lambda accept any).
    process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    // The pair API callers sign with; no secret ARN, so the router reads these.
    process.env[ENV.ACCESS_KEY_ID] = apiCredentials.accessKeyId;
    process.env[ENV.SECRET_ACCESS_KEY] = apiCredentials.secretAccessKey;
    delete process.env[ENV.CREDENTIALS_SECRET_ARN];
    // The import worker reads users' uploads in the embedded S3 with its own credentials; there is no STS here.
    delete process.env[ENV.IMPORT_ASSUME_ROLE];
    // This process outlives each request, so GetRecommendations need not wait for its record write.
    process.env[ENV.DEFER_RESPONSE_WRITES] = 'true';
    // The training's shards run in this one process: each reads the whole snapshot and uses every core, so side by
    // side they would only add memory. One at a time, each child's timeout also starts when it does.
    process.env[ENV.TRAINING_SHARD_CONCURRENCY] = '1';
    // For the same reason one shard, unless asked for more: shards exist for Lambda's 15 minutes and 10 GB, and here
    // every shard would re-read the snapshot and move its dense sums through the embedded S3 on the same cores.
    process.env[ENV.TRAINING_SHARD_INTERACTIONS] ??= String(LOCAL_SHARD_INTERACTIONS);
    // Every PutEvents passes through this process or a worker that tells the others, so a user's recent events
    // can be reused briefly by GetRecommendations (`services/recent-events-cache.ts`).
    process.env[ENV.RECENT_EVENTS_CACHE_MS] = String(RECENT_EVENTS_CACHE_MS);
    // Only control-plane operations: a worker must never be reachable through an `X-Amz-Target`.
    const operations = ROUTES.filter((r) => r.service === 'control').map((r) => [r.operation, r.operation]);
    process.env[ENV.OPERATION_FUNCTIONS] = JSON.stringify(Object.fromEntries(operations));
    process.env[ENV.IMPORT_FUNCTION] = importFunction;
    if (options.consoleAssetsDir !== undefined)
      process.env[ENV.CONSOLE_ASSETS_DIR] = options.consoleAssetsDir;
    else delete process.env[ENV.CONSOLE_ASSETS_DIR];
    let apiPort = ownApiPort;
    if (apiPort === undefined) {
      const started = await ApiWorkers.start(workerCount, port, HOST);
      apiWorkers = started.workers;
      apiPort = started.port;
    }
    // Whatever a killed previous process left running is settled before timers start new work.
    const recovered = await recoverAfterRestart(housekeeping, startedAt);
    if (recovered.imports.length + recovered.versions.length > 0) {
      console.log(
        `[recovery] settled ${recovered.imports.length} import job(s) and ${recovered.versions.length} solution ` +
          'version(s) left running by the previous run',
      );
    }
    for (const schedule of schedules) schedule.start();
    updates.start();
    autoTraining.start();
    recordSweep.start();

    let stopping: Promise<void> | undefined;
    return {
      endpoint: `http://${HOST}:${apiPort}`,
      s3Endpoint: emulators.s3Endpoint,
      apiCredentials,
      s3Credentials: S3_CREDENTIALS,
      region,
      accountId,
      dataBucket: LOCAL_DATA_BUCKET,
      internalEndpoints: {
        dynamodb: emulators.dynamodbEndpoint,
        lambda: lambdaEndpoint,
        stepFunctions: statesEndpoint,
      },
      updateStateMachineArn,
      updateIntervalMs,
      workerPids: () => apiWorkers?.pids ?? [],
      automaticUpdate: () => updates.run(),
      autoTrainingIntervalMs,
      automaticTraining: () => autoTraining.run(),
      idle: async () => {
        // One source's work can start another's (a workflow step invoking a function), so repeat until all rest.
        do {
          for (const b of background) await b.idle();
        } while (background.some((b) => b.busy()));
      },
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}
