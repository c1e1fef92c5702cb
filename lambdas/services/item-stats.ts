/**
 * Per-item engagement statistics for exploration and impression feedback (spec §7.3): how often each item was shown
 * and how often it was chosen from a list that showed it.
 *
 * They travel with a model artifact: `<artifact without .bin>.item-stats.json` in the data bucket, written by the
 * training step for a new version and rewritten by every automatic update next to the artifact generation it
 * publishes (`itemStatsKey` in `store/artifacts.ts`). Serving reads them once per artifact ({@link ExplorationCache}). An artifact
 * without statistics serves with none: no impression penalties, exploration from age and training counts only.
 *
 * Counting, from interactions that carry an impression list (explicit, imported `IMPRESSION`, or expanded from a
 * `recommendationId` when PutEvents stored the event):
 * - one impression per item of a list each time a user is shown that list; several events of one user naming the
 *   same list within {@link IMPRESSION_SESSION_SECONDS} of each other are one showing (a click and a later purchase
 *   from the same response), so repeated events do not multiply the impressions;
 * - one click for the item the interaction names, if that list showed it (once per showing).
 */

import { type Engagement, type ExplorationCatalog, explorationCatalog } from '../engine/exploration';
import type { Model } from '../engine/model';
import { hasImpression, type InteractionColumns, interactionRows, latestTime } from '../engine/snapshot';
import type { Interaction } from '../engine/types';
import { getArtifact, itemStatsKey, putArtifact } from '../store/artifacts';
import type { ServiceContext } from './context';

export const ITEM_STATS_FORMAT = 1;
/** Events of one user naming the same list closer together than this count as one showing of it. */
export const IMPRESSION_SESSION_SECONDS = 1800;
/** Artifacts whose exploration state a serving process keeps; older ones are rebuilt if asked for again. */
const CACHED_ARTIFACTS = 16;

/** The stored statistics (JSON). Arrays are index-aligned with `itemIds`. */
export interface ItemStats {
  readonly format: typeof ITEM_STATS_FORMAT;
  /** Newest interaction timestamp the statistics have seen (epoch seconds), the reference for item ages. */
  readonly latestInteractionTimestamp: number | null;
  readonly itemIds: string[];
  readonly impressions: number[];
  readonly clicks: number[];
}

export const emptyItemStats = (): ItemStats => ({
  format: ITEM_STATS_FORMAT,
  latestInteractionTimestamp: null,
  itemIds: [],
  impressions: [],
  clicks: [],
});

/** The position of `id` in `stats` (`index` maps ids to positions), appending it with zero counts if absent. */
function slotOf(stats: ItemStats, index: Map<string, number>, id: string): number {
  let i = index.get(id);
  if (i === undefined) {
    i = stats.itemIds.length;
    index.set(id, i);
    stats.itemIds.push(id);
    stats.impressions.push(0);
    stats.clicks.push(0);
  }
  return i;
}

/** Counts impressions and clicks in interactions (any order). */
export function itemStatsFromInteractions(interactions: Iterable<Interaction>): ItemStats {
  const sorted = [...interactions].sort((a, b) => a.timestamp - b.timestamp);
  const index = new Map<string, number>();
  const stats: ItemStats = emptyItemStats();
  const slot = (id: string): number => slotOf(stats, index, id);
  /** user + list → the showing it belongs to: when it was last named, and the items already counted as chosen. */
  const showings = new Map<string, { last: number; chosen: Set<string> }>();
  let latest = Number.NEGATIVE_INFINITY;
  for (const x of sorted) {
    if (x.timestamp > latest) latest = x.timestamp;
    const list = x.impression;
    if (list === undefined || list.length === 0) continue;
    const key = `${x.userId}\u0000${list.join('\u0000')}`;
    let showing = showings.get(key);
    if (showing === undefined || x.timestamp - showing.last > IMPRESSION_SESSION_SECONDS) {
      showing = { last: x.timestamp, chosen: new Set() };
      showings.set(key, showing);
      for (const id of new Set(list)) {
        const i = slot(id);
        stats.impressions[i] = (stats.impressions[i] as number) + 1;
      }
    }
    showing.last = x.timestamp;
    if (list.includes(x.itemId) && !showing.chosen.has(x.itemId)) {
      showing.chosen.add(x.itemId);
      const i = slot(x.itemId);
      stats.clicks[i] = (stats.clicks[i] as number) + 1;
    }
  }
  return { ...stats, latestInteractionTimestamp: Number.isFinite(latest) ? latest : null };
}

