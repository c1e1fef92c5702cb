import type { DescribeSchemaRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeSchema } from '../services/schemas';

export const handler = apiHandler('control', 'DescribeSchema', (input: DescribeSchemaRequest) =>
  describeSchema(serviceContext(), input),
);
