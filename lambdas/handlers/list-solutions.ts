import type { ListSolutionsRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listSolutions } from '../services/solutions';

export const handler = apiHandler('control', 'ListSolutions', (input: ListSolutionsRequest) =>
  listSolutions(serviceContext(), input),
);
