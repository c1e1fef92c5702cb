import { logger } from '../../../lambdas/observability';
import { BatchedWrites, DeferredWrites } from '../../../lambdas/services/deferred-writes';

/** A batch writer whose calls the test completes by hand. */
function harness(maxBatch = 3) {
  const writes = new DeferredWrites();
  const calls: { items: string[]; finish: (err?: Error) => void }[] = [];
  const batched = new BatchedWrites<string>(
    writes,
    (items) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ items, finish: (err) => (err === undefined ? resolve() : reject(err)) });
      }),
    maxBatch,
  );
  return { writes, calls, batched };
}

const turn = () => new Promise((r) => setImmediate(r));

afterEach(() => jest.restoreAllMocks());

describe('BatchedWrites', () => {
  it('writes an item at once when no call is in flight', () => {
    const { writes, calls, batched } = harness();
    batched.add('a', 'A');
    expect(calls.map((c) => c.items)).toEqual([['A']]);
    expect(writes.inFlight).toBe(1);
  });

  it('gathers what comes while a call is in flight into the next call, and sends a full batch at once', async () => {
    const { calls, batched } = harness(3);
    batched.add('a', 'A');
    batched.add('b', 'B');
    batched.add('c', 'C');
    expect(calls.map((c) => c.items)).toEqual([['A']]);
    batched.add('d', 'D');
    expect(calls.map((c) => c.items)).toEqual([['A'], ['B', 'C', 'D']]);
    batched.add('e', 'E');
    calls[0]?.finish();
    await turn();
    // The full batch is still in flight: E waits for it.
    expect(calls).toHaveLength(2);
    calls[1]?.finish();
    await turn();
    expect(calls.map((c) => c.items)).toEqual([['A'], ['B', 'C', 'D'], ['E']]);
  });

  it('settles each key once its own call has settled, a failed call logged with its keys', async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const { writes, calls, batched } = harness();
    batched.add('a', 'A');
    batched.add('b', 'B');
    const settled: string[] = [];
    void writes.settle('a').then(() => settled.push('a'));
    void writes.settle('b').then(() => settled.push('b'));
    calls[0]?.finish(new Error('throttled'));
    await turn();
    expect(settled).toEqual(['a']);
    expect(error).toHaveBeenCalledWith('Deferred write failed', expect.objectContaining({ keys: ['a'] }));
    expect(calls.map((c) => c.items)).toEqual([['A'], ['B']]);
    calls[1]?.finish();
    await writes.settled();
    expect(settled).toEqual(['a', 'b']);
    expect(writes.inFlight).toBe(0);
  });
});
