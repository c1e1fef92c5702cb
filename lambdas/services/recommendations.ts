/**
 * GetRecommendations for a campaign (spec §2.10, §7.3, §7.6, FILTERS.md §1–2).
 *
 * Choices where Personalize's documentation is silent or the model allows more than the docs:
 * - `numResults` 0 (the model's minimum) means "unset": the default 25, as an unset integer in the older SDKs.
 * - Items the user already interacted with are not excluded: User-Personalization may recommend them again (use a
 *   filter to exclude them, which Personalize documents as the way to do so).
 * - `context` enters the user's state for a model that learned contextual metadata (categorical Interactions
 *   fields) with self-tuning's weight above 0; keys or values the model does not know change nothing.
 * - The campaign's `itemExplorationConfig` and the served artifact's impression statistics apply
 *   (`engine/exploration.ts`); the random draws are seeded from the recommendationId, so a list can be replayed,
 *   and each shown item's exploration flag and slot probability are stored with that id.
 * - A filter is a mask over the catalog that the top-N selection skips (`filters/mask.ts`); when fewer items than
 *   `numResults` pass it, the response holds those that do (no popular-item back-fill).
 * - Promotions: see `promotions.ts`.
 */
import type {
  GetRecommendationsRequest,
  GetRecommendationsResponse,
  PredictedItem,
} from '@aws-sdk/client-personalize-runtime';
import { explore, isPlainRanking, type ShownItem, sparseExplorationScores } from '../engine/exploration';
import { Random } from '../engine/random';
import { invalidInput } from '../errors';
import type { PromotionRecord } from '../store/recommendations';
import type { ServiceContext } from './context';
import { filterMask, startFilter } from './filters/apply';
import { RECENT_EVENTS_READ } from './filters/data';
import type { FilterCatalog } from './filters/evaluate';
import { CatalogMask } from './filters/mask';
import { requestedColumns, withMetadata } from './item-metadata';
import { interleave, promotedSlots, promotionPositions } from './promotions';
import {
  defaultState,
  recommendationId,
  remember,
  type Served,
  type ServingState,
  seedOf,
  serve,
  userInput,
} from './serving';

export const DEFAULT_NUM_RESULTS = 25;
export const MAX_NUM_RESULTS = 500;
/** With `metadataColumns` (spec §2.10, §5). */
export const MAX_NUM_RESULTS_WITH_METADATA = 50;

/** The model's catalog, as filters address it. */
export function modelCatalog(served: Served): FilterCatalog {
  const model = served.model;
  return { ids: model.itemIds, indexOf: (id) => model.itemIndex(id) };
}

type Slot = Pick<ShownItem, 'index' | 'score' | 'explored' | 'probability'>;

/** The list for the non-promoted slots: exploration over the items `mask` leaves. */
async function ranked(
  ctx: ServiceContext,
  state: ServingState,
  served: Served,
  id: string,
  numResults: number,
  mask: CatalogMask | undefined,
  scores: () => Float32Array,
): Promise<Slot[]> {
  const model = served.model;
  const catalog = await state.exploration.get(ctx, served.serving.modelKey, model);
  if (isPlainRanking(catalog, served.exploration)) {
    const top = model.recommend({
      ...userInput(served),
      numResults,
      ...(mask === undefined ? {} : { blocked: mask.blocked }),
    });
    return top.map(({ itemId, score }) => ({
      index: model.itemIndex(itemId) as number,
      score,
      explored: false,
      probability: 1,
    }));
  }
  // Exploring: from the SIMD path's top 2k and the candidates where that gives `explore` all it reads.
  const sparse = sparseExplorationScores(model, catalog, served.exploration, numResults, {
    ...userInput(served),
    ...(mask === undefined ? {} : { blocked: mask.blocked }),
  });
  return explore(catalog, {
    ...(sparse ?? { scores: scores() }),
    numResults,
    settings: served.exploration,
    ...(mask === undefined ? {} : { exclude: mask.indices() }),
    ...(served.exploration.weight > 0 ? { random: new Random(seedOf(id)) } : {}),
  });
}

