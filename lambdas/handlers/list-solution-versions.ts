import type { ListSolutionVersionsRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listSolutionVersions } from '../services/solution-versions';

export const handler = apiHandler('control', 'ListSolutionVersions', (input: ListSolutionVersionsRequest) =>
  listSolutionVersions(serviceContext(), input),
);
