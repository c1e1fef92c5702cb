import {
  IdIndex,
  ingestColumns,
  ingestInteractions,
  type Sequences,
  SequencesBuilder,
} from '../../../lambdas/engine/dataset';
import { frameHeader, readFrame } from '../../../lambdas/engine/framing';
import { shardOfUser } from '../../../lambdas/engine/hash';
import { encodeHistoryTails, HistoryTailsBuilder } from '../../../lambdas/engine/history-tails';
import {
  decodeSnapshot,
  encodeSnapshot,
  type InteractionColumns,
  interactionRows,
  openSnapshot,
  SnapshotBuilder,
  type TrainingSnapshot,
} from '../../../lambdas/engine/snapshot';
import {
  catalogSize,
  catalogSizeOfColumns,
  holdOutTruthRows,
  holdOutTruths,
  storedTestCases,
  trainingRowsOf,
} from '../../../lambdas/engine/split';
import { generateSynthetic, SYNTHETIC_PRESETS } from '../../../lambdas/engine/synthetic';
import { train } from '../../../lambdas/engine/train';
import type { Interaction } from '../../../lambdas/engine/types';
import { ColumnFacts, updateModel } from '../../../lambdas/engine/update';

const build = (interactions: readonly Interaction[]) => {
  const builder = new SnapshotBuilder();
  for (const x of interactions) builder.add(x);
  return builder.finish();
};

/** Encodes into one buffer placed at `shift` bytes into a larger one, so unaligned reads are exercised too. */
function roundTrip(snapshot: TrainingSnapshot, shift = 0): TrainingSnapshot {
  const bytes = Buffer.concat(encodeSnapshot(snapshot));
  const host = new Uint8Array(bytes.length + shift);
  host.set(bytes, shift);
  return decodeSnapshot(host.subarray(shift));
}

/** Interactions sorted the way the snapshot promises: by user in order of first appearance, then by time, stably. */
function reference(interactions: readonly Interaction[]): Interaction[] {
  const firstSeen = new Map<string, number>();
  for (const x of interactions) if (!firstSeen.has(x.userId)) firstSeen.set(x.userId, firstSeen.size);
  return interactions
    .map((x, i) => ({ x, i }))
    .sort(
      (a, b) =>
        (firstSeen.get(a.x.userId) as number) - (firstSeen.get(b.x.userId) as number) ||
        a.x.timestamp - b.x.timestamp ||
        a.i - b.i,
    )
    .map(({ x }) => x);
}

const mixed: Interaction[] = [
  {
    userId: 'ユーザー',
    itemId: 'café',
    timestamp: 30,
    eventType: 'click',
    eventValue: 2.5,
    context: { DEVICE: ['tv'] },
  },
  { userId: 'b', itemId: 'y', timestamp: 5 },
  {
    userId: 'ユーザー',
    itemId: '🎬',
    timestamp: 10,
    eventType: 'watch',
    impression: ['🎬', 'café', 'z'],
    context: { DEVICE: ['phone', 'tv'], CITY: ['Zürich=Nord'] },
  },
  { userId: 'ユーザー', itemId: 'z', timestamp: 30, eventType: 'click' },
  { userId: 'b', itemId: 'z', timestamp: 4.5, eventType: 'click', eventValue: -1 },
  { userId: 'ユーザー', itemId: 'café', timestamp: 20 },
];