export async function getRecommendations(
  ctx: ServiceContext,
  input: GetRecommendationsRequest,
  state: ServingState = defaultState(),
): Promise<GetRecommendationsResponse> {
  if (input.recommenderArn !== undefined) {
    throw invalidInput('Domain recommenders are not supported; use campaignArn.');
  }
  const campaignArn = input.campaignArn;
  if (campaignArn === undefined) throw invalidInput('campaignArn is required.');
  const userId = input.userId;
  if (userId === undefined || userId === '') {
    throw invalidInput('userId is required for campaigns of the aws-user-personalization recipe.');
  }
  const numResults =
    input.numResults === undefined || input.numResults === 0 ? DEFAULT_NUM_RESULTS : input.numResults;
  const limit = input.metadataColumns === undefined ? MAX_NUM_RESULTS : MAX_NUM_RESULTS_WITH_METADATA;
  if (!Number.isInteger(numResults) || numResults < 1 || numResults > limit) {
    throw invalidInput(`numResults must be between 1 and ${limit}; got ${numResults}.`);
  }
  const promotion = input.promotions?.[0];
  if (promotion !== undefined && promotion.filterArn === undefined) {
    throw invalidInput('A promotion needs a filterArn.');
  }

  const requestFilter =
    input.filterArn === undefined ? undefined : startFilter(ctx, input.filterArn, input.filterValues);
  const promotionFilter =
    promotion === undefined
      ? undefined
      : startFilter(ctx, promotion.filterArn as string, promotion.filterValues);
  const filtered = requestFilter !== undefined || promotionFilter !== undefined;
  const served = await serve(
    ctx,
    state,
    campaignArn,
    userId,
    filtered ? RECENT_EVENTS_READ : undefined,
    input.context,
  );
  const columns = requestedColumns(input.metadataColumns, served.enableMetadata, campaignArn);
  const groupArn = served.serving.datasetGroupArn;
  const catalog = modelCatalog(served);
  const scope = { groupArn, userId, events: served.events };
  const [requestMask, promotionMask] = await Promise.all([
    requestFilter === undefined ? undefined : filterMask(ctx, state.filters, scope, catalog, requestFilter),
    promotionFilter === undefined
      ? undefined
      : filterMask(ctx, state.filters, scope, catalog, promotionFilter),
  ]);
  const id = recommendationId();
  let all: Float32Array | undefined;
  // A copy: the model reuses the array scoreAll returns for its next call (recommend included).
  const scores = () => {
    all ??= served.model.scoreAll(served.history, served.historyEventTypes, userInput(served)).slice();
    return all;
  };

  // The promoted items: the best of those the promotion's filter allows, by the model's (SIMD) top k.
  let promotedItems: { readonly index: number; readonly score: number }[] = [];
  if (promotion !== undefined && promotionMask !== undefined) {
    const slots = promotedSlots(promotion.percentPromotedItems ?? 0, numResults);
    promotedItems = served.model
      .recommend({
        ...userInput(served),
        numResults: slots,
        blocked: promotionMask.blocked,
      })
      .map(({ itemId, score }) => ({ index: served.model.itemIndex(itemId) as number, score }));
  }
  const promoted = promotedItems.map((p) => p.index);
  let othersMask = requestMask;
  if (promoted.length > 0) {
    const blocked =
      requestMask === undefined ? new Uint8Array(catalog.ids.length) : requestMask.blocked.slice();
    for (const j of promoted) blocked[j] = 1;
    othersMask = CatalogMask.of(blocked);
  }
  const others = await ranked(ctx, state, served, id, numResults - promoted.length, othersMask, scores);

  let slots: Slot[] = others;
  let promotionRecord: PromotionRecord | undefined;
  const promotedSet = new Set<Slot>();
  if (promotion !== undefined) {
    const promotedSlotsList: Slot[] = promotedItems.map(({ index, score }) => ({
      index,
      score,
      explored: false,
      probability: 1,
    }));
    for (const s of promotedSlotsList) promotedSet.add(s);
    const positions = promotionPositions(seedOf(id), promoted.length + others.length, promoted.length);
    slots = interleave(promotedSlotsList, others, positions);
    promotionRecord = { name: promotion.name as string, filterArn: promotion.filterArn as string, positions };
  }
  // Personalize's documented `reason` for a slot filled by exploration, so callers can tell them apart.
  const list: PredictedItem[] = slots.map((s) => ({
    itemId: served.model.itemIds[s.index] as string,
    score: s.score,
    ...(promotedSet.has(s) ? { promotionName: promotion?.name as string } : {}),
    ...(s.explored ? { reason: ['Exploration'] } : {}),
  }));
  const itemList = await withMetadata(ctx, state.metadata, groupArn, columns, list);
  await remember(
    ctx,
    id,
    campaignArn,
    served,
    userId,
    itemList,
    { explored: slots.map((s) => s.explored), probabilities: slots.map((s) => s.probability) },
    {
      ...(input.filterArn === undefined ? {} : { filterArn: input.filterArn }),
      ...(promotionRecord === undefined ? {} : { promotion: promotionRecord }),
    },
  );
  return { itemList, recommendationId: id };
}
