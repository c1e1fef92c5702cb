/**
 * Batch inference jobs (spec §2.12, FILTERS.md §3): CreateBatchInferenceJob, DescribeBatchInferenceJob,
 * ListBatchInferenceJobs, and the steps of the workflow that runs a job
 * (`lambdas/workflows/batch-inference-definition.ts`):
 *
 *   Prepare: `CREATE IN_PROGRESS`; lists the input objects and cuts them at line boundaries into at most
 *            {@link MAX_CHUNKS} chunks of at least {@link MIN_CHUNK_BYTES}.
 *   Map:     one `inferChunk` (`batch-scoring.ts`) per chunk, in parallel; each writes its output lines to the
 *            data bucket and adds its line counts to the job.
 *   Finish:  concatenates the chunk outputs of each input object into `<output path><input file name>.out`, then
 *            `ACTIVE`.
 *   Fail:    `CREATE FAILED` with a readable `failureReason`.
 *
 * Choices where Personalize's documentation is silent:
 * - Statuses follow the other resources: `CREATE PENDING` → `CREATE IN_PROGRESS` → `ACTIVE` | `CREATE FAILED`.
 * - `numResults` defaults to 25 and may be 1–500, as for GetRecommendations.
 * - `batchInferenceJobConfig.itemExplorationConfig` is validated and defaulted as a campaign's, and Describe shows
 *   the values used.
 * - DescribeBatchInferenceJob adds a member the service model does not have, `progress`
 *   (`{chunks, chunksDone, lines, linesFailed}`), visible in the raw JSON; SDKs ignore it.
 * - The output path must differ from the input path, as Personalize requires.
 */

import { Readable } from 'node:stream';
import type {
  BatchInferenceJob,
  BatchInferenceJobSummary,
  CreateBatchInferenceJobRequest,
  CreateBatchInferenceJobResponse,
  DescribeBatchInferenceJobRequest,
  DescribeBatchInferenceJobResponse,
  ListBatchInferenceJobsRequest,
  ListBatchInferenceJobsResponse,
} from '@aws-sdk/client-personalize';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { invalidInput, limitExceeded } from '../errors';
import { type BatchFiles, BatchParts, parseS3Uri } from '../store/batch-io';
import type { ResourceRecord } from '../store/resources';
import { arnName, PARTITION } from './arns';
import { normaliseCampaignConfig, resolveVersion } from './campaigns';
import type { ServiceContext } from './context';
import { ACTIVE } from './dataset-groups';
import { loadFilter, requireGroup } from './filters/filters';
import { countUpTo, listPage, nextTokenOf, pick } from './pagination';
import { tagsToMap } from './tags';
import { type FailEvent, failureReasonOf } from './training';

export const BATCH_INFERENCE_JOB = 'batch-inference-job';
export const BATCH_STATUS = {
  pending: 'CREATE PENDING',
  inProgress: 'CREATE IN_PROGRESS',
  active: ACTIVE,
  failed: 'CREATE FAILED',
} as const;
/** Pending or running jobs per region (spec §5). */
export const MAX_RUNNING_JOBS = 5;
export const DEFAULT_BATCH_NUM_RESULTS = 25;
export const MAX_BATCH_NUM_RESULTS = 500;
/** Chunks per job: the chunk list travels in the workflow's state, which Step Functions caps at 256 KB. */
export const MAX_CHUNKS = 500;
/** Smallest chunk (bytes) worth a Lambda invocation of its own. */
export const MIN_CHUNK_BYTES = 256 * 1024;
/** Personalize's quota: 1 GB of input per job. */
export const MAX_INPUT_BYTES = 1024 ** 3;
/** Personalize's quota: at most 1,000 input files. */
export const MAX_INPUT_FILES = 1000;

const SUMMARY_KEYS = [
  'batchInferenceJobArn',
  'jobName',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
  'failureReason',
  'solutionVersionArn',
  'batchInferenceJobMode',
] as const satisfies readonly (keyof BatchInferenceJobSummary)[];

/** One chunk of input: bytes [start, end) of input object `file`. */
export interface Chunk {
  readonly index: number;
  readonly file: number;
  readonly start: number;
  readonly end: number;
}

/** What the workflow's steps pass along. */
export interface BatchStepEvent {
  readonly batchInferenceJobArn: string;
  readonly chunks?: readonly Chunk[];
}

/** Private members of a job's record. */
export interface BatchAttrs extends Record<string, unknown> {
  readonly datasetGroupArn: string;
  readonly versionArn: string;
  readonly modelKey: string;
  /** Input objects in key order, set by Prepare. */
  readonly inputs?: readonly { readonly key: string; readonly size: number }[];
  readonly chunkCount?: number;
  /** Per chunk, the index of its input object. */
  readonly chunkFiles?: readonly number[];
}

