import type { CreateSolutionRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createSolution } from '../services/solutions';

export const handler = apiHandler('control', 'CreateSolution', (input: CreateSolutionRequest) =>
  createSolution(serviceContext(), input),
);
