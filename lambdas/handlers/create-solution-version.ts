import type { CreateSolutionVersionRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createSolutionVersion } from '../services/solution-versions';

export const handler = apiHandler('control', 'CreateSolutionVersion', (input: CreateSolutionVersionRequest) =>
  createSolutionVersion(serviceContext(), input),
);
