/**
 * `List*` paging (spec §1.6): `maxResults` 1–100 (the wire layer enforces the range), default 100, newest first,
 * `nextToken` present only when more remain.
 */
import type { Doc, ListQuery, ResourceRecord, ResourceStore, ResourceType } from '../store/resources';

export const DEFAULT_MAX_RESULTS = 100;

export interface PageRequest {
  readonly nextToken?: string;
  readonly maxResults?: number;
}

export interface Page<S> {
  readonly items: S[];
  readonly nextToken?: string;
}

/**
 * Lists one page of a resource type (under `parentArn` if given) and maps each stored record to its wire summary.
 * Invalid tokens surface as `InvalidNextTokenException` from the store.
 */
export async function listPage<D extends Doc, S>(
  store: ResourceStore,
  type: ResourceType,
  request: PageRequest,
  toSummary: (record: ResourceRecord<D>) => S,
  parentArn?: string,
): Promise<Page<S>> {
  const query: ListQuery = {
    type,
    limit: request.maxResults ?? DEFAULT_MAX_RESULTS,
    ...nextTokenOf(request),
    ...(parentArn !== undefined ? { parentArn } : {}),
  };
  const page = await store.list<D>(query);
  return { items: page.items.map(toSummary), ...nextTokenOf(page) };
}

/**
 * How many records match `query`, reading pages of 100 only until `enough` are counted: quota checks need to know
 * whether a limit is reached, not the exact total.
 */
export async function countUpTo(
  store: ResourceStore,
  query: Omit<ListQuery, 'limit' | 'nextToken'>,
  enough: number,
): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await store.list({ ...query, limit: 100, nextToken });
    count += page.items.length;
    nextToken = page.nextToken;
  } while (nextToken !== undefined && count < enough);
  return count;
}

/** `{ nextToken }` when `page` has one, else `{}`: spread into a request or response that must omit an unset token. */
export function nextTokenOf(page: { readonly nextToken?: string | undefined }): { nextToken?: string } {
  return page.nextToken !== undefined ? { nextToken: page.nextToken } : {};
}

/** Copies exactly the listed members that are set, so summaries never leak members of the full document. */
export function pick<T extends object, K extends keyof T>(doc: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) {
    if (doc[key] !== undefined) out[key] = doc[key];
  }
  return out;
}
