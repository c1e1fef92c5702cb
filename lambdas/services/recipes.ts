/**
 * The read-only catalog (spec §2.13): the User-Personalization recipes and their algorithms. Global resources with
 * account-less ARNs, so they are constants here rather than items in the Resources table.
 *
 * Both recipes are listed, as a compatible service should, but only `aws-user-personalization` can be trained:
 * CreateSolution refuses the v2 recipe (see `solutions.ts`).
 */
import type {
  Algorithm,
  DescribeAlgorithmRequest,
  DescribeAlgorithmResponse,
  DescribeRecipeRequest,
  DescribeRecipeResponse,
  ListRecipesRequest,
  ListRecipesResponse,
  Recipe,
  RecipeSummary,
} from '@aws-sdk/client-personalize';
import { DEFAULT_HYPERPARAMETERS } from '../engine/hyperparameters';
import { invalidNextToken, notFound } from '../errors';
import { DEFAULT_MAX_RESULTS, pick } from './pagination';

export const USER_PERSONALIZATION_RECIPE_ARN = 'arn:aws:personalize:::recipe/aws-user-personalization';
export const USER_PERSONALIZATION_V2_RECIPE_ARN = 'arn:aws:personalize:::recipe/aws-user-personalization-v2';
const ALGORITHM_ARN = 'arn:aws:personalize:::algorithm/aws-user-personalization';
const ALGORITHM_V2_ARN = 'arn:aws:personalize:::algorithm/aws-user-personalization-v2';
const FEATURE_TRANSFORMATION_ARN = 'arn:aws:personalize:::feature-transformation/JSON-percentile-filtering';

/** The catalog entries' creation and update time: a fixed date of this service's catalog, not AWS's. */
const CATALOG_DATE = new Date(Date.UTC(2024, 0, 1));

const RECIPES: readonly Recipe[] = [
  {
    name: 'aws-user-personalization',
    recipeArn: USER_PERSONALIZATION_RECIPE_ARN,
    algorithmArn: ALGORITHM_ARN,
    featureTransformationArn: FEATURE_TRANSFORMATION_ARN,
    status: 'ACTIVE',
    description:
      'Predicts the items a user will interact with from the order of their interactions, with exploration of ' +
      'new and less-interacted items.',
    recipeType: 'USER_PERSONALIZATION',
    creationDateTime: CATALOG_DATE,
    lastUpdatedDateTime: CATALOG_DATE,
  },
  {
    name: 'aws-user-personalization-v2',
    recipeArn: USER_PERSONALIZATION_V2_RECIPE_ARN,
    algorithmArn: ALGORITHM_V2_ARN,
    status: 'ACTIVE',
    description:
      'Transformer-based successor of aws-user-personalization. Listed for compatibility; this service does ' +
      'not train it.',
    recipeType: 'USER_PERSONALIZATION',
    creationDateTime: CATALOG_DATE,
    lastUpdatedDateTime: CATALOG_DATE,
  },
];

const d = DEFAULT_HYPERPARAMETERS;

const ALGORITHMS: readonly Algorithm[] = [
  {
    name: 'aws-user-personalization',
    algorithmArn: ALGORITHM_ARN,
    defaultHyperParameters: {
      hidden_dimension: String(d.hiddenDimension),
      bptt: String(d.bptt),
      recency_mask: String(d.recencyMask),
    },
    defaultHyperParameterRanges: {
      integerHyperParameterRanges: [
        { name: 'hidden_dimension', minValue: 32, maxValue: 256, isTunable: true },
        { name: 'bptt', minValue: 2, maxValue: 32, isTunable: true },
      ],
      continuousHyperParameterRanges: [],
      categoricalHyperParameterRanges: [{ name: 'recency_mask', values: ['true', 'false'], isTunable: true }],
    },
    defaultResourceConfig: {},
    trainingInputMode: 'File',
    creationDateTime: CATALOG_DATE,
    lastUpdatedDateTime: CATALOG_DATE,
  },
  {
    name: 'aws-user-personalization-v2',
    algorithmArn: ALGORITHM_V2_ARN,
    defaultHyperParameters: { apply_recency_bias: 'true' },
    defaultHyperParameterRanges: {
      integerHyperParameterRanges: [],
      continuousHyperParameterRanges: [],
      categoricalHyperParameterRanges: [
        { name: 'apply_recency_bias', values: ['true', 'false'], isTunable: false },
      ],
    },
    defaultResourceConfig: {},
    trainingInputMode: 'File',
    creationDateTime: CATALOG_DATE,
    lastUpdatedDateTime: CATALOG_DATE,
  },
];

const SUMMARY_KEYS = [
  'name',
  'recipeArn',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
] as const satisfies readonly (keyof RecipeSummary)[];

/** The catalog never changes, so a page token is simply the index of the next entry. */
function decodeOffset(token: string | undefined): number {
  if (token === undefined) return 0;
  const offset = /^r(\d{1,4})$/.exec(token);
  if (offset === null) throw invalidNextToken();
  const n = Number(offset[1]);
  if (n > RECIPES.length) throw invalidNextToken();
  return n;
}

export async function listRecipes(input: ListRecipesRequest): Promise<ListRecipesResponse> {
  const start = decodeOffset(input.nextToken);
  // Every recipe here is a custom-group recipe: a domain filter matches none of them.
  const all = input.domain === undefined ? RECIPES : [];
  const limit = input.maxResults ?? DEFAULT_MAX_RESULTS;
  const page = all.slice(start, start + limit);
  const end = start + page.length;
  return {
    recipes: page.map((r) => pick(r, SUMMARY_KEYS)),
    ...(end < all.length ? { nextToken: `r${end}` } : {}),
  };
}

export async function describeRecipe(input: DescribeRecipeRequest): Promise<DescribeRecipeResponse> {
  const recipe = RECIPES.find((r) => r.recipeArn === input.recipeArn);
  if (recipe === undefined) throw notFound(`Could not find resource with ARN ${input.recipeArn}`);
  return { recipe };
}

export async function describeAlgorithm(input: DescribeAlgorithmRequest): Promise<DescribeAlgorithmResponse> {
  const algorithm = ALGORITHMS.find((a) => a.algorithmArn === input.algorithmArn);
  if (algorithm === undefined) throw notFound(`Could not find resource with ARN ${input.algorithmArn}`);
  return { algorithm };
}
