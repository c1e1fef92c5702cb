import type { CreateBatchInferenceJobRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { createBatchInferenceJob } from '../services/batch-inference-jobs';
import { serviceContext } from '../services/context';

export const handler = apiHandler(
  'control',
  'CreateBatchInferenceJob',
  (input: CreateBatchInferenceJobRequest) => createBatchInferenceJob(serviceContext(), input),
);
