/**
 * Models kept in memory across invocations of the serving functions. A campaign's item (read once per request)
 * names the model artifact it serves; the cache loads that artifact from the data bucket the first time it is
 * asked for and again only when the campaign moves to another artifact (UpdateCampaign, a newer `$LATEST` version,
 * or an automatic update that publishes a new artifact key). Concurrent requests for an artifact that is still
 * loading share the one load.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Model } from '../engine/model';
import type { ServiceContext } from './context';

/** Reads the bytes of an artifact; injectable for tests that count loads. */
export type ArtifactReader = (ctx: ServiceContext, key: string) => Promise<Uint8Array>;

export const readArtifact: ArtifactReader = async (ctx, key) => {
  const out = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.dataBucket, Key: key }));
  if (out.Body === undefined) throw new Error(`Model artifact ${key} has no body`);
  return out.Body.transformToByteArray();
};

export class ModelCache {
  /** Artifact key → the model (or its load in flight). Several campaigns may share one artifact. */
  private readonly models = new Map<string, Promise<Model>>();
  /** Campaign ARN → the artifact key it was last served with, so a superseded model can be dropped. */
  private readonly campaigns = new Map<string, string>();
  private loadCount = 0;

  constructor(private readonly read: ArtifactReader = readArtifact) {}

  /** Artifacts loaded so far (a reload counts again). */
  get loads(): number {
    return this.loadCount;
  }

  /** The model of `modelKey` for `campaignArn`, loading it if this process has not got it yet. */
  async model(ctx: ServiceContext, campaignArn: string, modelKey: string): Promise<Model> {
    const previous = this.campaigns.get(campaignArn);
    if (previous !== modelKey) {
      this.campaigns.set(campaignArn, modelKey);
      if (previous !== undefined) this.dropIfUnused(previous);
    }
    let pending = this.models.get(modelKey);
    if (pending === undefined) {
      this.loadCount++;
      pending = this.read(ctx, modelKey).then((bytes) => Model.load(bytes));
      this.models.set(modelKey, pending);
      // A failed load is not cached: the next request tries again.
      pending.catch(() => {
        if (this.models.get(modelKey) === pending) this.models.delete(modelKey);
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
