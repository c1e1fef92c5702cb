import type { ListEventTrackersRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listEventTrackers } from '../services/event-trackers';

export const handler = apiHandler('control', 'ListEventTrackers', (input: ListEventTrackersRequest) =>
  listEventTrackers(serviceContext(), input),
);
