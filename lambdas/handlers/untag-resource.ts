import type { UntagResourceRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { untagResource } from '../services/tags';

export const handler = apiHandler('control', 'UntagResource', (input: UntagResourceRequest) =>
  untagResource(serviceContext(), input),
);
