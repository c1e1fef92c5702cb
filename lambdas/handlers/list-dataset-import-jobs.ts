import type {
  ListDatasetImportJobsRequest,
  ListDatasetImportJobsResponse,
} from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listDatasetImportJobs } from '../services/dataset-import-jobs';

export const handler = apiHandler<ListDatasetImportJobsRequest, ListDatasetImportJobsResponse>(
  'control',
  'ListDatasetImportJobs',
  (input) => listDatasetImportJobs(serviceContext(), input),
);
