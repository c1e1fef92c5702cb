/**
 * What every runtime request resolves first (spec §2.10, §7.4): the campaign (must exist and be ACTIVE), the model
 * it serves and the user's history; plus the per-process state of the serving path, the `recommendationId` and
 * the record each response leaves behind.
 *
 * Request path, warm: one awaited DynamoDB round trip, the Query of the user's most recent events, or none where
 * the process hears of every PutEvents and keeps that read briefly (`recent-events-cache.ts`, the local runtime).
 * The campaign record (`CAMPAIGN_TTL_MS`), the Interactions dataset (`DATASET_TTL_MS`) and a `$LATEST` campaign's
 * newest version (`SYNC_CHECK_MS`, refreshed in the background) come from short-lived per-process caches; the model is
 * held in memory ({@link ModelCache}) and reloaded only when the campaign's artifact changes; the `recommendationId` is
 * stored with what was shown by one PutItem, or, where the process outlives the request, not awaited and batched with
 * the records of other responses of the next {@link RECORD_LINGER_MS} into one BatchWriteItem (`deferred-writes.ts`
 * says what a crash loses). Serving never writes anything else: moving a `$LATEST` campaign to a newer version is
 * recorded by the control plane (`followLatest`).
 *
 * The history is the user's last interactions in the version's training data, followed by the user's (or anonymous
 * session's) recorded events newer than those, of any type that names an item, session-linked events included; the
 * model reads the last 256 of them, with their event types. No history → the model's context-only state, i.e. popular items.
 */
import { randomUUID } from 'node:crypto';
import type { PredictedItem } from '@aws-sdk/client-personalize-runtime';
import type { ExplorationSettings } from '../engine/exploration';
import { fnv1a } from '../engine/hash';
import type { Model } from '../engine/model';
import type { RecommendRequest } from '../engine/types';
import { invalidInput } from '../errors';
import { logger } from '../observability';
import type { PromotionRecord, RecommendationRecord } from '../store/recommendations';
import { type ResourceRecord, resourceNotFound } from '../store/resources';
import {
  cachedCampaign,
  DEFAULT_EXPLORATION_ITEM_AGE_CUT_OFF,
  DEFAULT_EXPLORATION_WEIGHT,
  latestServing,
  type ServingAttrs,
  SYNC_CHECK_MS,
} from './campaigns';
import type { ServiceContext } from './context';
import { cachedDataset, groupDatasetArn, metaOf, splitMulti } from './dataset-data';
import { ACTIVE } from './dataset-groups';
import { deferredWrites, deferWrites } from './deferred-writes';
import { type RecentEvent, recentEvents } from './events';
import { FilterDataCache } from './filters/data';
import { ItemMetadataCache } from './item-metadata';
import { ExplorationCache } from './item-stats';
import { HISTORY_TAIL, ModelCache, modelCache } from './model-cache';
import { type RecentEventsCache, recentEventsCache } from './recent-events-cache';

export { SYNC_CHECK_MS };

/** What a `$LATEST` campaign was last found to serve, when, and the look in flight. */
interface LatestCheck {
  readonly serving: ServingAttrs;
  readonly checkedAt: number;
  refreshing?: Promise<void>;
}

/** Per-process state of the serving path; tests build their own. */
export interface ServingState {
  readonly models: ModelCache;
  /** Campaign ARN → its dataset group, so the events Query need not wait for the campaign read. */
  readonly groups: Map<string, string>;
  /** `$LATEST` campaign ARN → the version it was last found to serve. */
  readonly syncChecks: Map<string, LatestCheck>;
  readonly metadata: ItemMetadataCache;
  /** Exploration state per model artifact. */
  readonly exploration: ExplorationCache;
  /** Items, Users and recent interactions for filters. */
  readonly filters: FilterDataCache;
  /** Users' recent events, where this process hears of every write (`recent-events-cache.ts`). */
  readonly recentEvents: RecentEventsCache;
}

export function createServingState(
  models: ModelCache = new ModelCache(),
  recentEvents: RecentEventsCache = recentEventsCache(),
): ServingState {
  return {
    recentEvents,
    models,
    groups: new Map(),
    syncChecks: new Map(),
    metadata: new ItemMetadataCache(),
    exploration: new ExplorationCache(),
    filters: new FilterDataCache(),
  };
}

let processState: ServingState | undefined;

/** The process-wide state the handlers use (built on first use, so module order does not matter). */
export function defaultState(): ServingState {
  processState ??= createServingState(modelCache);
  return processState;
}

export interface Served {
  readonly serving: ServingAttrs;
  readonly model: Model;
  readonly history: string[];
  readonly historyEventTypes: (string | undefined)[];
  /** The user's categorical Users metadata, where the model uses it. */
  readonly userAttributes?: RecommendRequest['userAttributes'];
  /** The request's contextual metadata, where the model uses it. */
  readonly context?: RecommendRequest['context'];
  readonly enableMetadata: boolean;
  readonly exploration: ExplorationSettings;
  /** The user's most recent recorded events, oldest first (as many as the caller asked {@link serve} for). */
  readonly events: readonly RecentEvent[];
}