describe('training snapshot format', () => {
  it('round-trips ids, times, types, values, impressions, contexts and metadata', () => {
    const snapshot: TrainingSnapshot = {
      columns: build(mixed),
      items: [
        { itemId: 'café', categorical: { GENRE: ['a', 'b'] }, numeric: { PRICE: 3 }, text: 'naïve ☕' },
      ],
      users: [{ userId: 'ユーザー', categorical: { TIER: ['gold'] } }],
    };
    for (const shift of [0, 1, 4]) {
      const back = roundTrip(snapshot, shift);
      expect(back.items).toEqual(snapshot.items);
      expect(back.users).toEqual(snapshot.users);
      expect([...interactionRows(back.columns)]).toEqual(reference(mixed));
      // A fractional timestamp keeps the times in Float64.
      expect(back.columns.time).toBeInstanceOf(Float64Array);
    }
  });

  it('stores whole-second times as Int32 and leaves out absent value, impression and context columns', () => {
    const plain = mixed.map(({ userId, itemId, timestamp, eventType }) => ({
      userId,
      itemId,
      timestamp: Math.round(timestamp),
      ...(eventType === undefined ? {} : { eventType }),
    }));
    const columns = roundTrip({ columns: build(plain), items: [], users: [] }).columns;
    expect(columns.time).toBeInstanceOf(Int32Array);
    expect(columns.value).toBeUndefined();
    expect(columns.impressionOffsets).toBeUndefined();
    expect(columns.contextOffsets).toBeUndefined();
    expect([...interactionRows(columns)]).toEqual(reference(plain));
  });

  describe('user shards', () => {
    // 60 users, each with a few events, some with values, impressions, context and fractional times.
    const many: Interaction[] = [];
    for (let k = 0; k < 400; k++) {
      const userId = `u${(k * 7) % 60}`;
      many.push({
        userId,
        itemId: `i${(k * 13) % 37}`,
        timestamp: 1000 - k + (k % 5 === 0 ? 0.5 : 0),
        ...(k % 3 === 0 ? { eventType: k % 2 ? 'click' : 'buy' } : {}),
        ...(k % 4 === 0 ? { eventValue: k / 7 } : {}),
        ...(k % 6 === 0 ? { impression: [`i${k % 37}`, `i${(k + 1) % 37}`] } : {}),
        ...(k % 5 === 1 ? { context: { DEVICE: [k % 2 ? 'tv' : 'phone'] } } : {}),
      });
    }
    // An item of the Items dataset that no interaction names counts in the catalog.
    const items = [{ itemId: 'i5' }, { itemId: 'unseen' }];
    const users = Array.from({ length: 60 }, (_, u) => ({
      userId: `u${u}`,
      categorical: { TIER: [`t${u % 3}`] },
    }));
    const sharded = (shards: number): Uint8Array => {
      const builder = new SnapshotBuilder();
      for (const x of many) builder.add(x);
      return Buffer.concat(encodeSnapshot({ columns: builder.finish(shards), items, users, shards }));
    };
    /** A reader over the bytes that counts what it was asked for. */
    const reader = (bytes: Uint8Array) => {
      const read = { bytes: 0 };
      const at = (start: number, end: number) => {
        read.bytes += end - start;
        return Promise.resolve(bytes.slice(start, end));
      };
      return { read, at };
    };

    it('groups users by shard, and each shard reads back its own users by byte ranges only', async () => {
      const bytes = sharded(3);
      const whole = decodeSnapshot(bytes);
      expect(whole.shards).toBe(3);
      const shardOf = (x: Interaction) => shardOfUser(x.userId, 3);
      const grouped = reference(many).sort((a, b) => shardOf(a) - shardOf(b));
      expect([...interactionRows(whole.columns)]).toEqual(grouped);
      let sizes = 0;
      for (let shard = 0; shard < 3; shard++) {
        const { read, at } = reader(bytes);
        const part = await (await openSnapshot(at)).shard(shard);
        const mine = grouped.filter((x) => shardOf(x) === shard);
        expect(mine.length).toBeGreaterThan(50);
        expect(part.shards).toBe(3);
        expect([...interactionRows(part.columns)]).toEqual(mine);
        expect(part.columns.itemIds).toEqual(whole.columns.itemIds);
        expect(part.users.map((u) => u.userId).sort()).toEqual(
          [...new Set(mine.map((x) => x.userId))].sort(),
        );
        // The header and this shard's slices: less than the whole object.
        expect(read.bytes).toBeLessThan(bytes.length);
        sizes += read.bytes;
      }
      // Each shard read the header, and the shards' slices together are the arrays.
      const { dataStart } = readFrame(bytes, 0x5350504f, 'training snapshot');
      expect(sizes).toBeGreaterThan(bytes.length - dataStart);
      await expect((await openSnapshot(reader(bytes).at)).shard(3)).rejects.toThrow(/no shard 3 of 3/);
    });

    it("gives the metrics' test cases and catalog size of the whole snapshot, reading one shard at a time", async () => {
      const bytes = sharded(3);
      const whole = decodeSnapshot(bytes);
      const options = { seed: 3, maxUsers: 4, sampleSeed: 5 };
      const { read, at } = reader(bytes);
      const { test, catalogSize } = await storedTestCases(await openSnapshot(at), options);
      const attributes = new Map(users.map((u) => [u.userId, u.categorical]));
      const expected = holdOutTruthRows(whole.columns, options).test.map((t) => ({
        ...t,
        userAttributes: attributes.get(t.userId),
      }));
      expect(test).toHaveLength(4);
      expect(test).toEqual(expected);
      expect(catalogSize).toBe(catalogSizeOfColumns(whole.columns, ['i5', 'unseen']));
      expect(catalogSize).toBe(38);
      // The header twice (its length, then it) and every array once.
      expect(read.bytes).toBeLessThan(bytes.length + 8 + readFrame(bytes, 0x5350504f, 'x').dataStart);
    });

    it('ingests the shards one at a time into the sequences of the whole', async () => {
      const bytes = sharded(3);
      const whole = decodeSnapshot(bytes).columns;
      const options = { seed: 3, maxUsers: 4, sampleSeed: 5 };
      const split = holdOutTruthRows(whole, options);
      const catalog = () => {
        const items = new IdIndex();
        for (const id of ['unseen', 'i5']) items.intern(id);
        return items;
      };
      const stored = await openSnapshot(reader(bytes).at);
      const heldOut = new Set(split.test.map((t) => t.userId));
      for (const filter of [{}, { eventType: 'click' }, { eventValueThreshold: 10 }]) {
        const expected = ingestColumns(whole, filter, catalog(), split.keep);
        const builder = new SequencesBuilder(filter, whole.item.length);
        for (let shard = 0; shard < stored.shards; shard++) {
          const part = (await stored.shard(shard)).columns;
          builder.add(part, trainingRowsOf(part, heldOut));
        }
        const streamed = builder.finish(catalog());
        expect(streamed.itemSeq.length).toBeGreaterThan(10);
        expect(streamed).toEqual(expected);
        expect(streamed.context?.ids.length).toBe(expected.context?.ids.length);
      }
      expect(() => new SequencesBuilder({}).add(build(mixed))).not.toThrow();
      const mismatched = new SequencesBuilder({});
      mismatched.add(whole);
      expect(() => mismatched.add(build(mixed))).toThrow(/not of one snapshot/);
    });

    it('writes the history tails of the whole from its shards, in two passes over them', async () => {
      const bytes = sharded(3);
      const whole = decodeSnapshot(bytes).columns;
      const stored = await openSnapshot(reader(bytes).at);
      const parts = await Promise.all([0, 1, 2].map(async (s) => (await stored.shard(s)).columns));
      for (const tail of [1, 3, 100]) {
        const builder = new HistoryTailsBuilder(tail);
        for (const part of parts) builder.scan(part);
        for (const part of parts) builder.fill(part);
        expect(Buffer.concat(builder.chunks()).equals(Buffer.concat(encodeHistoryTails(whole, tail)))).toBe(
          true,
        );
      }
      const reordered = new HistoryTailsBuilder(3);
      for (const part of parts) reordered.scan(part);
      expect(() => reordered.fill(parts[1] as InteractionColumns)).toThrow(/another order/);
      const unfinished = new HistoryTailsBuilder(3);
      for (const part of parts) unfinished.scan(part);
      unfinished.fill(parts[0] as InteractionColumns);
      expect(() => unfinished.chunks()).toThrow(/Filled/);
    });

    it('refuses to encode users that are not grouped by shard', () => {
      const builder = new SnapshotBuilder();
      for (const x of many) builder.add(x);
      expect(() => encodeSnapshot({ columns: builder.finish(1), items: [], users: [], shards: 3 })).toThrow(
        /not grouped into 3 shards/,
      );
    });

    it('reads a version 2 snapshot, which has no shards, as one shard', async () => {
      const bytes = sharded(1);
      const frame = readFrame(bytes, 0x5350504f, 'training snapshot');
      const { shardUsers, ...header } = frame.header as { shardUsers: number[]; version: number };
      expect(shardUsers).toEqual([0, 60]);
      const v2 = Buffer.concat([
        frameHeader(0x5350504f, { ...header, version: 2 }),
        bytes.subarray(frame.dataStart),
      ]);
      const back = decodeSnapshot(v2);
      expect(back.shards).toBe(1);
      const part = await (await openSnapshot(reader(v2).at)).shard(0);
      expect([...interactionRows(part.columns)]).toEqual([...interactionRows(back.columns)]);
      expect([...interactionRows(back.columns)]).toEqual(reference(many));
    });
  });

  it('keeps values, impressions and contexts that first appear late, and earlier rows without them', () => {
    // 3,000 plain rows (more than a column's first 1,024) before the first value, impression and context.
    const late: Interaction[] = Array.from({ length: 3000 }, (_, k) => ({
      userId: `u${k % 37}`,
      itemId: `i${k % 11}`,
      timestamp: k,
    }));
    late.push(
      { userId: 'u1', itemId: 'i1', timestamp: 5000, eventValue: 3 },
      { userId: 'u2', itemId: 'i2', timestamp: 5001, impression: ['i3', 'i4'] },
      { userId: 'u3', itemId: 'i3', timestamp: 5002, context: { DEVICE: ['tv'] } },
      { userId: 'u1', itemId: 'i5', timestamp: 5003 },
    );
    const back = roundTrip({ columns: build(late), items: [], users: [] }).columns;
    expect(back.value).toBeDefined();
    expect(back.impressionOffsets).toBeDefined();
    expect(back.contextOffsets).toBeDefined();
    expect([...interactionRows(back)]).toEqual(reference(late));
  });

  it('round-trips an empty snapshot', () => {
    const back = roundTrip({ columns: build([]), items: [], users: [] });
    expect(back.columns.userIds).toEqual([]);
    expect(Array.from(back.columns.userOffsets)).toEqual([0]);
    expect(back.columns.item).toHaveLength(0);
    expect([...interactionRows(back.columns)]).toEqual([]);
  });

  it('refuses bytes that are not a whole snapshot', () => {
    const bytes = Buffer.concat(encodeSnapshot({ columns: build(mixed), items: [], users: [] }));
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    expect(() => decodeSnapshot(new Uint8Array(16))).toThrow(/not a training snapshot/);
  });
});

