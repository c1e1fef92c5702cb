import {
  DEFAULT_SERVING_CAPACITY,
  servingBytes,
  servingCapacityFromContext,
  servingMemoryMb,
} from '../../lib/serving-memory';

describe('servingMemoryMb', () => {
  it('follows the formula: per item 8d + d rounded to 8 + 520 bytes, per event 4, per user 96', () => {
    // 750,000 × (8·149 + 152 + 520) = 1,398,000,000 B = 1,333.2 MiB; 192 + 1.25 × that = 1,858.6 → 1,920 MB.
    const catalog = { items: 750_000, hiddenDimension: 149, historyEvents: 0, users: 0 };
    expect(servingBytes(catalog)).toBe(1_398_000_000);
    expect(servingMemoryMb(catalog)).toBe(1920);
    // The defaults: 100,000 × (2,048 + 256 + 520) + 4 × 20M + 96 × 1M = 458,400,000 B = 437.2 MiB → 738.5 → 768.
    expect(servingBytes(DEFAULT_SERVING_CAPACITY)).toBe(458_400_000);
    expect(servingMemoryMb(DEFAULT_SERVING_CAPACITY)).toBe(768);
  });

  it('gives a 750k-item model more than the 1,157 MiB it was measured to add to a process', () => {
    const mb = servingMemoryMb({ items: 750_000, hiddenDimension: 149, historyEvents: 0, users: 0 });
    expect(mb - 192).toBeGreaterThan(1157);
  });

  it('never goes below 512 MB, and refuses a catalog Lambda cannot hold', () => {
    expect(servingMemoryMb({ items: 10, hiddenDimension: 32, historyEvents: 0, users: 0 })).toBe(512);
    expect(() =>
      servingMemoryMb({ items: 3_000_000, hiddenDimension: 256, historyEvents: 0, users: 0 }),
    ).toThrow(/more than Lambda's 10240 MB/);
    expect(() => servingMemoryMb({ ...DEFAULT_SERVING_CAPACITY, items: -1 })).toThrow(/non-negative/);
  });

  it('reads the capacity from the CDK context, with defaults and typed errors', () => {
    const context: Record<string, unknown> = { servingItems: '750000', servingHiddenDimension: 149 };
    expect(servingCapacityFromContext((key) => context[key])).toEqual({
      ...DEFAULT_SERVING_CAPACITY,
      items: 750_000,
      hiddenDimension: 149,
    });
    expect(() => servingCapacityFromContext((key) => (key === 'servingUsers' ? 'many' : undefined))).toThrow(
      /context servingUsers must be a non-negative integer/,
    );
  });
});
