import type { CreateDatasetGroupRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { createDatasetGroup } from '../services/dataset-groups';

export const handler = apiHandler('control', 'CreateDatasetGroup', (input: CreateDatasetGroupRequest) =>
  createDatasetGroup(serviceContext(), input),
);
