import { TtlCache } from '../../../lambdas/services/ttl-cache';

function clock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TtlCache', () => {
  it('reuses a value until ttl after its load settled, then loads again', async () => {
    const c = clock();
    const cache = new TtlCache<string, number>(100, 10, c.now);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    c.advance(99);
    expect(await cache.get('k', load)).toBe(1);
    c.advance(1);
    expect(await cache.get('k', load)).toBe(2);
  });

  it('keeps each value for the time its ttl function gives it', async () => {
    const c = clock();
    const cache = new TtlCache<string, number | undefined>((v) => (v === undefined ? 10 : 1_000), 10, c.now);
    let found: number | undefined;
    const load = async () => found;
    expect(await cache.get('k', load)).toBeUndefined();
    found = 5;
    c.advance(9);
    expect(await cache.get('k', load)).toBeUndefined();
    c.advance(1);
    expect(await cache.get('k', load)).toBe(5);
    found = 6;
    c.advance(999);
    expect(await cache.get('k', load)).toBe(5);
    cache.set('k', undefined);
    c.advance(10);
    expect(await cache.get('k', load)).toBe(6);
  });

  it('shares one load between concurrent gets and keeps no failed load', async () => {
    const cache = new TtlCache<string, number>(1_000);
    let loads = 0;
    let release: (v: number) => void = () => undefined;
    const slow = () => {
      loads++;
      return new Promise<number>((r) => {
        release = r;
      });
    };
    const both = Promise.all([cache.get('k', slow), cache.get('k', slow)]);
    release(7);
    expect(await both).toEqual([7, 7]);
    expect(loads).toBe(1);

    await expect(cache.get('bad', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('bad', async () => 3)).toBe(3);
  });

  it('does not keep values the caller refuses, and forgets deleted keys', async () => {
    const cache = new TtlCache<string, number | undefined>(1_000);
    let loads = 0;
    const missing = async () => {
      loads++;
      return undefined;
    };
    await cache.get('k', missing, (v) => v !== undefined);
    await cache.get('k', missing, (v) => v !== undefined);
    expect(loads).toBe(2);
    cache.set('k', 5);
    expect(await cache.get('k', missing)).toBe(5);
    cache.delete('k');
    expect(await cache.get('k', missing)).toBeUndefined();
  });

  it('drops the oldest entry beyond maxEntries', async () => {
    const cache = new TtlCache<number, number>(1_000, 2);
    let loads = 0;
    const load = async () => ++loads;
    await cache.get(1, load);
    await cache.get(2, load);
    await cache.get(3, load);
    expect(cache.size).toBe(2);
    expect(await cache.get(1, load)).toBe(4);
    expect(await cache.get(3, load)).toBe(3);
  });
});