/** Reader/writer of the customer's buckets for a job: the job's role assumed on AWS, locally the runtime's own. */
export type FilesFor = (roleArn: string) => Promise<BatchFiles>;

const jobArnOf = (ctx: ServiceContext, name: string) =>
  `arn:${PARTITION}:personalize:${ctx.region}:${ctx.accountId}:batch-inference-job/${name}`;

/** The job's id inside its ARN (its name), for storage keys. */
export function jobId(arn: string): string {
  return arnName(arn) ?? arn;
}

function s3Path(uri: string | undefined, member: string): { bucket: string; key: string } {
  const parsed = uri === undefined ? undefined : parseS3Uri(uri);
  if (parsed === undefined) throw invalidInput(`${member} must be an S3 URI (s3://bucket/key); got ${uri}.`);
  return parsed;
}

export async function createBatchInferenceJob(
  ctx: ServiceContext,
  input: CreateBatchInferenceJobRequest,
): Promise<CreateBatchInferenceJobResponse> {
  if ((input.batchInferenceJobMode ?? 'BATCH_INFERENCE') !== 'BATCH_INFERENCE') {
    throw invalidInput('batchInferenceJobMode THEME_GENERATION is for Similar-Items solutions only.');
  }
  if (input.themeGenerationConfig !== undefined) {
    throw invalidInput('themeGenerationConfig is for Similar-Items solutions only.');
  }
  const numResults = input.numResults ?? DEFAULT_BATCH_NUM_RESULTS;
  if (!Number.isInteger(numResults) || numResults < 1 || numResults > MAX_BATCH_NUM_RESULTS) {
    throw invalidInput(`numResults must be between 1 and ${MAX_BATCH_NUM_RESULTS}; got ${numResults}.`);
  }
  const inputPath = input.jobInput?.s3DataSource?.path;
  const outputPath = input.jobOutput?.s3DataDestination?.path;
  const from = s3Path(inputPath, 'jobInput.s3DataSource.path');
  const to = s3Path(outputPath, 'jobOutput.s3DataDestination.path');
  if (from.bucket === to.bucket && from.key === to.key) {
    throw invalidInput('jobOutput.s3DataDestination.path must differ from jobInput.s3DataSource.path.');
  }
  const config = input.batchInferenceJobConfig ?? {};
  const exploration = normaliseCampaignConfig(
    { itemExplorationConfig: config.itemExplorationConfig ?? {} },
    input.solutionVersionArn!,
  ).itemExplorationConfig;
  const tags = tagsToMap(input.tags);
  const version = await resolveVersion(ctx, input.solutionVersionArn!);
  if (input.filterArn !== undefined)
    requireGroup(await loadFilter(ctx, input.filterArn), version.datasetGroupArn);
  const running = await countUpTo(
    ctx.resources,
    { type: BATCH_INFERENCE_JOB, statusIn: [BATCH_STATUS.pending, BATCH_STATUS.inProgress] },
    MAX_RUNNING_JOBS,
  );
  if (running >= MAX_RUNNING_JOBS) {
    throw limitExceeded(`More than ${MAX_RUNNING_JOBS} resources with PENDING or IN_PROGRESS status.`);
  }
  const arn = jobArnOf(ctx, input.jobName!);
  const now = ctx.now();
  const doc: BatchInferenceJob = {
    jobName: input.jobName!,
    batchInferenceJobArn: arn,
    solutionVersionArn: version.versionArn,
    ...(input.filterArn === undefined ? {} : { filterArn: input.filterArn }),
    numResults,
    jobInput: input.jobInput!,
    jobOutput: input.jobOutput!,
    batchInferenceJobConfig: { ...config, itemExplorationConfig: exploration },
    roleArn: input.roleArn!,
    batchInferenceJobMode: 'BATCH_INFERENCE',
    status: BATCH_STATUS.pending,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  const attrs: BatchAttrs = {
    datasetGroupArn: version.datasetGroupArn,
    versionArn: version.versionArn,
    modelKey: version.modelKey,
  };
  await ctx.resources.create({
    arn,
    type: BATCH_INFERENCE_JOB,
    parentArn: version.versionArn,
    status: BATCH_STATUS.pending,
    doc,
    attrs: { ...attrs },
    tags,
    createdAt: now.getTime(),
  });
  try {
    await ctx.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: ctx.batchInferenceStateMachineArn,
        name: `${jobId(arn).slice(0, 60)}-${now.getTime()}`,
        input: JSON.stringify({ batchInferenceJobArn: arn }),
      }),
    );
  } catch (err) {
    await fail(ctx, arn, 'Create failed. The job could not be started; create it again.');
    throw err;
  }
  return { batchInferenceJobArn: arn };
}

