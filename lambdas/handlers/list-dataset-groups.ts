import type { ListDatasetGroupsRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listDatasetGroups } from '../services/dataset-groups';

export const handler = apiHandler('control', 'ListDatasetGroups', (input: ListDatasetGroupsRequest) =>
  listDatasetGroups(serviceContext(), input),
);
