import type { DescribeCampaignRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { describeCampaign } from '../services/campaigns';
import { serviceContext } from '../services/context';

export const handler = apiHandler('control', 'DescribeCampaign', (input: DescribeCampaignRequest) =>
  describeCampaign(serviceContext(), input),
);
