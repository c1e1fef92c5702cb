/**
 * Event trackers (spec §2.6): at most one per dataset group, enforced by a guard item
 * `event-tracker-of#<datasetGroupArn>`; the tracking id resolves through a lookup item `tracking#<trackingId>` so
 * PutEvents finds its tracker and group with one read. Stored `ACTIVE` at once.
 */
import { randomUUID } from 'node:crypto';
import type {
  CreateEventTrackerRequest,
  CreateEventTrackerResponse,
  DeleteEventTrackerRequest,
  DescribeEventTrackerRequest,
  DescribeEventTrackerResponse,
  EventTracker,
  EventTrackerSummary,
  ListEventTrackersRequest,
  ListEventTrackersResponse,
} from '@aws-sdk/client-personalize';
import { PersonalizeError } from '../errors';
import type { ResourceRecord } from '../store/resources';
import { eventTrackerArn } from './arns';
import type { ServiceContext } from './context';
import {
  ACTIVE,
  confirmGroupStillActive,
  GROUP_CHILDREN,
  joinParent,
  leaveParent,
  markDeletePending,
  requireActiveGroup,
} from './dataset-groups';
import { listPage, nextTokenOf, pick } from './pagination';
import { tagsToMap } from './tags';
import { TtlCache } from './ttl-cache';

export const EVENT_TRACKER = 'event-tracker';
const TRACKER_OF_GROUP = 'event-tracker-of';
const TRACKING = 'tracking';
/**
 * A group's tracker guard that points at no tracker and is older than this was left by a create that died midway;
 * younger ones may belong to a create still in flight.
 */
const STALE_GUARD_MS = 60_000;

interface GroupGuard extends Record<string, unknown> {
  readonly eventTrackerArn: string;
  readonly createdAt: number;
}

/** What a tracking id resolves to. */
export interface TrackingTarget extends Record<string, unknown> {
  readonly eventTrackerArn: string;
  readonly datasetGroupArn: string;
}

const SUMMARY_KEYS = [
  'name',
  'eventTrackerArn',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
] as const satisfies readonly (keyof EventTrackerSummary)[];

/**
 * Creates the group's only event tracker with a random UUID tracking id; the group must be `ACTIVE`, a second
 * tracker → `ResourceAlreadyExistsException`.
 */
export async function createEventTracker(
  ctx: ServiceContext,
  input: CreateEventTrackerRequest,
): Promise<CreateEventTrackerResponse> {
  const groupArn = input.datasetGroupArn!;
  await requireActiveGroup(ctx, groupArn);
  const tags = tagsToMap(input.tags);
  const arn = eventTrackerArn(ctx);
  const trackingId = randomUUID();
  const now = ctx.now();

  await claimGroup(ctx, groupArn, arn, now.getTime());
  const undo = async () => {
    await ctx.resources.deleteGuard(TRACKING, trackingId);
    await leaveParent(ctx, groupArn, GROUP_CHILDREN, arn);
    await ctx.resources.deleteGuard(TRACKER_OF_GROUP, groupArn);
  };
  try {
    await joinParent(ctx, groupArn, GROUP_CHILDREN, arn, { statusIn: [ACTIVE] });
    const target: TrackingTarget = { eventTrackerArn: arn, datasetGroupArn: groupArn };
    if (!(await ctx.resources.putGuard(TRACKING, trackingId, target))) {
      throw new Error(`Tracking id ${trackingId} collided with an existing one`);
    }
    const doc: EventTracker = {
      name: input.name!,
      eventTrackerArn: arn,
      accountId: ctx.accountId,
      trackingId,
      datasetGroupArn: groupArn,
      status: ACTIVE,
      creationDateTime: now,
      lastUpdatedDateTime: now,
    };
    await ctx.resources.create({
      arn,
      type: EVENT_TRACKER,
      parentArn: groupArn,
      status: ACTIVE,
      doc,
      tags,
      createdAt: now.getTime(),
    });
  } catch (err) {
    await undo();
    throw err;
  }
  await confirmGroupStillActive(ctx, groupArn, async () => {
    await ctx.resources.delete(arn);
    await undo();
  });
  return { eventTrackerArn: arn, trackingId };
}