/** {@link itemStatsFromInteractions} of a training snapshot: only its rows with an impression list become objects. */
export function itemStatsFromColumns(columns: InteractionColumns): ItemStats {
  const stats = itemStatsFromInteractions(interactionRows(columns, (r) => hasImpression(columns, r)));
  const latest = latestTime(columns);
  return { ...stats, latestInteractionTimestamp: Number.isNaN(latest) ? null : latest };
}

/** `base` plus the counts of `more` (statistics of disjoint interactions, e.g. those since the last update). */
export function mergeItemStats(base: ItemStats, more: ItemStats): ItemStats {
  const out: ItemStats = {
    ...emptyItemStats(),
    itemIds: [...base.itemIds],
    impressions: [...base.impressions],
    clicks: [...base.clicks],
  };
  const index = new Map(out.itemIds.map((id, i) => [id, i]));
  more.itemIds.forEach((id, m) => {
    const i = slotOf(out, index, id);
    out.impressions[i] = (out.impressions[i] as number) + (more.impressions[m] as number);
    out.clicks[i] = (out.clicks[i] as number) + (more.clicks[m] as number);
  });
  const times = [base.latestInteractionTimestamp, more.latestInteractionTimestamp].filter(
    (t): t is number => t !== null,
  );
  return { ...out, latestInteractionTimestamp: times.length === 0 ? null : Math.max(...times) };
}

/** The statistics as arrays aligned with a catalog (items the statistics do not name: zero). */
export function alignEngagement(stats: ItemStats, itemIds: readonly string[]): Engagement {
  const index = new Map(itemIds.map((id, i) => [id, i]));
  const impressions = new Float32Array(itemIds.length);
  const clicks = new Float32Array(itemIds.length);
  stats.itemIds.forEach((id, s) => {
    const i = index.get(id);
    if (i === undefined) return;
    impressions[i] = stats.impressions[s] as number;
    clicks[i] = stats.clicks[s] as number;
  });
  return { impressions, clicks };
}

export async function writeItemStats(ctx: ServiceContext, modelKey: string, stats: ItemStats): Promise<void> {
  await putArtifact(ctx.s3, ctx.dataBucket, itemStatsKey(modelKey), [Buffer.from(JSON.stringify(stats))]);
}

/** The statistics stored with a model artifact, or `undefined` if it has none. */
export async function readItemStats(ctx: ServiceContext, modelKey: string): Promise<ItemStats | undefined> {
  const bytes = await getArtifact(ctx.s3, ctx.dataBucket, itemStatsKey(modelKey));
  if (bytes === undefined) return undefined;
  const stats = JSON.parse(Buffer.from(bytes).toString('utf8')) as ItemStats;
  if (stats.format !== ITEM_STATS_FORMAT)
    throw new Error(`Unknown item statistics format ${String(stats.format)}`);
  return stats;
}

/** The exploration state of a model and its statistics. */
export function catalogOf(model: Model, stats: ItemStats | undefined): ExplorationCatalog {
  const facts = {
    itemCounts: model.itemCounts,
    itemCreationTimestamps: model.itemCreationTimestamps,
    latestInteractionTimestamp: model.latestInteractionTimestamp,
  };
  if (stats === undefined) return explorationCatalog(facts);
  const latest = Math.max(
    Number.isNaN(model.latestInteractionTimestamp)
      ? Number.NEGATIVE_INFINITY
      : model.latestInteractionTimestamp,
    stats.latestInteractionTimestamp ?? Number.NEGATIVE_INFINITY,
  );
  return explorationCatalog(
    facts,
    alignEngagement(stats, model.itemIds),
    Number.isFinite(latest) ? latest : Number.NaN,
  );
}

/**
 * Exploration state per model artifact, built on first use: one read of the statistics and one pass over the
 * catalog, then shared by every request served from that artifact.
 */
export class ExplorationCache {
  private readonly entries = new Map<string, Promise<ExplorationCatalog>>();

  async get(ctx: ServiceContext, modelKey: string, model: Model): Promise<ExplorationCatalog> {
    let pending = this.entries.get(modelKey);
    if (pending === undefined) {
      pending = readItemStats(ctx, modelKey).then((stats) => catalogOf(model, stats));
      this.entries.set(modelKey, pending);
      pending.catch(() => {
        if (this.entries.get(modelKey) === pending) this.entries.delete(modelKey);
      });
      if (this.entries.size > CACHED_ARTIFACTS) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
      }
    }
    return pending;
  }
}
