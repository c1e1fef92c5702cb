import type { GetRecommendationsRequest } from '@aws-sdk/client-personalize-runtime';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { getRecommendations } from '../services/recommendations';

export const handler = apiHandler('runtime', 'GetRecommendations', (input: GetRecommendationsRequest) =>
  getRecommendations(serviceContext(), input),
);
