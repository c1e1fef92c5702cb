/**
 * Personalize's evaluation split (spec §6.1): whole users go 90 % to training and 10 % to testing; each test user's
 * interactions, in time order, are cut into the oldest 90 % (the model's input) and the newest 10 % (the truth).
 */
import { sampleTestCases, type TestCase } from './metrics';
import { Random } from './random';
import { type InteractionColumns, rowContext, type StoredSnapshot } from './snapshot';
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
  const eligible = [...byUser.keys()].filter((u) => (byUser.get(u) as Interaction[]).length >= 2).sort();
  const testUsers = new Set(drawTestUsers(eligible, byUser.size, testUserFraction, options.seed));

  const train = interactions.filter((x) => !testUsers.has(x.userId));
  const test: TestUser[] = [];
  for (const userId of [...testUsers].sort()) {
    const events = [...(byUser.get(userId) as Interaction[])].sort((a, b) => a.timestamp - b.timestamp);
    const n = events.length;
    const truthCount = truthCountOf(n, truthFraction);
    const input = events.slice(0, n - truthCount);
    const context = events[n - truthCount]?.context;
    test.push({
      userId,
      input,
      history: input.map((x) => x.itemId),
      historyEventTypes: input.map((x) => x.eventType),
      truth: events.slice(n - truthCount).map((x) => x.itemId),
      ...(context === undefined ? {} : { context }),
    });
  }
  return { train, test };
}

/**
 * The draw of test users: `eligible` (users with 2 or more interactions) sorted by id, so the draw does not depend
 * on the input's row order, then shuffled; the first round(fraction × all users) are the test users.
 */
function drawTestUsers<T>(eligible: T[], allUsers: number, fraction: number, seed: number): T[] {
  const testCount = Math.min(eligible.length, Math.round(fraction * allUsers));
  return new Random(seed).shuffle(eligible).slice(0, testCount);
}

/** The newest interactions of a test user's n that are its truth: max(1, round(fraction × n)), leaving one input. */
const truthCountOf = (n: number, fraction: number): number =>
  Math.min(n - 1, Math.max(1, Math.round(fraction * n)));

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

/** {@link holdOutTruths} over a snapshot's columns: the test cases, and which rows train (1) or are truths (0). */
export interface ColumnsSplit {
  readonly keep: Uint8Array;
  readonly test: TestCase[];
}

/**
 * {@link holdOutTruths} on a snapshot's columns (users already time-sorted, ties in source order): the same test
 * users and truths, with the training rows as a mask instead of a copy of the interactions.
 */
export function holdOutTruthRows(c: InteractionColumns, options: MetricsSplitOptions): ColumnsSplit {
  const keep = new Uint8Array(c.item.length).fill(1);
  const truthFraction = options.truthFraction ?? 0.1;
  const test = sampledTestUsers(c.userIds, c.userOffsets, options).map((u): TestCase => {
    keep.fill(0, truthCut(c, u, truthFraction), c.userOffsets[u + 1]);
    return testCaseOf(c, u, truthFraction);
  });
  return { keep, test };
}

export type MetricsSplitOptions = SplitOptions & { readonly maxUsers: number; readonly sampleSeed: number };

/**
 * The test users {@link holdOutTruthRows} samples, as user numbers in its order: they depend on the users' ids and
 * history lengths only.
 */
