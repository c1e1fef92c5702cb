import { type Interaction, Model, train, type UserMeta } from '../../../lambdas/engine';
import { IdIndex, ingestInteractions } from '../../../lambdas/engine/dataset';
import {
  attributesOfTokens,
  featureEmbeddings,
  featureSums,
  tokensOfAttributes,
  userTokensOf,
} from '../../../lambdas/engine/feature-embeddings';
import { Random } from '../../../lambdas/engine/random';

const SMALL = { hiddenDimension: 32 };
const COMMON = 40;
const POOL = 20;

/**
 * Users of two segments, each with a pool of its own: each of a user's two to six events is from their segment's pool
 * or, as often, from items everyone uses, so a short history often does not show the segment. Held-out users are scored on two common items only, so their history does not
 * show their segment and only their Users metadata can.
 */
function world(users: number, prefix: string, seed: number, segmentOf: (u: number) => string) {
  const r = new Random(seed);
  const interactions: Interaction[] = [];
  const metadata: UserMeta[] = [];
  const segments = new Map<string, string>();
  for (let u = 0; u < users; u++) {
    const userId = `${prefix}${u}`;
    const segment = u % 2 === 0 ? 'a' : 'b';
    const length = 2 + r.nextInt(5);
    for (let t = 0; t < length; t++) {
      const itemId = r.nextInt(2) === 0 ? `c${r.nextInt(COMMON)}` : `${segment}${r.nextInt(POOL)}`;
      interactions.push({ userId, itemId, timestamp: t });
    }
    segments.set(userId, segment);
    metadata.push({ userId, categorical: { SEGMENT: [segmentOf(u)] } });
  }
  return { interactions, metadata, segments };
}

/**
 * Mean, over held-out users, of the probability the model gives to the next item being from the user's own
 * segment's pool, over that of the other pool, for a history of two common items and their metadata.
 */
function ownPoolRatio(model: Model, test: ReturnType<typeof world>): number {
  let total = 0;
  for (const meta of test.metadata) {
    const own = test.segments.get(meta.userId) as string;
    const scores = model.scoreAll(['c1', 'c2'], undefined, { userAttributes: meta.categorical ?? {} });
    let mine = 0;
    let other = 0;
    model.itemIds.forEach((id, j) => {
      if (id.startsWith('c')) return;
      if (id.startsWith(own)) mine += scores[j] as number;
      else other += scores[j] as number;
    });
    total += mine / other;
  }
  return total / test.metadata.length;
}

