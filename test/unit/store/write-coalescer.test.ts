import { WriteCoalescer } from '../../../lambdas/store/write-coalescer';

interface Item {
  readonly key: string;
  readonly bad?: boolean;
}

/** A writer whose every call waits until the test releases it; a batch holding a bad item fails. */
function gatedWriter() {
  const calls: { items: Item[]; release: () => void }[] = [];
  const written: string[] = [];
  const write = (items: Item[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        items,
        release: () => {
          if (items.some((i) => i.bad)) {
            reject(new Error('ValidationException'));
            return;
          }
          written.push(...items.map((i) => i.key));
          resolve();
        },
      });
    });
  return { calls, written, write };
}

const items = (prefix: string, n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}` }));
const tick = () => new Promise((r) => setImmediate(r));

/** Whether a promise has settled by now. */
function watch(p: Promise<void>): { state: () => 'pending' | 'resolved' | 'rejected' } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  return { state: () => state };
}

describe('WriteCoalescer', () => {
  it('sends a lone caller at once, and the callers that arrive meanwhile together in full batches', async () => {
    const w = gatedWriter();
    const coalescer = new WriteCoalescer<Item>(w.write, (i) => i.key, 25);
    const first = watch(coalescer.put(items('a', 10)));
    expect(w.calls.map((c) => c.items.length)).toEqual([10]);
    const later = ['b', 'c', 'd'].map((p) => watch(coalescer.put(items(p, 10))));
    await tick();
    // Nothing more is sent while the first batch is in flight.
    expect(w.calls).toHaveLength(1);
    w.calls[0]?.release();
    await tick();
    expect(first.state()).toBe('resolved');
    expect(w.calls.slice(1).map((c) => c.items.length)).toEqual([25, 5]);
    // d spans both batches: settled only once both are written.
    w.calls[1]?.release();
    await tick();
    expect(later.map((l) => l.state())).toEqual(['resolved', 'resolved', 'pending']);
    w.calls[2]?.release();
    await tick();
    expect(later.map((l) => l.state())).toEqual(['resolved', 'resolved', 'resolved']);
    expect(new Set(w.written).size).toBe(40);
  });

  it('never names a key twice in one batch', async () => {
    const w = gatedWriter();
    const coalescer = new WriteCoalescer<Item>(w.write, (i) => i.key, 25);
    void coalescer.put(items('x', 1));
    const twice = [
      coalescer.put([{ key: 'k1' }, { key: 'k2' }]),
      coalescer.put([{ key: 'k2' }, { key: 'k3' }]),
    ];
    w.calls[0]?.release();
    await tick();
    expect(w.calls.slice(1).map((c) => c.items.map((i) => i.key))).toEqual([
      ['k1', 'k2'],
      ['k2', 'k3'],
    ]);
    for (const c of w.calls.slice(1)) c.release();
    await Promise.all(twice);
  });

  it("fails only the caller whose item made a shared batch fail; the others' items are written", async () => {
    const w = gatedWriter();
    const coalescer = new WriteCoalescer<Item>(w.write, (i) => i.key, 25);
    void coalescer.put(items('x', 1));
    const good = coalescer.put(items('g', 5));
    const bad = coalescer.put([{ key: 'b0' }, { key: 'b1', bad: true }]);
    const alsoGood = coalescer.put(items('h', 5));
    w.calls[0]?.release();
    await tick();
    expect(w.calls).toHaveLength(2);
    w.calls[1]?.release();
    await tick();
    // Each caller's items again on their own.
    expect(w.calls.slice(2).map((c) => c.items.map((i) => i.key[0]))).toEqual([
      ['g', 'g', 'g', 'g', 'g'],
      ['b', 'b'],
      ['h', 'h', 'h', 'h', 'h'],
    ]);
    for (const c of w.calls.slice(2)) c.release();
    await expect(good).resolves.toBeUndefined();
    await expect(alsoGood).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('ValidationException');
    expect(w.written.filter((k) => k.startsWith('g') || k.startsWith('h'))).toHaveLength(10);
    expect(w.written.filter((k) => k.startsWith('b'))).toEqual([]);
  });

  it('lets lingering callers wait for company while nothing is in flight; a caller without linger sends at once', async () => {
    jest.useFakeTimers();
    try {
      const w = gatedWriter();
      const coalescer = new WriteCoalescer<Item>(w.write, (i) => i.key, 25);
      const a = watch(coalescer.put(items('a', 1), 10));
      const b = watch(coalescer.put(items('b', 2), 10));
      jest.advanceTimersByTime(9);
      expect(w.calls).toHaveLength(0);
      jest.advanceTimersByTime(1);
      expect(w.calls.map((c) => c.items.map((i) => i.key))).toEqual([['a0', 'b0', 'b1']]);
      // While that flush is in flight a lingering caller waits for it, not for its timer.
      const c = watch(coalescer.put(items('c', 1), 10));
      w.calls[0]?.release();
      await jest.advanceTimersByTimeAsync(0);
      expect(w.calls.map((call) => call.items.map((i) => i.key))).toEqual([['a0', 'b0', 'b1'], ['c0']]);
      w.calls[1]?.release();
      await jest.runAllTimersAsync();
      expect([a.state(), b.state(), c.state()]).toEqual(['resolved', 'resolved', 'resolved']);

      const d = watch(coalescer.put(items('d', 1), 10));
      const e = watch(coalescer.put(items('e', 1)));
      expect(w.calls.slice(2).map((call) => call.items.map((i) => i.key))).toEqual([['d0', 'e0']]);
      w.calls[2]?.release();
      await jest.runAllTimersAsync();
      expect(w.calls).toHaveLength(3);
      expect([d.state(), e.state()]).toEqual(['resolved', 'resolved']);
      expect(w.written).toEqual(['a0', 'b0', 'b1', 'c0', 'd0', 'e0']);
    } finally {
      jest.useRealTimers();
    }
  });
});
