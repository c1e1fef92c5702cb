/**
 * Models kept in memory across invocations of the serving functions. A campaign's item (read once per request)
 * names the solution version and model artifact it serves; the cache loads them the first time they are asked for
 * and again only when the campaign moves to another artifact (UpdateCampaign, a newer `$LATEST` version, or an
 * automatic update that publishes a new artifact key). Concurrent requests for a model that is still loading share
 * the one load.
 *
 * With the model comes each training user's history tail: the last {@link HISTORY_TAIL} items of the user in the
 * version's training snapshot, so users known from bulk imports are personalised from their history, not only from
 * events recorded after training.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { MAX_HISTORY } from '../engine/history-weights';
import { Model } from '../engine/model';
import { logger } from '../observability';
import type { ServiceContext } from './context';
import { snapshotKey, type TrainingSnapshot } from './training';

const gunzipAsync = promisify(gunzip);

/** No model reads more of a history than this (its state and its repeat rates, `engine/history-weights.ts`). */
export const HISTORY_TAIL = MAX_HISTORY;

/** A training user's most recent items (oldest first), their event types and the time of the newest. */
export interface HistoryTail {
  readonly itemIds: readonly string[];
  readonly eventTypes: readonly (string | undefined)[];
  /** Epoch seconds. */
  readonly lastTimestamp: number;
}

export interface ServingModel {
  readonly model: Model;
  /** Training users' history tails, by user id. */
  readonly histories: ReadonlyMap<string, HistoryTail>;
}

/** What a campaign serves: the solution version and its model artifact. */
export interface ModelRef {
  readonly versionArn: string;
  readonly modelKey: string;
}

/** Reads an object of the data bucket; injectable for tests that count loads. */
export type ObjectReader = (ctx: ServiceContext, key: string) => Promise<Uint8Array | undefined>;

export const readObject: ObjectReader = async (ctx, key) => {
  try {
    const out = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.dataBucket, Key: key }));
    if (out.Body === undefined) throw new Error(`Object ${key} has no body`);
    return await out.Body.transformToByteArray();
  } catch (err) {
    if (err instanceof Error && err.name === 'NoSuchKey') return undefined;
    throw err;
  }
};

/** The columns of the training snapshot (written by the training workflow's prepare step) that serving reads. */
type SnapshotColumns = Pick<
  TrainingSnapshot,
  'format' | 'userIds' | 'itemIds' | 'user' | 'item' | 'time' | 'eventTypes' | 'type'
>;

/** Each user's last `tail` interactions in time order (ties keep snapshot order). */
export function historyTails(s: SnapshotColumns, tail = HISTORY_TAIL): Map<string, HistoryTail> {
  const byUser: number[][] = s.userIds.map(() => []);
  for (let i = 0; i < s.user.length; i++) byUser[s.user[i] as number]?.push(i);
  const out = new Map<string, HistoryTail>();
  byUser.forEach((rows, u) => {
    if (rows.length === 0) return;
    rows.sort((a, b) => (s.time[a] as number) - (s.time[b] as number) || a - b);
    const kept = rows.slice(-tail);
    out.set(s.userIds[u] as string, {
      itemIds: kept.map((i) => s.itemIds[s.item[i] as number] as string),
      eventTypes: kept.map((i) => s.eventTypes?.[s.type?.[i] ?? -1]),
      lastTimestamp: s.time[kept[kept.length - 1] as number] as number,
    });
  });
  return out;
}

async function loadServingModel(
  ctx: ServiceContext,
  ref: ModelRef,
  read: ObjectReader,
): Promise<ServingModel> {
  const [artifact, snapshot] = await Promise.all([
    read(ctx, ref.modelKey),
    read(ctx, snapshotKey(ref.versionArn)),
  ]);
  if (artifact === undefined) throw new Error(`Model artifact ${ref.modelKey} does not exist`);
  const model = Model.load(artifact);
  // The int16 copy GetRecommendations scans is built here, not on the first request.
  model.prepareScoring();
  if (snapshot === undefined) {
    // Without the snapshot only events recorded after training can personalise; worth a log line, not a failure.
    logger.warn('No training snapshot; training histories unavailable', { ...ref });
    return { model, histories: new Map() };
  }
  const columns = JSON.parse((await gunzipAsync(snapshot)).toString('utf8')) as SnapshotColumns;
  if (columns.format !== 1) throw new Error(`Unknown training snapshot format ${String(columns.format)}`);
  return { model, histories: historyTails(columns) };
}

export class ModelCache {
  /** Artifact key → the model (or its load in flight). Several campaigns may share one artifact. */
  private readonly models = new Map<string, Promise<ServingModel>>();
  /** Campaign ARN → the artifact key it was last served with, so a superseded model can be dropped. */
  private readonly campaigns = new Map<string, string>();
  private loadCount = 0;

  constructor(private readonly read: ObjectReader = readObject) {}

  /** Models loaded so far (a reload counts again). */
  get loads(): number {
    return this.loadCount;
  }

  /** The model `ref` names, for `campaignArn`, loading it if this process has not got it yet. */
  async model(ctx: ServiceContext, campaignArn: string, ref: ModelRef): Promise<ServingModel> {
    const previous = this.campaigns.get(campaignArn);
    if (previous !== ref.modelKey) {
      this.campaigns.set(campaignArn, ref.modelKey);
      if (previous !== undefined) this.dropIfUnused(previous);
    }
    let pending = this.models.get(ref.modelKey);
    if (pending === undefined) {
      this.loadCount++;
      pending = loadServingModel(ctx, ref, this.read);
      this.models.set(ref.modelKey, pending);
      // A failed load is not cached: the next request tries again.
      pending.catch(() => {
        if (this.models.get(ref.modelKey) === pending) this.models.delete(ref.modelKey);
      });
    }
    return pending;
  }

  /** Forgets a campaign (deleted), dropping its model if no other campaign uses it. */
  forget(campaignArn: string): void {
    const key = this.campaigns.get(campaignArn);
    this.campaigns.delete(campaignArn);
    if (key !== undefined) this.dropIfUnused(key);
  }

  private dropIfUnused(key: string): void {
    for (const used of this.campaigns.values()) if (used === key) return;
    this.models.delete(key);
  }
}

/** The process-wide cache the serving handlers use. */
export const modelCache = new ModelCache();
