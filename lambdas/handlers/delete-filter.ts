import type { DeleteFilterRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { deleteFilter } from '../services/filters/filters';

export const handler = apiHandler('control', 'DeleteFilter', (input: DeleteFilterRequest) =>
  deleteFilter(serviceContext(), input),
);
