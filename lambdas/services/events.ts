/**
 * PutEvents (spec §1.4, §2.6) and the read of a user's recent events at request time.
 *
 * An unknown or inactive `trackingId` is answered with `InvalidInputException`: it is the only error the events
 * model declares for PutEvents, so it is the one every SDK can surface as a typed exception (a 404
 * `ResourceNotFoundException` would reach callers only as a generic service error).
 *
 * Impressions: an explicit `impression` list is stored as given; otherwise a `recommendationId` is expanded to
 * the items that recommendation showed, so training sees what the user was shown.
 *
 * Sessions: an event without `userId` is stored under its `sessionId`. The first event that carries both ties the
 * session to that user: the link is recorded once and the session's earlier events are copied into the user's
 * partition, so the user's recent events include them; training attributes them through the link. Later anonymous
 * events of a tied session go straight to the user.
 */
import { createHash } from 'node:crypto';
import type { Event, PutEventsRequest } from '@aws-sdk/client-personalize-events';
import { invalidInput } from '../errors';
import type { StoredEvent } from '../store/event-items';
import type { RecentInteraction } from '../store/events';
import type { ServiceContext } from './context';
import { cachedDataset, groupDatasetArn } from './dataset-data';
import { deferredWrites } from './deferred-writes';
import { cachedTrackingId } from './event-trackers';
import { recentEventsCache } from './recent-events-cache';
import { type FieldDef, ImportValidationError, parseProperties, type Value } from './row-validation';
import { TtlCache } from './ttl-cache';

/** What PutEvents needs to know about an event tracker. */
export interface TrackerInfo {
  readonly datasetGroupArn: string;
  readonly status: string;
}

/** Resolves a `trackingId`; `undefined` when no tracker has it. */
export type TrackerLookup = (ctx: ServiceContext, trackingId: string) => Promise<TrackerInfo | undefined>;

/** `properties` keys PutEvents refuses (case-insensitive): they have members of their own. */
const FORBIDDEN_PROPERTIES = new Set(
  ['userId', 'sessionId', 'eventType', 'timestamp', 'recommendationId', 'impression'].map((k) =>
    k.toLowerCase(),
  ),
);

/** Interactions columns set from dedicated Event members, never from `properties`. */
const MEMBER_COLUMNS: ReadonlySet<string> = new Set([
  'USER_ID',
  'ITEM_ID',
  'TIMESTAMP',
  'EVENT_TYPE',
  'EVENT_VALUE',
  'IMPRESSION',
  'RECOMMENDATION_ID',
  'EVENT_ATTRIBUTION_SOURCE',
]);

/**
 * An event id for an event that has none: a digest of everything the event says, so a retried call and two
 * identical events (same actor, time and content) are stored once, as Personalize de-duplicates them.
 */
function contentEventId(actorId: string, event: Event, timestamp: number): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        actorId,
        timestamp,
        event.eventType,
        event.itemId ?? null,
        event.eventValue ?? null,
        event.properties ?? null,
        event.impression ?? null,
        event.recommendationId ?? null,
      ]),
    )
    .digest('hex');
  return `gen-${digest.slice(0, 32)}`;
}

function eventColumns(
  event: Event,
  index: number,
  fields: readonly FieldDef[],
): Record<string, Value> | undefined {
  if (event.properties === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.properties);
  } catch {
    throw invalidInput(`eventList.${index + 1}.member.properties is not valid JSON.`);
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const forbidden = Object.keys(parsed).filter((k) => FORBIDDEN_PROPERTIES.has(k.toLowerCase()));
    if (forbidden.length > 0) {
      throw invalidInput(
        `eventList.${index + 1}.member.properties may not contain ${forbidden.join(', ')}: use the event's own members.`,
      );
    }
  }
  try {
    const columns = parseProperties(
      event.properties,
      fields,
      `eventList.${index + 1}.member`,
      MEMBER_COLUMNS,
    );
    return columns.size === 0 ? undefined : Object.fromEntries(columns);
  } catch (err) {
    if (err instanceof ImportValidationError) throw invalidInput(err.message);
    throw err;
  }
}

/**
 * How long PutEvents reuses having found no link for a session. A link made meanwhile by another process is seen
 * this much later, and until then this process's anonymous events of the session are stored under the session
 * (training still attributes them through the link, only the user's recent-event reads miss them for that long).
 */
export const SESSION_LINK_TTL_MS = 5_000;
/**
 * How long PutEvents reuses a session's link once found. A link, once made, never changes; only a dataset created
 * again under the same ARN voids it: a cached link older than the dataset then counts as no link.
 */
export const KNOWN_LINK_TTL_MS = 600_000;
/** How long a `recommendationId`'s shown items are reused (a record never changes once written). */
const RECOMMENDATION_TTL_MS = 60_000;

