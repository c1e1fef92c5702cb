import { gzipSync } from 'node:zlib';
import type { Event } from '@aws-sdk/client-personalize-events';
import type { FeatureEmbeddings } from '../../../lambdas/engine/feature-embeddings';
import { encodeHistoryTails } from '../../../lambdas/engine/history-tails';
import { encodeSnapshot, SnapshotBuilder } from '../../../lambdas/engine/snapshot';
import type { Interaction } from '../../../lambdas/engine/types';
import { createCampaign, followLatestOfVersion, updateCampaign } from '../../../lambdas/services/campaigns';
import { createEventTracker } from '../../../lambdas/services/event-trackers';
import { putEvents } from '../../../lambdas/services/events';
import { HISTORY_TAIL, ModelCache, readObject } from '../../../lambdas/services/model-cache';
import { getPersonalizedRanking } from '../../../lambdas/services/personalized-ranking';
import { DEFAULT_NUM_RESULTS, getRecommendations } from '../../../lambdas/services/recommendations';
import { putItems, putUsers } from '../../../lambdas/services/records';
import {
  createServingState,
  expandRecommendationId,
  type ServingState,
} from '../../../lambdas/services/serving';
import { historyTailsKey, modelKey, snapshotKey } from '../../../lambdas/store/artifacts';
import { RecommendationStore } from '../../../lambdas/store/recommendations';
import { type DataEnv, startDataEnv } from './data-env';
import { addVersion, cycleModel, lastTrainingItem, newSolution, next, type Trained } from './serving-env';

let env: DataEnv;
let forward: Trained;
let backward: Trained;
beforeAll(async () => {
  env = await startDataEnv();
  [forward, backward] = await Promise.all([cycleModel(1), cycleModel(-1)]);
});
afterAll(async () => {
  await env.close();
});

interface Setup {
  readonly group: string;
  readonly items: string;
  readonly users: string;
  readonly solution: string;
  readonly version: string;
  readonly campaignArn: string;
  readonly trackingId: string;
  readonly state: ServingState;
}

async function setup(
  name: string,
  enableMetadataWithRecommendations = false,
  trained: Trained = forward,
): Promise<Setup> {
  const g = await env.group(name);
  const solution = await newSolution(env, g.group, `${name}-solution`);
  const version = await addVersion(env, solution, g.group, trained);
  const { campaignArn } = await createCampaign(env.ctx, {
    name,
    solutionVersionArn: version,
    campaignConfig: { enableMetadataWithRecommendations },
  });
  const { trackingId } = await createEventTracker(env.ctx, {
    name: `${name}-tracker`,
    datasetGroupArn: g.group,
  });
  return {
    group: g.group,
    items: g.items,
    users: g.users,
    solution,
    version,
    campaignArn: campaignArn as string,
    trackingId: trackingId as string,
    state: createServingState(),
  };
}

let clock = 1_800_000_000;
async function view(s: Setup, userId: string, ...itemIds: string[]): Promise<void> {
  const eventList: Event[] = itemIds.map((itemId) => ({
    eventType: 'click',
    itemId,
    sentAt: new Date(clock++ * 1000),
  }));
  await putEvents(env.ctx, { trackingId: s.trackingId, userId, sessionId: `session-${userId}`, eventList });
}

/** Three consecutive steps of the forward cycle ending at i<k>: enough history for the known next item. */
const walk = (k: number) => [k - 2, k - 1, k].map((j) => `i${(j + 60) % 60}`);

const top = async (s: Setup, userId: string, numResults?: number) =>
  getRecommendations(env.ctx, { campaignArn: s.campaignArn, userId, numResults }, s.state);

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: Error) => err.name,
  );

