/**
 * Automatic updates (spec §7.5): every two hours the update workflow (`lambdas/workflows/update-definition.ts`)
 * lists the campaigns that qualify ({@link scanCampaigns}) and refreshes each one ({@link applyUpdate}): new items
 * are folded into the model its version trained and item statistics are recounted (`engine/update.ts`), the result
 * is written as a new artifact generation, and the campaign is pointed at it. No solution version and no metrics
 * are created; the serving cache sees the new artifact key on the next request and reloads.
 *
 * A campaign qualifies when it is ACTIVE, serves an ACTIVE version trained with `trainingMode` FULL that is the
 * newest ACTIVE FULL version of its solution (UPDATE versions and superseded versions are not auto-updated), and
 * its dataset group still has an Interactions dataset.
 *
 * An update reads the version's training snapshot and only the data that arrived since: the data mark its training
 * recorded, or the one its previous generation recorded (`data-marks.ts`), says what was read; the write marks
 * PutEvents keeps say whether events were written since and which event times to read. No new events, unchanged
 * Items data and bulk generations mean no new generation, found with one Query and no event read. Each generation
 * stores, beside it, its mark and the interactions that arrived since training, so the next update reads only
 * what came after; a check that finds nothing new moves the mark it read forward, so the next one does not look at
 * the same events again (events written just before a mark are read once more, for the index's lag). The Items
 * data is still read whole. Without a usable mark (a version trained before marks existed, an Interactions import since
 * training, a mark older than write marks are kept) the update reads every interaction of the group, as training
 * does, and compares a digest of that data (`data-fingerprint.ts`) with the last update's.
 *
 * Every update starts from the version's own model, never from an earlier generation, so generations do not drift
 * and a repeated update of the same data gives the same bytes, read incrementally or in full.
 */
import { randomUUID } from 'node:crypto';
import type { Campaign } from '@aws-sdk/client-personalize';
import type { Model } from '../engine/model';
import { decodeSnapshot, encodeSnapshot, interactionRows, SnapshotBuilder } from '../engine/snapshot';
import type { Interaction, ItemMeta } from '../engine/types';
import { updateModel } from '../engine/update';
import { logger } from '../observability';
import {
  dataMarkKey,
  deleteArtifact,
  generationInteractionsKey,
  generationKey,
  generationMarkKey,
  getArtifact,
  itemStatsKey,
  putArtifact,
} from '../store/artifacts';
import type { ResourceRecord } from '../store/resources';
import { UpdateRunLease } from '../store/update-lease';
import { CAMPAIGN, forgetCampaign, type ServingAttrs } from './campaigns';
import type { ServiceContext } from './context';
import { DataFingerprint } from './data-fingerprint';
import {
  type DataMark,
  readItems,
  readMark,
  readSince,
  relinked,
  versionMark,
  writeMark,
} from './data-marks';
import { groupDatasetArn, groupInteractions, groupItems } from './dataset-data';
import { ACTIVE } from './dataset-groups';
import { itemStatsFromInteractions, writeItemStats } from './item-stats';
import {
  allVersions,
  isTrainingInteraction,
  SOLUTION_VERSION,
  trainingConfigOf,
  VERSION_STATUS,
  type VersionDoc,
} from './solutions';
import { loadModel, loadSnapshot } from './training';

/** What a campaign's `attrs` remember of its automatic updates, beside {@link ServingAttrs}. */
export interface UpdateAttrs {
  /** The version the last update refreshed. */
  readonly updateBaseVersionArn?: string;
  /** Generation number of the last update (1, 2, …). */
  readonly updateGeneration?: number;
  /** The artifact the last update wrote; the campaign still serves it while `modelKey` equals it. */
  readonly updateModelKey?: string;
  /** The generation before it, kept for serving processes that are still loading it. */
  readonly updatePreviousModelKey?: string;
  /** Digest of the data the last update read. */
  readonly updateFingerprint?: string;
  /** When the last update switched the campaign (epoch ms). */
  readonly updatedAt?: number;
}

/** The input and output of the scan step. */
export interface ScanResult {
  readonly campaignArns: string[];
}

