import type { DeleteEventTrackerRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { deleteEventTracker } from '../services/event-trackers';

export const handler = apiHandler('control', 'DeleteEventTracker', (input: DeleteEventTrackerRequest) =>
  deleteEventTracker(serviceContext(), input),
);
