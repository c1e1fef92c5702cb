import type { DescribeEventTrackerRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { describeEventTracker } from '../services/event-trackers';

export const handler = apiHandler('control', 'DescribeEventTracker', (input: DescribeEventTrackerRequest) =>
  describeEventTracker(serviceContext(), input),
);
