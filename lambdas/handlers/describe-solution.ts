import type { DescribeSolutionRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeSolution } from '../services/solutions';

export const handler = apiHandler('control', 'DescribeSolution', (input: DescribeSolutionRequest) =>
  describeSolution(serviceContext(), input),
);