export type UpdateStatus = 'UPDATED' | 'UNCHANGED' | 'SKIPPED';

/** What the apply step reports per campaign (the update workflow's output collects these). */
export interface UpdateOutcome {
  readonly campaignArn: string;
  readonly status: UpdateStatus;
  readonly reason?: string;
  readonly modelKey?: string;
  readonly generation?: number;
  readonly addedItems?: number;
  readonly interactions?: number;
}

/**
 * Writes the per-item statistics that live beside a model artifact (impressions and clicks, for exploration) for a
 * new generation, from the interactions the update read.
 */
export type StatsRefresher = (
  ctx: ServiceContext,
  update: {
    readonly campaignArn: string;
    readonly datasetGroupArn: string;
    readonly model: Model;
    readonly modelKey: string;
    readonly interactions: readonly Interaction[];
  },
) => Promise<void>;

/** Recounts impressions and clicks from all the interactions read, as training does for a new version. */
export const recountItemStats: StatsRefresher = (ctx, update) =>
  writeItemStats(ctx, update.modelKey, itemStatsFromInteractions(update.interactions));

export interface UpdateOptions {
  /** @default recountItemStats */
  readonly refreshStats?: StatsRefresher;
  /** Largest catalog an update produces. @default MAX_UPDATE_ITEMS (750,000) */
  readonly maxItems?: number;
  /** Read every interaction of the group even where a data mark allows less (the reference path). @default false */
  readonly fullRead?: boolean;
}

/** The campaign was updated, deleted or deactivated while an automatic update ran. */
class CampaignChangedError extends Error {
  override readonly name = 'CampaignChangedError';
  constructor(campaignArn: string) {
    super(`Campaign ${campaignArn} changed during the automatic update`);
  }
}

/** Why a campaign does not qualify for an automatic update, or `undefined` when it does. */
export async function ineligibility(
  ctx: ServiceContext,
  campaign: ResourceRecord,
  versionsOf: (solutionArn: string) => Promise<ResourceRecord<VersionDoc>[]> = (arn) => allVersions(ctx, arn),
): Promise<string | undefined> {
  if (campaign.status !== ACTIVE) return `campaign is ${campaign.status ?? 'not ACTIVE'}`;
  const serving = campaign.attrs as unknown as Partial<ServingAttrs>;
  if (serving.servingVersionArn === undefined || serving.solutionArn === undefined)
    return 'campaign serves nothing';
  const versions = await versionsOf(serving.solutionArn);
  const version = versions.find((v) => v.arn === serving.servingVersionArn);
  if (version === undefined) return 'its solution version no longer exists';
  if (version.status !== VERSION_STATUS.active)
    return `its solution version is ${version.status ?? 'not ACTIVE'}`;
  if (version.doc.trainingMode !== 'FULL')
    return `its solution version was trained with ${version.doc.trainingMode}`;
  const newest = versions
    .filter((v) => v.status === VERSION_STATUS.active && v.doc.trainingMode === 'FULL')
    .sort((a, b) => b.createdAt - a.createdAt || (a.arn < b.arn ? 1 : -1))[0];
  if (newest !== undefined && newest.arn !== version.arn)
    return `a newer FULL version exists (${newest.arn})`;
  const groupArn = serving.datasetGroupArn;
  if (groupArn === undefined) return 'campaign names no dataset group';
  if ((await ctx.resources.get(groupDatasetArn(groupArn, 'Interactions'), 'dataset')) === undefined) {
    return 'its dataset group has no Interactions dataset';
  }
  return undefined;
}

