/**
 * Filters (spec §2.11, FILTERS.md §1): CreateFilter, DescribeFilter, ListFilters, DeleteFilter, and the lookup
 * requests use. The expression is parsed and checked against the group's schemas on create, so a stored filter is
 * `ACTIVE` at once; its canonical form is kept with it (`attrs.canonical`) and requests parse that.
 *
 * - A group holds at most {@link MAX_FILTERS_PER_GROUP} filters (Personalize: 10 in 2023, 30 now), counted by a
 *   counter on the group that the create increments only while the group is `ACTIVE`, so a filter is never added
 *   to a group being deleted and the limit holds under concurrent creates.
 * - Delete: a filter used by a running batch inference job → `ResourceInUseException`.
 */
import type {
  CreateFilterRequest,
  CreateFilterResponse,
  DeleteFilterRequest,
  DescribeFilterRequest,
  DescribeFilterResponse,
  Filter,
  FilterSummary,
  ListFiltersRequest,
  ListFiltersResponse,
} from '@aws-sdk/client-personalize';
import { inUse, invalidInput, limitExceeded } from '../../errors';
import type { ResourceRecord } from '../../store/resources';
import { filterArn } from '../arns';
import type { ServiceContext } from '../context';
import { findDataset, groupDatasetArn } from '../dataset-data';
import {
  ACTIVE,
  DATASET_GROUP,
  GROUP_CHILDREN,
  joinParent,
  leaveParent,
  markDeletePending,
} from '../dataset-groups';
import { listPage, nextTokenOf, pick } from '../pagination';
import { tagsToMap } from '../tags';
import { checkFilter, LimitError, type SchemaFields } from './compile';
import { type FilterTree, formatFilter, parseFilter } from './expression';

export const FILTER = 'filter';
/** Our limit per dataset group (Personalize: 10 in 2023, 30 now); each filter costs only its stored text. */
export const MAX_FILTERS_PER_GROUP = 100;
/** The group counter that holds how many filters it has. */
const FILTER_COUNT = 'filters';

const SUMMARY_KEYS = [
  'name',
  'filterArn',
  'creationDateTime',
  'lastUpdatedDateTime',
  'datasetGroupArn',
  'failureReason',
  'status',
] as const satisfies readonly (keyof FilterSummary)[];

/** What requests need of a stored filter. */
export interface FilterAttrs {
  /** The expression in canonical form ({@link formatFilter}). */
  readonly canonical: string;
}

/** The group's dataset schemas, by the filter language's dataset names. */
export async function groupSchemas(ctx: ServiceContext, groupArn: string): Promise<SchemaFields> {
  const kinds = ['Items', 'Interactions', 'Users'] as const;
  const datasets = await Promise.all(kinds.map((k) => findDataset(ctx, groupDatasetArn(groupArn, k))));
  const out: { -readonly [K in keyof SchemaFields]: SchemaFields[K] } = {};
  kinds.forEach((k, i) => {
    const d = datasets[i];
    if (d !== undefined) out[k] = d.fields;
  });
  return out;
}

