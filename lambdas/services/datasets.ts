/**
 * Datasets (spec §2.4, §3): one per type per group — the ARN `dataset/<groupName>/<TYPE>` makes that a conditional
 * create. Stored `ACTIVE` at once. A dataset pins its schema through the schema's use counter.
 */
import type {
  CreateDatasetRequest,
  CreateDatasetResponse,
  Dataset,
  DatasetSummary,
  DeleteDatasetRequest,
  DescribeDatasetRequest,
  DescribeDatasetResponse,
  ListDatasetsRequest,
  ListDatasetsResponse,
  UpdateDatasetRequest,
  UpdateDatasetResponse,
} from '@aws-sdk/client-personalize';
import { inUse } from '../errors';
import { resourceKey } from '../store/members';
import type { ResourceRecord } from '../store/resources';
import { datasetArn } from './arns';
import type { ServiceContext } from './context';
import { forgetDataset } from './dataset-data';
import {
  ACTIVE,
  confirmGroupStillActive,
  DELETE_PENDING,
  GROUP_CHILDREN,
  joinParent,
  leaveParent,
  MEMBER_GRACE_MS,
  markDeletePending,
  requireActiveGroup,
  stateBeforeDelete,
} from './dataset-groups';
import { listPage, nextTokenOf, pick } from './pagination';
import type { DatasetKind } from './row-validation';
import { type DatasetSchemaInfo, resolveDatasetType, validateSchemaForType } from './schema-validation';
import { requireSchema, SCHEMA_ACTIVE, SCHEMA_USES } from './schemas';
import { tagsToMap } from './tags';

export const DATASET = 'dataset';
/** Resource type and states of import jobs that block DeleteDataset (spec §3.2). */
export const DATASET_IMPORT_JOB = 'dataset-import-job';
export const IMPORT_RUNNING_STATES: readonly string[] = ['CREATE PENDING', 'CREATE IN_PROGRESS'];
/** Membership set of a dataset item: its import jobs that are pending or running (see `store/members.ts`). */
export const DATASET_IMPORTS = 'imports';

const SUMMARY_KEYS = [
  'name',
  'datasetArn',
  'datasetType',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
] as const satisfies readonly (keyof DatasetSummary)[];

/**
 * Creates the group's dataset of `datasetType` (case-insensitive): the group must be `ACTIVE`, the schema must exist
 * and be for that type; a second dataset of the type → `ResourceAlreadyExistsException`.
 */