describe('Users metadata', () => {
  it('learns a segment that the history does not show: self-tuning takes it in and held-out users gain', async () => {
    const segment = (u: number) => (u % 2 === 0 ? 'a' : 'b');
    const data = world(1500, 'u', 1, segment);
    const test = world(200, 't', 2, segment);
    const withUsers = await train(
      { interactions: data.interactions, users: data.metadata },
      { hyperParameters: SMALL },
    );
    const without = await train({ interactions: data.interactions }, { hyperParameters: SMALL });
    expect(Number(withUsers.tuned?.user_feature_weight)).toBeGreaterThan(0);
    expect(without.tuned?.user_feature_weight).toBe('0');
    // Without the metadata the two pools are alike to the model; with it, the user's own is clearly ahead.
    const base = ownPoolRatio(without, test);
    expect(base).toBeGreaterThan(0.8);
    expect(base).toBeLessThan(1.25);
    const gained = ownPoolRatio(withUsers, test);
    expect(gained).toBeGreaterThan(1.5);
    // The artifact keeps the tokens and their embeddings.
    const loaded = Model.load(withUsers.serialize());
    expect(loaded.usesUserAttributes).toBe(true);
    expect(ownPoolRatio(loaded, test)).toBe(gained);
  });

  it('leaves metadata without signal out: the model equals the one trained without it', async () => {
    const r = new Random(9);
    const noise = () => `v${r.nextInt(4)}`;
    const data = world(400, 'u', 1, noise);
    const withUsers = await train(
      { interactions: data.interactions, users: data.metadata },
      { hyperParameters: SMALL },
    );
    const without = await train({ interactions: data.interactions }, { hyperParameters: SMALL });
    expect(withUsers.tuned?.user_feature_weight).toBe('0');
    expect(withUsers.usesUserAttributes).toBe(false);
    const request = { history: ['c1', 'c2', 'c3'], userAttributes: { SEGMENT: ['v1'] }, numResults: 10 };
    expect(withUsers.recommend(request)).toEqual(without.recommend(request));
  });

  it('embeds a token as a share α of a Newton step: its users’ mean output embedding less everyone’s, shrunk', async () => {
    // Two users of 2 events each with token T, one of 2 events without: s = 2 events per user.
    const interactions: Interaction[] = [
      { userId: 'x', itemId: 'i', timestamp: 0 },
      { userId: 'x', itemId: 'j', timestamp: 1 },
      { userId: 'y', itemId: 'i', timestamp: 0 },
      { userId: 'y', itemId: 'i', timestamp: 1 },
      { userId: 'z', itemId: 'j', timestamp: 0 },
      { userId: 'z', itemId: 'j', timestamp: 1 },
    ];
    const seqs = await ingestInteractions(interactions, {}, new IdIndex());
    const tokens = await userTokensOf(
      [
        { userId: 'x', categorical: { G: ['T', 'solo'] } },
        { userId: 'y', categorical: { G: ['T'] } },
        { userId: 'nobody', categorical: { G: ['T'] } },
      ],
      seqs.users,
    );
    expect(tokens?.tokens).toEqual(['G=T', 'G=solo']);
    // d = 1: q_i = 1, q_j = 3 over the 6 events i j i i j j: q̄ = 2, σ² = (1 + 9 + 1 + 1 + 9 + 9) / 6 − 4 = 1.
    const i = seqs.items.get('i') as number;
    const output = new Float32Array(2);
    output[i] = 1;
    output[1 - i] = 3;
    const fitted = featureEmbeddings(
      featureSums(seqs, Uint8Array.of(1, 1, 1), tokens!, 'user', output, 1),
      0.5,
      2,
    );
    // T: 4 events summing 1 + 3 + 1 + 1 = 6 against 4 × 2 = 8; α (−2) / (τ σ² (4 + 2)) = 2 (−2) / (0.5 × 6) = −4/3.
    expect(fitted.tokens).toEqual(['G=T']);
    expect(fitted.embeddings[0]).toBeCloseTo(-4 / 3, 6);
    expect(tokensOfAttributes({ A: ['1', '2'], B: ['x'] })).toEqual(['A=1', 'A=2', 'B=x']);
    expect(attributesOfTokens(['A=1', 'A=2', 'B=x=y'])).toEqual({ A: ['1', '2'], B: ['x=y'] });
  });
});

/**
 * Users whose every event is from the common items or, as often, from the pool its context names: an event on a
 * `tv` comes from pool a, one on a `phone` from pool b, whoever the user is. Only a request's context can say which
 * pool comes next.
 */
function contextWorld(users: number, seed: number, deviceOf: (pool: string) => string) {
  const r = new Random(seed);
  const interactions: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    const userId = `u${u}`;
    const length = 2 + r.nextInt(5);
    for (let t = 0; t < length; t++) {
      const pool = r.nextInt(2) === 0 ? 'a' : 'b';
      const itemId = r.nextInt(2) === 0 ? `c${r.nextInt(COMMON)}` : `${pool}${r.nextInt(POOL)}`;
      interactions.push({ userId, itemId, timestamp: t, context: { DEVICE: [deviceOf(pool)] } });
    }
  }
  return interactions;
}

/** P(next item from pool a) ÷ P(from pool b) for a history of two common items and this context. */
function poolRatio(model: Model, context?: Record<string, string[]>): number {
  const scores = model.scoreAll(['c1', 'c2'], undefined, context === undefined ? {} : { context });
  let a = 0;
  let b = 0;
  model.itemIds.forEach((id, j) => {
    if (id.startsWith('a')) a += scores[j] as number;
    if (id.startsWith('b')) b += scores[j] as number;
  });
  return a / b;
}

