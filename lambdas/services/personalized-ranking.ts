/**
 * GetPersonalizedRanking for a campaign (spec §2.10): ranks the caller's items by relevance only (its caller chose
 * them, so no exploration).
 *
 * - Repeated ids in `inputList` are dropped (the first kept); the known ones are ranked by score and the ones the
 *   model does not know are appended, in input order, without a score.
 * - `filterArn` + `filterValues`: the filter is evaluated over the input list itself (known and unknown items
 *   alike) and the items it removes are left out of the response.
 */
import type {
  GetPersonalizedRankingRequest,
  GetPersonalizedRankingResponse,
  PredictedItem,
} from '@aws-sdk/client-personalize-runtime';
import { invalidInput } from '../errors';
import type { ServiceContext } from './context';
import { filterMask, startFilter } from './filters/apply';
import { RECENT_EVENTS_READ } from './filters/data';
import { requestedColumns, withMetadata } from './item-metadata';
import { defaultState, recommendationId, remember, type ServingState, serve, userInput } from './serving';

export const MAX_RANKING_INPUT = 500;
export const MAX_RANKING_INPUT_WITH_METADATA = 50;

export async function getPersonalizedRanking(
  ctx: ServiceContext,
  input: GetPersonalizedRankingRequest,
  state: ServingState = defaultState(),
): Promise<GetPersonalizedRankingResponse> {
  const campaignArn = input.campaignArn!;
  const userId = input.userId!;
  const inputList = input.inputList ?? [];
  const limit = input.metadataColumns === undefined ? MAX_RANKING_INPUT : MAX_RANKING_INPUT_WITH_METADATA;
  if (inputList.length > limit) {
    throw invalidInput(`inputList can hold at most ${limit} items; got ${inputList.length}.`);
  }

  const pending =
    input.filterArn === undefined ? undefined : startFilter(ctx, input.filterArn, input.filterValues);
  const served = await serve(
    ctx,
    state,
    campaignArn,
    userId,
    pending === undefined ? undefined : RECENT_EVENTS_READ,
    input.context,
  );
  const columns = requestedColumns(input.metadataColumns, served.enableMetadata, campaignArn);
  const groupArn = served.serving.datasetGroupArn;
  const ids = [...new Set(inputList)];
  const positions = new Map(ids.map((itemId, i) => [itemId, i]));
  const mask =
    pending === undefined
      ? undefined
      : await filterMask(
          ctx,
          state.filters,
          { groupArn, userId, events: served.events },
          { ids, indexOf: (itemId) => positions.get(itemId) },
          pending,
        );
  const listed: { itemId: string; index: number }[] = [];
  const unknown: string[] = [];
  ids.forEach((itemId, i) => {
    if (mask !== undefined && !mask.allows(i)) return;
    const index = served.model.itemIndex(itemId);
    if (index === undefined) unknown.push(itemId);
    else listed.push({ itemId, index });
  });
  // The SIMD path scores the listed items exactly under its normaliser, without a pass over the catalog in JavaScript.
  const { also: scores } = served.model.recommendAlso(
    { ...userInput(served), numResults: 1 },
    listed.map((x) => x.index),
  );
  const known = listed.map(({ itemId }, at) => ({ itemId, score: scores[at] as number, at }));
  known.sort((a, b) => b.score - a.score || a.at - b.at);
  const ranked: PredictedItem[] = [
    ...known.map(({ itemId, score }) => ({ itemId, score })),
    ...unknown.map((itemId) => ({ itemId })),
  ];
  const personalizedRanking = await withMetadata(ctx, state.metadata, groupArn, columns, ranked);
  const id = recommendationId();
  await remember(
    ctx,
    id,
    campaignArn,
    served,
    userId,
    personalizedRanking,
    undefined,
    input.filterArn === undefined ? {} : { filterArn: input.filterArn },
  );
  return { personalizedRanking, recommendationId: id };
}
