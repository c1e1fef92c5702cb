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
import { inUse, invalidInput, limitExceeded } from '../errors';
import { type AddOptions, resourceKey } from '../store/members';
import { type ResourceRecord, resourceNotFound } from '../store/resources';
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

/** Membership sets of a group item (see `store/members.ts`): its datasets and event tracker, and its solutions. */
export const GROUP_CHILDREN = 'children';
export const GROUP_SOLUTIONS = 'solutions';
/**
 * A member whose resource does not exist is a create still under way for this long (it adds the member, then
 * writes the resource); after that it is a create that died midway, and healing removes it.
 */
export const MEMBER_GRACE_MS = 60_000;

/**
 * Adds `child` to a membership set of a parent, conditioned on the parent's status (and the set's size, for a
 * quota). The refusals become Personalize's errors: absent parent → `ResourceNotFoundException`, parent not in
 * `statusIn` → `ResourceInUseException`, set full → `LimitExceededException` with `limitMessage`, after members
 * left by dead creators or finished jobs are healed away by `isLive`.
 */
export async function joinParent(
  ctx: ServiceContext,
  parentArn: string,
  set: string,
  child: string,
  options: AddOptions & {
    readonly limitMessage?: string;
    readonly isLive?: (member: string, addedAt: number) => Promise<boolean>;
  },
): Promise<void> {
  const key = resourceKey(parentArn);
  let refusal = await ctx.members.add(key, set, child, options);
  if (refusal === 'full') {
    await ctx.members.heal(key, set, options.isLive ?? ((member, at) => existsOrYoung(ctx, member, at)));
    refusal = await ctx.members.add(key, set, child, options);
  }
  if (refusal === 'absent') throw resourceNotFound(parentArn);
  if (refusal === 'status') throw inUse(`${parentArn} is not ACTIVE; it cannot take new resources now.`);
  if (refusal === 'full') throw limitExceeded(options.limitMessage ?? `${parentArn} has too many resources.`);
}

/** Removes `child` from a parent's membership set (idempotent). */
export async function leaveParent(ctx: ServiceContext, parentArn: string, set: string, child: string) {
  await ctx.members.remove(resourceKey(parentArn), set, child);
}

/** Liveness of a plain child: its resource exists, or its create may still be writing it. */
export async function existsOrYoung(ctx: ServiceContext, arn: string, addedAt: number): Promise<boolean> {
  if ((await ctx.resources.get(arn)) !== undefined) return true;
  return ctx.now().getTime() - addedAt < MEMBER_GRACE_MS;
}

/**
 * Deletes a group that has no children. Without transactions the check and the delete cannot be one write, so the
 * group is first moved to `DELETE PENDING` — from then on no child can join its membership sets, which are
 * conditioned on an `ACTIVE` group — then its sets are read (one strongly consistent item, never a lagging index),
 * then it is deleted, or put back if a child exists.
 */
export async function deleteDatasetGroup(
  ctx: ServiceContext,
  input: DeleteDatasetGroupRequest,
): Promise<object> {
  const arn = input.datasetGroupArn!;
  const group = await ctx.resources.require<DatasetGroup>(arn, DATASET_GROUP);
  const previous = stateBeforeDelete(group.status);
  await markDeletePending(ctx, arn, 'Dataset group');
  const live = (member: string, at: number) => existsOrYoung(ctx, member, at);
  const members = [
    ...(await ctx.members.heal(resourceKey(arn), GROUP_CHILDREN, live)),
    ...(await ctx.members.heal(resourceKey(arn), GROUP_SOLUTIONS, live)),
  ];
  // Kinds of children that do not join a membership set are still found through the index.
  const child = members[0] ?? (await ctx.resources.findChild(arn))?.arn;
  if (child !== undefined) {
    await ctx.resources.update<DatasetGroup>(arn, { status: previous, doc: { status: previous } });
    throw inUse(
      `Dataset group ${arn} still contains ${child}; delete its event tracker, solutions and datasets first.`,
    );
  }
  await ctx.resources.delete(arn, {
    statusIn: [DELETE_PENDING],
    membersEmpty: [GROUP_CHILDREN, GROUP_SOLUTIONS],
  });
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
