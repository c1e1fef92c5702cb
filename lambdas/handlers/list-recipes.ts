import type { ListRecipesRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { listRecipes } from '../services/recipes';

export const handler = apiHandler('control', 'ListRecipes', (input: ListRecipesRequest) =>
  listRecipes(input),
);
