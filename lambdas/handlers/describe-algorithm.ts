import type { DescribeAlgorithmRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { describeAlgorithm } from '../services/recipes';

export const handler = apiHandler('control', 'DescribeAlgorithm', (input: DescribeAlgorithmRequest) =>
  describeAlgorithm(input),
);
