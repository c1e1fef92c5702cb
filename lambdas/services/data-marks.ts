/**
 * Data marks: what a read of a dataset group's training data saw, so a later read can take only what arrived since
 * instead of every event of the group. Training records one for each FULL version (`data-mark.json`), automatic
 * updates one per generation; UPDATE versions, automatic updates and the automatic-training check read from them.
 *
 * A mark holds the moment the read began, the Interactions dataset's creation time and bulk generations (an import
 * that adds or replaces one makes the mark useless: the reader falls back to a full read), a digest of the Items
 * data, and the ids of the events read that were written within {@link INDEX_LAG_MS} of that moment.
 *
 * What arrived since a mark comes from the write marks PutEvents keeps (`store/event-marks.ts`): one consistent
 * Query says whether anything was written, and which event-time spans to read; then only those spans of the
 * group's index are read, keeping events written since the mark. The index is eventually consistent, so the
 * reader asks for events written from {@link INDEX_LAG_MS} before the mark and skips those the mark's read
 * already took (by event id). Sessions tied to a user since the mark move the events they hold to that user.
 *
 * Limits, against a full read: an event id reused by a new event that the mark's read took more than
 * {@link INDEX_LAG_MS} before is not recognised (a full read keeps the earlier one), and an unchanged event sent
 * again more than that later counts twice until the next FULL training.
 */
import type { Interaction, ItemMeta } from '../engine/types';
import { dataMarkKey, getArtifact, putArtifact } from '../store/artifacts';
import type { StoredEvent } from '../store/event-items';
import type { ServiceContext } from './context';
import { DataFingerprint } from './data-fingerprint';
import {
  contextFields,
  currentGenerations,
  eventInteraction,
  findDataset,
  groupDatasetArn,
  groupItems,
} from './dataset-data';
import { isTrainingInteraction, type TrainingConfig } from './solutions';

/**
 * How long after its write an event may take to appear in the group index, at most: a reader re-reads events
 * written this long before its mark and drops the ones the mark's read already took.
 */
export const INDEX_LAG_MS = 30_000;

const MARK_FORMAT = 'open-personalize/data-mark';
const MARK_VERSION = 1;

/** What a read of a group's data saw. */
export interface DataMark {
  readonly format: string;
  readonly version: number;
  /** When the read began (epoch ms). */
  readonly at: number;
  /** Creation time of the Interactions dataset read. */
  readonly dataset: number;
  /** Keys of its bulk generations read, oldest first. */
  readonly generations: readonly string[];
  /** Digest of the Items data read. */
  readonly items: string;
  /** Training interactions read (after the solution's event filters), from the training on. */
  readonly interactions: number;
  /** Events read that were written at or after `at` − {@link INDEX_LAG_MS}: [eventId, writtenAt]. */
  readonly edge: readonly (readonly [string, number])[];
  /** Sessions tied to a user since the training's mark: [sessionId, userId]. */
  readonly links: readonly (readonly [string, string])[];
}

/** Records the mark of a full read: start it before the read, pass {@link observe} every event read. */
export class MarkRecorder {
  private readonly edge = new Map<string, number>();

  private constructor(
    private readonly at: number,
    private readonly dataset: number,
    private readonly generations: readonly string[],
  ) {}

  /** `undefined` when the group has no Interactions dataset (nothing to mark). */
  static async start(ctx: ServiceContext, groupArn: string): Promise<MarkRecorder | undefined> {
    const at = ctx.now().getTime();
    const dataset = await findDataset(ctx, groupDatasetArn(groupArn, 'Interactions'));
    if (dataset === undefined) return undefined;
    const generations = (await currentGenerations(ctx, dataset)).map((g) => g.key);
    return new MarkRecorder(at, dataset.record.createdAt, generations);
  }

  readonly observe = (e: StoredEvent): void => {
    if (e.writtenAt >= this.at - INDEX_LAG_MS) this.edge.set(e.eventId, e.writtenAt);
  };

  finish(items: string, interactions: number): DataMark {
    return {
      format: MARK_FORMAT,
      version: MARK_VERSION,
      at: this.at,
      dataset: this.dataset,
      generations: this.generations,
      items,
      interactions,
      edge: [...this.edge],
      links: [],
    };
  }
}

/** The digest of Items data alone, as a mark records it. */
export class ItemsDigest {
  private readonly fingerprint = new DataFingerprint();

  constructor() {
    this.fingerprint.startItems();
  }

  add(item: ItemMeta): void {
    this.fingerprint.item(item);
  }

  digest(): string {
    return this.fingerprint.digest();
  }
}

/** The group's Items data and its digest. */
export async function readItems(
  ctx: ServiceContext,
  groupArn: string,
): Promise<{ items: ItemMeta[]; digest: string }> {
  const digest = new ItemsDigest();
  const items: ItemMeta[] = [];
  for await (const batch of groupItems(ctx, groupArn)) {
    for (const item of batch) {
      items.push(item);
      digest.add(item);
    }
  }
  return { items, digest: digest.digest() };
}

export async function writeMark(ctx: ServiceContext, key: string, mark: DataMark): Promise<void> {
  await putArtifact(ctx.s3, ctx.dataBucket, key, [new TextEncoder().encode(JSON.stringify(mark))]);
}

