import { createHash } from 'node:crypto';
import type { Interaction, ItemMeta } from '../../../lambdas/engine/types';
import { DataFingerprint } from '../../../lambdas/services/data-fingerprint';

describe('DataFingerprint', () => {
  it('is the SHA-256 of the records in reading order, however many are batched into one hash update', () => {
    // About 250k characters of records: several batches, and a partial one at the end.
    const interactions: Interaction[] = Array.from({ length: 6001 }, (_, i) => ({
      userId: `user-${i % 97}`,
      itemId: `item-${(i * 7919) % 1009}`,
      timestamp: 1_700_000_000 + i,
      ...(i % 5 === 0 ? { impression: [`item-${i % 13}`, 'é-ü'] } : {}),
    }));
    const items: ItemMeta[] = [{ itemId: 'item-1', categorical: { genre: ['a'] } }, { itemId: 'item-2' }];
    const fingerprint = new DataFingerprint();
    for (const x of interactions) fingerprint.interaction(x);
    fingerprint.startItems();
    for (const item of items) fingerprint.item(item);

    const expected = createHash('sha256');
    for (const x of interactions)
      expected.update(JSON.stringify([x.userId, x.itemId, x.timestamp, x.impression ?? null]));
    expected.update('\u0000items');
    for (const item of items) expected.update(JSON.stringify(item));
    expect(fingerprint.digest()).toBe(expected.digest('hex'));
  });

  it('tells data apart that differs in one record or in where the Items part starts', () => {
    const x: Interaction = { userId: 'u', itemId: 'i', timestamp: 1 };
    const digestOf = (xs: Interaction[], items: ItemMeta[]): string => {
      const f = new DataFingerprint();
      for (const y of xs) f.interaction(y);
      f.startItems();
      for (const item of items) f.item(item);
      return f.digest();
    };
    const base = digestOf([x, x], [{ itemId: 'i' }]);
    expect(digestOf([x, { ...x, timestamp: 2 }], [{ itemId: 'i' }])).not.toBe(base);
    expect(digestOf([x], [{ itemId: 'i' }])).not.toBe(base);
    expect(digestOf([x, x], [])).not.toBe(base);
  });
});
