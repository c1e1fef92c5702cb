import { align8, frameHeader } from '../../../lambdas/engine/framing';
import { fnv1a } from '../../../lambdas/engine/hash';
import {
  decodeHistoryTails,
  encodeHistoryTails,
  type HistoryTail,
  historyTailsOf,
  isHistoryTails,
} from '../../../lambdas/engine/history-tails';
import { encodeSnapshot, SnapshotBuilder } from '../../../lambdas/engine/snapshot';
import type { Interaction } from '../../../lambdas/engine/types';

const joined = (chunks: readonly Uint8Array[]): Uint8Array => Buffer.concat(chunks);

interface Header {
  rows: number;
  arrays: { name: string; byteLength: number }[];
  [key: string]: unknown;
}

function headerOf(bytes: Uint8Array): { header: Header; dataStart: number } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8')) as Header;
  return { header, dataStart: align8(8 + length) };
}

/** The artifact with its header edited (same arrays). */
function reframed(bytes: Uint8Array, edit: (header: Header) => Header): Uint8Array {
  const { header, dataStart } = headerOf(bytes);
  const magic = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return joined([frameHeader(magic, edit(header)), bytes.subarray(dataStart)]);
}

const columnsOf = (interactions: readonly Interaction[]) => {
  const builder = new SnapshotBuilder();
  for (const x of interactions) builder.add(x);
  return builder.finish();
};

const artifactOf = (interactions: readonly Interaction[], tail: number) =>
  joined(encodeHistoryTails(columnsOf(interactions), tail));

/** The reference: each user's interactions sorted by time (stable, so ties keep source order), the last `tail`. */
function referenceTails(interactions: readonly Interaction[], tail: number): Map<string, HistoryTail> {
  const byUser = new Map<string, Interaction[]>();
  for (const x of interactions) {
    const mine = byUser.get(x.userId);
    if (mine === undefined) byUser.set(x.userId, [x]);
    else mine.push(x);
  }
  const tails = new Map<string, HistoryTail>();
  for (const [userId, mine] of byUser) {
    const last = mine.sort((a, b) => a.timestamp - b.timestamp).slice(-tail);
    tails.set(userId, {
      itemIds: last.map((x) => x.itemId),
      eventTypes: last.map((x) => x.eventType),
      lastTimestamp: last[last.length - 1]?.timestamp as number,
    });
  }
  return tails;
}

/** Deterministic pseudo-random interactions over `users` users and `items` items. */
function randomInteractions(
  count: number,
  users: number,
  items: number,
  types: readonly string[],
): Interaction[] {
  let s = 12345;
  const next = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  return Array.from({ length: count }, () => {
    const eventType = types.length === 0 ? undefined : types[next(types.length)];
    return {
      userId: `user-${next(users)}`,
      itemId: `item-${next(items)}`,
      timestamp: 1_700_000_000 + next(50),
      ...(eventType === undefined ? {} : { eventType }),
    };
  });
}

