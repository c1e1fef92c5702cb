import type { StopSolutionVersionCreationRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { stopSolutionVersionCreation } from '../services/solution-versions';

export const handler = apiHandler(
  'control',
  'StopSolutionVersionCreation',
  (input: StopSolutionVersionCreationRequest) => stopSolutionVersionCreation(serviceContext(), input),
);
