import type { DeleteDatasetGroupRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { deleteDatasetGroup } from '../services/dataset-groups';

export const handler = apiHandler('control', 'DeleteDatasetGroup', (input: DeleteDatasetGroupRequest) =>
  deleteDatasetGroup(serviceContext(), input),
);
