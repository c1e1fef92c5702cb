import type { TagResourceRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { tagResource } from '../services/tags';

export const handler = apiHandler('control', 'TagResource', (input: TagResourceRequest) =>
  tagResource(serviceContext(), input),
);
