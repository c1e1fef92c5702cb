/**
 * The runtime (spec §2.10, §7.4, §7.6): GetRecommendations and GetPersonalizedRanking for a campaign.
 *
 * Request path: one GetItem of the campaign and one Query of the user's most recent events, in parallel once the
 * campaign's dataset group is known to this process; the model is held in memory ({@link ModelCache}) and reloaded
 * only when the campaign's artifact changes; one PutItem stores the `recommendationId` with what was shown.
 *
 * Choices where Personalize's documentation is silent or the model allows more than the docs:
 * - `numResults` 0 (the model's minimum) means "unset": the default 25, as an unset integer in the older SDKs.
 * - Items the user already interacted with are not excluded: User-Personalization may recommend them again (use a
 *   filter to exclude them, which Personalize documents as the way to do so).
 * - The history is the user's last interactions in the version's training data, followed by the user's (or
 *   anonymous session's) recorded events newer than those, of any type that names an item, session-linked events
 *   included; the model reads the last `bptt` of them. No history → the model's context-only state, i.e. popular
 *   items.
 * - `context` is validated by the wire layer but does not change scores yet: the engine has no contextual features.
 * - GetRecommendations applies the campaign's `itemExplorationConfig` and the served artifact's impression
 *   statistics (`engine/exploration.ts`); the random draws are seeded from the recommendationId, so a list can be
 *   replayed, and each shown item's exploration flag and slot probability are stored with that id.
 *   GetPersonalizedRanking ranks by relevance only: its caller chose the items.
 * - `filterArn` / promotion filters: this service has no filters, so any filter ARN is unknown
 *   (ResourceNotFoundException, as for a filter that does not exist).
 * - GetPersonalizedRanking drops repeated ids in `inputList` (keeping the first), ranks the known ones by score and
 *   appends the ones the model does not know, in input order, without a score.
 */
import { randomUUID } from 'node:crypto';
import type {
  GetPersonalizedRankingRequest,
  GetPersonalizedRankingResponse,
  GetRecommendationsRequest,
  GetRecommendationsResponse,
  PredictedItem,
} from '@aws-sdk/client-personalize-runtime';
import { invalidInput, notFound } from '../api/errors';
import { type ExplorationSettings, explore, isPlainRanking } from '../engine/exploration';
import type { Model } from '../engine/model';
import { Random } from '../engine/random';
import type { BulkValue } from '../store/bulk-data';
import { type ResourceRecord, resourceNotFound } from '../store/resources';
import {
  CAMPAIGN,
  DEFAULT_EXPLORATION_ITEM_AGE_CUT_OFF,
  DEFAULT_EXPLORATION_WEIGHT,
  followLatest,
  type ServingAttrs,
} from './campaigns';
import type { ServiceContext } from './context';
import { findDataset, groupDatasetArn } from './dataset-data';
import { ACTIVE } from './dataset-groups';
import { type RecentEvent, recentEvents } from './events';
import { ExplorationCache } from './item-stats';
import { HISTORY_TAIL, ModelCache, modelCache } from './model-cache';

export const DEFAULT_NUM_RESULTS = 25;
export const MAX_NUM_RESULTS = 500;
/** With `metadataColumns` (spec §2.10, §5). */
export const MAX_NUM_RESULTS_WITH_METADATA = 50;
export const MAX_RANKING_INPUT = 500;
export const MAX_RANKING_INPUT_WITH_METADATA = 50;
/** Documented per-request limit (the model allows 99). */
export const MAX_METADATA_COLUMNS = 10;
/** How often a `$LATEST`-synced campaign checks for a newer ACTIVE version. */
export const SYNC_CHECK_MS = 5_000;
/**
 * How long the creation time of a group's Interactions dataset (events older than it belong to a deleted dataset)
 * is reused, saving a read per request.
 */
export const DATASET_TTL_MS = 5_000;
/** How long item metadata read for `metadataColumns` is reused before PutItems changes are picked up. */
export const METADATA_TTL_MS = 60_000;

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
}

export function createServingState(models: ModelCache = new ModelCache()): ServingState {
  return {
    models,
    groups: new Map(),
    syncChecks: new Map(),
    metadata: new ItemMetadataCache(),
    datasets: new Map(),
    exploration: new ExplorationCache(),
  };
}

let processState: ServingState | undefined;

/** The process-wide state the handlers use (built on first use, so module order does not matter). */
function defaultState(): ServingState {
  processState ??= createServingState(modelCache);
  return processState;
}