describe('history tails artifact', () => {
  it('keeps each user’s last items in time order, ties in source order, with their types and newest time', () => {
    const rows: Interaction[] = [
      { userId: 'a', itemId: 'x', timestamp: 30, eventType: 'click' },
      { userId: 'b', itemId: 'y', timestamp: 5 },
      { userId: 'a', itemId: 'y', timestamp: 10, eventType: 'watch' },
      { userId: 'a', itemId: 'z', timestamp: 30, eventType: 'click' },
      { userId: 'a', itemId: 'x', timestamp: 20, eventType: 'watch' },
      { userId: 'b', itemId: 'z', timestamp: 4, eventType: 'click' },
    ];
    const tails = decodeHistoryTails(artifactOf(rows, 3));
    expect([tails.size, tails.get('a'), tails.get('b'), tails.get('never')]).toEqual([
      2,
      { itemIds: ['x', 'x', 'z'], eventTypes: ['watch', 'click', 'click'], lastTimestamp: 30 },
      { itemIds: ['z', 'y'], eventTypes: ['click', undefined], lastTimestamp: 5 },
      undefined,
    ]);
  });

  it('finds every user of a large table and no absent one, matching the reference', () => {
    const rows = randomInteractions(10_000, 3000, 700, ['click', 'watch', 'buy']);
    const tails = decodeHistoryTails(artifactOf(rows, 5));
    const reference = referenceTails(rows, 5);
    expect(tails.size).toBe(reference.size);
    for (const [userId, tail] of reference) expect(tails.get(userId)).toEqual(tail);
    for (let u = 3000; u < 3500; u++) expect(tails.get(`user-${u}`)).toBeUndefined();
    expect(tails.get('')).toBeUndefined();
  });

  it('tells apart ids whose hashes are equal, and finds them whichever was written first', () => {
    // Two known FNV-1a (32-bit) collisions: same home slot whatever the table size.
    const pairs = [
      ['costarring', 'liquid'],
      ['declinate', 'macallums'],
    ] as const;
    for (const [p, q] of pairs) expect(fnv1a(p)).toBe(fnv1a(q));
    for (const order of [
      ['costarring', 'liquid', 'declinate', 'macallums'],
      ['macallums', 'liquid', 'declinate', 'costarring'],
    ]) {
      const rows = order.map((userId, i) => ({ userId, itemId: `i${i}`, timestamp: i }));
      const tails = decodeHistoryTails(artifactOf(rows, 4));
      for (const [i, userId] of order.entries()) expect(tails.get(userId)?.itemIds).toEqual([`i${i}`]);
      // An absent id with the same hash as present ones probes past them and is not found.
      expect(tails.get('altarage')).toBeUndefined();
    }
  });

  it('keeps ids with multi-byte UTF-8 characters apart', () => {
    const ids = ['José', 'Jose', '用户', '用戶', '😀', '😁', 'é', 'e\u0301'];
    const rows = ids.map((userId, i) => ({
      userId,
      itemId: `商品-${i}-😀`,
      timestamp: i,
      eventType: 'évènement',
    }));
    const tails = decodeHistoryTails(artifactOf(rows, 2));
    for (const [i, userId] of ids.entries()) {
      expect(tails.get(userId)).toEqual({
        itemIds: [`商品-${i}-😀`],
        eventTypes: ['évènement'],
        lastTimestamp: i,
      });
    }
    expect(tails.get('Jos')).toBeUndefined();
    expect(tails.get('😀😀')).toBeUndefined();
  });

  it('gives the same tails whatever the width of item indices and type codes', () => {
    const types = ['a', 'b', 'c'];
    // 70,000 distinct items, 100 for each of 700 users: item indices take 3 bytes.
    const distinct = Array.from({ length: 70_000 }, (_, i) => ({
      userId: `user-${i % 700}`,
      itemId: `item-${i}`,
      timestamp: i % 37,
      eventType: types[i % 3] as string,
    }));
    // Per row: item × type codes + type code, in the bytes that needs (types + 1 codes, or 1 when all rows agree).
    for (const [rows, tail, codes, rowBytes] of [
      [randomInteractions(1000, 100, 200, []), 7, 1, 1],
      [randomInteractions(1000, 100, 200, ['click']), 7, 1, 1],
      [randomInteractions(1000, 100, 200, ['a', 'b']), 7, 3, 2],
      [randomInteractions(5000, 500, 3000, ['a', 'b']), 7, 3, 2],
      [distinct, 100, 4, 3],
    ] as const) {
      const bytes = joined(encodeHistoryTails(columnsOf(rows), tail));
      const tails = decodeHistoryTails(bytes);
      const reference = referenceTails(rows, tail);
      for (const [userId, expected] of reference) expect(tails.get(userId)).toEqual(expected);
      const named = new Set([...reference.values()].flatMap((t) => t.itemIds)).size;
      expect(named * codes > 2 ** (8 * (rowBytes - 1)) && named * codes <= 2 ** (8 * rowBytes)).toBe(true);
      const { header } = headerOf(bytes);
      expect(header.arrays.find((x) => x.name === 'events')?.byteLength).toBe(header.rows * rowBytes);
    }
  });

  it('reads the artifact from unaligned bytes', () => {
    const rows = randomInteractions(500, 50, 40, ['click', 'watch']);
    const bytes = artifactOf(rows, 4);
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const tails = decodeHistoryTails(shifted);
    const reference = referenceTails(rows, 4);
    for (const [userId, tail] of reference) expect(tails.get(userId)).toEqual(tail);
  });

  it('stores a timestamp with a fraction of a second as it is', () => {
    const tails = decodeHistoryTails(artifactOf([{ userId: 'u', itemId: 'i', timestamp: 1.25 }], 1));
    expect(tails.get('u')?.lastTimestamp).toBe(1.25);
  });

  it('writes an empty artifact for no users', () => {
    const tails = decodeHistoryTails(artifactOf([], 3));
    expect([tails.size, tails.get('u')]).toEqual([0, undefined]);
  });

  it('rejects a snapshot, a truncated artifact and an inconsistent one', () => {
    const rows = randomInteractions(300, 30, 20, ['click']);
    const snapshot = joined(encodeSnapshot({ columns: columnsOf(rows), items: [], users: [] }));
    const bytes = artifactOf(rows, 4);
    expect([isHistoryTails(bytes), isHistoryTails(snapshot)]).toEqual([true, false]);
    expect(() => decodeHistoryTails(snapshot)).toThrow('not a history tails artifact');
    expect(() => decodeHistoryTails(bytes.subarray(0, bytes.length - 20))).toThrow('truncated');
    const bad = reframed(bytes, (header) => ({ ...header, rows: header.rows + 1 }));
    expect(() => decodeHistoryTails(bad)).toThrow('inconsistent');
    const v2 = reframed(bytes, (header) => ({ ...header, version: 2 }));
    expect(() => decodeHistoryTails(v2)).toThrow('unsupported history tails format');
  });

  it('converts a training snapshot to the same tails as the artifact written from it', () => {
    const rows = randomInteractions(2000, 200, 100, ['click', 'watch']);
    const columns = columnsOf(rows);
    const converted = historyTailsOf(columns, 6);
    const written = decodeHistoryTails(joined(encodeHistoryTails(columns, 6)));
    for (let u = 0; u < 220; u++) expect(converted.get(`user-${u}`)).toEqual(written.get(`user-${u}`));
    expect(converted.size).toBe(written.size);
  });
});
