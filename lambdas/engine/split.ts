/**
 * Personalize's evaluation split (spec §6.1): whole users go 90 % to training and 10 % to testing; each test user's
 * interactions, in time order, are cut into the oldest 90 % (the model's input) and the newest 10 % (the truth).
 */
import { sampleTestCases, type TestCase } from './metrics';
import { Random } from './random';
import type { Interaction } from './types';

export interface SplitOptions {
  /** Seed of the user draw; the same seed and data give the same split. */
  readonly seed: number;
  /** Share of users held out for testing. @default 0.1 */
  readonly testUserFraction?: number;
  /** Share of each test user's interactions (the newest) used as the truth. @default 0.1 */
  readonly truthFraction?: number;
}

export interface TestUser extends TestCase {
  /** The input part as interactions (oldest first), for recommenders that use event types or times. */
  readonly input: readonly Interaction[];
}

export interface Split {
  /** Training users' interactions, in input order. */
  readonly train: Interaction[];
  /** Test users, ordered by user id. */
  readonly test: TestUser[];
}

/**
 * Users with fewer than 2 interactions cannot be cut into input and truth, so they always stay in training. The
 * number of test users is round(testUserFraction × all users), capped by the users that can be tested. Each test
 * user keeps max(1, round(truthFraction × n)) newest interactions as truth and at least one as input; equal
 * timestamps keep their input order.
 */
export function splitByUser(interactions: readonly Interaction[], options: SplitOptions): Split {
  const testUserFraction = options.testUserFraction ?? 0.1;
  const truthFraction = options.truthFraction ?? 0.1;
  const byUser = new Map<string, Interaction[]>();
  for (const x of interactions) {
    const list = byUser.get(x.userId);
    if (list === undefined) byUser.set(x.userId, [x]);
    else list.push(x);
  }
  // Sorting the candidates first makes the draw independent of the input's row order.
  const eligible = [...byUser.keys()].filter((u) => (byUser.get(u) as Interaction[]).length >= 2).sort();
  const testCount = Math.min(eligible.length, Math.round(testUserFraction * byUser.size));
  new Random(options.seed).shuffle(eligible);
  const testUsers = new Set(eligible.slice(0, testCount));

  const train = interactions.filter((x) => !testUsers.has(x.userId));
  const test: TestUser[] = [];
  for (const userId of [...testUsers].sort()) {
    const events = [...(byUser.get(userId) as Interaction[])].sort((a, b) => a.timestamp - b.timestamp);
    const n = events.length;
    const truthCount = Math.min(n - 1, Math.max(1, Math.round(truthFraction * n)));
    const input = events.slice(0, n - truthCount);
    test.push({
      userId,
      input,
      history: input.map((x) => x.itemId),
      historyEventTypes: input.map((x) => x.eventType),
      truth: events.slice(n - truthCount).map((x) => x.itemId),
    });
  }
  return { train, test };
}

/**
 * The metrics' split of a served model (spec §6.1) that trains on all but the truth: Personalize's user split,
 * then at most `maxUsers` seeded test users (`sampleTestCases`) whose newest events are held out. `train` is every
 * interaction except those truths (the test users' inputs included, in input order), so the served model can be
 * judged on the test users without a second training, and loses only the held-out newest events.
 */
export function holdOutTruths(
  interactions: readonly Interaction[],
  options: SplitOptions & { readonly maxUsers: number; readonly sampleSeed: number },
): Split {
  const test = sampleTestCases(splitByUser(interactions, options).test, options.maxUsers, options.sampleSeed);
  const kept = new Map(test.map((t) => [t.userId, new Set(t.input)]));
  const train = interactions.filter((x) => {
    const input = kept.get(x.userId);
    return input === undefined || input.has(x);
  });
  return { train, test };
}

/** Distinct item ids across interactions and the Items dataset: the coverage denominator. */
export function catalogSize(interactions: readonly Interaction[], itemIds: Iterable<string> = []): number {
  const ids = new Set<string>(itemIds);
  for (const x of interactions) ids.add(x.itemId);
  return ids.size;
}