/** Progress as counted by the chunk steps. */
export interface BatchProgress {
  readonly chunks: number;
  readonly chunksDone: number;
  readonly lines: number;
  readonly linesFailed: number;
}

export function progressOf(record: ResourceRecord): BatchProgress {
  return {
    chunks: (record.attrs as BatchAttrs).chunkCount ?? 0,
    chunksDone: record.counters.chunksDone ?? 0,
    lines: record.counters.lines ?? 0,
    linesFailed: record.counters.linesFailed ?? 0,
  };
}

export async function describeBatchInferenceJob(
  ctx: ServiceContext,
  input: DescribeBatchInferenceJobRequest,
): Promise<DescribeBatchInferenceJobResponse> {
  const record = await ctx.resources.require<BatchInferenceJob>(
    input.batchInferenceJobArn!,
    BATCH_INFERENCE_JOB,
  );
  return { batchInferenceJob: { ...record.doc, progress: progressOf(record) } as BatchInferenceJob };
}

/** Job summaries, newest first, paged; restricted to one solution version when given. */
export async function listBatchInferenceJobs(
  ctx: ServiceContext,
  input: ListBatchInferenceJobsRequest,
): Promise<ListBatchInferenceJobsResponse> {
  const page = await listPage(
    ctx.resources,
    BATCH_INFERENCE_JOB,
    input,
    (r: ResourceRecord<BatchInferenceJob>) => pick(r.doc, SUMMARY_KEYS),
    input.solutionVersionArn,
  );
  return { batchInferenceJobs: page.items, ...nextTokenOf(page) };
}

/** A failure whose message is meant for the caller: it becomes `failureReason` verbatim. */
export class BatchInputError extends Error {
  override readonly name = 'BatchInputError';
}

async function setStatus(
  ctx: ServiceContext,
  arn: string,
  from: readonly string[],
  to: string,
  extra: Partial<BatchInferenceJob> = {},
  attrs?: Record<string, unknown>,
): Promise<void> {
  await ctx.resources.update<BatchInferenceJob>(
    arn,
    {
      status: to,
      doc: { status: to, lastUpdatedDateTime: ctx.now(), ...extra },
      ...(attrs ? { attrs } : {}),
    },
    { statusIn: from },
  );
}

/**
 * Prepare: the input objects and their chunks. A chunk starts at a line start and ends after a newline (or at
 * the end of the object), so every line belongs to exactly one chunk.
 */
export async function prepareBatch(
  ctx: ServiceContext,
  arn: string,
  filesFor: FilesFor,
): Promise<BatchStepEvent> {
  const record = await ctx.resources.require<BatchInferenceJob>(arn, BATCH_INFERENCE_JOB);
  await setStatus(ctx, arn, [BATCH_STATUS.pending], BATCH_STATUS.inProgress);
  const files = await filesFor(record.doc.roleArn as string);
  const from = s3Path(record.doc.jobInput?.s3DataSource?.path, 'jobInput.s3DataSource.path');
  let inputs: { key: string; size: number }[];
  try {
    inputs = await files.inputs(from.bucket, from.key);
  } catch (err) {
    throw new BatchInputError(
      `Create failed. The input ${record.doc.jobInput?.s3DataSource?.path} cannot be read: ${(err as Error).name}.`,
    );
  }
  if (inputs.length === 0) {
    throw new BatchInputError(
      `Create failed. No input objects at ${record.doc.jobInput?.s3DataSource?.path}.`,
    );
  }
  if (inputs.length > MAX_INPUT_FILES) {
    throw new BatchInputError(`Create failed. ${inputs.length} input files; at most ${MAX_INPUT_FILES}.`);
  }
  const total = inputs.reduce((n, f) => n + f.size, 0);
  if (total > MAX_INPUT_BYTES) {
    throw new BatchInputError(
      `Create failed. The input holds ${total} bytes; at most ${MAX_INPUT_BYTES} (1 GB).`,
    );
  }
  const target = Math.max(MIN_CHUNK_BYTES, Math.ceil(total / MAX_CHUNKS));
  const chunks: Chunk[] = [];
  for (let file = 0; file < inputs.length; file++) {
    const input = inputs[file] as { key: string; size: number };
    // `position` is the object offset of the current part's first byte; a chunk ends after the first newline at
    // or past `start + target - 1`.
    let start = 0;
    let position = 0;
    for await (const part of await files.read(from.bucket, input.key)) {
      const bytes = part as Uint8Array;
      let searchFrom = Math.max(0, start + target - 1 - position);
      while (searchFrom < bytes.length) {
        const nl = bytes.indexOf(10, searchFrom);
        if (nl < 0) break;
        const end = position + nl + 1;
        chunks.push({ index: chunks.length, file, start, end });
        start = end;
        searchFrom = Math.max(nl + 1, start + target - 1 - position);
      }
      position += bytes.length;
    }
    if (position > start) chunks.push({ index: chunks.length, file, start, end: position });
  }
  await setStatus(
    ctx,
    arn,
    [BATCH_STATUS.inProgress],
    BATCH_STATUS.inProgress,
    {},
    { inputs, chunkCount: chunks.length, chunkFiles: chunks.map((c) => c.file) },
  );
  return { batchInferenceJobArn: arn, chunks };
}