type SessionLink = Awaited<ReturnType<ServiceContext['events']['sessionLink']>>;
const sessionLinks = new TtlCache<string, SessionLink>(
  (link) => (link === undefined ? SESSION_LINK_TTL_MS : KNOWN_LINK_TTL_MS),
  100_000,
);
const shownItems = new TtlCache<string, StoredRecommendation | undefined>(RECOMMENDATION_TTL_MS);
type StoredRecommendation = NonNullable<Awaited<ReturnType<ServiceContext['recommendations']['get']>>>;

const linkKey = (group: string, sessionId: string) => `${group}\u0000${sessionId}`;

/**
 * Records the events of one call. Warm (tracker, dataset and session link cached), a call is one item in one
 * BatchWriteItem, shared with the calls this process serves at the same time, caller-chosen `eventId`s included: a
 * call sent again lands on its own key, and an event reusing another's id is dropped by every read (see
 * `store/events.ts`).
 */
export async function putEvents(
  ctx: ServiceContext,
  input: PutEventsRequest,
  lookupTracker: TrackerLookup = cachedTrackingId,
): Promise<Record<string, never>> {
  const trackingId = input.trackingId as string;
  const sessionId = input.sessionId as string;
  const tracker = await lookupTracker(ctx, trackingId);
  if (tracker === undefined) {
    throw invalidInput(`The trackingId ${trackingId} does not belong to any event tracker.`);
  }
  if (tracker.status !== 'ACTIVE') {
    throw invalidInput(`The event tracker of trackingId ${trackingId} is ${tracker.status}, not ACTIVE.`);
  }
  const group = tracker.datasetGroupArn;
  const store = ctx.events;
  // The session's link is read alongside the dataset (it is judged against the dataset's age below).
  const [dataset, link] = await Promise.all([
    cachedDataset(ctx, groupDatasetArn(group, 'Interactions')),
    sessionLinks.get(linkKey(group, sessionId), () => store.sessionLink(group, sessionId)),
  ]);
  if (dataset === undefined) {
    throw invalidInput(`Dataset group ${group} has no Interactions dataset to record events in.`);
  }
  const customRequired = dataset.fields.filter((f) => !f.nullable && !MEMBER_COLUMNS.has(f.name));
  // Events belong to the Interactions dataset: anything stored before it was (re-)created is not its data.
  const since = dataset.record.createdAt;
  const writtenAt = ctx.now().getTime();
  const linkedUser = link !== undefined && link.linkedAt >= since ? link.userId : undefined;
  // A link older than the dataset is void, and a newer one may exist: cache it as no link, read again soon.
  if (link !== undefined && linkedUser === undefined) sessionLinks.set(linkKey(group, sessionId), undefined);
  const eventList = input.eventList ?? [];

  // Everything is validated before anything is written, so a refused call stores nothing.
  let userId = input.userId;
  const parsed = eventList.map((event, i) => parseEvent(event, i, dataset.fields, customRequired));

  // Tying the session runs beside the write of the events: they go to the user's partition either way, and a call
  // that fails after some of its writes is retried onto the same keys.
  let tying: Promise<void> = Promise.resolve();
  if (userId !== undefined && userId !== sessionId) {
    if (linkedUser === undefined) tying = tieSession(ctx, group, sessionId, userId, writtenAt, since);
  } else if (userId === undefined) {
    userId = linkedUser;
  }
  const actorId = userId ?? sessionId;

  const stored: StoredEvent[] = parsed.map(({ event, timestamp, columns }) => ({
    datasetGroupArn: group,
    actorId,
    sessionId,
    eventId: event.eventId ?? contentEventId(actorId, event, timestamp),
    eventType: event.eventType as string,
    timestamp,
    writtenAt,
    ...(userId === undefined ? {} : { userId }),
    ...(event.itemId === undefined ? {} : { itemId: event.itemId }),
    ...(event.eventValue === undefined ? {} : { eventValue: event.eventValue }),
    ...(event.impression === undefined ? {} : { impression: event.impression }),
    ...(event.recommendationId === undefined ? {} : { recommendationId: event.recommendationId }),
    ...(event.metricAttribution?.eventAttributionSource === undefined
      ? {}
      : { eventAttributionSource: event.metricAttribution.eventAttributionSource }),
    ...(columns === undefined ? {} : { columns }),
  }));

  // A retried call overwrites itself; a different event reusing an eventId is stored and dropped when read.
  const writing = withImplicitImpressions(ctx, stored)
    .then((events) => store.put(events))
    // After the write (even a partial one): a read of the actor's events started from now on sees them.
    .finally(() => recentEventsCache().written(group, actorId));
  await Promise.all([tying, writing]);
  return {};
}

/**
 * Ties a session to `userId` unless another user has it. The session's anonymous events are read beside the link
 * write, and copied to the user only if this call made the link.
 */
