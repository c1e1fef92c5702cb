import type { CreateDatasetRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createDataset } from '../services/datasets';

export const handler = apiHandler('control', 'CreateDataset', (input: CreateDatasetRequest) =>
  createDataset(serviceContext(), input),
);
