import type {
  DescribeDatasetImportJobRequest,
  DescribeDatasetImportJobResponse,
} from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeDatasetImportJob } from '../services/dataset-import-jobs';

export const handler = apiHandler<DescribeDatasetImportJobRequest, DescribeDatasetImportJobResponse>(
  'control',
  'DescribeDatasetImportJob',
  (input) => describeDatasetImportJob(serviceContext(), input),
);