/** The mark stored under `key`; `undefined` when there is none or it is of another format. */
export async function readMark(ctx: ServiceContext, key: string): Promise<DataMark | undefined> {
  const bytes = await getArtifact(ctx.s3, ctx.dataBucket, key);
  if (bytes === undefined) return undefined;
  const mark = JSON.parse(new TextDecoder().decode(bytes)) as DataMark;
  return mark.format === MARK_FORMAT && mark.version === MARK_VERSION ? mark : undefined;
}

/** The mark of a version's training, if it recorded one. */
export const versionMark = (ctx: ServiceContext, versionArn: string): Promise<DataMark | undefined> =>
  readMark(ctx, dataMarkKey(versionArn));

/** What arrived since a mark. */
export interface DataSince {
  /** The training interactions that arrived (after the solution's event filters), in time order. */
  readonly interactions: Interaction[];
  /** Sessions tied to a user since the mark, session → user: their earlier events now belong to that user. */
  readonly links: ReadonlyMap<string, string>;
  /** Events read from the store, those dropped included. */
  readonly eventsRead: number;
  /** The mark of this read, but for `items` and `interactions`, which the caller knows. */
  readonly mark: Omit<DataMark, 'items' | 'interactions'>;
}

/**
 * The group's interactions that arrived since `mark`, or `undefined` when they cannot be told apart from what the
 * mark's read took (the Interactions dataset was re-created or its bulk data changed, or the mark is older than
 * write marks are kept): then only a full read gives the data.
 */
export async function readSince(
  ctx: ServiceContext,
  groupArn: string,
  mark: DataMark,
  filter: Pick<TrainingConfig, 'eventType' | 'eventValueThreshold'>,
): Promise<DataSince | undefined> {
  const at = ctx.now().getTime();
  const dataset = await findDataset(ctx, groupDatasetArn(groupArn, 'Interactions'));
  if (dataset === undefined || dataset.record.createdAt !== mark.dataset) return undefined;
  const generations = (await currentGenerations(ctx, dataset)).map((g) => g.key);
  if (generations.join('\n') !== mark.generations.join('\n')) return undefined;
  const from = Math.max(mark.at - INDEX_LAG_MS, dataset.record.createdAt);
  const written = await ctx.events.marks.since(groupArn, from, at);
  if (written === undefined) return undefined;

  const read =
    written.ranges.length === 0 ? [] : await ctx.events.writtenSince(groupArn, from, written.ranges);
  const links = written.links ? await ctx.events.links(groupArn, from) : new Map<string, string>();
  const taken = new Map(mark.edge);
  const fresh = read.filter((e) => !taken.has(e.eventId));
  // Anonymous events of sessions tied before the mark: one lookup per session.
  const sessions = new Map(links);
  for (const e of fresh) {
    if (e.userId !== undefined || sessions.has(e.sessionId)) continue;
    const user = await ctx.events.sessionUser(groupArn, e.sessionId, dataset.record.createdAt);
    if (user !== undefined) sessions.set(e.sessionId, user);
  }
  const interactions: Interaction[] = [];
  const contextNames = contextFields(dataset.fields);
  for (const e of fresh) {
    const x = eventInteraction(e, sessions.get(e.sessionId), contextNames);
    if (x !== undefined && isTrainingInteraction(x, filter)) interactions.push(x);
  }

  const edge = new Map([...taken].filter(([, writtenAt]) => writtenAt >= at - INDEX_LAG_MS));
  for (const e of read) if (e.writtenAt >= at - INDEX_LAG_MS) edge.set(e.eventId, e.writtenAt);
  const allLinks = new Map(mark.links);
  for (const [session, user] of links) allLinks.set(session, user);
  return {
    interactions,
    links,
    eventsRead: read.length,
    mark: {
      format: MARK_FORMAT,
      version: MARK_VERSION,
      at,
      dataset: mark.dataset,
      generations,
      edge: [...edge],
      links: [...allLinks],
    },
  };
}

/** `x` moved to the user its session was tied to, if `links` names its user id as such a session. */
export function relinked(x: Interaction, links: ReadonlyMap<string, string>): Interaction {
  const user = links.get(x.userId);
  return user === undefined ? x : { ...x, userId: user };
}

/** Whether the data a FULL training would learn from changed since a version's training, by its mark. */
export interface ChangeSince {
  readonly changed: boolean;
  /** Training interactions there are now. */
  readonly interactions: number;
}

/**
 * Whether the group's training data changed since `versionArn` was prepared: new training interactions, sessions
 * tied to users, or other Items data. `undefined` when the version has no usable mark (then only a full read and
 * its fingerprint can tell).
 */
export async function changedSince(
  ctx: ServiceContext,
  groupArn: string,
  versionArn: string,
  filter: Pick<TrainingConfig, 'eventType' | 'eventValueThreshold'>,
): Promise<ChangeSince | undefined> {
  const mark = await versionMark(ctx, versionArn);
  if (mark === undefined) return undefined;
  const since = await readSince(ctx, groupArn, mark, filter);
  if (since === undefined) return undefined;
  const interactions = mark.interactions + since.interactions.length;
  if (since.interactions.length > 0 || since.links.size > 0) return { changed: true, interactions };
  return { changed: (await readItems(ctx, groupArn)).digest !== mark.items, interactions };
}
