/**
 * Dataset import jobs (spec §2.5, §3.2): CreateDatasetImportJob / Describe / List, and the worker that runs a job.
 *
 * A job is created `CREATE PENDING` and handed to the import worker function with an asynchronous Lambda Invoke.
 * The worker streams every CSV object of the job's `dataLocation`, validates each row against the dataset's schema
 * and streams the normalised rows to a staged object in the data bucket; only when every row is valid is the staged
 * object published as the dataset's bulk data (one conditional write, see `store/bulk-data.ts`) and the job marked
 * `ACTIVE`. The first bad row fails the job with a `failureReason` naming its line and column, deletes the staged
 * object and leaves the dataset's data exactly as it was.
 *
 * `roleArn` is required: it is optional in the model, but Personalize needs it to read the customer's bucket and
 * refuses an S3 import without it. On AWS the worker assumes it; the local runtime reads with its own credentials.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type {
  CreateDatasetImportJobRequest,
  CreateDatasetImportJobResponse,
  DatasetImportJob,
  DatasetImportJobSummary,
  DescribeDatasetImportJobRequest,
  DescribeDatasetImportJobResponse,
  ListDatasetImportJobsRequest,
  ListDatasetImportJobsResponse,
} from '@aws-sdk/client-personalize';
import { alreadyExists, inUse, invalidInput, limitExceeded, notFound, PersonalizeError } from '../errors';
import { logger } from '../observability';
import { type GenerationWriter, generationKey, type ImportMode, ImportSource } from '../store/bulk-data';
import { quotaKey } from '../store/members';
import { type ResourceRecord, resourceNotFound } from '../store/resources';
import { datasetImportJobArn, parseArn } from './arns';
import type { ServiceContext } from './context';
import { CsvSyntaxError, parseCsv } from './csv';
import { findDataset } from './dataset-data';
import { joinParent, leaveParent, MEMBER_GRACE_MS } from './dataset-groups';
import { DATASET_IMPORTS } from './datasets';
import { listPage, nextTokenOf, pick } from './pagination';
import { ImportValidationError, LIMITS, layoutFor, validateCsvRow } from './row-validation';
import { tagsToMap } from './tags';

export const IMPORT_JOB_TYPE = 'dataset-import-job';

const PENDING = 'CREATE PENDING';
const IN_PROGRESS = 'CREATE IN_PROGRESS';
const ACTIVE = 'ACTIVE';
const FAILED = 'CREATE FAILED';
/**
 * Internal state of a job whose worker has claimed the right to publish (the wire status stays
 * `CREATE IN_PROGRESS`). Claimed with a write conditioned on `CREATE IN_PROGRESS`, so a job reaped as stale can
 * never publish, and a publishing job is never reaped under its worker's feet.
 */
const PUBLISHING = 'PUBLISHING';
/** A publishing worker gives up on publishing this long after its claim; a reaper waits {@link STALE_JOB_MS}. */
const PUBLISH_DEADLINE_MS = 60_000;
/** Region-wide quota of jobs waiting or running (spec §5). */
const MAX_RUNNING_JOBS = 5;
/** A running worker records that it is alive this often (epoch ms in the job's `attrs.heartbeatAt`). */
const HEARTBEAT_MS = 60_000;
/**
 * A job `CREATE IN_PROGRESS` whose worker has not been heard from for this long was left by a worker that died
 * (timeout, out of memory): it is failed, so it neither shows as running forever nor holds a slot of the quota.
 */
export const STALE_JOB_MS = 5 * 60_000;
const STALE_REASON =
  'The import stopped without finishing (its worker ended unexpectedly). Create a new import job.';

type JobDoc = DatasetImportJob & Record<string, unknown>;

const SUMMARY_KEYS = [
  'datasetImportJobArn',
  'jobName',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
  'failureReason',
  'importMode',
] as const;

/** `s3://bucket/key` or `s3://bucket/prefix/`. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/;

export function parseDataLocation(location: string): S3Location {
  const m = S3_URI.exec(location);
  if (m === null) {
    throw invalidInput(
      `dataLocation ${location} is not valid: use s3://bucket/file.csv or s3://bucket/folder/ (http and https locations are not supported).`,
    );
  }
  return { bucket: m[1] as string, key: m[2] as string };
}

/** Starts the worker for a job; the default invokes the import function asynchronously. */
export type StartImport = (ctx: ServiceContext, jobArn: string) => Promise<void>;

