/**
 * Shares BatchWriteItem requests between the concurrent callers of one process. A caller's items wait while a
 * flush is in flight; the next flush sends everything waiting, in batches of up to 25 sent side by side. Each
 * caller's promise settles once every one of its items is written, so nothing is acknowledged before it is stored.
 *
 * A Lambda sandbox serves one request at a time: its items go out alone and at once, as without coalescing. A
 * long-running process (an `npm start` API worker) serving N concurrent PutEvents calls sends about N × 10 ÷ 25
 * requests instead of N, each paying the client's and the table's per-request cost once.
 *
 * A caller that is not waiting for its write (a record written after the response) may let it linger: while no flush
 * is in flight, its items wait up to `lingerMs` for others before a flush starts, so a process whose writes rarely
 * overlap still shares requests. A caller without linger starts the flush at once, taking the lingering items along.
 *
 * One batch never names a key twice (BatchWriteItem refuses it): a key already in the batch starts the next one. If
 * a shared batch fails, each of its callers' items are written again on their own, so one caller's bad item (or a
 * failure that outlasts the retries) fails that caller only.
 */

interface Waiting<T> {
  readonly items: readonly T[];
  /** Batches of the current flush still holding this caller's items. */
  pending: number;
  failed: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

export class WriteCoalescer<T> {
  private waiting: Waiting<T>[] = [];
  private flushing = false;
  /** A flush lingering callers scheduled. */
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param write writes one batch of at most `batchSize` items with distinct keys (retrying what was unprocessed)
   * @param keyOf an item's table key
   */
  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly keyOf: (item: T) => string,
    private readonly batchSize = 25,
  ) {}

  /**
   * Writes `items` (distinct keys) with other callers' and resolves once all of them are stored; with `lingerMs`,
   * they may wait that long for company when no flush is in flight.
   */
  put(items: readonly T[], lingerMs = 0): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ items, pending: 0, failed: false, resolve, reject });
      if (this.flushing) return;
      if (lingerMs > 0) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          if (!this.flushing) void this.flush();
        }, lingerMs);
        return;
      }
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const callers = this.waiting;
        this.waiting = [];
        await Promise.all(this.batches(callers).map((batch) => this.send(batch)));
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Packs the callers' items into batches; a caller's items may span batches. */
  private batches(callers: readonly Waiting<T>[]): { items: T[]; callers: Set<Waiting<T>> }[] {
    const batches: { items: T[]; callers: Set<Waiting<T>>; keys: Set<string> }[] = [];
    let current: (typeof batches)[number] | undefined;
    for (const caller of callers) {
      for (const item of caller.items) {
        const key = this.keyOf(item);
        if (current === undefined || current.items.length >= this.batchSize || current.keys.has(key)) {
          current = { items: [], callers: new Set(), keys: new Set() };
          batches.push(current);
        }
        current.items.push(item);
        current.keys.add(key);
        if (!current.callers.has(caller)) {
          current.callers.add(caller);
          caller.pending++;
        }
      }
    }
    return batches;
  }

  private async send(batch: { items: T[]; callers: Set<Waiting<T>> }): Promise<void> {
    try {
      await this.write(batch.items);
      for (const caller of batch.callers) this.settle(caller);
    } catch (error) {
      if (batch.callers.size === 1) {
        for (const caller of batch.callers) this.settle(caller, { error });
        return;
      }
      // Alone, each caller's items in this batch succeed or fail on their own.
      const mine = new Set(batch.items);
      await Promise.all(
        [...batch.callers].map(async (caller) => {
          try {
            await this.write(caller.items.filter((item) => mine.has(item)));
            this.settle(caller);
          } catch (error) {
            this.settle(caller, { error });
          }
        }),
      );
    }
  }

  /** One batch holding the caller's items succeeded, or failed with `failure.error`. */
  private settle(caller: Waiting<T>, failure?: { readonly error: unknown }): void {
    if (caller.failed) return;
    if (failure !== undefined) {
      caller.failed = true;
      caller.reject(failure.error);
      return;
    }
    if (--caller.pending === 0) caller.resolve();
  }
}
