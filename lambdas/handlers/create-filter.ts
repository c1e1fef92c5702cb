import type { CreateFilterRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createFilter } from '../services/filters/filters';

export const handler = apiHandler('control', 'CreateFilter', (input: CreateFilterRequest) =>
  createFilter(serviceContext(), input),
);