export const invokeImportWorker: StartImport = async (ctx, jobArn) => {
  await ctx.lambda.send(
    new InvokeCommand({
      FunctionName: ctx.importFunction,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify({ datasetImportJobArn: jobArn })),
    }),
  );
};

function isStale(ctx: ServiceContext, job: ResourceRecord<JobDoc>): boolean {
  return job.status === IN_PROGRESS && isPastHeartbeat(ctx, job);
}

function isPastHeartbeat(ctx: ServiceContext, job: ResourceRecord<JobDoc>): boolean {
  const heartbeat = typeof job.attrs.heartbeatAt === 'number' ? job.attrs.heartbeatAt : job.createdAt;
  return ctx.now().getTime() - heartbeat >= STALE_JOB_MS;
}

/**
 * A job whose worker died while publishing (its deadline is long past, so it can no longer publish): `ACTIVE` if
 * its generation made it into the dataset's list, else `CREATE FAILED`.
 */
async function settlePublishing(
  ctx: ServiceContext,
  job: ResourceRecord<JobDoc>,
): Promise<ResourceRecord<JobDoc>> {
  const datasetArn = job.doc.datasetArn as string;
  const published = (await ctx.bulk.state(datasetArn)).generations.some((g) => g.jobArn === job.arn);
  try {
    await finishJob(ctx, job.arn, published ? ACTIVE : FAILED, published ? undefined : STALE_REASON);
  } catch (err) {
    if (!(err instanceof PersonalizeError && err.errorName === 'ResourceInUseException')) throw err;
  }
  return ctx.resources.require<JobDoc>(job.arn, IMPORT_JOB_TYPE);
}

/**
 * The job as Describe and List show it: a stale job already reads as failed. (Those operations only have read
 * access; CreateDatasetImportJob writes the failure when it counts running jobs.)
 */
function view(ctx: ServiceContext, job: ResourceRecord<JobDoc>): JobDoc {
  return isStale(ctx, job) ? { ...job.doc, status: FAILED, failureReason: STALE_REASON } : job.doc;
}

/** Fails the job if its worker is gone (see {@link STALE_JOB_MS}); returns the job as it is now. */
async function reapIfStale(
  ctx: ServiceContext,
  job: ResourceRecord<JobDoc>,
): Promise<ResourceRecord<JobDoc>> {
  if (job.status === PUBLISHING && isPastHeartbeat(ctx, job)) return settlePublishing(ctx, job);
  if (!isStale(ctx, job)) return job;
  try {
    const reaped = await ctx.resources.update<JobDoc>(
      job.arn,
      {
        status: FAILED,
        doc: { status: FAILED, lastUpdatedDateTime: ctx.now(), failureReason: STALE_REASON },
      },
      { statusIn: [IN_PROGRESS] },
    );
    await leaveRunning(ctx, job.doc.datasetArn as string, job.arn);
    return reaped;
  } catch (err) {
    // The worker finished (or another reader reaped the job) in the meantime.
    if (err instanceof PersonalizeError && err.errorName === 'ResourceInUseException') {
      return ctx.resources.require<JobDoc>(job.arn, IMPORT_JOB_TYPE);
    }
    throw err;
  }
}

/** The region-wide quota of pending and running jobs: a membership set on one quota item (`store/members.ts`). */
const RUNNING_QUOTA = quotaKey('import-jobs');
const QUOTA_SET = 'running';

/** Liveness of a running-job member: the job still runs (a stale one is reaped), or its create is under way. */
async function jobStillRunning(ctx: ServiceContext, arn: string, addedAt: number): Promise<boolean> {
  const job = await ctx.resources.get<JobDoc>(arn, IMPORT_JOB_TYPE);
  if (job === undefined) return ctx.now().getTime() - addedAt < MEMBER_GRACE_MS;
  const current = await reapIfStale(ctx, job);
  return current.status === PENDING || current.status === IN_PROGRESS;
}

/**
 * Registers a job about to be created: in the region-wide quota (`LimitExceededException` when 5 are pending or
 * running) and in its dataset's `imports` set, which DeleteDataset reads (only while the dataset is `ACTIVE`).
 */
