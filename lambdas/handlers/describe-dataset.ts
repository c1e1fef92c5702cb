import type { DescribeDatasetRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeDataset } from '../services/datasets';

export const handler = apiHandler('control', 'DescribeDataset', (input: DescribeDatasetRequest) =>
  describeDataset(serviceContext(), input),
);
