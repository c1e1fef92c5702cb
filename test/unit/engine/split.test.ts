import { catalogSize, holdOutTruths, splitByUser } from '../../../lambdas/engine/split';
import type { Interaction } from '../../../lambdas/engine/types';

/** `users` users, user u has u + 1 interactions (u0 has one), timestamps written newest first to test sorting. */
function data(users: number): Interaction[] {
  const out: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    for (let k = u; k >= 0; k--) out.push({ userId: `u${u}`, itemId: `i${u}-${k}`, timestamp: 1000 + k });
  }
  return out;
}

describe('splitByUser', () => {
  const interactions = data(40);

  it('is deterministic for a seed and changes with the seed', () => {
    const a = splitByUser(interactions, { seed: 1 });
    const b = splitByUser([...interactions].reverse(), { seed: 1 });
    const c = splitByUser(interactions, { seed: 2 });
    const users = (s: typeof a): string[] => s.test.map((t) => t.userId);
    expect(users(a)).toEqual(users(b));
    expect(a.test).toEqual(b.test);
    expect(users(a)).not.toEqual(users(c));
  });

  it('holds out 10 % of users, whole, and never a user with fewer than 2 interactions', () => {
    for (let seed = 0; seed < 20; seed++) {
      const { train, test } = splitByUser(interactions, { seed });
      expect(test).toHaveLength(4);
      const testUsers = new Set(test.map((t) => t.userId));
      expect(testUsers.has('u0')).toBe(false);
      expect(train.some((x) => testUsers.has(x.userId))).toBe(false);
      const testEvents = test.reduce((s, t) => s + t.history.length + t.truth.length, 0);
      expect(train.length + testEvents).toBe(interactions.length);
    }
  });

  it('gives the oldest 90 % as input and the newest 10 % as truth, at least one of each', () => {
    const { test } = splitByUser(interactions, { seed: 3, testUserFraction: 1 });
    expect(test).toHaveLength(39);
    const byId = new Map(test.map((t) => [t.userId, t]));
    // u1: 2 events → 1 input, 1 truth.
    expect(byId.get('u1')?.history).toEqual(['i1-0']);
    expect(byId.get('u1')?.truth).toEqual(['i1-1']);
    // u19: 20 events → 18 oldest in, 2 newest out, in time order.
    const u19 = byId.get('u19');
    expect(u19?.history).toEqual(Array.from({ length: 18 }, (_, k) => `i19-${k}`));
    expect(u19?.truth).toEqual(['i19-18', 'i19-19']);
    expect(u19?.input.map((x) => x.timestamp)).toEqual(Array.from({ length: 18 }, (_, k) => 1000 + k));
    // u39: 40 events → 36 / 4.
    expect(byId.get('u39')?.truth).toHaveLength(4);
  });

  it("holdOutTruths trains on everything but the sampled test users' truths", () => {
    const all = splitByUser(interactions, { seed: 5, testUserFraction: 0.5 });
    const { train, test } = holdOutTruths(interactions, {
      seed: 5,
      testUserFraction: 0.5,
      maxUsers: 3,
      sampleSeed: 7,
    });
    expect(all.test).toHaveLength(20);
    expect(test).toHaveLength(3);
    for (const t of test) expect(all.test.map((x) => x.userId)).toContain(t.userId);
    const truths = new Set(test.flatMap((t) => t.truth));
    // The truths of these 3 users and nothing else are left out, in input order (item ids are unique here).
    const heldOut = test.reduce((s, t) => s + t.truth.length, 0);
    expect(train).toHaveLength(interactions.length - heldOut);
    expect(train.some((x) => truths.has(x.itemId))).toBe(false);
    expect(train).toEqual(interactions.filter((x) => !truths.has(x.itemId)));
    for (const t of test) {
      expect(
        train
          .filter((x) => x.userId === t.userId)
          .map((x) => x.itemId)
          .sort(),
      ).toEqual([...t.history].sort());
    }
  });

  it('counts catalog items from interactions and the items dataset together', () => {
    expect(catalogSize(data(3), ['i0-0', 'extra'])).toBe(7);
  });
});