interface CampaignDoc {
  readonly campaignConfig?: {
    readonly enableMetadataWithRecommendations?: boolean;
    readonly itemExplorationConfig?: Record<string, string>;
  };
}

/** The campaign's exploration settings; campaigns store them validated and with defaults (`campaigns.ts`). */
function explorationSettings(config: Record<string, string> | undefined): ExplorationSettings {
  return {
    weight: Number(config?.explorationWeight ?? DEFAULT_EXPLORATION_WEIGHT),
    ageCutOffDays: Number(config?.explorationItemAgeCutOff ?? DEFAULT_EXPLORATION_ITEM_AGE_CUT_OFF),
  };
}

/**
 * The request's `context` as the model reads it: each value split on `|` like a categorical column's (keys are the
 * Interactions schema's categorical fields; others match nothing in the model).
 */
function requestContext(context: Readonly<Record<string, string>>): RecommendRequest['context'] {
  const out: Record<string, string[]> = {};
  for (const [field, value] of Object.entries(context)) out[field] = splitMulti(value);
  return out;
}

/**
 * The campaign (must exist and be ACTIVE), its model and the user's history, read in parallel where possible.
 * `eventLimit` recorded events are read (more than the model needs when a filter looks at recent interactions).
 */
export async function serve(
  ctx: ServiceContext,
  state: ServingState,
  campaignArn: string,
  userId: string,
  eventLimit: number = HISTORY_TAIL,
  context?: Readonly<Record<string, string>>,
): Promise<Served> {
  const knownGroup = state.groups.get(campaignArn);
  const [record, early] = await Promise.all([
    cachedCampaign<CampaignDoc>(ctx, campaignArn),
    knownGroup === undefined ? undefined : userEvents(ctx, state, knownGroup, userId, eventLimit),
  ]);
  if (record === undefined) {
    state.groups.delete(campaignArn);
    state.models.forget(campaignArn);
    throw resourceNotFound(campaignArn);
  }
  if (record.status !== ACTIVE) {
    throw invalidInput(`Campaign ${campaignArn} is ${record.status ?? 'not ready'}; it must be ACTIVE.`);
  }
  const serving = await syncedServing(ctx, state, record);
  let events: readonly RecentEvent[] | undefined = early;
  // A campaign deleted and re-created under the same name may belong to another group.
  if (events === undefined || knownGroup !== serving.datasetGroupArn) {
    state.groups.set(campaignArn, serving.datasetGroupArn);
    events = await userEvents(ctx, state, serving.datasetGroupArn, userId, eventLimit);
  }
  const { model, histories } = await state.models.model(ctx, campaignArn, {
    versionArn: serving.servingVersionArn,
    modelKey: serving.modelKey,
  });
  // The training history first, then what happened since: events up to the user's newest training interaction
  // were part of the training data already (PutEvents events are training data too).
  const trained = histories.get(userId);
  const history: string[] = trained === undefined ? [] : [...trained.itemIds];
  const historyEventTypes: (string | undefined)[] = trained === undefined ? [] : [...trained.eventTypes];
  const after = trained?.lastTimestamp ?? Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.itemId === undefined || !(e.timestamp > after)) continue;
    history.push(e.itemId);
    historyEventTypes.push(e.eventType);
  }
  const userAttributes = await userAttributesOf(ctx, state, serving.datasetGroupArn, userId, model);
  return {
    serving,
    model,
    history,
    historyEventTypes,
    ...(userAttributes === undefined ? {} : { userAttributes }),
    ...(context !== undefined && model.usesContext ? { context: requestContext(context) } : {}),
    enableMetadata: record.doc.campaignConfig?.enableMetadataWithRecommendations === true,
    exploration: explorationSettings(record.doc.campaignConfig?.itemExplorationConfig),
    events,
  };
}

/** What the model reads of the served user: the history, its event types, the Users metadata and the context. */
export function userInput(
  served: Served,
): Pick<RecommendRequest, 'history' | 'historyEventTypes' | 'userAttributes' | 'context'> {
  return {
    history: served.history,
    historyEventTypes: served.historyEventTypes,
    ...(served.userAttributes === undefined ? {} : { userAttributes: served.userAttributes }),
    ...(served.context === undefined ? {} : { context: served.context }),
  };
}

/**
 * The user's categorical Users metadata (from the cache filters use), where the model uses Users metadata and the
 * group has the user in a Users dataset.
 */
