/**
 * What every runtime request resolves first (spec §2.10, §7.4): the campaign (must exist and be ACTIVE), the model
 * it serves and the user's history; plus the per-process state of the serving path, the `recommendationId` and
 * the record each response leaves behind.
 *
 * Request path: one GetItem of the campaign and one Query of the user's most recent events, in parallel once the
 * campaign's dataset group is known to this process; the model is held in memory ({@link ModelCache}) and reloaded
 * only when the campaign's artifact changes; one PutItem stores the `recommendationId` with what was shown.
 *
 * The history is the user's last interactions in the version's training data, followed by the user's (or anonymous
 * session's) recorded events newer than those, of any type that names an item, session-linked events included; the
 * model reads the last 256 of them, with their event types. No history → the model's context-only state, i.e. popular items.
 */
import { randomUUID } from 'node:crypto';
import type { PredictedItem } from '@aws-sdk/client-personalize-runtime';
import type { ExplorationSettings } from '../engine/exploration';
import type { Model } from '../engine/model';
import { invalidInput } from '../errors';
import type { PromotionRecord } from '../store/recommendations';
import { type ResourceRecord, resourceNotFound } from '../store/resources';
import {
  CAMPAIGN,
  DEFAULT_EXPLORATION_ITEM_AGE_CUT_OFF,
  DEFAULT_EXPLORATION_WEIGHT,
  followLatest,
  type ServingAttrs,
} from './campaigns';
import type { ServiceContext } from './context';
import { groupDatasetArn } from './dataset-data';
import { ACTIVE } from './dataset-groups';
import { type RecentEvent, recentEvents } from './events';
import { FilterDataCache } from './filters/data';
import { ItemMetadataCache } from './item-metadata';
import { ExplorationCache } from './item-stats';
import { HISTORY_TAIL, ModelCache, modelCache } from './model-cache';

/** How often a `$LATEST`-synced campaign checks for a newer ACTIVE version. */
export const SYNC_CHECK_MS = 5_000;
/**
 * How long the creation time of a group's Interactions dataset (events older than it belong to a deleted dataset)
 * is reused, saving a read per request.
 */
export const DATASET_TTL_MS = 5_000;

/** Per-process state of the serving path; tests build their own. */
export interface ServingState {
  readonly models: ModelCache;
  /** Campaign ARN → its dataset group, so the events Query need not wait for the campaign read. */
  readonly groups: Map<string, string>;
  /** Campaign ARN → when its `$LATEST` sync last looked for a newer version (epoch ms). */
  readonly syncChecks: Map<string, number>;
  readonly metadata: ItemMetadataCache;
  /** Group ARN → its Interactions dataset's creation time (`null`: no such dataset) and when that was read. */
  readonly datasets: Map<string, { readonly createdAt: number | null; readonly readAt: number }>;
  /** Exploration state per model artifact. */
  readonly exploration: ExplorationCache;
  /** Items, Users and recent interactions for filters. */
  readonly filters: FilterDataCache;
}

export function createServingState(models: ModelCache = new ModelCache()): ServingState {
  return {
    models,
    groups: new Map(),
    syncChecks: new Map(),
    metadata: new ItemMetadataCache(),
    datasets: new Map(),
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
 * The campaign (must exist and be ACTIVE), its model and the user's history, read in parallel where possible.
 * `eventLimit` recorded events are read (more than the model needs when a filter looks at recent interactions).
 */
export async function serve(
  ctx: ServiceContext,
  state: ServingState,
  campaignArn: string,
  userId: string,
  eventLimit: number = HISTORY_TAIL,
): Promise<Served> {
  const knownGroup = state.groups.get(campaignArn);
  const [record, early] = await Promise.all([
    ctx.resources.get<CampaignDoc>(campaignArn, CAMPAIGN),
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
  let events: RecentEvent[] | undefined = early;
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
  return {
    serving,
    model,
    history,
    historyEventTypes,
    enableMetadata: record.doc.campaignConfig?.enableMetadataWithRecommendations === true,
    exploration: explorationSettings(record.doc.campaignConfig?.itemExplorationConfig),
    events,
  };
}

/** The user's recent events, with the dataset's creation time from the cache when it is fresh. */
async function userEvents(
  ctx: ServiceContext,
  state: ServingState,
  groupArn: string,
  userId: string,
  limit: number,
): Promise<RecentEvent[]> {
  let dataset = state.datasets.get(groupArn);
  if (dataset === undefined || Date.now() - dataset.readAt > DATASET_TTL_MS) {
    const record = await ctx.resources.get(groupDatasetArn(groupArn, 'Interactions'), 'dataset');
    dataset = { createdAt: record?.createdAt ?? null, readAt: Date.now() };
    state.datasets.set(groupArn, dataset);
  }
  if (dataset.createdAt === null) return [];
  return recentEvents(ctx, groupArn, userId, limit, dataset.createdAt);
}

async function syncedServing(
  ctx: ServiceContext,
  state: ServingState,
  record: ResourceRecord<CampaignDoc>,
): Promise<ServingAttrs> {
  const serving = record.attrs as unknown as ServingAttrs;
  if (!serving.syncWithLatest) return serving;
  const now = Date.now();
  const last = state.syncChecks.get(record.arn);
  if (last !== undefined && now - last < SYNC_CHECK_MS) return serving;
  state.syncChecks.set(record.arn, now);
  return followLatest(ctx, record);
}

export function recommendationId(): string {
  // 4 + 36 characters: within PutEvents' 40-character recommendationId.
  return `RID-${randomUUID()}`;
}

/** A 32-bit seed from a recommendationId (FNV-1a), so the id alone replays the draws of its list. */
export function seedOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
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
  await ctx.recommendations.put({
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
  });
}

/** The items a recommendationId showed, in order, or `undefined` for an id this deployment never issued. */
export async function expandRecommendationId(
  ctx: ServiceContext,
  id: string,
): Promise<
  { readonly userId: string; readonly campaignArn: string; readonly itemIds: readonly string[] } | undefined
> {
  const record = await ctx.recommendations.get(id);
  if (record === undefined) return undefined;
  return { userId: record.userId, campaignArn: record.campaignArn, itemIds: record.itemIds };
}
