/**
 * Dataset groups (spec §2.2, §3): Custom groups only. Creation has no asynchronous work here, so a group is stored
 * `ACTIVE` at once; deletion is synchronous and refused while anything still has the group as its parent.
 */
import type {
  CreateDatasetGroupRequest,
  CreateDatasetGroupResponse,
  DatasetGroup,
  DatasetGroupSummary,
  DeleteDatasetGroupRequest,
  DescribeDatasetGroupRequest,
  DescribeDatasetGroupResponse,
  ListDatasetGroupsRequest,
  ListDatasetGroupsResponse,
} from '@aws-sdk/client-personalize';
import { inUse, invalidInput } from '../api/errors';
import type { ResourceRecord } from '../store/resources';
import { datasetGroupArn } from './arns';
import type { ServiceContext } from './context';
import { listPage, nextTokenOf, pick } from './pagination';
import { tagsToMap } from './tags';

export const DATASET_GROUP = 'dataset-group';
export const ACTIVE = 'ACTIVE';
export const CREATE_FAILED = 'CREATE FAILED';
export const DELETE_PENDING = 'DELETE PENDING';
/**
 * States a resource may be deleted from: `ACTIVE` or `CREATE FAILED` (spec §3.2, "Delete* in general"), plus
 * `DELETE PENDING`, which here only outlives a request that died midway — so a retried delete can finish it.
 */
export const DELETABLE: readonly string[] = [ACTIVE, CREATE_FAILED, DELETE_PENDING];

/**
 * First write of every delete: moves the resource to `DELETE PENDING` if it is in a {@link DELETABLE} state, so
 * creators of children that re-check their parent see it going; otherwise `ResourceInUseException` naming `kind`.
 */
export async function markDeletePending(ctx: ServiceContext, arn: string, kind: string): Promise<void> {
  await ctx.resources.update<{ status?: string }>(
    arn,
    { status: DELETE_PENDING, doc: { status: DELETE_PENDING } },
    { statusIn: DELETABLE },
    (current) => inUse(`${kind} ${arn} is ${current.status ?? 'busy'} and cannot be deleted now.`),
  );
}

/** The state a refused delete puts a resource back into. */
export function stateBeforeDelete(status: string | undefined): string {
  return status === CREATE_FAILED ? CREATE_FAILED : ACTIVE;
}

const SUMMARY_KEYS = [
  'name',
  'datasetGroupArn',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
  'failureReason',
  'domain',
] as const satisfies readonly (keyof DatasetGroupSummary)[];

/** Stores the group `ACTIVE` at once. Refuses `domain` and a `roleArn` without `kmsKeyArn` (`InvalidInputException`). */
export async function createDatasetGroup(
  ctx: ServiceContext,
  input: CreateDatasetGroupRequest,
): Promise<CreateDatasetGroupResponse> {
  if (input.domain !== undefined) {
    throw invalidInput(
      `Domain dataset groups (domain ${input.domain}) are not supported by this service, which implements the ` +
        'aws-user-personalization recipe for Custom dataset groups only; omit domain.',
    );
  }
  if (input.roleArn !== undefined && input.kmsKeyArn === undefined) {
    throw invalidInput('roleArn is only valid together with kmsKeyArn.');
  }
  const tags = tagsToMap(input.tags);
  const arn = datasetGroupArn(ctx, input.name!);
  const now = ctx.now();
  const doc: DatasetGroup = {
    name: input.name!,
    datasetGroupArn: arn,
    status: ACTIVE,
    ...(input.roleArn !== undefined ? { roleArn: input.roleArn } : {}),
    ...(input.kmsKeyArn !== undefined ? { kmsKeyArn: input.kmsKeyArn } : {}),
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  await ctx.resources.create({
    arn,
    type: DATASET_GROUP,
    status: ACTIVE,
    doc,
    tags,
    createdAt: now.getTime(),
  });
  return { datasetGroupArn: arn };
}

/** The stored group document; unknown ARN → `ResourceNotFoundException`. */
export async function describeDatasetGroup(
  ctx: ServiceContext,
  input: DescribeDatasetGroupRequest,
): Promise<DescribeDatasetGroupResponse> {
  const record = await ctx.resources.require<DatasetGroup>(input.datasetGroupArn!, DATASET_GROUP);
  return { datasetGroup: record.doc };
}

/** Dataset group summaries, newest first, paged. */
export async function listDatasetGroups(
  ctx: ServiceContext,
  input: ListDatasetGroupsRequest,
): Promise<ListDatasetGroupsResponse> {
  const page = await listPage(ctx.resources, DATASET_GROUP, input, (r: ResourceRecord<DatasetGroup>) =>
    pick(r.doc, SUMMARY_KEYS),
  );
  return {
    datasetGroups: page.items,
    ...nextTokenOf(page),
  };
}

/**
 * Deletes a group that has no children. Without transactions the check and the delete cannot be one write, so the
 * group is first moved to `DELETE PENDING` (creators of children re-check that the group is still `ACTIVE` after
 * writing the child), then checked for children, then deleted — or put back if a child exists.
 */
export async function deleteDatasetGroup(
  ctx: ServiceContext,
  input: DeleteDatasetGroupRequest,
): Promise<object> {
  const arn = input.datasetGroupArn!;
  const group = await ctx.resources.require<DatasetGroup>(arn, DATASET_GROUP);
  const previous = stateBeforeDelete(group.status);
  await markDeletePending(ctx, arn, 'Dataset group');
  const child = await ctx.resources.findChild(arn);
  if (child !== undefined) {
    await ctx.resources.update<DatasetGroup>(arn, { status: previous, doc: { status: previous } });
    throw inUse(
      `Dataset group ${arn} still contains ${child.type} ${child.arn}; delete its event tracker, solutions and ` +
        'datasets first.',
    );
  }
  await ctx.resources.delete(arn);
  return {};
}

/**
 * For services that add children to a group: the group must exist and be `ACTIVE`
 * (`ResourceNotFoundException` / `ResourceInUseException` otherwise).
 */
export async function requireActiveGroup(
  ctx: ServiceContext,
  arn: string,
): Promise<ResourceRecord<DatasetGroup>> {
  const group = await ctx.resources.require<DatasetGroup>(arn, DATASET_GROUP);
  if (group.status !== ACTIVE) {
    throw inUse(`Dataset group ${arn} is ${group.status ?? 'not ready'}; it must be ACTIVE.`);
  }
  return group;
}

/**
 * Second half of the create protocol for children of a group: after writing a child, confirm the group is still
 * `ACTIVE` (a concurrent DeleteDatasetGroup may have started). If not, `undo` removes the child and the caller's
 * request fails with `ResourceInUseException`, so the group never ends up deleted with a child left behind.
 */
export async function confirmGroupStillActive(
  ctx: ServiceContext,
  arn: string,
  undo: () => Promise<void>,
): Promise<void> {
  const group = await ctx.resources.get<DatasetGroup>(arn, DATASET_GROUP);
  if (group?.status === ACTIVE) return;
  await undo();
  throw inUse(`Dataset group ${arn} is being deleted.`);
}
