/**
 * A small per-process cache of lookups that may be a few seconds stale: resource records the request paths read on
 * every call (a tracker, a dataset, a campaign, a session's link). Each entry lives `ttlMs` from when its load
 * settled; concurrent gets of a key share one load; a failed load is not kept. The oldest entry is dropped once
 * `maxEntries` is reached, so memory stays bounded however many keys pass through.
 *
 * Staleness is the price: a process may act on a lookup up to `ttlMs` old. Callers that change what they cached
 * in this process {@link TtlCache.delete} it, so only other processes (Lambda sandboxes, `npm start` workers) see
 * the lag.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: Promise<V>; expiresAt: number }>();

  /**
   * @param ttlMs how long a loaded value is reused, or that time for a given value (a found record may be kept
   *   longer than its absence, say)
   * @param maxEntries entries kept at most @default 10000
   * @param clock epoch milliseconds @default Date.now
   */
  constructor(
    private readonly ttlMs: number | ((value: V) => number),
    private readonly maxEntries = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The cached value of `key`, or `load()`'s. A value `keep` refuses (a negative lookup that must not be reused,
   * say) is handed to the callers waiting for that load but not kept.
   */
  get(key: K, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAt > now) return hit.value;
    const value = load();
    // Until it settles the entry is shared; it expires `ttlMs` after it settles.
    const entry = { value, expiresAt: Number.POSITIVE_INFINITY };
    this.store(key, entry);
    value.then(
      (v) => {
        if (this.entries.get(key) !== entry) return;
        if (keep(v)) entry.expiresAt = this.clock() + this.ttlOf(v);
        else this.entries.delete(key);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  /** Replaces what is cached for `key` (this process just wrote it). */
  set(key: K, value: V): void {
    this.store(key, { value: Promise.resolve(value), expiresAt: this.clock() + this.ttlOf(value) });
  }

  private ttlOf(value: V): number {
    return typeof this.ttlMs === 'number' ? this.ttlMs : this.ttlMs(value);
  }

  /** Forgets `key` (this process just changed or deleted what it names). */
  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private store(key: K, entry: { value: Promise<V>; expiresAt: number }): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }
}
