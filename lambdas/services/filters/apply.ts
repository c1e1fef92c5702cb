/**
 * A request's `filterArn` + `filterValues` → the {@link CatalogMask} scoring excludes: checks and parses the
 * parameter values, loads only the data the filter reads (in parallel) and evaluates it.
 */
import { invalidInput } from '../../errors';
import type { ServiceContext } from '../context';
import type { RecentEvent } from '../events';
import { checkRequiredParameters, resolveParameters, type SchemaFields } from './compile';
import type { FilterDataCache } from './data';
import { evaluateFilter, type FilterCatalog, type FilterData, filterNeeds } from './evaluate';
import { type ActiveFilter, loadFilter, requireGroup } from './filters';
import type { CatalogMask } from './mask';

/** Who the request is for. */
export interface FilterScope {
  readonly groupArn: string;
  readonly userId: string;
  /** The user's recent recorded events, oldest first ({@link RECENT_EVENTS_READ} of them when there are that many). */
  readonly events: readonly RecentEvent[];
}

export interface PendingFilter {
  readonly filter: Promise<ActiveFilter>;
  readonly filterValues?: Readonly<Record<string, string>> | undefined;
}

/**
 * Starts reading a filter so the read overlaps the request's others; a failure surfaces when the result is awaited
 * (and is not reported as unhandled if the request fails first).
 */
export function startFilter(
  ctx: ServiceContext,
  filterArn: string,
  filterValues: Readonly<Record<string, string>> | undefined,
): PendingFilter {
  const filter = loadFilter(ctx, filterArn);
  filter.catch(() => undefined);
  return { filter, filterValues };
}

/** Evaluates the filter for the scope's user over `catalog`; the filter must belong to the scope's group. */
export async function filterMask(
  ctx: ServiceContext,
  cache: FilterDataCache,
  scope: FilterScope,
  catalog: FilterCatalog,
  pending: PendingFilter,
): Promise<CatalogMask> {
  const filter = requireGroup(await pending.filter, scope.groupArn);
  const params = resolveParameters(filter.tree, pending.filterValues);
  checkRequiredParameters(filter.tree, params);
  const needs = filterNeeds(filter.tree);
  const [items, users, interactions] = await Promise.all([
    needs.items ? cache.table(ctx, scope.groupArn, 'Items') : undefined,
    needs.users ? cache.table(ctx, scope.groupArn, 'Users') : undefined,
    needs.interactions ? cache.interactions(ctx, scope.groupArn, scope.userId, scope.events) : undefined,
  ]);
  if (needs.items && items === undefined) {
    throw invalidInput(
      `Filter ${filter.arn} reads the Items dataset, which the dataset group no longer has.`,
    );
  }
  const schemas: { -readonly [K in keyof SchemaFields]: SchemaFields[K] } = {};
  if (items !== undefined) schemas.Items = items.fields;
  if (users !== undefined) schemas.Users = users.fields;
  const user = users?.row(scope.userId);
  const data: FilterData = {
    schemas,
    ...(items === undefined ? {} : { items: items.columnsFor(catalog) }),
    ...(user === undefined ? {} : { user }),
    ...(interactions === undefined ? {} : { interactions }),
  };
  return evaluateFilter(filter.tree, catalog, data, params);
}
