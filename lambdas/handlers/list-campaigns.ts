import type { ListCampaignsRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { listCampaigns } from '../services/campaigns';
import { serviceContext } from '../services/context';

export const handler = apiHandler('control', 'ListCampaigns', (input: ListCampaignsRequest) =>
  listCampaigns(serviceContext(), input),
);
