import type { PutUsersRequest } from '@aws-sdk/client-personalize-events';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { putUsers } from '../services/records';

export const handler = apiHandler<PutUsersRequest, Record<string, never>>('events', 'PutUsers', (input) =>
  putUsers(serviceContext(), input),
);
