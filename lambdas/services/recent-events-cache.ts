/**
 * A brief per-process cache of users' recent events: the one DynamoDB read a warm GetRecommendations awaits, reused
 * for {@link recentEventsTtlMs} where the process is told of the events written meanwhile.
 *
 * Only a process that hears of every write may keep them: `OP_RECENT_EVENTS_CACHE_MS` (set by the local runtime)
 * turns the cache on; unset (Lambda, where PutEvents runs in other functions) every request reads the events.
 *
 * Freshness: PutEvents calls {@link RecentEventsCache.written} once the events (or the copies of a session's events
 * made when it is tied to a user) are stored, which forgets the actor's cached reads in this process and tells the
 * listeners (in `npm start --workers N`, the primary, which relays it to the other workers). A read still in flight
 * when the write lands is handed to its callers but not kept. What remains: a worker other than the one that served
 * the PutEvents forgets the actor when the relayed note arrives, so a GetRecommendations that reaches it in the
 * fraction of a millisecond before may still miss those events; and writes no process announces (none in this
 * project) are seen after at most the TTL.
 */
import { ENV, optionalEnv } from '../env';
import type { RecentEvent } from './events';
import { TtlCache } from './ttl-cache';

/** Told of every actor whose events this process wrote. */
export type EventsWrittenListener = (datasetGroupArn: string, actorId: string) => void;

export class RecentEventsCache {
  private readonly cache: TtlCache<string, readonly RecentEvent[]>;
  /** Per group, the read shapes (`limit`, `since`) cached under it, so a write forgets every shape of the actor. */
  private readonly shapes = new Map<string, Set<string>>();
  private readonly listeners = new Set<EventsWrittenListener>();

  /**
   * @param ttlMs how long a read is reused; 0 turns caching off
   * @param maxEntries reads kept at most @default 10000
   * @param clock epoch milliseconds @default Date.now
   */
  constructor(
    readonly ttlMs: number,
    maxEntries = 10_000,
    clock: () => number = Date.now,
  ) {
    this.cache = new TtlCache(ttlMs, maxEntries, clock);
  }

  /** The actor's last `limit` events since `since` (epoch ms), from the cache or from `load`. */
  get(
    datasetGroupArn: string,
    actorId: string,
    limit: number,
    since: number,
    load: () => Promise<readonly RecentEvent[]>,
  ): Promise<readonly RecentEvent[]> {
    if (this.ttlMs <= 0) return load();
    const shape = `${limit}\u0000${since}`;
    let shapes = this.shapes.get(datasetGroupArn);
    if (shapes === undefined) {
      shapes = new Set();
      this.shapes.set(datasetGroupArn, shapes);
    }
    shapes.add(shape);
    return this.cache.get(key(datasetGroupArn, actorId, shape), load);
  }

  /** Events of the actor were just stored by this process: forgets its reads here and tells the listeners. */
  written(datasetGroupArn: string, actorId: string): void {
    this.forget(datasetGroupArn, actorId);
    for (const listener of this.listeners) listener(datasetGroupArn, actorId);
  }

  /** Forgets the actor's cached reads (another process stored events of the actor). */
  forget(datasetGroupArn: string, actorId: string): void {
    for (const shape of this.shapes.get(datasetGroupArn) ?? []) {
      this.cache.delete(key(datasetGroupArn, actorId, shape));
    }
  }

  /** Calls `listener` after each {@link written}; returns what removes it. */
  onWritten(listener: EventsWrittenListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const key = (group: string, actor: string, shape: string) => `${group}\u0000${actor}\u0000${shape}`;

/** How long this process reuses a user's recent events (`OP_RECENT_EVENTS_CACHE_MS`; unset: 0, no cache). */
export function recentEventsTtlMs(): number {
  const value = Number(optionalEnv(ENV.RECENT_EVENTS_CACHE_MS) ?? 0);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

let processCache: RecentEventsCache | undefined;

/** The process's cache, built on first use from the environment. */
export function recentEventsCache(): RecentEventsCache {
  processCache ??= new RecentEventsCache(recentEventsTtlMs());
  return processCache;
}
