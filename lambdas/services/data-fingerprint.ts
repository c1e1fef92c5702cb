/**
 * The digest that tells whether a dataset group's data changed: automatic updates compare it with the data their
 * last generation read, automatic training with the data the solution's last FULL version was prepared from.
 *
 * The digest covers, in reading order, the interactions a solution trains on (after its `eventType` and
 * `eventValueThreshold`), then the Items data: what the engine learns from (Users data is not a training input).
 * Reading order is stable for unchanged data, so equal data gives equal digests; any added, removed or replaced
 * record changes it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Interaction, ItemMeta } from '../engine/types';
import type { ServiceContext } from './context';
import { groupInteractions, groupItems } from './dataset-data';
import { isTrainingInteraction, type TrainingConfig } from './solutions';

/** Characters of records held before they are hashed: one hash update per record cost more than the JSON. */
const PENDING_CHARS = 1 << 16;

/**
 * Incremental digest of the data, fed record by record while it is read for other work. Records are hashed in
 * batches; the digest is that of their concatenation either way.
 */
export class DataFingerprint {
  private readonly hash: Hash = createHash('sha256');
  private pending: string[] = [];
  private pendingChars = 0;

  /** One interaction the solution trains on; all of them come before {@link startItems}. */
  interaction(x: Interaction): void {
    this.add(JSON.stringify([x.userId, x.itemId, x.timestamp, x.impression ?? null]));
  }

  /** Marks the start of the Items records, so records cannot shift between the two parts unnoticed. */
  startItems(): void {
    this.add('\u0000items');
  }

  item(item: ItemMeta): void {
    this.add(JSON.stringify(item));
  }

  /** The hex digest; the fingerprint takes no more data afterwards. */
  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private add(record: string): void {
    this.pending.push(record);
    this.pendingChars += record.length;
    if (this.pendingChars >= PENDING_CHARS) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.hash.update(this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }
}

/** The fingerprint of the data a training would read, and how many interactions it would train on. */
export interface TrainingDataState {
  readonly fingerprint: string;
  readonly interactions: number;
}

/**
 * The fingerprint of the data a FULL training of a solution with `filter` would learn from now: the same digest the
 * training prepare step records on each version (`training.ts`).
 */
export async function trainingDataFingerprint(
  ctx: ServiceContext,
  datasetGroupArn: string,
  filter: Pick<TrainingConfig, 'eventType' | 'eventValueThreshold'>,
): Promise<TrainingDataState> {
  const fingerprint = new DataFingerprint();
  let interactions = 0;
  for await (const batch of groupInteractions(ctx, datasetGroupArn)) {
    for (const x of batch) {
      if (!isTrainingInteraction(x, filter)) continue;
      fingerprint.interaction(x);
      interactions++;
    }
  }
  fingerprint.startItems();
  for await (const batch of groupItems(ctx, datasetGroupArn))
    for (const item of batch) fingerprint.item(item);
  return { fingerprint: fingerprint.digest(), interactions };
}