describe('contextual metadata', () => {
  it("learns what the event's context says: self-tuning takes it in and a request's context moves the scores", async () => {
    const interactions = contextWorld(1500, 3, (pool) => (pool === 'a' ? 'tv' : 'phone'));
    const withContext = await train({ interactions }, { hyperParameters: SMALL });
    const without = await train(
      { interactions: interactions.map(({ context: _, ...x }) => x) },
      { hyperParameters: SMALL },
    );
    expect(Number(withContext.tuned?.context_weight)).toBeGreaterThan(0);
    expect(without.tuned?.context_weight).toBe('0');
    expect(withContext.usesContext).toBe(true);
    expect(without.usesContext).toBe(false);
    // Against the same request without context, a tv request leans to pool a and a phone one to pool b; the model
    // trained without context gives every request the same scores.
    const neutral = poolRatio(withContext);
    const tv = poolRatio(withContext, { DEVICE: ['tv'] });
    const phone = poolRatio(withContext, { DEVICE: ['phone'] });
    expect(tv / neutral).toBeGreaterThan(1.5);
    expect(phone / neutral).toBeLessThan(1 / 1.5);
    expect(poolRatio(without, { DEVICE: ['tv'] })).toBe(poolRatio(without));
    // A value the model never saw adds nothing.
    expect(poolRatio(withContext, { DEVICE: ['watch'] })).toBe(poolRatio(withContext));
    const loaded = Model.load(withContext.serialize());
    expect(poolRatio(loaded, { DEVICE: ['tv'] })).toBe(tv);
  });

  it('leaves context without signal out: the model equals the one trained without it', async () => {
    // The 2-standard-error rule (`clearlyBetter` of tuning.ts) lets noise through with about 2 % chance per
    // candidate weight: another draw of this world's noise once took α 0.5.
    const r = new Random(104);
    const interactions = contextWorld(400, 4, () => `d${r.nextInt(3)}`);
    const withContext = await train({ interactions }, { hyperParameters: SMALL });
    const without = await train(
      { interactions: interactions.map(({ context: _, ...x }) => x) },
      { hyperParameters: SMALL },
    );
    expect(withContext.tuned?.context_weight).toBe('0');
    expect(withContext.usesContext).toBe(false);
    const request = { history: ['c1', 'c2', 'c3'], context: { DEVICE: ['d1'] }, numResults: 10 };
    expect(withContext.recommend(request)).toEqual(without.recommend(request));
  });

  it("embeds a context token from the events recorded with it, whichever user's they are", async () => {
    // Events: x: i(T) j ; y: i(T) j(T) ; z: j j(T). T is on 4 events of 3 users, items i i j j.
    const interactions: Interaction[] = [
      { userId: 'x', itemId: 'i', timestamp: 0, context: { D: ['T'] } },
      { userId: 'x', itemId: 'j', timestamp: 1 },
      { userId: 'y', itemId: 'i', timestamp: 0, context: { D: ['T'] } },
      { userId: 'y', itemId: 'j', timestamp: 1, context: { D: ['T'] } },
      { userId: 'z', itemId: 'j', timestamp: 0 },
      { userId: 'z', itemId: 'j', timestamp: 1, context: { D: ['T', 'solo'] } },
    ];
    const seqs = await ingestInteractions(interactions, {}, new IdIndex());
    expect(seqs.context?.tokens).toEqual(['D=T', 'D=solo']);
    const i = seqs.items.get('i') as number;
    const output = new Float32Array(2);
    output[i] = 1;
    output[1 - i] = 3;
    // q̄ = (1 + 3 + 1 + 3 + 3 + 3) / 6 = 7/3, σ² = (1 + 9 + 1 + 9 + 9 + 9) / 6 − 49/9 = 8/9, s = 2.
    // T: 4 events summing 1 + 1 + 3 + 3 = 8 against 4 × 7/3; α (8 − 28/3) / (τ σ² (4 + 2)) = 2 (−4/3) / (0.5 × 8/9 × 6).
    const sums = featureSums(seqs, Uint8Array.of(1, 1, 1), seqs.context!, 'event', output, 1);
    const fitted = featureEmbeddings(sums, 0.5, 2);
    expect(fitted.tokens).toEqual(['D=T']);
    expect(fitted.embeddings[0]).toBeCloseTo((2 * (-4 / 3)) / ((0.5 * 8 * 6) / 9), 6);
  });
});