async function joinRunning(ctx: ServiceContext, datasetArn: string, arn: string): Promise<void> {
  const live = (member: string, at: number) => jobStillRunning(ctx, member, at);
  // At most five members to check, and it reaps jobs whose worker died, so it runs on every create.
  await ctx.members.heal(RUNNING_QUOTA, QUOTA_SET, live);
  const refusal = await ctx.members.add(RUNNING_QUOTA, QUOTA_SET, arn, { max: MAX_RUNNING_JOBS });
  if (refusal !== undefined) throw limitExceeded('More than 5 resources with PENDING or IN_PROGRESS status.');
  try {
    await joinParent(ctx, datasetArn, DATASET_IMPORTS, arn, { statusIn: [ACTIVE], isLive: live });
  } catch (err) {
    await ctx.members.remove(RUNNING_QUOTA, QUOTA_SET, arn);
    throw err;
  }
}

/** Unregisters a job that ended (idempotent). */
async function leaveRunning(ctx: ServiceContext, datasetArn: string, arn: string): Promise<void> {
  await ctx.members.remove(RUNNING_QUOTA, QUOTA_SET, arn);
  await leaveParent(ctx, datasetArn, DATASET_IMPORTS, arn);
}

export async function createDatasetImportJob(
  ctx: ServiceContext,
  input: CreateDatasetImportJobRequest,
  start: StartImport = invokeImportWorker,
): Promise<CreateDatasetImportJobResponse> {
  const jobName = input.jobName as string;
  const datasetArn = input.datasetArn as string;
  const location = input.dataSource?.dataLocation;
  if (location === undefined) throw invalidInput('dataSource.dataLocation is required.');
  parseDataLocation(location);
  if (input.roleArn === undefined) {
    throw invalidInput('roleArn is required: it names the IAM role that can read the data source.');
  }
  const mode: ImportMode = input.importMode ?? 'FULL';

  const dataset = await findDataset(ctx, datasetArn);
  if (dataset === undefined) throw resourceNotFound(datasetArn);
  if (dataset.record.status !== ACTIVE) {
    throw inUse(
      `Dataset ${datasetArn} is in state ${dataset.record.status ?? 'unknown'}; it must be ACTIVE.`,
    );
  }
  if (mode === 'INCREMENTAL') {
    const state = await ctx.bulk.state(datasetArn);
    if (!state.generations.some((g) => g.publishedAt >= dataset.record.createdAt)) {
      throw invalidInput(
        `Dataset ${datasetArn} has no bulk data yet: the first import must use importMode FULL.`,
      );
    }
  }
  const scope = parseArn(datasetArn) ?? { region: ctx.region, accountId: ctx.accountId };
  const arn = datasetImportJobArn(scope, jobName);
  // A taken name is reported before the quota, as it is the caller's mistake whatever else is running.
  if ((await ctx.resources.get(arn)) !== undefined) throw alreadyExists(arn);
  await joinRunning(ctx, datasetArn, arn);
  const now = ctx.now();
  const doc: JobDoc = {
    jobName,
    datasetImportJobArn: arn,
    datasetArn,
    dataSource: { dataLocation: location },
    roleArn: input.roleArn,
    status: PENDING,
    creationDateTime: now,
    lastUpdatedDateTime: now,
    importMode: mode,
    publishAttributionMetricsToS3: input.publishAttributionMetricsToS3,
  };
  try {
    await ctx.resources.create({
      arn,
      type: IMPORT_JOB_TYPE,
      parentArn: datasetArn,
      status: PENDING,
      doc,
      tags: tagsToMap(input.tags),
      createdAt: now.getTime(),
    });
  } catch (err) {
    if (!(err instanceof PersonalizeError && err.errorName === 'ResourceAlreadyExistsException'))
      await leaveRunning(ctx, datasetArn, arn);
    throw err;
  }
  try {
    await start(ctx, arn);
  } catch (err) {
    await finishJob(ctx, arn, FAILED, 'The import could not be started.').catch(() => undefined);
    throw err;
  }
  return { datasetImportJobArn: arn };
}

export async function describeDatasetImportJob(
  ctx: ServiceContext,
  input: DescribeDatasetImportJobRequest,
): Promise<DescribeDatasetImportJobResponse> {
  const record = await ctx.resources.get<JobDoc>(input.datasetImportJobArn as string, IMPORT_JOB_TYPE);
  if (record === undefined) throw resourceNotFound(input.datasetImportJobArn as string);
  return { datasetImportJob: view(ctx, record) };
}

export async function listDatasetImportJobs(
  ctx: ServiceContext,
  input: ListDatasetImportJobsRequest,
): Promise<ListDatasetImportJobsResponse> {
  const page = await listPage<JobDoc, DatasetImportJobSummary>(
    ctx.resources,
    IMPORT_JOB_TYPE,
    input,
    (record) => pick(view(ctx, record), SUMMARY_KEYS),
    input.datasetArn,
  );
  return {
    datasetImportJobs: page.items,
    ...nextTokenOf(page),
  };
}

