import type { DescribeSolutionVersionRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeSolutionVersion } from '../services/solution-versions';

export const handler = apiHandler(
  'control',
  'DescribeSolutionVersion',
  (input: DescribeSolutionVersionRequest) => describeSolutionVersion(serviceContext(), input),
);
