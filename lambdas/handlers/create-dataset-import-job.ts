import type {
  CreateDatasetImportJobRequest,
  CreateDatasetImportJobResponse,
} from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createDatasetImportJob } from '../services/dataset-import-jobs';

export const handler = apiHandler<CreateDatasetImportJobRequest, CreateDatasetImportJobResponse>(
  'control',
  'CreateDatasetImportJob',
  (input) => createDatasetImportJob(serviceContext(), input),
);
