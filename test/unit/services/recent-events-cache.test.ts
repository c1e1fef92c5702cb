/**
 * The cache of users' recent events: reused for its TTL, forgotten when this process stores events of the user
 * (and the listeners told), and GetRecommendations on a warm path with it awaits no DynamoDB read at all while
 * still reflecting what PutEvents just stored.
 */
import type { Event } from '@aws-sdk/client-personalize-events';
import { createCampaign } from '../../../lambdas/services/campaigns';
import { createEventTracker } from '../../../lambdas/services/event-trackers';
import type { RecentEvent } from '../../../lambdas/services/events';
import { putEvents } from '../../../lambdas/services/events';
import { RecentEventsCache, recentEventsCache } from '../../../lambdas/services/recent-events-cache';
import { getRecommendations } from '../../../lambdas/services/recommendations';
import { createServingState } from '../../../lambdas/services/serving';
import { type DataEnv, startDataEnv } from './data-env';
import { addVersion, cycleModel, newSolution, next } from './serving-env';

const event = (itemId: string): RecentEvent => ({ itemId, eventType: 'click', timestamp: 1 });

describe('RecentEventsCache', () => {
  it('reuses a read for its TTL, per read shape, and reads every time with a TTL of 0', async () => {
    let now = 1_000;
    const cache = new RecentEventsCache(100, 10, () => now);
    let loads = 0;
    const load = async () => [event(`i${++loads}`)];
    expect(await cache.get('g', 'u', 256, 5, load)).toEqual([event('i1')]);
    expect(await cache.get('g', 'u', 256, 5, load)).toEqual([event('i1')]);
    // Another limit or dataset creation time is another read.
    expect(await cache.get('g', 'u', 500, 5, load)).toEqual([event('i2')]);
    expect(await cache.get('g', 'u', 256, 6, load)).toEqual([event('i3')]);
    now += 100;
    expect(await cache.get('g', 'u', 256, 5, load)).toEqual([event('i4')]);

    const off = new RecentEventsCache(0);
    expect(await off.get('g', 'u', 256, 5, load)).toEqual([event('i5')]);
    expect(await off.get('g', 'u', 256, 5, load)).toEqual([event('i6')]);
  });

  it('forgets every read of an actor once its events are written, and tells the listeners', async () => {
    const cache = new RecentEventsCache(60_000);
    let loads = 0;
    const load = async () => [event(`i${++loads}`)];
    await cache.get('g', 'u', 256, 5, load);
    await cache.get('g', 'u', 500, 5, load);
    await cache.get('g', 'v', 256, 5, load);
    await cache.get('h', 'u', 256, 5, load);
    const told: string[] = [];
    const remove = cache.onWritten((group, actor) => told.push(`${group}/${actor}`));
    cache.written('g', 'u');
    expect(told).toEqual(['g/u']);
    expect(await cache.get('g', 'u', 256, 5, load)).toEqual([event('i5')]);
    expect(await cache.get('g', 'u', 500, 5, load)).toEqual([event('i6')]);
    // Other actors and groups keep theirs.
    expect(await cache.get('g', 'v', 256, 5, load)).toEqual([event('i3')]);
    expect(await cache.get('h', 'u', 256, 5, load)).toEqual([event('i4')]);

    // A sibling's note: forgotten here, not told again.
    cache.forget('g', 'v');
    expect(told).toEqual(['g/u']);
    expect(await cache.get('g', 'v', 256, 5, load)).toEqual([event('i7')]);
    remove();
    cache.written('h', 'u');
    expect(told).toEqual(['g/u']);
  });

  it('does not keep a read that was in flight when the actor’s events were written', async () => {
    const cache = new RecentEventsCache(60_000);
    let release: (events: RecentEvent[]) => void = () => undefined;
    const stale = cache.get(
      'g',
      'u',
      256,
      5,
      () =>
        new Promise((r) => {
          release = r;
        }),
    );
    cache.written('g', 'u');
    release([event('old')]);
    expect(await stale).toEqual([event('old')]);
    expect(await cache.get('g', 'u', 256, 5, async () => [event('new')])).toEqual([event('new')]);
  });
});

describe('GetRecommendations with the cache on', () => {
  let env: DataEnv;
  const previous = process.env.OP_RECENT_EVENTS_CACHE_MS;
  beforeAll(async () => {
    process.env.OP_RECENT_EVENTS_CACHE_MS = '60000';
    env = await startDataEnv();
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.OP_RECENT_EVENTS_CACHE_MS;
    else process.env.OP_RECENT_EVENTS_CACHE_MS = previous;
    await env.close();
  });

  it('answers a warm request without a DynamoDB read, and reflects PutEvents of this process at once', async () => {
    expect(recentEventsCache().ttlMs).toBe(60_000);
    const g = await env.group('cached');
    const solution = await newSolution(env, g.group, 'cached-solution');
    const version = await addVersion(env, solution, g.group, await cycleModel(1));
    const { campaignArn } = await createCampaign(env.ctx, { name: 'cached', solutionVersionArn: version });
    const { trackingId } = await createEventTracker(env.ctx, { name: 'cached', datasetGroupArn: g.group });
    const state = createServingState();
    let t = 1_800_000_000;
    const view = (...itemIds: string[]) =>
      putEvents(env.ctx, {
        trackingId: trackingId as string,
        userId: 'zoe',
        sessionId: 'zoe-session',
        eventList: itemIds.map(
          (itemId): Event => ({ eventType: 'click', itemId, sentAt: new Date(t++ * 1000) }),
        ),
      });
    const first = async () =>
      (await getRecommendations(env.ctx, { campaignArn: campaignArn as string, userId: 'zoe' }, state))
        .itemList?.[0]?.itemId;

    await view('i8', 'i9', 'i10');
    expect(await first()).toBe(next(10, 1));
    const send = jest.spyOn(env.ctx.ddb, 'send');
    try {
      expect(await first()).toBe(next(10, 1));
      // Only the recommendationId record (awaited here: deferred writes are off).
      expect(send.mock.calls.map(([c]) => c.constructor.name)).toEqual(['PutCommand']);
      await view('i38', 'i39', 'i40');
      send.mockClear();
      expect(await first()).toBe(next(40, 1));
      expect(send.mock.calls.map(([c]) => c.constructor.name)).toEqual(['QueryCommand', 'PutCommand']);
    } finally {
      send.mockRestore();
    }
  });
});
