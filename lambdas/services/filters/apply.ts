/**
 * A request's `filterArn` + `filterValues` → the {@link CatalogMask} scoring excludes: resolves the filter, checks
 * and parses its parameter values, loads only the data the filter reads (in parallel) and evaluates it.
 */
import { invalidInput } from '../../api/errors';
import type { ServiceContext } from '../context';
import { checkRequiredParameters, resolveParameters, type SchemaFields } from './compile';
import type { FilterDataCache } from './data';
import { evaluateFilter, type FilterCatalog, type FilterData, filterNeeds } from './evaluate';
import { requireFilter } from './filters';
import type { CatalogMask } from './mask';

export interface FilterRequest {
  readonly filterArn: string;
  readonly filterValues?: Readonly<Record<string, string>> | undefined;
}

/** Evaluates the request's filter for `userId` over `catalog`; the filter must belong to `groupArn`. */
export async function filterMask(
  ctx: ServiceContext,
  cache: FilterDataCache,
  groupArn: string,
  userId: string,
  catalog: FilterCatalog,
  request: FilterRequest,
): Promise<CatalogMask> {
  const filter = await requireFilter(ctx, request.filterArn, groupArn);
  const params = resolveParameters(filter.tree, request.filterValues);
  checkRequiredParameters(filter.tree, params);
  const needs = filterNeeds(filter.tree);
  const [items, users, interactions] = await Promise.all([
    needs.items ? cache.table(ctx, groupArn, 'Items') : undefined,
    needs.users ? cache.table(ctx, groupArn, 'Users') : undefined,
    needs.interactions ? cache.interactions(ctx, groupArn, userId) : undefined,
  ]);
  if (needs.items && items === undefined) {
    throw invalidInput(
      `Filter ${request.filterArn} reads the Items dataset, which the dataset group no longer has.`,
    );
  }
  const schemas: { -readonly [K in keyof SchemaFields]: SchemaFields[K] } = {};
  if (items !== undefined) schemas.Items = items.fields;
  if (users !== undefined) schemas.Users = users.fields;
  const user = users?.row(userId);
  const data: FilterData = {
    schemas,
    ...(items === undefined ? {} : { items: items.columnsFor(catalog) }),
    ...(user === undefined ? {} : { user }),
    ...(interactions === undefined ? {} : { interactions }),
  };
  return evaluateFilter(filter.tree, catalog, data, params);
}
