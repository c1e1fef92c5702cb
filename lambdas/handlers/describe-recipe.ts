import type { DescribeRecipeRequest } from '@aws-sdk/client-personalize';
import { apiHandler } from '../api/http';
import { describeRecipe } from '../services/recipes';

export const handler = apiHandler('control', 'DescribeRecipe', (input: DescribeRecipeRequest) =>
  describeRecipe(input),
);