describe('getRecommendations', () => {
  it('scores the user history: the item that follows the latest event comes first', async () => {
    const s = await setup('rec-history');
    await view(s, 'alice', 'i3', 'i4', 'i5');
    const out = await top(s, 'alice');
    expect(out.itemList).toHaveLength(DEFAULT_NUM_RESULTS);
    expect(out.itemList?.[0]?.itemId).toBe(next(5, 1));
    expect(out.itemList).toEqual(
      forward.model.recommend({ history: ['i3', 'i4', 'i5'], numResults: DEFAULT_NUM_RESULTS }),
    );
    const scores = (out.itemList ?? []).map((i) => i.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('changes the next response after PutEvents, without retraining', async () => {
    const s = await setup('rec-realtime');
    await view(s, 'bob', ...walk(10));
    expect((await top(s, 'bob')).itemList?.[0]?.itemId).toBe(next(10, 1));
    await view(s, 'bob', ...walk(40));
    expect((await top(s, 'bob')).itemList?.[0]?.itemId).toBe(next(40, 1));
    expect(s.state.models.loads).toBe(1);
  });

  it('personalises for an unknown user with events and gives popular items to one without', async () => {
    const s = await setup('rec-unknown');
    const cold = await top(s, 'nobody', 10);
    expect(cold.itemList).toEqual(forward.model.recommend({ history: [], numResults: 10 }));
    await view(s, 'newcomer', ...walk(20));
    const warm = await top(s, 'newcomer', 10);
    expect(warm.itemList?.[0]?.itemId).toBe(next(20, 1));
    expect(warm.itemList).not.toEqual(cold.itemList);
  });

  it('personalises a user known from the training data from that history, then from newer events', async () => {
    const s = await setup('rec-trained');
    const user = 3;
    const last = lastTrainingItem(user, 1);
    expect((await top(s, `u${user}`)).itemList?.[0]?.itemId).toBe(next(last, 1));
    // Events dated before the user's last training interaction were training data already.
    await putEvents(env.ctx, {
      trackingId: s.trackingId,
      userId: `u${user}`,
      sessionId: 'old',
      eventList: walk(45).map((itemId, i) => ({
        eventType: 'click',
        itemId,
        sentAt: new Date((1_600_000_000 + i) * 1000),
      })),
    });
    expect((await top(s, `u${user}`)).itemList?.[0]?.itemId).toBe(next(last, 1));
    await view(s, `u${user}`, ...walk(45));
    expect((await top(s, `u${user}`)).itemList?.[0]?.itemId).toBe(next(45, 1));
  });

  it('serves an anonymous session by its sessionId and the user it is later tied to with its events', async () => {
    const s = await setup('rec-session');
    const anonymous = (eventList: Event[], userId?: string) =>
      putEvents(env.ctx, {
        trackingId: s.trackingId,
        sessionId: 'anon-1',
        eventList,
        ...(userId ? { userId } : {}),
      });
    const now = () => new Date(clock++ * 1000);
    await anonymous(walk(25).map((itemId) => ({ eventType: 'click', itemId, sentAt: now() })));
    expect((await top(s, 'anon-1')).itemList?.[0]?.itemId).toBe(next(25, 1));
    await anonymous([{ eventType: 'click', itemId: next(25, 1), sentAt: now() }], 'henry');
    expect((await top(s, 'henry')).itemList?.[0]?.itemId).toBe(next(26, 1));
  });

  it('issues a unique recommendationId per response and stores what it showed', async () => {
    const s = await setup('rec-id');
    await view(s, 'carol', ...walk(7));
    const a = await top(s, 'carol', 5);
    const b = await top(s, 'carol', 5);
    expect(a.recommendationId).toMatch(/^RID-[0-9a-f-]{36}$/);
    expect(a.recommendationId?.length).toBeLessThanOrEqual(40);
    expect(b.recommendationId).not.toBe(a.recommendationId);
    expect(await expandRecommendationId(env.ctx, a.recommendationId as string)).toEqual({
      userId: 'carol',
      campaignArn: s.campaignArn,
      itemIds: (a.itemList ?? []).map((i) => i.itemId),
    });
    expect(await expandRecommendationId(env.ctx, 'RID-never-issued')).toBeUndefined();
  });

  it('reloads the model when the campaign is updated to another version', async () => {
    const s = await setup('rec-reload');
    await view(s, 'dave', ...walk(30));
    expect((await top(s, 'dave')).itemList?.[0]?.itemId).toBe(next(30, 1));
    const retrained = await addVersion(env, s.solution, s.group, backward);
    await updateCampaign(env.ctx, { campaignArn: s.campaignArn, solutionVersionArn: retrained });
    const after = await top(s, 'dave');
    expect(after.itemList).toEqual(
      backward.model.recommend({ history: walk(30), numResults: DEFAULT_NUM_RESULTS }),
    );
    expect(after.itemList?.[0]?.itemId).not.toBe(next(30, 1));
    expect(s.state.models.loads).toBe(2);
  });

  it('follows newer versions of a $LATEST campaign with syncWithLatestSolutionVersion', async () => {
    const s = await setup('rec-sync');
    const { campaignArn } = await createCampaign(env.ctx, {
      name: 'rec-sync-latest',
      solutionVersionArn: `${s.solution}/$LATEST`,
      campaignConfig: { syncWithLatestSolutionVersion: true },
    });
    const synced = { ...s, campaignArn: campaignArn as string };
    await view(s, 'erin', ...walk(50));
    expect((await top(synced, 'erin')).itemList?.[0]?.itemId).toBe(next(50, 1));
    await addVersion(env, s.solution, s.group, backward);
    // The check for a newer version is rate-limited; forget when it last ran.
    s.state.syncChecks.clear();
    expect((await top(synced, 'erin')).itemList).toEqual(
      backward.model.recommend({ history: walk(50), numResults: DEFAULT_NUM_RESULTS }),
    );
  });

  it('answers a warm request after one awaited read, writing its record in the background where allowed', async () => {
    const s = await setup('rec-warm');
    await view(s, 'wendy', ...walk(20));
    await top(s, 'wendy');
    const { sent, release, restore } = holdRecordWrites();
    try {
      const out = await top(s, 'wendy');
      expect(out.itemList?.[0]?.itemId).toBe(next(20, 1));
      // The record waits a moment for others' before it is sent; the response waited for neither.
      expect(sent).toEqual(['QueryCommand']);
      await until(() => sent.length === 2);
      expect(sent).toEqual(['QueryCommand', 'PutCommand']);
      release();
      expect((await expandRecommendationId(env.ctx, out.recommendationId as string))?.itemIds).toEqual(
        out.itemList?.map((i) => i.itemId),
      );
    } finally {
      restore();
    }
  });

  it('writes the records of responses made while a record write is in flight together, in one BatchWriteItem', async () => {
    const s = await setup('rec-batch');
    await view(s, 'walt', ...walk(20));
    await top(s, 'walt');
    const { sent, release, restore } = holdRecordWrites();
    try {
      const first = await top(s, 'walt');
      // Alone for RECORD_LINGER_MS, the first record goes out by itself (and is held there).
      await until(() => sent.length === 2);
      const more = [await top(s, 'walt'), await top(s, 'walt'), await top(s, 'walt')];
      expect(sent).toEqual(['QueryCommand', 'PutCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand']);
      release();
      for (const out of [first, ...more]) {
        expect((await expandRecommendationId(env.ctx, out.recommendationId as string))?.itemIds).toEqual(
          out.itemList?.map((i) => i.itemId),
        );
      }
      expect(sent.filter((name) => name.endsWith('WriteCommand') || name === 'PutCommand')).toEqual([
        'PutCommand',
        'BatchWriteCommand',
      ]);
    } finally {
      restore();
    }
  });

  it('moves $LATEST campaigns to a newly published version in the control plane; serving only reads', async () => {
    const s = await setup('rec-follow');
    const { campaignArn } = await createCampaign(env.ctx, {
      name: 'rec-follow-latest',
      solutionVersionArn: `${s.solution}/$LATEST`,
      campaignConfig: { syncWithLatestSolutionVersion: true },
    });
    const newer = await addVersion(env, s.solution, s.group, backward);
    const served = await top({ ...s, campaignArn: campaignArn as string }, 'fred');
    expect(served.itemList).toEqual(
      backward.model.recommend({ history: [], numResults: DEFAULT_NUM_RESULTS }),
    );
    // Serving found the newer version but did not record it.
    expect((await env.ctx.resources.require(campaignArn as string)).attrs?.servingVersionArn).toBe(s.version);
    await followLatestOfVersion(env.ctx, newer);
    expect((await env.ctx.resources.require(campaignArn as string)).attrs?.servingVersionArn).toBe(newer);
  });

  it('shares one artifact load between concurrent requests', async () => {
    const s = await setup('rec-concurrent');
    let reads = 0;
    const models = new ModelCache(async (ctx, key) => {
      if (key.endsWith('model.bin')) reads++;
      return readObject(ctx, key);
    });
    const state = createServingState(models);
    await Promise.all(
      ['u1', 'u2', 'u3', 'u4'].map((userId) =>
        getRecommendations(env.ctx, { campaignArn: s.campaignArn, userId }, state),
      ),
    );
    expect(reads).toBe(1);
  });

  it('validates the request', async () => {
    const s = await setup('rec-validate');
    const call = (input: Parameters<typeof getRecommendations>[1]) =>
      errorName(getRecommendations(env.ctx, input, s.state));
    expect(await call({ userId: 'x' })).toBe('InvalidInputException');
    expect(await call({ campaignArn: s.campaignArn })).toBe('InvalidInputException');
    expect(await call({ campaignArn: s.campaignArn, userId: 'x', numResults: 501 })).toBe(
      'InvalidInputException',
    );
    expect(await call({ campaignArn: s.campaignArn, userId: 'x', numResults: -1 })).toBe(
      'InvalidInputException',
    );
    expect(await call({ campaignArn: `${s.campaignArn}-gone`, userId: 'x' })).toBe(
      'ResourceNotFoundException',
    );
    expect(await call({ campaignArn: s.campaignArn, userId: 'x', filterArn: `${s.group}-filter` })).toBe(
      'ResourceNotFoundException',
    );
    expect(
      await call({ campaignArn: s.campaignArn, userId: 'x', metadataColumns: { ITEMS: ['GENRES'] } }),
    ).toBe('InvalidInputException');
    const max = await top(s, 'x', 500);
    expect(max.itemList).toHaveLength(60);
    expect((await top(s, 'x', 0)).itemList).toHaveLength(DEFAULT_NUM_RESULTS);
  });

  it('returns Items columns with metadataColumns when the campaign enables metadata', async () => {
    const s = await setup('rec-meta', true);
    await putItems(env.ctx, {
      datasetArn: s.items,
      items: [
        { itemId: next(9, 1), properties: JSON.stringify({ genres: 'comedy|drama', price: 9.5 }) },
        { itemId: next(10, 1), properties: JSON.stringify({ genres: 'horror' }) },
      ],
    });
    await view(s, 'frank', ...walk(9));
    const out = await getRecommendations(
      env.ctx,
      {
        campaignArn: s.campaignArn,
        userId: 'frank',
        numResults: 3,
        metadataColumns: { ITEMS: ['GENRES', 'PRICE'] },
      },
      s.state,
    );
    expect(out.itemList?.[0]).toEqual({
      itemId: next(9, 1),
      score: expect.any(Number),
      metadata: { GENRES: 'comedy|drama', PRICE: '9.5' },
    });
    const call = (input: Parameters<typeof getRecommendations>[1]) =>
      errorName(getRecommendations(env.ctx, input, s.state));
    expect(
      await call({ campaignArn: s.campaignArn, userId: 'frank', metadataColumns: { ITEMS: ['COLOUR'] } }),
    ).toBe('InvalidInputException');
    expect(
      await call({
        campaignArn: s.campaignArn,
        userId: 'frank',
        numResults: 51,
        metadataColumns: { ITEMS: ['GENRES'] },
      }),
    ).toBe('InvalidInputException');
  });
});

/** One metadata embedding for the forward model that points a state at i30: 40 along q_i30 / ‖q_i30‖². */
function towardsI30(token: string): FeatureEmbeddings {
  const { model } = forward;
  const d = model.hiddenDimension;
  const target = model.itemIndex('i30') as number;
  const q = model.outputEmbeddings.subarray(target * d, (target + 1) * d);
  const norm = q.reduce((sum, x) => sum + x * x, 0);
  return { tokens: [token], embeddings: Float32Array.from(q, (x) => (40 * x) / norm) };
}

describe('Users metadata', () => {
  it("adds the requesting user's Users metadata embeddings for a model that has them, in both operations", async () => {
    // The forward model, with one embedding for MEMBERSHIP=gold that points its users at i30.
    const withGold = forward.model.withFeatures({ userFeatures: towardsI30('MEMBERSHIP=gold') });
    expect(withGold.usesUserAttributes).toBe(true);
    const s = await setup('rec-users', false, { model: withGold, interactions: forward.interactions });
    await putUsers(env.ctx, {
      datasetArn: s.users,
      users: [
        { userId: 'gold-user', properties: JSON.stringify({ membership: 'gold', age: 30 }) },
        { userId: 'silver-user', properties: JSON.stringify({ membership: 'silver', age: 30 }) },
      ],
    });
    const first = async (userId: string) => (await top(s, userId, 5)).itemList?.[0]?.itemId;
    expect(await first('gold-user')).toBe('i30');
    expect(await first('silver-user')).not.toBe('i30');
    expect(await first('no-metadata-user')).not.toBe('i30');
    const ranked = async (userId: string) =>
      (
        await getPersonalizedRanking(
          env.ctx,
          { campaignArn: s.campaignArn, userId, inputList: ['i29', 'i30', 'i31'] },
          s.state,
        )
      ).personalizedRanking?.[0]?.itemId;
    expect(await ranked('gold-user')).toBe('i30');
  });
});

describe('contextual metadata', () => {
  it("adds the request's context embeddings for a model that has them, in both operations", async () => {
    // The forward model, with one embedding for DEVICE=tv that points requests made on a tv at i30.
    const withTv = forward.model.withFeatures({ contextFeatures: towardsI30('DEVICE=tv') });
    expect(withTv.usesContext).toBe(true);
    const s = await setup('rec-context', false, { model: withTv, interactions: forward.interactions });
    const first = async (context?: Record<string, string>) =>
      (
        await getRecommendations(
          env.ctx,
          { campaignArn: s.campaignArn, userId: 'u1', numResults: 5, ...(context ? { context } : {}) },
          s.state,
        )
      ).itemList?.[0]?.itemId;
    expect(await first({ DEVICE: 'tv' })).toBe('i30');
    expect(await first({ DEVICE: 'phone|tv' })).toBe('i30');
    expect(await first({ DEVICE: 'phone' })).not.toBe('i30');
    expect(await first({ LOCATION: 'tv' })).not.toBe('i30');
    expect(await first()).not.toBe('i30');
    const ranked = async (context?: Record<string, string>) =>
      (
        await getPersonalizedRanking(
          env.ctx,
          {
            campaignArn: s.campaignArn,
            userId: 'u1',
            inputList: ['i29', 'i30', 'i31'],
            ...(context ? { context } : {}),
          },
          s.state,
        )
      ).personalizedRanking?.[0]?.itemId;
    expect(await ranked({ DEVICE: 'tv' })).toBe('i30');
    expect(await ranked()).not.toBe('i30');
  });
});

/** Resolves once `done()` holds, checking every few milliseconds (for 5 s at most). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!done()) throw new Error('condition not met within 5 s');
}

/**
 * Deferred response writes on, every DynamoDB command's name recorded, and record writes (PutItem, BatchWriteItem)
 * held until `release`: what a request awaits shows in `sent` before the held writes go out.
 */
function holdRecordWrites(): { sent: string[]; release: () => void; restore: () => void } {
  const send = env.ctx.ddb.send.bind(env.ctx.ddb);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const sent: string[] = [];
  const spy = jest.spyOn(env.ctx.ddb, 'send').mockImplementation(((command: {
    constructor: { name: string };
  }) => {
    sent.push(command.constructor.name);
    if (command.constructor.name === 'PutCommand' || command.constructor.name === 'BatchWriteCommand') {
      return gate.then(() => send(command as never));
    }
    return send(command as never);
  }) as never);
  process.env.OP_DEFER_RESPONSE_WRITES = 'true';
  return {
    sent,
    release,
    restore: () => {
      delete process.env.OP_DEFER_RESPONSE_WRITES;
      spy.mockRestore();
    },
  };
}

describe('getPersonalizedRanking', () => {
  it('ranks the input by the model, drops repeats and appends unknown items without a score', async () => {
    const s = await setup('rank');
    await view(s, 'gina', ...walk(5));
    const out = await getPersonalizedRanking(
      env.ctx,
      {
        campaignArn: s.campaignArn,
        userId: 'gina',
        inputList: ['not-in-model', 'i30', next(5, 1), 'i31', 'i30'],
      },
      s.state,
    );
    const ranked = out.personalizedRanking ?? [];
    expect(ranked.map((i) => i.itemId)).toHaveLength(4);
    expect(ranked[0]?.itemId).toBe(next(5, 1));
    expect(ranked[3]).toEqual({ itemId: 'not-in-model' });
    const scores = ranked.slice(0, 3).map((i) => i.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(out.recommendationId).toMatch(/^RID-/);
    expect(
      await errorName(
        getPersonalizedRanking(
          env.ctx,
          {
            campaignArn: s.campaignArn,
            userId: 'gina',
            inputList: Array.from({ length: 501 }, (_, i) => `i${i}`),
          },
          s.state,
        ),
      ),
    ).toBe('InvalidInputException');
  });
});

describe('ModelCache', () => {
  const versionArn = 'arn:aws:personalize:us-east-1:000000000000:solution/old/0123abcd';
  const columnsOf = (interactions: readonly Interaction[]) => {
    const builder = new SnapshotBuilder();
    for (const x of interactions) builder.add(x);
    return builder.finish();
  };
  const snapshotOf = (interactions: readonly Interaction[]) =>
    Buffer.concat(encodeSnapshot({ columns: columnsOf(interactions), items: [], users: [] }));
  const cacheWith = (objects: Record<string, Uint8Array>) =>
    new ModelCache(async (_ctx, key) => objects[key]);

  it('reads the history tails artifact, and the snapshot only for a version published without one', async () => {
    const rows = [
      { userId: 'u', itemId: 'i1', timestamp: 1, eventType: 'click' },
      { userId: 'u', itemId: 'i3', timestamp: 2, eventType: 'watch' },
    ];
    const tails = Buffer.concat(encodeHistoryTails(columnsOf(rows), HISTORY_TAIL));
    const snapshot = snapshotOf([{ userId: 'v', itemId: 'i2', timestamp: 1 }]);
    const model = forward.model.serialize();
    const ref = { versionArn, modelKey: modelKey(versionArn) };
    const both = await cacheWith({
      [ref.modelKey]: model,
      [historyTailsKey(versionArn)]: tails,
      [snapshotKey(versionArn)]: snapshot,
    }).model(env.ctx, 'c', ref);
    expect([both.histories.get('u'), both.histories.get('v')]).toEqual([
      { itemIds: ['i1', 'i3'], eventTypes: ['click', 'watch'], lastTimestamp: 2 },
      undefined,
    ]);
    // A version published before the history tails format wrote its tails as a snapshot.
    const legacy = await cacheWith({
      [ref.modelKey]: model,
      [historyTailsKey(versionArn)]: snapshotOf(rows),
      [snapshotKey(versionArn)]: snapshot,
    }).model(env.ctx, 'c', ref);
    expect([legacy.histories.get('u'), legacy.histories.get('v')]).toEqual([
      both.histories.get('u'),
      undefined,
    ]);
    const old = await cacheWith({ [ref.modelKey]: model, [snapshotKey(versionArn)]: snapshot }).model(
      env.ctx,
      'c',
      ref,
    );
    expect(old.histories.get('v')?.itemIds).toEqual(['i2']);
  });

  it('serves a version whose snapshot predates the columnar format, without training histories', async () => {
    const ref = { versionArn, modelKey: modelKey(versionArn) };
    const served = await cacheWith({
      [ref.modelKey]: forward.model.serialize(),
      [snapshotKey(versionArn)]: gzipSync('{"format":1}'),
    }).model(env.ctx, 'c', ref);
    expect(served.histories.size).toBe(0);
    expect(served.model.itemIds).toEqual(forward.model.itemIds);
  });
});

describe('RecommendationStore', () => {
  it('stores scores too small for a DynamoDB number as 0 and keeps missing scores', async () => {
    const store = new RecommendationStore(env.ctx.ddb, env.ctx.eventsTable);
    await store.put({
      recommendationId: 'RID-tiny',
      campaignArn: 'campaign',
      datasetGroupArn: 'group',
      solutionVersionArn: 'version',
      userId: 'u',
      itemIds: ['a', 'b', 'c'],
      scores: [0.5, 1e-200, null],
      createdAt: Date.now(),
    });
    expect((await store.get('RID-tiny'))?.scores).toEqual([0.5, 0, null]);
  });
});