async function userAttributesOf(
  ctx: ServiceContext,
  state: ServingState,
  groupArn: string,
  userId: string,
  model: Model,
): Promise<RecommendRequest['userAttributes']> {
  if (!model.usesUserAttributes) return undefined;
  const users = await state.filters.table(ctx, groupArn, 'Users');
  const row = users?.row(userId);
  if (users === undefined || row === undefined) return undefined;
  return metaOf(users.fields, 'USER_ID', (column) => row[column]).categorical;
}

/** The user's recent events, with the dataset's creation time from the cache when it is fresh. */
async function userEvents(
  ctx: ServiceContext,
  state: ServingState,
  groupArn: string,
  userId: string,
  limit: number,
): Promise<readonly RecentEvent[]> {
  const dataset = await cachedDataset(ctx, groupDatasetArn(groupArn, 'Interactions'));
  if (dataset === undefined) return [];
  const since = dataset.record.createdAt;
  return state.recentEvents.get(groupArn, userId, limit, since, () =>
    recentEvents(ctx, groupArn, userId, limit, since),
  );
}

/**
 * What a campaign serves. A `$LATEST` campaign's newest ACTIVE version is looked up once (awaited), then again in
 * the background every {@link SYNC_CHECK_MS} while the last answer keeps serving. A read only.
 */
async function syncedServing(
  ctx: ServiceContext,
  state: ServingState,
  record: ResourceRecord<CampaignDoc>,
): Promise<ServingAttrs> {
  const stored = record.attrs as unknown as ServingAttrs;
  if (!stored.syncWithLatest) {
    state.syncChecks.delete(record.arn);
    return stored;
  }
  const look = async () => {
    const serving = await latestServing(ctx, record);
    state.syncChecks.set(record.arn, { serving, checkedAt: Date.now() });
    return serving;
  };
  const check = state.syncChecks.get(record.arn);
  // A record that moved on (UpdateCampaign, the control plane following `$LATEST`) outdates what was found.
  if (check === undefined || check.serving.solutionArn !== stored.solutionArn) return look();
  if (Date.now() - check.checkedAt >= SYNC_CHECK_MS && check.refreshing === undefined) {
    check.refreshing = look().then(
      () => undefined,
      (err: unknown) => {
        check.refreshing = undefined;
        logger.error('Could not look for a newer version', { campaignArn: record.arn, error: err as Error });
      },
    );
  }
  return check.serving;
}

/**
 * How long a deferred record write waits for the records of other responses before it is sent, when none is in
 * flight: one BatchWriteItem for several responses costs the client and the table far less than a PutItem each.
 */
export const RECORD_LINGER_MS = 10;

export function recommendationId(): string {
  // 4 + 36 characters: within PutEvents' 40-character recommendationId.
  return `RID-${randomUUID()}`;
}

/** A 32-bit seed from a recommendationId (FNV-1a), so the id alone replays the draws of its list. */
export function seedOf(id: string): number {
  return fnv1a(id);
}

/** Per shown item: whether its slot was explored, and the probability of showing it there. */
export interface Propensities {
  readonly explored: readonly boolean[];
  readonly probabilities: readonly number[];
}

export async function remember(
  ctx: ServiceContext,
  id: string,
  campaignArn: string,
  served: Served,
  userId: string,
  items: readonly PredictedItem[],
  propensities?: Propensities,
  extra: { readonly filterArn?: string; readonly promotion?: PromotionRecord } = {},
): Promise<void> {
  const record: RecommendationRecord = {
    recommendationId: id,
    campaignArn,
    datasetGroupArn: served.serving.datasetGroupArn,
    solutionVersionArn: served.serving.servingVersionArn,
    userId,
    itemIds: items.map((i) => i.itemId as string),
    scores: items.map((i) => i.score ?? null),
    createdAt: ctx.now().getTime(),
    ...(propensities === undefined
      ? {}
      : {
          explored: propensities.explored,
          probabilities: propensities.probabilities,
          explorationWeight: served.exploration.weight,
          explorationItemAgeCutOff: served.exploration.ageCutOffDays,
        }),
    ...(extra.filterArn === undefined ? {} : { filterArn: extra.filterArn }),
    ...(extra.promotion === undefined ? {} : { promotion: extra.promotion }),
  };
  if (deferWrites()) {
    deferredWrites.start(id, { recommendationId: id, campaignArn }, () =>
      ctx.recommendations.put(record, RECORD_LINGER_MS),
    );
  } else {
    await ctx.recommendations.put(record);
  }
}

/** The items a recommendationId showed, in order, or `undefined` for an id this deployment never issued. */
export async function expandRecommendationId(
  ctx: ServiceContext,
  id: string,
): Promise<
  { readonly userId: string; readonly campaignArn: string; readonly itemIds: readonly string[] } | undefined
> {
  await deferredWrites.settle(id);
  const record = await ctx.recommendations.get(id);
  if (record === undefined) return undefined;
  return { userId: record.userId, campaignArn: record.campaignArn, itemIds: record.itemIds };
}
