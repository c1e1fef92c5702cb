import type { ListSchemasRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listSchemas } from '../services/schemas';

export const handler = apiHandler('control', 'ListSchemas', (input: ListSchemasRequest) =>
  listSchemas(serviceContext(), input),
);
