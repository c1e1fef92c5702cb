import type { UpdateDatasetRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { updateDataset } from '../services/datasets';

export const handler = apiHandler('control', 'UpdateDataset', (input: UpdateDatasetRequest) =>
  updateDataset(serviceContext(), input),
);
