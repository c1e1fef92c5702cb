import type { PutEventsRequest } from '@aws-sdk/client-personalize-events';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { putEvents } from '../services/events';

export const handler = apiHandler<PutEventsRequest, Record<string, never>>('events', 'PutEvents', (input) =>
  putEvents(serviceContext(), input),
);
