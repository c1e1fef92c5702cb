/**
 * Filters: reserved for the filter pages (CreateFilter, ListFilters, filterArn / filterValues on recommendations),
 * which are built separately. This module is the only place they plug in: the route and navigation entry exist,
 * and the test campaign page has no filter controls until this module provides them.
 */
import type { App } from '../app';
import { h } from '../dom';

export async function filtersPage(_app: App): Promise<HTMLElement> {
  return h(
    'section',
    {},
    h('h2', {}, 'Filters'),
    h('p', {}, 'Filters are not available in this console yet.'),
  );
}
