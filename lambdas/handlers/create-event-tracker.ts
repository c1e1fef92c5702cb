import type { CreateEventTrackerRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createEventTracker } from '../services/event-trackers';

export const handler = apiHandler('control', 'CreateEventTracker', (input: CreateEventTrackerRequest) =>
  createEventTracker(serviceContext(), input),
);
