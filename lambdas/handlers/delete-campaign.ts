import type { DeleteCampaignRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { deleteCampaign } from '../services/campaigns';
import { serviceContext } from '../services/context';

export const handler = apiHandler('control', 'DeleteCampaign', (input: DeleteCampaignRequest) =>
  deleteCampaign(serviceContext(), input),
);