/** 30 users with 1–30 events each, timestamps written out of order and with ties, two event types. */
function sequences(): Interaction[] {
  const out: Interaction[] = [];
  for (let k = 0; k < 30; k++) {
    for (let u = 0; u < 30; u++) {
      if (k > u) continue;
      out.push({
        userId: `u${(u * 7) % 30}`,
        itemId: `i${(u * 3 + k * 5) % 41}`,
        timestamp: 1000 + ((k * 13) % 30) - (k % 4 === 0 ? 1 : 0),
        eventType: k % 3 === 0 ? 'buy' : 'click',
        ...(k % 4 === 1 ? { context: { DEVICE: [k % 8 === 1 ? 'tv' : 'phone'] } } : {}),
      });
    }
  }
  return out;
}

describe('engine entry from columns', () => {
  const interactions = sequences();
  const columns = build(interactions);
  const options = { seed: 5, testUserFraction: 0.5, maxUsers: 6, sampleSeed: 7 };

  it('holds out the same test users and truths as the split over interactions', () => {
    const fromObjects = holdOutTruths(interactions, options);
    const fromColumns = holdOutTruthRows(columns, options);
    expect(fromColumns.test).toEqual(
      fromObjects.test.map(({ userId, history, historyEventTypes, truth, context }) => ({
        userId,
        history,
        historyEventTypes,
        truth,
        ...(context === undefined ? {} : { context }),
      })),
    );
    expect(fromColumns.test).toHaveLength(6);
    // A request for a test user carries the context of its first truth event.
    expect(fromColumns.test.filter((t) => t.context !== undefined).length).toBeGreaterThan(0);
    const kept = [...interactionRows(columns, (r) => fromColumns.keep[r] === 1)];
    expect(kept).toHaveLength(fromObjects.train.length);
    expect(kept).toEqual(reference(fromObjects.train));
  });

  it('builds the same sequences as ingesting the interactions in snapshot order', async () => {
    const filter = { eventType: 'click' };
    const expected = await ingestInteractions(reference(interactions), filter);
    const actual = ingestColumns(columns, filter);
    expect(actual.users.ids).toEqual(expected.users.ids);
    expect(new Set(actual.items.ids)).toEqual(new Set(expected.items.ids));
    const names = (s: typeof actual) => (p: number) => s.items.ids[s.itemSeq[p] as number];
    expect(Array.from(actual.userOffsets)).toEqual(Array.from(expected.userOffsets));
    expect(Array.from(actual.itemSeq, (_, p) => names(actual)(p))).toEqual(
      Array.from(expected.itemSeq, (_, p) => names(expected)(p)),
    );
    expect(actual.latestTimestamp).toBe(expected.latestTimestamp);
    expect(actual.eventTypes.ids).toEqual(['click']);
    // The same context tokens at every position.
    const contexts = (s: typeof actual) =>
      Array.from(s.itemSeq, (_, p) => {
        const c = s.context;
        if (c === undefined) return [];
        return Array.from(c.ids.subarray(c.offsets[p], c.offsets[p + 1]), (id) => c.tokens[id]);
      });
    expect(contexts(actual)).toEqual(contexts(expected));
    expect(contexts(actual).flat()).toContain('DEVICE=tv');
  });

  it('counts the catalog like the interactions do', () => {
    expect(catalogSizeOfColumns(columns, ['extra', 'i1'])).toBe(catalogSize(interactions, ['extra', 'i1']));
  });
});