interface Served {
  readonly serving: ServingAttrs;
  readonly model: Model;
  readonly history: string[];
  readonly enableMetadata: boolean;
  readonly exploration: ExplorationSettings;
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

/** The campaign (must exist and be ACTIVE), its model and the user's history, read in parallel where possible. */
async function serve(
  ctx: ServiceContext,
  state: ServingState,
  campaignArn: string,
  userId: string,
): Promise<Served> {
  const knownGroup = state.groups.get(campaignArn);
  const [record, early] = await Promise.all([
    ctx.resources.get<CampaignDoc>(campaignArn, CAMPAIGN),
    knownGroup === undefined ? undefined : userEvents(ctx, state, knownGroup, userId),
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
    events = await userEvents(ctx, state, serving.datasetGroupArn, userId);
  }
  const { model, histories } = await state.models.model(ctx, campaignArn, {
    versionArn: serving.servingVersionArn,
    modelKey: serving.modelKey,
  });
  // The training history first, then what happened since: events up to the user's newest training interaction
  // were part of the training data already (PutEvents events are training data too).
  const trained = histories.get(userId);
  const history: string[] = trained === undefined ? [] : [...trained.itemIds];
  const after = trained?.lastTimestamp ?? Number.NEGATIVE_INFINITY;
  for (const e of events) if (e.itemId !== undefined && e.timestamp > after) history.push(e.itemId);
  return {
    serving,
    model,
    history,
    enableMetadata: record.doc.campaignConfig?.enableMetadataWithRecommendations === true,
    exploration: explorationSettings(record.doc.campaignConfig?.itemExplorationConfig),
  };
}

/** The user's recent events, with the dataset's creation time from the cache when it is fresh. */
async function userEvents(
  ctx: ServiceContext,
  state: ServingState,
  groupArn: string,
  userId: string,
): Promise<RecentEvent[]> {
  let dataset = state.datasets.get(groupArn);
  if (dataset === undefined || Date.now() - dataset.readAt > DATASET_TTL_MS) {
    const record = await ctx.resources.get(groupDatasetArn(groupArn, 'Interactions'), 'dataset');
    dataset = { createdAt: record?.createdAt ?? null, readAt: Date.now() };
    state.datasets.set(groupArn, dataset);
  }
  if (dataset.createdAt === null) return [];
  return recentEvents(ctx, groupArn, userId, HISTORY_TAIL, dataset.createdAt);
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

function checkNoFilters(input: { filterArn?: string; promotions?: readonly { filterArn?: string }[] }): void {
  if (input.filterArn !== undefined) throw notFound(`Could not find resource with ARN ${input.filterArn}`);
  for (const promotion of input.promotions ?? []) {
    if (promotion.filterArn !== undefined) {
      throw notFound(`Could not find resource with ARN ${promotion.filterArn}`);
    }
    throw invalidInput('promotions need a filterArn.');
  }
}

/** The requested Items columns, after the checks of spec §2.10; `undefined` when none are requested. */
function requestedColumns(
  metadataColumns: Record<string, string[]> | undefined,
  enabled: boolean,
  campaignArn: string,
): readonly string[] | undefined {
  if (metadataColumns === undefined) return undefined;
  if (!enabled) {
    throw invalidInput(
      `Campaign ${campaignArn} was not created with campaignConfig.enableMetadataWithRecommendations; ` +
        'metadataColumns cannot be returned.',
    );
  }
  const entries = Object.entries(metadataColumns);
  for (const [type] of entries) {
    if (type !== 'ITEMS') throw invalidInput(`metadataColumns supports only the ITEMS dataset; got ${type}.`);
  }
  const columns = entries.flatMap(([, cols]) => cols);
  if (columns.length > MAX_METADATA_COLUMNS) {
    throw invalidInput(
      `At most ${MAX_METADATA_COLUMNS} metadata columns can be requested; got ${columns.length}.`,
    );
  }
  return columns.length === 0 ? undefined : columns;
}

function recommendationId(): string {
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
interface Propensities {
  readonly explored: readonly boolean[];
  readonly probabilities: readonly number[];
}

async function remember(
  ctx: ServiceContext,
  id: string,
  campaignArn: string,
  served: Served,
  userId: string,
  items: readonly PredictedItem[],
  propensities?: Propensities,
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
  });
}

async function withMetadata(
  ctx: ServiceContext,
  state: ServingState,
  groupArn: string,
  columns: readonly string[] | undefined,
  items: PredictedItem[],
): Promise<PredictedItem[]> {
  if (columns === undefined) return items;
  const table = await state.metadata.get(ctx, groupArn);
  const unknown = columns.filter((c) => !table.columns.has(c));
  if (unknown.length > 0) {
    throw invalidInput(`The Items dataset has no column ${unknown.join(', ')}.`);
  }
  return items.map((item) => {
    const row = table.rows.get(item.itemId as string);
    const metadata: Record<string, string> = {};
    for (const c of columns) {
      const v = row?.[c];
      if (v !== undefined) metadata[c] = v;
    }
    return { ...item, metadata };
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
  checkNoFilters(input);

  const served = await serve(ctx, state, campaignArn, userId);
  const columns = requestedColumns(input.metadataColumns, served.enableMetadata, campaignArn);
  const id = recommendationId();
  const catalog = await state.exploration.get(ctx, served.serving.modelKey, served.model);
  let ranked: PredictedItem[];
  let shown: readonly { readonly explored: boolean; readonly probability: number }[];
  if (isPlainRanking(catalog, served.exploration)) {
    ranked = served.model
      .recommend({ history: served.history, numResults })
      .map(({ itemId, score }) => ({ itemId, score }));
    shown = ranked.map(() => ({ explored: false, probability: 1 }));
  } else {
    const explored = explore(catalog, {
      scores: served.model.scoreAll(served.history),
      numResults,
      settings: served.exploration,
      ...(served.exploration.weight > 0 ? { random: new Random(seedOf(id)) } : {}),
    });
    // Personalize's documented `reason` for a slot filled by exploration, so callers can tell them apart.
    ranked = explored.map((s) => ({
      itemId: served.model.itemIds[s.index] as string,
      score: s.score,
      ...(s.explored ? { reason: ['Exploration'] } : {}),
    }));
    shown = explored;
  }
  const itemList = await withMetadata(ctx, state, served.serving.datasetGroupArn, columns, ranked);
  await remember(ctx, id, campaignArn, served, userId, itemList, {
    explored: shown.map((s) => s.explored),
    probabilities: shown.map((s) => s.probability),
  });
  return { itemList, recommendationId: id };
}

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
  checkNoFilters(input);

  const served = await serve(ctx, state, campaignArn, userId);
  const columns = requestedColumns(input.metadataColumns, served.enableMetadata, campaignArn);
  const scores = served.model.scoreAll(served.history);
  const known: { itemId: string; score: number; at: number }[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const itemId of inputList) {
    if (seen.has(itemId)) continue;
    seen.add(itemId);
    const index = served.model.itemIndex(itemId);
    if (index === undefined) unknown.push(itemId);
    else known.push({ itemId, score: scores[index] as number, at: known.length });
  }
  known.sort((a, b) => b.score - a.score || a.at - b.at);
  const ranked: PredictedItem[] = [
    ...known.map(({ itemId, score }) => ({ itemId, score })),
    ...unknown.map((itemId) => ({ itemId })),
  ];
  const personalizedRanking = await withMetadata(ctx, state, served.serving.datasetGroupArn, columns, ranked);
  const id = recommendationId();
  await remember(ctx, id, campaignArn, served, userId, personalizedRanking);
  return { personalizedRanking, recommendationId: id };
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

interface MetadataTable {
  readonly columns: ReadonlySet<string>;
  /** Item id → column → value as a string (multi-valued categories stay `|`-joined, as imported). */
  readonly rows: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly loadedAt: number;
}

/**
 * The Items dataset of a group as strings, for `metadataColumns`: bulk generations in order, then PutItems records,
 * the most recent write of an id winning. Read whole and reused for {@link METADATA_TTL_MS}.
 */
export class ItemMetadataCache {
  private readonly tables = new Map<string, Promise<MetadataTable>>();

  async get(ctx: ServiceContext, groupArn: string): Promise<MetadataTable> {
    const cached = this.tables.get(groupArn);
    if (cached !== undefined) {
      const table = await cached.catch(() => undefined);
      if (table !== undefined && Date.now() - table.loadedAt < METADATA_TTL_MS) return table;
    }
    const loading = loadMetadata(ctx, groupArn);
    this.tables.set(groupArn, loading);
    loading.catch(() => this.tables.delete(groupArn));
    return loading;
  }
}

const asString = (v: BulkValue | undefined): string | undefined =>
  v === null || v === undefined ? undefined : String(v);

async function loadMetadata(ctx: ServiceContext, groupArn: string): Promise<MetadataTable> {
  const arn = groupDatasetArn(groupArn, 'Items');
  const dataset = await findDataset(ctx, arn);
  const loadedAt = Date.now();
  if (dataset === undefined) return { columns: new Set(), rows: new Map(), loadedAt };
  const columns = new Set(dataset.fields.map((f) => f.name).filter((n) => n !== 'ITEM_ID'));
  const rows = new Map<string, { values: Record<string, string>; at: number }>();
  const toValues = (get: (c: string) => BulkValue | undefined) => {
    const values: Record<string, string> = {};
    for (const c of columns) {
      const v = asString(get(c));
      if (v !== undefined) values[c] = v;
    }
    return values;
  };
  const bulk = ctx.bulk;
  for (const generation of (await bulk.state(arn)).generations) {
    for await (const batch of bulk.read(generation.key)) {
      const index = new Map(batch.columns.map((c, i) => [c, i]));
      const id = index.get('ITEM_ID') ?? -1;
      for (const row of batch.rows) {
        rows.set(row[id] as string, {
          values: toValues((c) => row[index.get(c) ?? -1]),
          at: generation.publishedAt,
        });
      }
    }
  }
  for await (const page of ctx.records.list(arn)) {
    for (const record of page) {
      const existing = rows.get(record.id);
      if (existing !== undefined && existing.at > record.updatedAt) continue;
      rows.set(record.id, { values: toValues((c) => record.values[c]), at: record.updatedAt });
    }
  }
  return { columns, rows: new Map([...rows].map(([id, r]) => [id, r.values])), loadedAt };
}
