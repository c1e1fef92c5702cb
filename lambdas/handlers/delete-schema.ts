import type { DeleteSchemaRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { deleteSchema } from '../services/schemas';

export const handler = apiHandler('control', 'DeleteSchema', (input: DeleteSchemaRequest) =>
  deleteSchema(serviceContext(), input),
);
