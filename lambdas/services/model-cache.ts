/**
 * Models kept in memory across invocations of the serving functions. A campaign's item (read once per request)
 * names the solution version and model artifact it serves; the cache loads them the first time they are asked for
 * and again only when the campaign moves to another artifact (UpdateCampaign, a newer `$LATEST` version, or an
 * automatic update that publishes a new artifact key). Concurrent requests for a model that is still loading share
 * the one load.
 *
 * With the model comes each training user's history tail: the last {@link HISTORY_TAIL} items of the user in the
 * version's training snapshot, so users known from bulk imports are personalised from their history, not only from
 * events recorded after training. The training workflow's publish step writes them as their own compact artifact
 * (`historyTailsKey`, `engine/history-tails.ts`), which is served as downloaded: a user's tail is found and decoded
 * when a request asks for it. A version published before that format has its tails (written as a snapshot) or, with
 * none, its whole snapshot converted once at load.
 */
import {
  decodeHistoryTails,
  type HistoryTails,
  historyTailsOf,
  isHistoryTails,
} from '../engine/history-tails';
import { MAX_HISTORY } from '../engine/history-weights';
import { Model } from '../engine/model';
import { decodeSnapshot } from '../engine/snapshot';
import { defaultScanThreads } from '../engine/wasm/scan-threads';
import { logger } from '../observability';
import { getArtifact, historyTailsKey, snapshotKey } from '../store/artifacts';
import type { ServiceContext } from './context';

/** No model reads more of a history than this (its state and its repeat rates, `engine/history-weights.ts`). */
export const HISTORY_TAIL = MAX_HISTORY;

export interface ServingModel {
  readonly model: Model;
  /** Training users' history tails, by user id. */
  readonly histories: HistoryTails;
}

/** What a campaign serves: the solution version and its model artifact. */
export interface ModelRef {
  readonly versionArn: string;
  readonly modelKey: string;
}

/** Reads an object of the data bucket; injectable for tests that count loads. */
export type ObjectReader = (ctx: ServiceContext, key: string) => Promise<Uint8Array | undefined>;

export const readObject: ObjectReader = (ctx, key) => getArtifact(ctx.s3, ctx.dataBucket, key);

const NO_HISTORIES: HistoryTails = { get: () => undefined, size: 0 };

/** What a model load spent where, logged once per load: the cold start of a serving function. */
export interface LoadTimes {
  readonly modelBytes: number;
  readonly tailsBytes: number;
  /** Both artifacts, read in parallel. */
  readonly downloadMs: number;
  readonly modelMs: number;
  /** The int8 copy of the item matrix GetRecommendations scans. */
  readonly scoringMs: number;
  readonly tailsMs: number;
}

async function loadServingModel(
  ctx: ServiceContext,
  ref: ModelRef,
  read: ObjectReader,
): Promise<ServingModel> {
  let at = performance.now();
  const lap = (): number => {
    const from = at;
    at = performance.now();
    return Math.round(at - from);
  };
  const [artifact, tails] = await Promise.all([
    read(ctx, ref.modelKey),
    read(ctx, historyTailsKey(ref.versionArn)),
  ]);
  const downloadMs = lap();
  if (artifact === undefined) throw new Error(`Model artifact ${ref.modelKey} does not exist`);
  const model = Model.load(artifact);
  const modelMs = lap();
  // The int8 copy GetRecommendations scans is built here, not on the first request, with the threads that share
  // each request's scan on a large catalog.
  model.prepareScoring(defaultScanThreads());
  const scoringMs = lap();
  const histories = await trainingHistories(ctx, ref, read, tails);
  const times: LoadTimes = {
    modelBytes: artifact.length,
    tailsBytes: tails?.length ?? 0,
    downloadMs,
    modelMs,
    scoringMs,
    tailsMs: lap(),
  };
  logger.info('serving model loaded', { ...ref, ...times });
  return { model, histories };
}

/**
 * The training users' history tails: the artifact as it is, or for a version published before it, converted from
 * its tails written as a snapshot or, with none, from its whole snapshot.
 */
async function trainingHistories(
  ctx: ServiceContext,
  ref: ModelRef,
  read: ObjectReader,
  tails: Uint8Array | undefined,
): Promise<HistoryTails> {
  if (tails !== undefined && isHistoryTails(tails)) return decodeHistoryTails(tails);
  const columns = tails ?? (await read(ctx, snapshotKey(ref.versionArn)));
  if (columns === undefined) {
    // Without the snapshot only events recorded after training can personalise; worth a log line, not a failure.
    logger.warn('No training snapshot; training histories unavailable', { ...ref });
    return NO_HISTORIES;
  }
  try {
    return historyTailsOf(decodeSnapshot(columns).columns, HISTORY_TAIL);
  } catch (err) {
    // A version trained before the columnar snapshot: serve it, personalised from recorded events only.
    if (tails !== undefined) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    logger.warn('Unreadable training snapshot; training histories unavailable', { reason, ...ref });
    return NO_HISTORIES;
  }
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
