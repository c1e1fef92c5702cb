import type { DeleteSolutionRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { deleteSolution } from '../services/solutions';

export const handler = apiHandler('control', 'DeleteSolution', (input: DeleteSolutionRequest) =>
  deleteSolution(serviceContext(), input),
);
