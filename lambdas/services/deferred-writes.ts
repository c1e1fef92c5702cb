/**
 * Writes a response does not wait for: the `recommendationId` record of a GetRecommendations response is written
 * while the response is already on its way, where the process outlives the request (the local runtime). On Lambda
 * a sandbox is frozen once the handler returns, so there the write is awaited ({@link deferWrites}).
 *
 * A record is written alone (one PutItem) when no record write is in flight, else together with the others made
 * while that write completes (one BatchWriteItem, a few milliseconds later under load): {@link BatchedWrites}.
 *
 * What a crash loses: the records whose writes were queued or still in flight, i.e. those of the last few
 * milliseconds of responses. A later PutEvents naming such a `recommendationId` then records no implicit impression
 * list, and the list's exploration propensities are not kept; the response the caller got is unaffected. A failed
 * write is logged. In this process a reader of a record whose write is pending waits for it
 * ({@link DeferredWrites.settle}); another process (another `npm start` worker) reading it within those
 * milliseconds finds nothing yet, with the same consequence. Under load, a record that waited for a write in flight
 * may still be on its way when its caller already has the response.
 */
import { ENV, optionalEnv } from '../env';
import { logger } from '../observability';

export class DeferredWrites {
  private readonly pending = new Map<string, Promise<void>>();

  /** Counts `running` (which never rejects) as the write of `key` until it settles. */
  track(key: string, running: Promise<void>): void {
    this.pending.set(key, running);
    void running.finally(() => {
      if (this.pending.get(key) === running) this.pending.delete(key);
    });
  }

  /** Resolves once the write of `key` (if one is in flight) has settled. */
  async settle(key: string): Promise<void> {
    await this.pending.get(key);
  }

  /** Resolves once every write started so far has settled. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()]);
  }

  get inFlight(): number {
    return this.pending.size;
  }
}

/**
 * Deferred writes of one kind, several to a call when they come faster than the calls complete: an item added while
 * no call is in flight goes out at once, alone (so, as a single write would, it reaches the store before the
 * response that made it reaches its caller); items added while a call is in flight wait for it to end and then go
 * out together, in calls of at most `maxBatch` (a full batch goes at once). Under load each call thus carries more
 * items and each response costs the backing store less. Each item is tracked in {@link DeferredWrites} under its key
 * until its call has settled.
 */
export class BatchedWrites<T> {
  private queue: { key: string; item: T }[] = [];
  private waiting: (() => void)[] = [];
  private inFlight = 0;

  constructor(
    private readonly writes: DeferredWrites,
    /** Writes one batch; a failure is logged with the keys of the batch. */
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  add(key: string, item: T): void {
    this.queue.push({ key, item });
    this.writes.track(key, new Promise<void>((resolve) => this.waiting.push(resolve)));
    if (this.inFlight === 0 || this.queue.length >= this.maxBatch) this.flush();
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.maxBatch);
    const done = this.waiting.splice(0, batch.length);
    this.inFlight++;
    this.write(batch.map((b) => b.item))
      .catch((err: unknown) => {
        logger.error('Deferred write failed', { keys: batch.map((b) => b.key), error: err as Error });
      })
      .finally(() => {
        this.inFlight--;
        for (const resolve of done) resolve();
        if (this.queue.length > 0 && this.inFlight === 0) this.flush();
      });
  }
}

/** The process's deferred writes (the local runtime waits for them before it stops its emulators). */
export const deferredWrites = new DeferredWrites();

/** Whether this process may leave writes running after a response (set by the local runtime). */
export function deferWrites(): boolean {
  return optionalEnv(ENV.DEFER_RESPONSE_WRITES) === 'true';
}
