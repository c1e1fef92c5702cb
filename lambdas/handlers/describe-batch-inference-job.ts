import type { DescribeBatchInferenceJobRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { describeBatchInferenceJob } from '../services/batch-inference-jobs';
import { serviceContext } from '../services/context';

export const handler = apiHandler(
  'control',
  'DescribeBatchInferenceJob',
  (input: DescribeBatchInferenceJobRequest) => describeBatchInferenceJob(serviceContext(), input),
);