describe('training from columns', () => {
  it('gives the engine the same sequences as the interactions less the truths, so the same model', async () => {
    const data = generateSynthetic({ ...SYNTHETIC_PRESETS.tiny, seed: 2 });
    // A log in time order, users interleaved, as an import usually is.
    const interactions = [...data.interactions].sort((a, b) => a.timestamp - b.timestamp);
    const split = { seed: 7, maxUsers: 30, sampleSeed: 7 };
    const objects = holdOutTruths(interactions, split);
    const columns = build(interactions);
    const rows = holdOutTruthRows(columns, split);
    // The engine interns the Items data's ids first.
    const catalog = () => {
      const items = new IdIndex();
      for (const item of data.items) items.intern(item.itemId);
      return items;
    };
    const expected = await ingestInteractions(objects.train, {}, catalog());
    const actual = ingestColumns(columns, {}, catalog(), rows.keep);
    const plain = (s: Sequences) => ({
      ...s,
      users: s.users.ids,
      items: s.items.ids,
      eventTypes: s.eventTypes.ids,
      userOffsets: Array.from(s.userOffsets),
      itemSeq: Array.from(s.itemSeq),
      typeSeq: Array.from(s.typeSeq),
      itemCounts: Array.from(s.itemCounts),
      itemFirstSeen: Array.from(s.itemFirstSeen),
    });
    expect(actual.itemSeq.length).toBeLessThan(interactions.length);
    expect(plain(actual)).toEqual(plain(expected));
  });

  it("trains the same model from a stored snapshot's shards, one at a time, as from its columns", async () => {
    const data = generateSynthetic({ ...SYNTHETIC_PRESETS.tiny, seed: 4 });
    const builder = new SnapshotBuilder();
    for (const x of data.interactions) builder.add(x);
    const bytes = Buffer.concat(
      encodeSnapshot({ columns: builder.finish(3), items: data.items, users: [], shards: 3 }),
    );
    const whole = decodeSnapshot(bytes).columns;
    const split = holdOutTruthRows(whole, { seed: 7, maxUsers: 30, sampleSeed: 7 });
    const heldOut = new Set(split.test.map((t) => t.userId));
    const stored = await openSnapshot((start, end) => Promise.resolve(bytes.subarray(start, end)));
    const facts = new ColumnFacts();
    async function* parts() {
      for (let shard = 0; shard < stored.shards; shard++) {
        const { columns } = await stored.shard(shard);
        facts.add(columns);
        yield { data: columns, keep: trainingRowsOf(columns, heldOut) };
      }
    }
    const options = { hyperParameters: { hiddenDimension: 32 }, seed: 5, workers: 1 };
    const fromColumns = await train(
      { columns: { data: whole, keep: split.keep }, items: data.items },
      options,
    );
    const fromParts = await train(
      { parts: { rows: stored.interactions, each: parts() }, items: data.items },
      options,
    );
    const bytesOf = (m: { serialize(): Uint8Array }) => Buffer.from(m.serialize());
    expect(bytesOf(fromParts).equals(bytesOf(fromColumns))).toBe(true);
    // The served model takes in every row the same way from the parts' facts as from the whole columns.
    const a = await updateModel(fromColumns, { columns: whole, items: data.items });
    const b = await updateModel(fromColumns, { columnFacts: facts, items: data.items });
    expect(b.interactions).toBe(whole.item.length);
    expect(bytesOf(b.model).equals(bytesOf(a.model))).toBe(true);
  });
});