/** The output object of an input object: `<output path>/<input file name>.out`. */
export function outputKey(outputPrefix: string, inputKey: string): string {
  const name = inputKey.split('/').pop() as string;
  const prefix = outputPrefix === '' || outputPrefix.endsWith('/') ? outputPrefix : `${outputPrefix}/`;
  return `${prefix}${name}.out`;
}

/** Finish: each input object's chunk outputs, in order, become its `.out` object; then `ACTIVE`. */
export async function finishBatch(
  ctx: ServiceContext,
  arn: string,
  filesFor: FilesFor,
): Promise<BatchStepEvent> {
  const record = await ctx.resources.require<BatchInferenceJob>(arn, BATCH_INFERENCE_JOB);
  if (record.status !== BATCH_STATUS.inProgress) return { batchInferenceJobArn: arn };
  const attrs = record.attrs as BatchAttrs;
  const inputs = attrs.inputs ?? [];
  const chunkCount = attrs.chunkCount ?? 0;
  const files = await filesFor(record.doc.roleArn as string);
  const parts = new BatchParts(ctx.s3, ctx.dataBucket);
  const to = s3Path(record.doc.jobOutput?.s3DataDestination?.path, 'jobOutput.s3DataDestination.path');
  const chunkFiles = attrs.chunkFiles ?? [];
  for (let file = 0; file < inputs.length; file++) {
    const mine: number[] = [];
    for (let c = 0; c < chunkCount; c++) if (chunkFiles[c] === file) mine.push(c);
    const body = Readable.from(
      (async function* () {
        for (const c of mine) yield await parts.get(jobId(arn), c);
      })(),
    );
    try {
      await files.write(to.bucket, outputKey(to.key, (inputs[file] as { key: string }).key), body);
    } catch (err) {
      throw new BatchInputError(
        `Create failed. The output cannot be written to ${record.doc.jobOutput?.s3DataDestination?.path}: ${(err as Error).name}.`,
      );
    }
  }
  await parts.clear(jobId(arn));
  await setStatus(ctx, arn, [BATCH_STATUS.inProgress], BATCH_STATUS.active);
  return { batchInferenceJobArn: arn };
}

async function fail(ctx: ServiceContext, arn: string, reason: string): Promise<void> {
  await setStatus(ctx, arn, [BATCH_STATUS.pending, BATCH_STATUS.inProgress], BATCH_STATUS.failed, {
    failureReason: reason,
  }).catch(() => undefined);
}

/** Fail: `CREATE FAILED` with a readable reason; the chunk outputs are removed. */
export async function failBatch(
  ctx: ServiceContext,
  arn: string,
  error: FailEvent['error'],
): Promise<BatchStepEvent> {
  let reason: string;
  try {
    const cause = JSON.parse(error?.Cause ?? '') as { errorType?: string; errorMessage?: string };
    reason =
      cause.errorType === 'BatchInputError' && cause.errorMessage !== undefined
        ? cause.errorMessage
        : failureReasonOf(error).replace('during training', 'during batch inference');
  } catch {
    reason = failureReasonOf(error).replace('during training', 'during batch inference');
  }
  if (error?.Error === 'States.Timeout')
    reason = 'Create failed. A batch inference step exceeded its time limit.';
  await fail(ctx, arn, reason);
  await new BatchParts(ctx.s3, ctx.dataBucket).clear(jobId(arn)).catch(() => undefined);
  return { batchInferenceJobArn: arn };
}

/** The job ARN of a step's event; anything else is a wiring mistake. */
export function batchStepArn(event: { readonly batchInferenceJobArn?: unknown }): string {
  if (typeof event.batchInferenceJobArn !== 'string') {
    throw new Error('Expected an event of the form {"batchInferenceJobArn": "..."}');
  }
  return event.batchInferenceJobArn;
}
