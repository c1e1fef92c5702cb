import type { CreateSchemaRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createSchema } from '../services/schemas';

export const handler = apiHandler('control', 'CreateSchema', (input: CreateSchemaRequest) =>
  createSchema(serviceContext(), input),
);