/** Every campaign that qualifies for an automatic update now (the workflow's first step). */
export async function scanCampaigns(ctx: ServiceContext): Promise<ScanResult> {
  const versions = new Map<string, Promise<ResourceRecord<VersionDoc>[]>>();
  const versionsOf = (arn: string) => {
    let pending = versions.get(arn);
    if (pending === undefined) {
      pending = allVersions(ctx, arn);
      versions.set(arn, pending);
    }
    return pending;
  };
  const campaignArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.resources.list({ type: CAMPAIGN, limit: 100, nextToken, statusIn: [ACTIVE] });
    for (const campaign of page.items) {
      if ((await ineligibility(ctx, campaign, versionsOf)) === undefined) campaignArns.push(campaign.arn);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  if (campaignArns.length === 0) return { campaignArns };
  // One run at a time: while another run still updates campaigns, this one leaves them to it.
  const claimed = await updateLease(ctx).claim(randomUUID(), campaignArns, ctx.now().getTime());
  return { campaignArns: claimed ? campaignArns : [] };
}

/** The guard that keeps update runs from overlapping (`store/update-lease.ts`). */
export function updateLease(ctx: ServiceContext): UpdateRunLease {
  return new UpdateRunLease(ctx.ddb, ctx.resourcesTable);
}

type EventFilter = { readonly eventType?: string; readonly eventValueThreshold?: number };

/** The data an update reads: the solution's interactions and the group's items. */
interface UpdateData {
  readonly interactions: Interaction[];
  readonly items: ItemMeta[];
  /** Why no new generation is needed, found before any model work. */
  readonly unchanged?: string;
  /** Events read from the store. */
  readonly eventsRead: number;
  /** A full read: its newest timestamp and digest, which the campaign keeps. */
  readonly full?: { readonly latest: number; readonly fingerprint: string };
  /** An incremental read: the mark and the interactions since training, stored beside the generation. */
  readonly next?: { readonly mark: DataMark; readonly arrived: Uint8Array[] };
}

/** Every interaction and item of the group, with the digest of them. */
async function readData(ctx: ServiceContext, groupArn: string, filter: EventFilter): Promise<UpdateData> {
  const fingerprint = new DataFingerprint();
  const interactions: Interaction[] = [];
  let latest = Number.NEGATIVE_INFINITY;
  let eventsRead = 0;
  for await (const batch of groupInteractions(ctx, groupArn, () => eventsRead++)) {
    for (const x of batch) {
      if (!isTrainingInteraction(x, filter)) continue;
      interactions.push(x);
      if (x.timestamp > latest) latest = x.timestamp;
      fingerprint.interaction(x);
    }
  }
  fingerprint.startItems();
  const items: ItemMeta[] = [];
  for await (const batch of groupItems(ctx, groupArn)) {
    for (const item of batch) {
      items.push(item);
      fingerprint.item(item);
    }
  }
  return { interactions, items, eventsRead, full: { latest, fingerprint: fingerprint.digest() } };
}

/**
 * The version's snapshot, the interactions the last generation's update found since training, and what arrived
 * after that; `undefined` when no mark makes that possible (then only a full read gives the data).
 */
async function readIncremental(
  ctx: ServiceContext,
  groupArn: string,
  versionArn: string,
  lastModelKey: string | undefined,
  filter: EventFilter,
): Promise<UpdateData | undefined> {
  let mark: DataMark | undefined;
  let markKey: string | undefined;
  let earlier: Iterable<Interaction> = [];
  if (lastModelKey !== undefined) {
    const last = await readMark(ctx, generationMarkKey(lastModelKey));
    const bytes =
      last === undefined
        ? undefined
        : await getArtifact(ctx.s3, ctx.dataBucket, generationInteractionsKey(lastModelKey));
    if (last !== undefined && bytes !== undefined) {
      mark = last;
      markKey = generationMarkKey(lastModelKey);
      earlier = interactionRows(decodeSnapshot(bytes).columns);
    }
  }
  const sinceTraining = mark === undefined;
  if (mark === undefined) {
    mark = await versionMark(ctx, versionArn);
    markKey = dataMarkKey(versionArn);
  }
  if (mark === undefined || markKey === undefined) return undefined;
  const since = await readSince(ctx, groupArn, mark, filter);
  if (since === undefined) return undefined;
  const { items, digest } = await readItems(ctx, groupArn);
  const eventsRead = since.eventsRead;
  if (since.interactions.length === 0 && since.links.size === 0 && digest === mark.items) {
    // The same data, known up to a later moment: the next check starts from there and looks at none of these
    // events again.
    if (eventsRead > 0)
      await writeMark(ctx, markKey, { ...since.mark, items: mark.items, interactions: mark.interactions });
    const unchanged = `no new items or interactions since ${sinceTraining ? 'training' : 'the last update'}`;
    return { interactions: [], items, eventsRead, unchanged };
  }
  const snapshot = await loadSnapshot(ctx, versionArn);
  if (snapshot === undefined) return undefined;
  const links = new Map(since.mark.links);
  const arrived = new SnapshotBuilder();
  const interactions: Interaction[] = [];
  for (const x of interactionRows(snapshot.columns)) interactions.push(relinked(x, links));
  for (const x of earlier) {
    const moved = relinked(x, links);
    interactions.push(moved);
    arrived.add(moved);
  }
  for (const x of since.interactions) {
    interactions.push(x);
    arrived.add(x);
  }
  return {
    interactions,
    items,
    eventsRead,
    next: {
      mark: { ...since.mark, items: digest, interactions: interactions.length },
      arrived: encodeSnapshot({ columns: arrived.finish(), items: [], users: [] }),
    },
  };
}

/**
 * Updates one campaign (the workflow's per-campaign step). Re-checks eligibility, since the campaign may have
 * changed since the scan; a campaign that changes while the update runs keeps its new state and the unused
 * generation is deleted.
 */
export async function applyUpdate(
  ctx: ServiceContext,
  campaignArn: string,
  options: UpdateOptions = {},
): Promise<UpdateOutcome> {
  const lease = updateLease(ctx);
  if (!(await lease.enter(campaignArn, ctx.now().getTime()))) {
    return { campaignArn, status: 'SKIPPED', reason: 'another update run is in progress' };
  }
  try {
    return await updateCampaignModel(ctx, campaignArn, options);
  } finally {
    await lease.leave(campaignArn);
  }
}

async function updateCampaignModel(
  ctx: ServiceContext,
  campaignArn: string,
  options: UpdateOptions,
): Promise<UpdateOutcome> {
  const started = performance.now();
  const campaign = await ctx.resources.get<Campaign>(campaignArn, CAMPAIGN);
  if (campaign === undefined) return { campaignArn, status: 'SKIPPED', reason: 'campaign no longer exists' };
  const reason = await ineligibility(ctx, campaign);
  if (reason !== undefined) return { campaignArn, status: 'SKIPPED', reason };
  const serving = campaign.attrs as unknown as ServingAttrs & UpdateAttrs;
  const versionArn = serving.servingVersionArn;
  const version = await ctx.resources.require<VersionDoc>(versionArn, SOLUTION_VERSION);
  const config = trainingConfigOf(version.doc.solutionConfig, version.doc.eventType);
  const stillServingLastUpdate =
    serving.updateBaseVersionArn === versionArn && serving.modelKey === serving.updateModelKey;
  const groupArn = serving.datasetGroupArn;
  const data =
    (options.fullRead === true
      ? undefined
      : await readIncremental(
          ctx,
          groupArn,
          versionArn,
          stillServingLastUpdate ? serving.updateModelKey : undefined,
          config,
        )) ?? (await readData(ctx, groupArn, config));
  if (data.unchanged !== undefined) return { campaignArn, status: 'UNCHANGED', reason: data.unchanged };
  if (
    stillServingLastUpdate &&
    data.full !== undefined &&
    serving.updateFingerprint === data.full.fingerprint
  ) {
    return { campaignArn, status: 'UNCHANGED', reason: 'no new items or interactions since the last update' };
  }
  const base = await loadModel(ctx, versionArn);
  const result = await updateModel(base, {
    interactions: data.interactions,
    items: data.items,
    ...(options.maxItems === undefined ? {} : { maxItems: options.maxItems }),
  });
  const servesBase =
    serving.modelKey !== serving.updateModelKey || serving.updateBaseVersionArn !== versionArn;
  const trainedOnSameData =
    data.full !== undefined &&
    result.addedItems.length === 0 &&
    base.stats?.interactions === data.interactions.length &&
    (data.interactions.length === 0 || base.latestInteractionTimestamp === data.full.latest);
  if (servesBase && trainedOnSameData) {
    return { campaignArn, status: 'UNCHANGED', reason: 'no new items or interactions since training' };
  }

  const generation = serving.updateBaseVersionArn === versionArn ? (serving.updateGeneration ?? 0) + 1 : 1;
  const now = ctx.now().getTime();
  const key = generationKey(versionArn, generation, now);
  await putArtifact(ctx.s3, ctx.dataBucket, key, [result.model.serialize()]);
  await (options.refreshStats ?? recountItemStats)(ctx, {
    campaignArn,
    datasetGroupArn: serving.datasetGroupArn,
    model: result.model,
    modelKey: key,
    interactions: data.interactions,
  });
  if (data.next !== undefined) {
    await putArtifact(ctx.s3, ctx.dataBucket, generationInteractionsKey(key), data.next.arrived);
    await writeMark(ctx, generationMarkKey(key), data.next.mark);
  }
  const attrs: UpdateAttrs & Partial<ServingAttrs> = {
    servingVersionArn: versionArn,
    modelKey: key,
    updateBaseVersionArn: versionArn,
    updateGeneration: generation,
    updateModelKey: key,
    updatePreviousModelKey: stillServingLastUpdate ? serving.updateModelKey : undefined,
    updateFingerprint: data.full?.fingerprint,
    updatedAt: now,
  };
  try {
    // Only if the campaign still serves the model that was read: an UpdateCampaign, or a `$LATEST` campaign
    // moving to a newer version meanwhile (its `solutionVersionArn` stays the alias), wins.
    await ctx.resources.update<Campaign>(
      campaignArn,
      { attrs: { ...attrs } },
      {
        statusIn: [ACTIVE],
        docEquals: { solutionVersionArn: campaign.doc.solutionVersionArn ?? '' },
        attrsEquals: { servingVersionArn: versionArn, modelKey: serving.modelKey },
      },
      () => new CampaignChangedError(campaignArn),
    );
    forgetCampaign(campaignArn);
  } catch (err) {
    await deleteObject(ctx, key);
    if (
      err instanceof CampaignChangedError ||
      (err instanceof Error && err.name === 'ResourceNotFoundException')
    ) {
      return { campaignArn, status: 'SKIPPED', reason: 'the campaign changed during the update' };
    }
    throw err;
  }
  // Kept: the new generation and the one it replaces (a serving process may still be loading it). Older ones, and
  // generations an UpdateCampaign has since replaced, are served by nothing.
  const unused = stillServingLastUpdate
    ? [serving.updatePreviousModelKey]
    : [serving.updateModelKey, serving.updatePreviousModelKey];
  for (const old of unused) if (old !== undefined && old !== serving.modelKey) await deleteObject(ctx, old);
  logger.info('automatic update', {
    campaignArn,
    solutionVersionArn: versionArn,
    generation,
    modelKey: key,
    addedItems: result.addedItems.length,
    droppedItems: result.droppedItems,
    interactions: result.interactions,
    eventsRead: data.eventsRead,
    incremental: data.full === undefined,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
  });
  return {
    campaignArn,
    status: 'UPDATED',
    modelKey: key,
    generation,
    addedItems: result.addedItems.length,
    interactions: result.interactions,
  };
}

/** Deletes a generation and what is stored beside it; a failure only leaves garbage behind. */
async function deleteObject(ctx: ServiceContext, key: string): Promise<void> {
  for (const k of [key, itemStatsKey(key), generationMarkKey(key), generationInteractionsKey(key)]) {
    await deleteArtifact(ctx.s3, ctx.dataBucket, k).catch(() => undefined);
  }
}

/** The campaign ARN of an apply step's event; anything else is a wiring mistake. */
export function applyArn(event: { readonly campaignArn?: unknown }): string {
  if (typeof event.campaignArn !== 'string')
    throw new Error('Expected an event of the form {"campaignArn": "..."}');
  return event.campaignArn;
}
