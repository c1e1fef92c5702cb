/**
 * Composition root for the services: configuration and clients, built lazily once per process from the environment
 * (`serviceContext()`), or assembled explicitly by tests and the local runtime (`createServiceContext()`).
 * Every member that needs an environment key reads it on first use, so a function whose route grants no bucket
 * (for example) never fails for lack of the bucket name.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, lambdaClient, s3Client, sfnClient } from '../clients';
import { ENV, optionalEnv, requireEnv } from '../env';
import { BulkDataStore } from '../store/bulk-data';
import { EventStore } from '../store/events';
import { MembershipStore } from '../store/members';
import { RecommendationStore } from '../store/recommendations';
import { RecordStore } from '../store/records';
import { ResourceStore } from '../store/resources';

export interface ServiceContext {
  /** Account id used in ARNs. */
  readonly accountId: string;
  /** Region used in ARNs. */
  readonly region: string;
  readonly ddb: DynamoDBDocumentClient;
  readonly resourcesTable: string;
  readonly eventsTable: string;
  readonly recordsTable: string;
  /** The Resources table; see `store/resources.ts`. */
  readonly resources: ResourceStore;
  /** Membership sets on parents and quota items; see `store/members.ts`. */
  readonly members: MembershipStore;
  /** Bulk-imported data: generations in the data bucket, their state in the Resources table. */
  readonly bulk: BulkDataStore;
  /** PutEvents events and session links in the Events table. */
  readonly events: EventStore;
  /** `recommendationId` records in the Events table. */
  readonly recommendations: RecommendationStore;
  /** PutItems / PutUsers records in the Records table. */
  readonly records: RecordStore;
  readonly s3: S3Client;
  readonly dataBucket: string;
  /** The clock; injectable so tests can order resources deterministically. */
  readonly now: () => Date;
  /** Starts asynchronous workers (the dataset import function). */
  readonly lambda: LambdaClient;
  /** Name of the dataset import worker function. */
  readonly importFunction: string;
  /** Whether the import worker assumes the job's `roleArn` to read the source data (see `ENV.IMPORT_ASSUME_ROLE`). */
  readonly importAssumeRole: boolean;
  /** Starts and stops training executions. */
  readonly sfn: SFNClient;
  /** ARN of the training state machine. */
  readonly trainingStateMachineArn: string;
  /** ARN of the batch inference state machine. */
  readonly batchInferenceStateMachineArn: string;
}

/** Explicit values for {@link createServiceContext}; anything omitted falls back to the environment / default clients. */
export type ServiceContextOverrides = Partial<
  Omit<ServiceContext, 'resources' | 'members' | 'bulk' | 'events' | 'recommendations' | 'records'>
>;

/**
 * Builds a context whose members resolve on first read: overrides first, else the environment and the process-wide
 * clients from `clients.ts`.
 */
export function createServiceContext(overrides: ServiceContextOverrides = {}): ServiceContext {
  const cache = new Map<string, unknown>();
  const lazy = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  const ctx: ServiceContext = {
    get accountId() {
      return lazy('accountId', () => overrides.accountId ?? requireEnv(ENV.ACCOUNT_ID));
    },
    get region() {
      return lazy('region', () => overrides.region ?? requireEnv(ENV.REGION));
    },
    get ddb() {
      return lazy('ddb', () => overrides.ddb ?? documentClient());
    },
    get resourcesTable() {
      return lazy('resourcesTable', () => overrides.resourcesTable ?? requireEnv(ENV.RESOURCES_TABLE));
    },
    get eventsTable() {
      return lazy('eventsTable', () => overrides.eventsTable ?? requireEnv(ENV.EVENTS_TABLE));
    },
    get recordsTable() {
      return lazy('recordsTable', () => overrides.recordsTable ?? requireEnv(ENV.RECORDS_TABLE));
    },
    get resources() {
      return lazy('resources', () => new ResourceStore(ctx.ddb, ctx.resourcesTable));
    },
    get members() {
      return lazy(
        'members',
        () => new MembershipStore(ctx.ddb, ctx.resourcesTable, () => ctx.now().getTime()),
      );
    },
    get bulk() {
      return lazy('bulk', () => new BulkDataStore(ctx.ddb, ctx.resourcesTable, ctx.s3, ctx.dataBucket));
    },
    get events() {
      return lazy('events', () => new EventStore(ctx.ddb, ctx.eventsTable));
    },
    get recommendations() {
      return lazy(
        'recommendations',
        () => new RecommendationStore(ctx.ddb, ctx.eventsTable, () => ctx.now().getTime()),
      );
    },
    get records() {
      return lazy('records', () => new RecordStore(ctx.ddb, ctx.recordsTable));
    },
    get s3() {
      return lazy('s3', () => overrides.s3 ?? s3Client());
    },
    get dataBucket() {
      return lazy('dataBucket', () => overrides.dataBucket ?? requireEnv(ENV.DATA_BUCKET));
    },
    now: overrides.now ?? (() => new Date()),
    get lambda() {
      return lazy('lambda', () => overrides.lambda ?? lambdaClient());
    },
    get importFunction() {
      return lazy('importFunction', () => overrides.importFunction ?? requireEnv(ENV.IMPORT_FUNCTION));
    },
    get importAssumeRole() {
      return lazy(
        'importAssumeRole',
        () => overrides.importAssumeRole ?? optionalEnv(ENV.IMPORT_ASSUME_ROLE) === 'true',
      );
    },
    get sfn() {
      return lazy('sfn', () => overrides.sfn ?? sfnClient());
    },
    get trainingStateMachineArn() {
      return lazy(
        'trainingStateMachineArn',
        () => overrides.trainingStateMachineArn ?? requireEnv(ENV.TRAINING_STATE_MACHINE_ARN),
      );
    },
    get batchInferenceStateMachineArn() {
      return lazy(
        'batchInferenceStateMachineArn',
        () => overrides.batchInferenceStateMachineArn ?? requireEnv(ENV.BATCH_INFERENCE_STATE_MACHINE_ARN),
      );
    },
  };
  return ctx;
}

let processContext: ServiceContext | undefined;

/** The process-wide context built from the environment; handlers pass it to their service function. */
export function serviceContext(): ServiceContext {
  processContext ??= createServiceContext();
  return processContext;
}
