import type { DescribeFilterRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeFilter } from '../services/filters/filters';

export const handler = apiHandler('control', 'DescribeFilter', (input: DescribeFilterRequest) =>
  describeFilter(serviceContext(), input),
);
