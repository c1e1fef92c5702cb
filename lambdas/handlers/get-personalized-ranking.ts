import type { GetPersonalizedRankingRequest } from '@aws-sdk/client-personalize-runtime';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { getPersonalizedRanking } from '../services/personalized-ranking';

export const handler = apiHandler(
  'runtime',
  'GetPersonalizedRanking',
  (input: GetPersonalizedRankingRequest) => getPersonalizedRanking(serviceContext(), input),
);
