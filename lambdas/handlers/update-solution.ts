import type { UpdateSolutionRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { updateSolution } from '../services/solutions';

export const handler = apiHandler('control', 'UpdateSolution', (input: UpdateSolutionRequest) =>
  updateSolution(serviceContext(), input),
);
