/**
 * Writes a response does not wait for: the `recommendationId` record of a GetRecommendations response is written
 * while the response is already on its way, where the process outlives the request (the local runtime). On Lambda
 * a sandbox is frozen once the handler returns, so there the write is awaited ({@link deferWrites}).
 *
 * A record waits up to `RECORD_LINGER_MS` (10 ms) for the records of other responses when no record write is in
 * flight, else for that write to complete, and goes out with them: one BatchWriteItem (a PutItem when alone); the
 * store shares requests between concurrent writes (`store/write-coalescer.ts`).
 *
 * What a crash loses: the records whose writes were queued or still in flight, i.e. those of the last ten or so
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

  /** Starts `write` without waiting for it; a failure is logged with `what`. */
  start(key: string, what: Record<string, unknown>, write: () => Promise<void>): void {
    const running = write().catch((err: unknown) => {
      logger.error('Deferred write failed', { ...what, error: err as Error });
    });
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

/** The process's deferred writes (the local runtime waits for them before it stops its emulators). */
export const deferredWrites = new DeferredWrites();

/** Whether this process may leave writes running after a response (set by the local runtime). */
export function deferWrites(): boolean {
  return optionalEnv(ENV.DEFER_RESPONSE_WRITES) === 'true';
}