async function tieSession(
  ctx: ServiceContext,
  group: string,
  sessionId: string,
  userId: string,
  writtenAt: number,
  since: number,
): Promise<void> {
  const store = ctx.events;
  const [owner, anonymous] = await Promise.all([
    store.linkSession(group, sessionId, userId, writtenAt, since),
    store.all(group, sessionId, since),
  ]);
  if (owner === userId && anonymous.length > 0) {
    await store.copyToUser(anonymous, userId);
    recentEventsCache().written(group, userId);
  }
  // Whoever won, the session now has a link made at or after `since`.
  sessionLinks.set(linkKey(group, sessionId), { userId: owner, linkedAt: writtenAt });
}

interface ParsedEvent {
  readonly event: Event;
  /** Epoch seconds. */
  readonly timestamp: number;
  readonly columns: Record<string, Value> | undefined;
}

function parseEvent(
  event: Event,
  i: number,
  fields: readonly FieldDef[],
  customRequired: readonly FieldDef[],
): ParsedEvent {
  const sentAt = event.sentAt as Date | undefined;
  if (!(sentAt instanceof Date) || Number.isNaN(sentAt.getTime())) {
    throw invalidInput(`eventList.${i + 1}.member.sentAt must be a timestamp.`);
  }
  if (sentAt.getTime() < 0) throw invalidInput(`eventList.${i + 1}.member.sentAt is before 1970.`);
  if (event.eventValue !== undefined && !Number.isFinite(event.eventValue)) {
    throw invalidInput(`eventList.${i + 1}.member.eventValue must be a finite number.`);
  }
  const columns = eventColumns(event, i, fields);
  const missing = customRequired.filter((f) => columns?.[f.name] === undefined || columns[f.name] === null);
  if (missing.length > 0) {
    throw invalidInput(
      `eventList.${i + 1}.member.properties must set ${missing.map((f) => f.name).join(', ')} (required by the schema).`,
    );
  }
  return { event, timestamp: sentAt.getTime() / 1000, columns };
}

/**
 * Expands a `recommendationId` into the list that response showed (spec §2.6 "implicit impressions"), unless the
 * event names its impressions itself (explicit wins). An id this deployment never issued, or issued for another
 * dataset group, expands to nothing. Each distinct id is read once per call, and a found record is reused.
 */
async function withImplicitImpressions(
  ctx: ServiceContext,
  events: readonly StoredEvent[],
): Promise<StoredEvent[]> {
  const ids = new Set<string>();
  for (const e of events)
    if (e.recommendationId !== undefined && e.impression === undefined) ids.add(e.recommendationId);
  if (ids.size === 0) return [...events];
  const records = new Map(
    await Promise.all(
      [...ids].map(
        async (id) =>
          [
            id,
            await shownItems.get(
              id,
              // A record this process is still writing is waited for.
              () => deferredWrites.settle(id).then(() => ctx.recommendations.get(id)),
              (r) => r !== undefined,
            ),
          ] as const,
      ),
    ),
  );
  return events.map((event) => {
    if (event.recommendationId === undefined || event.impression !== undefined) return event;
    const record = records.get(event.recommendationId);
    if (
      record === undefined ||
      record.datasetGroupArn !== event.datasetGroupArn ||
      record.itemIds.length === 0
    ) {
      return event;
    }
    return { ...event, impression: record.itemIds };
  });
}

/** One recent interaction, for real-time personalisation. */
export interface RecentEvent {
  readonly itemId?: string;
  readonly eventType: string;
  readonly timestamp: number;
  readonly eventValue?: number;
}

/**
 * A user's (or anonymous session's) most recent `limit` events, oldest first: one reverse Query. Includes the
 * anonymous events of sessions later tied to the user. `since` is the creation time (epoch ms) of the group's
 * Interactions dataset; a caller that has it saves a read, otherwise it is looked up (no dataset → no events).
 */
export async function recentEvents(
  ctx: ServiceContext,
  datasetGroupArn: string,
  userId: string,
  limit: number,
  since?: number,
): Promise<RecentEvent[]> {
  const store = ctx.events;
  let events: RecentInteraction[];
  if (since !== undefined) {
    events = await store.recentInteractions(datasetGroupArn, userId, limit, since);
  } else {
    // The dataset read and the Query run side by side, so the lookup adds no round trip to a recommendation.
    const [dataset, recent] = await Promise.all([
      ctx.resources.get(groupDatasetArn(datasetGroupArn, 'Interactions'), 'dataset'),
      store.recentInteractions(datasetGroupArn, userId, limit, 0),
    ]);
    if (dataset === undefined) return [];
    events = recent.filter((e) => e.writtenAt >= dataset.createdAt);
  }
  return events.map((e) => ({
    eventType: e.eventType,
    timestamp: e.timestamp,
    ...(e.itemId === undefined ? {} : { itemId: e.itemId }),
    ...(e.eventValue === undefined ? {} : { eventValue: e.eventValue }),
  }));
}
