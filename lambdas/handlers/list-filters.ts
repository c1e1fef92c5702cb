import type { ListFiltersRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listFilters } from '../services/filters/filters';

export const handler = apiHandler('control', 'ListFilters', (input: ListFiltersRequest) =>
  listFilters(serviceContext(), input),
);
