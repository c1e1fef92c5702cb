import type { DescribeDatasetGroupRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeDatasetGroup } from '../services/dataset-groups';

export const handler = apiHandler('control', 'DescribeDatasetGroup', (input: DescribeDatasetGroupRequest) =>
  describeDatasetGroup(serviceContext(), input),
);
