/**
 * The digest that tells whether a dataset group's data changed: automatic updates compare it with the data their
 * last generation read, automatic training with the data the solution's last FULL version was prepared from.
 *
 * The digest covers, in reading order, the interactions a solution trains on (after its `eventType` and
 * `eventValueThreshold`), then the Items data, then (for training) the Users data. Reading order is stable for
 * unchanged data, so equal data gives equal digests; any added, removed or replaced record changes it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Interaction, ItemMeta, UserMeta } from '../engine/types';
import type { ServiceContext } from './context';
import { groupInteractions, groupItems, groupUsers } from './dataset-data';
import { isTrainingInteraction, type TrainingConfig } from './solutions';

/** Incremental digest of the data, fed record by record while it is read for other work. */
export class DataFingerprint {
  private readonly hash: Hash = createHash('sha256');

  /** One interaction the solution trains on; all of them come before the first {@link section}. */
  interaction(x: Interaction): void {
    this.hash.update(JSON.stringify([x.userId, x.itemId, x.timestamp, x.impression ?? null]));
  }

  /** Marks the start of the Items (then Users) records, so records cannot shift between sections unnoticed. */
  section(name: 'items' | 'users'): void {
    this.hash.update(`\u0000${name}`);
  }

  record(record: ItemMeta | UserMeta): void {
    this.hash.update(JSON.stringify(record));
  }

  /** The hex digest; the fingerprint takes no more data afterwards. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The fingerprint of the data a training would read, and how many interactions it would train on. */
export interface TrainingDataState {
  readonly fingerprint: string;
  readonly interactions: number;
}

/**
 * The fingerprint of everything a FULL training of a solution with `filter` would read now: the same digest the
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
  fingerprint.section('items');
  for await (const batch of groupItems(ctx, datasetGroupArn))
    for (const item of batch) fingerprint.record(item);
  fingerprint.section('users');
  for await (const batch of groupUsers(ctx, datasetGroupArn))
    for (const user of batch) fingerprint.record(user);
  return { fingerprint: fingerprint.digest(), interactions };
}
