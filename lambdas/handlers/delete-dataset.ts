import type { DeleteDatasetRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { deleteDataset } from '../services/datasets';

export const handler = apiHandler('control', 'DeleteDataset', (input: DeleteDatasetRequest) =>
  deleteDataset(serviceContext(), input),
);