/** Takes the group's one tracker slot, reclaiming a slot a crashed create left behind. */
async function claimGroup(ctx: ServiceContext, groupArn: string, arn: string, nowMs: number): Promise<void> {
  const guard: GroupGuard = { eventTrackerArn: arn, createdAt: nowMs };
  if (await ctx.resources.putGuard(TRACKER_OF_GROUP, groupArn, guard)) return;
  const existing = await ctx.resources.getGuard<GroupGuard>(TRACKER_OF_GROUP, groupArn);
  if (
    existing !== undefined &&
    nowMs - existing.createdAt > STALE_GUARD_MS &&
    (await ctx.resources.get(existing.eventTrackerArn, EVENT_TRACKER)) === undefined
  ) {
    await ctx.resources.deleteGuard(TRACKER_OF_GROUP, groupArn);
    if (await ctx.resources.putGuard(TRACKER_OF_GROUP, groupArn, guard)) return;
  }
  throw new PersonalizeError(
    'ResourceAlreadyExistsException',
    `Dataset group ${groupArn} already has an event tracker${existing ? ` (${existing.eventTrackerArn})` : ''}; ` +
      'a dataset group can have only one.',
  );
}

/** The stored tracker document (with `trackingId` and `accountId`). */
export async function describeEventTracker(
  ctx: ServiceContext,
  input: DescribeEventTrackerRequest,
): Promise<DescribeEventTrackerResponse> {
  const record = await ctx.resources.require<EventTracker>(input.eventTrackerArn!, EVENT_TRACKER);
  return { eventTracker: record.doc };
}

/** Tracker summaries, newest first, paged; restricted to one group when `datasetGroupArn` is given. */
export async function listEventTrackers(
  ctx: ServiceContext,
  input: ListEventTrackersRequest,
): Promise<ListEventTrackersResponse> {
  const page = await listPage(
    ctx.resources,
    EVENT_TRACKER,
    input,
    (r: ResourceRecord<EventTracker>) => pick(r.doc, SUMMARY_KEYS),
    input.datasetGroupArn,
  );
  return {
    eventTrackers: page.items,
    ...nextTokenOf(page),
  };
}

/**
 * Deletes a tracker: the tracking id stops resolving first (so PutEvents is refused from then on), then the
 * tracker, then the group's slot (so a new tracker can only be created once the old one is gone). Recorded events
 * are kept.
 */
export async function deleteEventTracker(
  ctx: ServiceContext,
  input: DeleteEventTrackerRequest,
): Promise<object> {
  const arn = input.eventTrackerArn!;
  const tracker = await ctx.resources.require<EventTracker>(arn, EVENT_TRACKER);
  await markDeletePending(ctx, arn, 'Event tracker');
  if (tracker.doc.trackingId !== undefined) {
    await ctx.resources.deleteGuard(TRACKING, tracker.doc.trackingId);
    trackingCache.delete(tracker.doc.trackingId);
  }
  await ctx.resources.delete(arn);
  if (tracker.doc.datasetGroupArn !== undefined) {
    await leaveParent(ctx, tracker.doc.datasetGroupArn, GROUP_CHILDREN, arn);
    const guard = await ctx.resources.getGuard<GroupGuard>(TRACKER_OF_GROUP, tracker.doc.datasetGroupArn);
    if (guard?.eventTrackerArn === arn)
      await ctx.resources.deleteGuard(TRACKER_OF_GROUP, tracker.doc.datasetGroupArn);
  }
  return {};
}

/**
 * Resolves a PutEvents tracking id to its event tracker, dataset group and the tracker's status; `undefined` when no
 * tracker has that id (never created, deleted, or its create has not finished).
 */
export async function resolveTrackingId(
  ctx: ServiceContext,
  trackingId: string,
): Promise<(TrackingTarget & { readonly status: string }) | undefined> {
  const target = await ctx.resources.getGuard<TrackingTarget>(TRACKING, trackingId);
  if (target === undefined) return undefined;
  const tracker = await ctx.resources.get<EventTracker>(target.eventTrackerArn, EVENT_TRACKER);
  if (tracker === undefined) return undefined;
  return { ...target, status: tracker.status ?? ACTIVE };
}

/**
 * How long PutEvents reuses a resolved tracking id. Another process that deletes the tracker meanwhile is noticed
 * this much later (this process forgets it at once); a tracking id that did not resolve is never reused.
 */
export const TRACKING_TTL_MS = 5_000;

type Resolved = Awaited<ReturnType<typeof resolveTrackingId>>;
const trackingCache = new TtlCache<string, Resolved>(TRACKING_TTL_MS);

/** {@link resolveTrackingId}, reusing an ACTIVE tracker's resolution for {@link TRACKING_TTL_MS}. */
export function cachedTrackingId(ctx: ServiceContext, trackingId: string): Promise<Resolved> {
  return trackingCache.get(
    trackingId,
    () => resolveTrackingId(ctx, trackingId),
    (t) => t?.status === ACTIVE,
  );
}
