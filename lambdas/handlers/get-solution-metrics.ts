import type { GetSolutionMetricsRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { getSolutionMetrics } from '../services/solution-versions';

export const handler = apiHandler('control', 'GetSolutionMetrics', (input: GetSolutionMetricsRequest) =>
  getSolutionMetrics(serviceContext(), input),
);