async function finishJob(
  ctx: ServiceContext,
  arn: string,
  status: string,
  failureReason?: string,
): Promise<void> {
  const job = await ctx.resources.update<JobDoc>(
    arn,
    { status, doc: { status, lastUpdatedDateTime: ctx.now(), failureReason } },
    { statusIn: [PENDING, IN_PROGRESS, PUBLISHING] },
  );
  await leaveRunning(ctx, job.doc.datasetArn as string, arn);
}

/** Gives the worker a reader of the job's source bucket: on AWS with the job's role assumed, locally as itself. */
export type SourceFor = (roleArn: string | undefined) => Promise<ImportSource>;

export interface ImportOutcome {
  readonly status: string;
  readonly rows: number;
  readonly failureReason?: string;
}

/**
 * Runs a job (the import worker). A job that is not `CREATE PENDING` is left alone, so a repeated asynchronous
 * delivery of the same invocation does nothing.
 */
export async function runDatasetImportJob(
  ctx: ServiceContext,
  jobArn: string,
  sourceFor: SourceFor = async () => new ImportSource(ctx.s3),
): Promise<ImportOutcome> {
  const job = await ctx.resources.get<JobDoc>(jobArn, IMPORT_JOB_TYPE);
  if (job === undefined) throw notFound(`Could not find resource with ARN ${jobArn}`);
  try {
    await ctx.resources.update<JobDoc>(
      jobArn,
      {
        status: IN_PROGRESS,
        doc: { status: IN_PROGRESS, lastUpdatedDateTime: ctx.now() },
        attrs: { heartbeatAt: ctx.now().getTime() },
      },
      { statusIn: [PENDING] },
    );
  } catch (err) {
    if (err instanceof PersonalizeError && err.errorName === 'ResourceInUseException') {
      return { status: job.status ?? 'unknown', rows: 0 };
    }
    throw err;
  }

  const bulk = ctx.bulk;
  let writer: GenerationWriter | undefined;
  let lastBeat = Date.now();
  // Throws ResourceInUseException when the job was reaped as stale meanwhile: the import then stops.
  const heartbeat = async () => {
    if (Date.now() - lastBeat < HEARTBEAT_MS) return;
    lastBeat = Date.now();
    await ctx.resources.update<JobDoc>(
      jobArn,
      { attrs: { heartbeatAt: ctx.now().getTime() } },
      { statusIn: [IN_PROGRESS] },
    );
  };
  try {
    const datasetArn = job.doc.datasetArn as string;
    const dataset = await findDataset(ctx, datasetArn);
    if (dataset === undefined) throw new ImportValidationError(`Dataset ${datasetArn} no longer exists.`);
    const location = job.doc.dataSource?.dataLocation as string;
    const { bucket, key } = parseDataLocation(location);
    const source = await sourceFor(job.doc.roleArn);
    const keys = await listSource(source, bucket, key, location);
    const stagedKey = generationKey(datasetArn, job.doc.jobName as string);
    writer = bulk.openWriter(
      stagedKey,
      dataset.fields.map((f) => f.name),
    );
    for (const objectKey of keys) {
      const where = keys.length > 1 || objectKey !== key ? `File s3://${bucket}/${objectKey}: ` : '';
      try {
        await importObject(source, bucket, objectKey, dataset.fields, writer, heartbeat);
      } catch (err) {
        if (err instanceof ImportValidationError || err instanceof CsvSyntaxError) {
          throw new ImportValidationError(`${where}${err.message}`);
        }
        throw err;
      }
    }
    if (dataset.kind === 'Interactions' && writer.rows < LIMITS.minInteractionsPerImport) {
      throw new ImportValidationError(
        `The import has ${writer.rows} interaction records; at least ${LIMITS.minInteractionsPerImport} are required per import job.`,
      );
    }
    await writer.finish();
    const rows = writer.rows;
    writer = undefined;
    const claimedAt = Date.now();
    try {
      await ctx.resources.update<JobDoc>(
        jobArn,
        { status: PUBLISHING, attrs: { heartbeatAt: ctx.now().getTime() } },
        { statusIn: [IN_PROGRESS] },
      );
    } catch (err) {
      // Reaped as stale meanwhile: the job has already failed, so its data must not appear.
      await bulk.delete(stagedKey).catch(() => undefined);
      throw err;
    }
    const replaced = await bulk.publish(
      datasetArn,
      {
        key: stagedKey,
        jobArn,
        rows,
        mode: (job.doc.importMode as ImportMode | undefined) ?? 'FULL',
        publishedAt: ctx.now().getTime(),
      },
      dataset.record.createdAt,
      () => Date.now() - claimedAt < PUBLISH_DEADLINE_MS,
    );
    if (replaced === undefined) {
      await bulk.delete(stagedKey).catch(() => undefined);
      throw new ImportValidationError(
        'The import took too long to publish its data. Create a new import job.',
      );
    }
    // Replaced generations were retired, not deleted: a training run may still be reading them.
    await bulk.sweepRetired(datasetArn).catch(() => undefined);
    await finishJob(ctx, jobArn, ACTIVE);
    return { status: ACTIVE, rows };
  } catch (err) {
    if (writer !== undefined) await writer.abort();
    const reason = failureReasonOf(err);
    if (reason === undefined) logger.error('Import failed', { jobArn, error: err as Error });
    const failureReason = reason ?? 'The import failed because of an internal error.';
    try {
      await finishJob(ctx, jobArn, FAILED, failureReason);
    } catch (finishErr) {
      // Reaped as stale while running: the job already says why it failed.
      if (!(finishErr instanceof PersonalizeError && finishErr.errorName === 'ResourceInUseException'))
        throw finishErr;
      const current = await ctx.resources.require<JobDoc>(jobArn, IMPORT_JOB_TYPE);
      return {
        status: current.status ?? FAILED,
        rows: 0,
        failureReason: current.doc.failureReason ?? failureReason,
      };
    }
    return { status: FAILED, rows: 0, failureReason };
  }
}

