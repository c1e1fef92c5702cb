import type { CreateCampaignRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { createCampaign } from '../services/campaigns';
import { serviceContext } from '../services/context';

export const handler = apiHandler('control', 'CreateCampaign', (input: CreateCampaignRequest) =>
  createCampaign(serviceContext(), input),
);
