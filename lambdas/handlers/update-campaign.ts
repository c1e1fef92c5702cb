import type { UpdateCampaignRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { updateCampaign } from '../services/campaigns';
import { serviceContext } from '../services/context';

export const handler = apiHandler('control', 'UpdateCampaign', (input: UpdateCampaignRequest) =>
  updateCampaign(serviceContext(), input),
);