async function listSource(
  source: ImportSource,
  bucket: string,
  key: string,
  location: string,
): Promise<string[]> {
  let keys: string[];
  try {
    keys = await source.keys(bucket, key);
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket') {
      throw new ImportValidationError(`No data found at ${location}.`);
    }
    if (name === 'AccessDenied' || name === 'Forbidden') {
      throw new ImportValidationError(`Access to ${location} was denied to the import role.`);
    }
    throw err;
  }
  if (keys.length === 0) throw new ImportValidationError(`No files found under ${location}.`);
  return keys;
}

/** Streams one CSV object through validation into the writer. */
async function importObject(
  source: ImportSource,
  bucket: string,
  key: string,
  fields: Parameters<typeof layoutFor>[0],
  writer: GenerationWriter,
  heartbeat: () => Promise<void>,
): Promise<void> {
  let layout: ReturnType<typeof layoutFor> | undefined;
  for await (const batch of parseCsv(await source.open(bucket, key))) {
    await heartbeat();
    for (const record of batch) {
      if (layout === undefined) {
        layout = layoutFor(fields, record.fields, record.line);
        continue;
      }
      await writer.write(validateCsvRow(layout, record.line, record.fields));
    }
  }
  if (layout === undefined) throw new ImportValidationError('The file is empty: a header row is required.');
}

function failureReasonOf(err: unknown): string | undefined {
  if (err instanceof ImportValidationError) return err.message;
  if (err instanceof CsvSyntaxError) return err.message;
  if (err instanceof PersonalizeError) return err.message;
  return undefined;
}

const RESTART_REASON =
  'The import stopped without finishing because the service restarted while it ran. Create a new import job.';

/**
 * After a restart of a single-process runtime, where no worker survives: every job created before `startedAt` that
 * is still pending or running is failed (one that was publishing becomes `ACTIVE` if its data made it into the
 * dataset, else failed). Returns the jobs it settled.
 */
export async function settleInterruptedImports(ctx: ServiceContext, startedAt: number): Promise<string[]> {
  const settled: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.resources.list<JobDoc>({
      type: IMPORT_JOB_TYPE,
      limit: 100,
      nextToken,
      statusIn: [PENDING, IN_PROGRESS, PUBLISHING],
    });
    for (const job of page.items) {
      if (job.createdAt >= startedAt) continue;
      try {
        if (job.status === PUBLISHING) {
          await settlePublishing(ctx, job);
        } else {
          await finishJob(ctx, job.arn, FAILED, RESTART_REASON);
        }
        settled.push(job.arn);
      } catch (err) {
        if (!(err instanceof PersonalizeError && err.errorName === 'ResourceInUseException')) throw err;
      }
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return settled;
}