export async function createDataset(
  ctx: ServiceContext,
  input: CreateDatasetRequest,
): Promise<CreateDatasetResponse> {
  const kind = resolveDatasetType(input.datasetType!);
  const groupArn = input.datasetGroupArn!;
  const group = await requireActiveGroup(ctx, groupArn);
  const schema = await requireSchema(ctx, input.schemaArn!);
  validateSchemaForType(schema.doc.schema ?? '', kind);
  const tags = tagsToMap(input.tags);
  const arn = datasetArn(ctx, group.doc.name ?? '', kind);

  await pinSchema(ctx, schema.arn);
  try {
    await joinParent(ctx, groupArn, GROUP_CHILDREN, arn, { statusIn: [ACTIVE] });
  } catch (err) {
    await unpinSchema(ctx, schema.arn);
    throw err;
  }
  const now = ctx.now();
  const doc: Dataset = {
    name: input.name!,
    datasetArn: arn,
    datasetGroupArn: groupArn,
    datasetType: kind,
    schemaArn: schema.arn,
    status: ACTIVE,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  try {
    await ctx.resources.create({
      arn,
      type: DATASET,
      parentArn: groupArn,
      status: ACTIVE,
      doc,
      tags,
      createdAt: now.getTime(),
    });
  } catch (err) {
    // A dataset of this type already exists: its membership is its own, so only a fresh one is withdrawn.
    if (!(err instanceof Error && err.name === 'ResourceAlreadyExistsException'))
      await leaveParent(ctx, groupArn, GROUP_CHILDREN, arn);
    await unpinSchema(ctx, schema.arn);
    throw err;
  }
  await confirmGroupStillActive(ctx, groupArn, async () => {
    await ctx.resources.delete(arn);
    await leaveParent(ctx, groupArn, GROUP_CHILDREN, arn);
    await unpinSchema(ctx, schema.arn);
  });
  return { datasetArn: arn };
}

/** The stored dataset document; unknown ARN → `ResourceNotFoundException`. */
export async function describeDataset(
  ctx: ServiceContext,
  input: DescribeDatasetRequest,
): Promise<DescribeDatasetResponse> {
  const record = await requireDataset(ctx, input.datasetArn!);
  return { dataset: record.doc };
}

/** Dataset summaries, newest first, paged; restricted to one group when `datasetGroupArn` is given. */
export async function listDatasets(
  ctx: ServiceContext,
  input: ListDatasetsRequest,
): Promise<ListDatasetsResponse> {
  const page = await listPage(
    ctx.resources,
    DATASET,
    input,
    (r: ResourceRecord<Dataset>) => pick(r.doc, SUMMARY_KEYS),
    input.datasetGroupArn,
  );
  return { datasets: page.items, ...nextTokenOf(page) };
}

/**
 * Replaces the dataset's schema with one valid for its type. The change takes effect at once, so
 * `latestDatasetUpdate` is recorded as `ACTIVE`.
 */
export async function updateDataset(
  ctx: ServiceContext,
  input: UpdateDatasetRequest,
): Promise<UpdateDatasetResponse> {
  const arn = input.datasetArn!;
  const dataset = await requireDataset(ctx, arn);
  if (dataset.status !== ACTIVE) {
    throw inUse(`Dataset ${arn} is ${dataset.status ?? 'not ready'}; it must be ACTIVE to update.`);
  }
  const kind = resolveDatasetType(dataset.doc.datasetType ?? '');
  const schema = await requireSchema(ctx, input.schemaArn!);
  validateSchemaForType(schema.doc.schema ?? '', kind);
  const oldSchemaArn = dataset.doc.schemaArn;

  await pinSchema(ctx, schema.arn);
  const now = ctx.now();
  try {
    await ctx.resources.update<Dataset>(
      arn,
      {
        doc: {
          schemaArn: schema.arn,
          lastUpdatedDateTime: now,
          latestDatasetUpdate: {
            schemaArn: schema.arn,
            status: ACTIVE,
            creationDateTime: now,
            lastUpdatedDateTime: now,
          },
        },
      },
      // The schema read above must still be the current one, or a concurrent update's pin would be released twice.
      {
        statusIn: [ACTIVE],
        ...(oldSchemaArn !== undefined ? { docEquals: { schemaArn: oldSchemaArn } } : {}),
      },
      (current) =>
        inUse(`Dataset ${arn} is ${current.status ?? 'busy'} or being updated concurrently; retry.`),
    );
  } catch (err) {
    await unpinSchema(ctx, schema.arn);
    throw err;
  }
  forgetDataset(arn);
  if (oldSchemaArn !== undefined) await unpinSchema(ctx, oldSchemaArn);
  return { datasetArn: arn };
}

/**
 * Deletes a dataset unless an import job into it is pending or running. Like DeleteDatasetGroup, it moves to
 * `DELETE PENDING` first: import jobs join the dataset's `imports` set only while it is `ACTIVE`, so after the move
 * the set (read from the dataset item itself, never from a lagging index) names every job that can still write.
 */
export async function deleteDataset(ctx: ServiceContext, input: DeleteDatasetRequest): Promise<object> {
  const arn = input.datasetArn!;
  const dataset = await requireDataset(ctx, arn);
  const previous = stateBeforeDelete(dataset.status);
  await markDeletePending(ctx, arn, 'Dataset');
  const running = await ctx.members.heal(resourceKey(arn), DATASET_IMPORTS, async (job, addedAt) => {
    const record = await ctx.resources.get(job, DATASET_IMPORT_JOB);
    if (record === undefined) return ctx.now().getTime() - addedAt < MEMBER_GRACE_MS;
    return IMPORT_RUNNING_STATES.includes(record.status ?? '');
  });
  const job =
    running[0] ?? (await ctx.resources.findChild(arn, DATASET_IMPORT_JOB, IMPORT_RUNNING_STATES))?.arn;
  if (job !== undefined) {
    await ctx.resources.update<Dataset>(arn, { status: previous, doc: { status: previous } });
    throw inUse(`Dataset ${arn} has import job ${job} pending or running; wait until it finishes.`);
  }
  await ctx.resources.delete(arn, { statusIn: [DELETE_PENDING], membersEmpty: [DATASET_IMPORTS] });
  forgetDataset(arn);
  await leaveParent(ctx, dataset.doc.datasetGroupArn ?? '', GROUP_CHILDREN, arn);
  if (dataset.doc.schemaArn !== undefined) await unpinSchema(ctx, dataset.doc.schemaArn);
  return {};
}

/** The stored dataset, typed; unknown ARN → `ResourceNotFoundException`. */
export function requireDataset(ctx: ServiceContext, arn: string): Promise<ResourceRecord<Dataset>> {
  return ctx.resources.require<Dataset>(arn, DATASET);
}

/**
 * The parsed schema of a dataset, for import and PutItems/PutUsers validation: the dataset's type and its fields
 * in CSV column order. `ResourceNotFoundException` if the dataset or its schema is gone.
 */
export async function datasetSchemaInfo(
  ctx: ServiceContext,
  datasetArnValue: string,
): Promise<DatasetSchemaInfo & { readonly dataset: ResourceRecord<Dataset> }> {
  const dataset = await requireDataset(ctx, datasetArnValue);
  const kind: DatasetKind = resolveDatasetType(dataset.doc.datasetType ?? '');
  const schema = await requireSchema(ctx, dataset.doc.schemaArn ?? '');
  return { ...validateSchemaForType(schema.doc.schema ?? '', kind), dataset };
}

function pinSchema(ctx: ServiceContext, arn: string): Promise<number> {
  return ctx.resources.addCounter(arn, SCHEMA_USES, 1, { statusIn: [SCHEMA_ACTIVE] });
}

async function unpinSchema(ctx: ServiceContext, arn: string): Promise<void> {
  try {
    await ctx.resources.addCounter(arn, SCHEMA_USES, -1);
  } catch (err) {
    // The schema can only disappear once its count is zero, so a missing schema has no pin left to release.
    if (!(err instanceof Error && err.name === 'ResourceNotFoundException')) throw err;
  }
}
