import type { PutItemsRequest } from '@aws-sdk/client-personalize-events';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { putItems } from '../services/records';

export const handler = apiHandler<PutItemsRequest, Record<string, never>>('events', 'PutItems', (input) =>
  putItems(serviceContext(), input),
);