export function sampledTestUsers(
  ids: readonly string[],
  userOffsets: Int32Array,
  options: MetricsSplitOptions,
): number[] {
  const users = ids.length;
  const length = (u: number): number => (userOffsets[u + 1] as number) - (userOffsets[u] as number);
  const byId = (a: number, b: number): number => {
    const x = ids[a] as string;
    const y = ids[b] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const eligible: number[] = [];
  for (let u = 0; u < users; u++) if (length(u) >= 2) eligible.push(u);
  eligible.sort(byId);
  const drawn = drawTestUsers(eligible, users, options.testUserFraction ?? 0.1, options.seed).sort(byId);
  return sampleTestCases(drawn, options.maxUsers, options.sampleSeed);
}

/** Test user u's case: its oldest rows are the input, its newest the truth. */
function testCaseOf(c: InteractionColumns, u: number, truthFraction: number): TestCase {
  const from = c.userOffsets[u] as number;
  const to = c.userOffsets[u + 1] as number;
  const cut = truthCut(c, u, truthFraction);
  const rows = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
  const context = rowContext(c, cut);
  return {
    userId: c.userIds[u] as string,
    history: rows(from, cut).map((r) => c.itemIds[c.item[r] as number] as string),
    historyEventTypes: rows(from, cut).map((r) => c.eventTypes[c.type[r] as number]),
    truth: rows(cut, to).map((r) => c.itemIds[c.item[r] as number] as string),
    ...(context === undefined ? {} : { context }),
  };
}

/**
 * The test cases of {@link holdOutTruthRows} on a stored snapshot, with each test user's Users metadata, and the
 * catalog size ({@link catalogSizeOfColumns}): read one shard at a time, so memory holds one shard's rows and the
 * cases, never the whole snapshot.
 */
export async function storedTestCases(
  stored: StoredSnapshot,
  options: MetricsSplitOptions,
): Promise<{ test: TestCase[]; catalogSize: number }> {
  const sampled = sampledTestUsers(stored.userIds, await stored.userOffsets(), options);
  const order = new Map(sampled.map((u, k) => [stored.userIds[u] as string, k]));
  const test = new Array<TestCase>(sampled.length);
  const named = new Uint8Array(stored.itemIds.length);
  for (let shard = 0; shard < stored.shards; shard++) {
    const part = await stored.shard(shard);
    const c = part.columns;
    markNamed(c, named);
    const attributes = new Map(part.users.map((user) => [user.userId, user.categorical]));
    for (let u = 0; u < c.userIds.length; u++) {
      const k = order.get(c.userIds[u] as string);
      if (k === undefined) continue;
      const plain = testCaseOf(c, u, options.truthFraction ?? 0.1);
      const userAttributes = attributes.get(plain.userId);
      test[k] = userAttributes === undefined ? plain : { ...plain, userAttributes };
    }
  }
  return { test, catalogSize: catalogSizeOf(stored.itemIds, named, stored.items) };
}

/** User u's first truth row when it is a test user. */
function truthCut(c: InteractionColumns, u: number, truthFraction: number): number {
  const from = c.userOffsets[u] as number;
  const to = c.userOffsets[u + 1] as number;
  return to - truthCountOf(to - from, truthFraction);
}

/**
 * The training rows of {@link holdOutTruthRows} for columns that hold a part of the users (a shard's): the truths
 * of the users in `test`, the test users the whole data's split sampled, are 0.
 */
export function trainingRowsOf(
  c: InteractionColumns,
  test: ReadonlySet<string>,
  truthFraction = 0.1,
): Uint8Array {
  const keep = new Uint8Array(c.item.length).fill(1);
  for (let u = 0; u < c.userIds.length; u++)
    if (test.has(c.userIds[u] as string)) keep.fill(0, truthCut(c, u, truthFraction), c.userOffsets[u + 1]);
  return keep;
}

/** {@link catalogSize} of a snapshot: distinct items its interactions name, with `itemIds` (the Items dataset). */
export function catalogSizeOfColumns(c: InteractionColumns, itemIds: Iterable<string> = []): number {
  const named = new Uint8Array(c.itemIds.length);
  markNamed(c, named);
  return catalogSizeOf(
    c.itemIds,
    named,
    Array.from(itemIds, (itemId) => ({ itemId })),
  );
}

/** Marks (1) the items the rows name, by their index in the snapshot's item table. */
function markNamed(c: InteractionColumns, named: Uint8Array): void {
  for (let r = 0; r < c.item.length; r++) named[c.item[r] as number] = 1;
}

function catalogSizeOf(
  itemIds: readonly string[],
  named: Uint8Array,
  items: readonly { readonly itemId: string }[],
): number {
  const ids = new Set<string>(items.map((i) => i.itemId));
  named.forEach((n, i) => {
    if (n === 1) ids.add(itemIds[i] as string);
  });
  return ids.size;
}
