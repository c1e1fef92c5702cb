import { parseThroughputArgs, percentile, runLoops, samplesAt, take } from '../../../bench/lib/throughput';

describe('percentile (nearest rank)', () => {
  const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);

  it('picks the smallest value at or above p % of the values', () => {
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([3, 7, 9], 50)).toBe(7);
    expect(percentile([3, 7, 9], 99)).toBe(9);
  });

  it('is NaN for no values', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('take', () => {
  it('stops reading the source after n values', () => {
    let pulled = 0;
    function* endless() {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    expect([...take(endless(), 3)]).toEqual([0, 1, 2]);
    expect(pulled).toBe(3);
    expect([...take([1, 2], 5)]).toEqual([1, 2]);
    expect([...take([1, 2], 0)]).toEqual([]);
  });
});

describe('runLoops', () => {
  it('runs every index once with at most `concurrency` calls in flight', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await runLoops(50, 4, async (i) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, i % 3));
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(maxInFlight).toBe(4);
    expect(result.calls).toBe(50);
    expect(result.latenciesMs).toHaveLength(50);
    const l = Array.from(result.latenciesMs);
    expect(l).toEqual([...l].sort((a, b) => a - b));
    expect(result.seconds).toBeGreaterThan(0);
  });

  it('stops every loop at the first failure and rethrows it', async () => {
    let started = 0;
    await expect(
      runLoops(1000, 2, async (i) => {
        started++;
        await new Promise((r) => setTimeout(r, 1));
        if (i === 5) throw new Error('call 5 failed');
      }),
    ).rejects.toThrow('call 5 failed');
    expect(started).toBeLessThan(10);
  });
});

describe('samplesAt', () => {
  it('returns the samples nearest to fractions of the span', () => {
    const samples = [0, 100, 200, 300, 400].map((atMs, i) => ({ atMs, rssMiB: 10 * i, heapUsedMiB: i }));
    expect(samplesAt(samples, [0, 0.5, 0.74, 1]).map((s) => s.rssMiB)).toEqual([0, 20, 30, 40]);
    expect(samplesAt([], [0.5])).toEqual([]);
  });
});

describe('parseThroughputArgs', () => {
  it('defaults to the figures the foundation reports', () => {
    expect(parseThroughputArgs(['import'])).toMatchObject({ command: 'import', rows: 1_000_000, seed: 1 });
    expect(parseThroughputArgs(['put-events'])).toMatchObject({
      command: 'put-events',
      events: 100_000,
      batch: 10,
      concurrency: [1, 16],
    });
  });

  it('reads sizes, lists and targets', () => {
    expect(
      parseThroughputArgs(['put-events', '--events', '100_000', '--concurrency', '2,8,32', '--batch', '5']),
    ).toMatchObject({ events: 100_000, concurrency: [2, 8, 32], batch: 5 });
    expect(
      parseThroughputArgs(['import', '--rows', '5000', '--endpoint', 'http://127.0.0.1:8080']),
    ).toMatchObject({ rows: 5000, endpoint: 'http://127.0.0.1:8080' });
    expect(parseThroughputArgs(['put-events']).workers).toBe(0);
    expect(parseThroughputArgs(['put-events', '--workers', '2']).workers).toBe(2);
  });

  it('refuses what Personalize or the runtime would refuse', () => {
    expect(() => parseThroughputArgs(['import', '--rows', '999'])).toThrow('--rows');
    expect(() => parseThroughputArgs(['put-events', '--batch', '11'])).toThrow('--batch');
    expect(() => parseThroughputArgs(['put-events', '--concurrency', '0'])).toThrow('--concurrency');
    expect(() => parseThroughputArgs(['import', '--in-memory', '--data-dir', 'd'])).toThrow('together');
    expect(() => parseThroughputArgs(['import', '--endpoint', 'http://h:1', '--data-dir', 'd'])).toThrow(
      '--endpoint',
    );
    expect(() => parseThroughputArgs(['put-events', '--workers', '1.5'])).toThrow('--workers');
    expect(() => parseThroughputArgs(['train'])).toThrow('usage');
    expect(() => parseThroughputArgs(['import', '--bogus'])).toThrow();
  });
});
