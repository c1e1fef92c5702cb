import type { ListDatasetsRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { serviceContext } from '../services/context';
import { listDatasets } from '../services/datasets';

export const handler = apiHandler('control', 'ListDatasets', (input: ListDatasetsRequest) =>
  listDatasets(serviceContext(), input),
);
