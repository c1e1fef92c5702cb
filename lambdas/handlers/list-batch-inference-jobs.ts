import type { ListBatchInferenceJobsRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { listBatchInferenceJobs } from '../services/batch-inference-jobs';
import { serviceContext } from '../services/context';

export const handler = apiHandler(
  'control',
  'ListBatchInferenceJobs',
  (input: ListBatchInferenceJobsRequest) => listBatchInferenceJobs(serviceContext(), input),
);
