import type { ListTagsForResourceRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listTagsForResource } from '../services/tags';

export const handler = apiHandler('control', 'ListTagsForResource', (input: ListTagsForResourceRequest) =>
  listTagsForResource(serviceContext(), input),
);