export async function createFilter(
  ctx: ServiceContext,
  input: CreateFilterRequest,
): Promise<CreateFilterResponse> {
  const groupArn = input.datasetGroupArn!;
  const group = await ctx.resources.require(groupArn, DATASET_GROUP);
  if (group.status !== ACTIVE)
    throw inUse(`Dataset group ${groupArn} is ${group.status}; it must be ACTIVE.`);
  const tags = tagsToMap(input.tags);
  const tree = parseFilter(input.filterExpression!);
  try {
    checkFilter(tree, await groupSchemas(ctx, groupArn));
  } catch (err) {
    if (err instanceof LimitError) throw limitExceeded(err.message);
    throw err;
  }
  const arn = filterArn(ctx, input.name!);
  const count = await ctx.resources.addCounter(groupArn, FILTER_COUNT, 1, { statusIn: [ACTIVE] }, (current) =>
    inUse(`Dataset group ${groupArn} is ${current.status}; it must be ACTIVE.`),
  );
  const release = () => ctx.resources.addCounter(groupArn, FILTER_COUNT, -1);
  if (count > MAX_FILTERS_PER_GROUP) {
    await release();
    throw limitExceeded(
      `Cannot create a filter: dataset group ${groupArn} already has ${MAX_FILTERS_PER_GROUP} filters, the limit.`,
    );
  }
  const now = ctx.now();
  const doc: Filter = {
    name: input.name!,
    filterArn: arn,
    datasetGroupArn: groupArn,
    filterExpression: input.filterExpression!,
    status: ACTIVE,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  const attrs: FilterAttrs = { canonical: formatFilter(tree) };
  try {
    // A member of the group's set, so a DeleteDatasetGroup racing this create sees it (indexes may lag).
    await joinParent(ctx, groupArn, GROUP_CHILDREN, arn, { statusIn: [ACTIVE] });
    await ctx.resources.create({
      arn,
      type: FILTER,
      parentArn: groupArn,
      status: ACTIVE,
      doc,
      attrs: { ...attrs },
      tags,
      createdAt: now.getTime(),
    });
  } catch (err) {
    // A filter of the same name that already exists keeps its membership.
    if ((await ctx.resources.get(arn)) === undefined) await leaveParent(ctx, groupArn, GROUP_CHILDREN, arn);
    await release();
    throw err;
  }
  return { filterArn: arn };
}

export async function describeFilter(
  ctx: ServiceContext,
  input: DescribeFilterRequest,
): Promise<DescribeFilterResponse> {
  const record = await ctx.resources.require<Filter>(input.filterArn!, FILTER);
  return { filter: record.doc };
}

/** Filter summaries, newest first, paged; restricted to one group when `datasetGroupArn` is given. */
export async function listFilters(
  ctx: ServiceContext,
  input: ListFiltersRequest,
): Promise<ListFiltersResponse> {
  const page = await listPage(
    ctx.resources,
    FILTER,
    input,
    (r: ResourceRecord<Filter>) => pick(r.doc, SUMMARY_KEYS),
    input.datasetGroupArn,
  );
  return { Filters: page.items, ...nextTokenOf(page) };
}

/** Checks that no running job uses a filter; batch jobs register their use here. */
export type FilterUseCheck = (ctx: ServiceContext, filterArn: string) => Promise<string | undefined>;

const noUse: FilterUseCheck = async () => undefined;

/**
 * Deletes a filter; requests naming it fail with `ResourceNotFoundException` from then on. `inUseBy` names a
 * running job that uses it (→ `ResourceInUseException`).
 */
export async function deleteFilter(
  ctx: ServiceContext,
  input: DeleteFilterRequest,
  inUseBy: FilterUseCheck = noUse,
): Promise<object> {
  const arn = input.filterArn!;
  const record = await ctx.resources.require<Filter>(arn, FILTER);
  const user = await inUseBy(ctx, arn);
  if (user !== undefined) throw inUse(`Filter ${arn} is used by ${user}, which is still running.`);
  await markDeletePending(ctx, arn, 'Filter');
  await ctx.resources.delete(arn);
  if (record.parentArn !== undefined) {
    await leaveParent(ctx, record.parentArn, GROUP_CHILDREN, arn);
    await ctx.resources.addCounter(record.parentArn, FILTER_COUNT, -1).catch(() => undefined);
  }
  return {};
}

export interface ActiveFilter {
  readonly arn: string;
  readonly datasetGroupArn: string;
  readonly tree: FilterTree;
}

/** Parsed trees by ARN and creation time (a name can be reused after a delete). */
const trees = new Map<string, FilterTree>();
const TREE_CACHE_SIZE = 1000;

/**
 * The filter a request names, parsed: unknown → `ResourceNotFoundException`; not `ACTIVE` →
 * `InvalidInputException`. Callers start it alongside their other reads and check the group with
 * {@link requireGroup}.
 */
export async function loadFilter(ctx: ServiceContext, arn: string): Promise<ActiveFilter> {
  const record = await ctx.resources.require<Filter>(arn, FILTER);
  if (record.status !== ACTIVE) throw invalidInput(`Filter ${arn} is ${record.status}; it must be ACTIVE.`);
  const key = `${arn}|${record.createdAt}`;
  let tree = trees.get(key);
  if (tree === undefined) {
    tree = parseFilter((record.attrs as unknown as FilterAttrs).canonical);
    if (trees.size >= TREE_CACHE_SIZE) trees.clear();
    trees.set(key, tree);
  }
  return { arn, datasetGroupArn: record.doc.datasetGroupArn as string, tree };
}

/** A filter of another dataset group than the campaign's → `InvalidInputException`. */
export function requireGroup(filter: ActiveFilter, groupArn: string): ActiveFilter {
  if (filter.datasetGroupArn !== groupArn) {
    throw invalidInput(
      `Filter ${filter.arn} belongs to dataset group ${filter.datasetGroupArn}, not ${groupArn}.`,
    );
  }
  return filter;
}
