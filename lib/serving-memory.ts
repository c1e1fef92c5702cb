/**
 * Memory of the functions that hold a model while serving (GetRecommendations, GetPersonalizedRanking), sized from
 * the largest catalog the deployment serves. What a loaded model holds, in bytes:
 *   items × (8·d + (d rounded up to 8) + 8 + 512)   the float32 input and output vectors (views over the artifact),
 *                                                    the int8 copy the scan reads, its per-item scale and bounds,
 *                                                    and per item its id, index entry, successor table and buffers
 *   + 4 × history events + 96 × users                the history tails, a view over their downloaded artifact
 *                                                    (`lambdas/engine/history-tails.ts`): one packed row of at most
 *                                                    4 bytes per event; per user 4-byte id and row offsets, an
 *                                                    8-byte newest time, at most 10.7 bytes of hash-table slots and
 *                                                    the id's UTF-8 bytes (up to 69 fit in the 96)
 * and the function gets 192 MB for the runtime plus a quarter more than that for the garbage collector's headroom,
 * rounded up to 64 MB. Measured: a 750,000 × 149 model loaded, scanned and queried takes 1,157 MiB more RSS
 * (1,618 B per item), the formula's model part 1,334 MiB; at 20M interactions over 100k items and about 670k
 * users, the serving process held 452 MiB with its 78.7 MiB of tails, where the formula gives 640 MB.
 */

export interface ServingCapacity {
  /** Items of the largest catalog a campaign serves. */
  readonly items: number;
  /** The largest `hidden_dimension` a served solution uses (Personalize allows 32–256). */
  readonly hiddenDimension: number;
  /** History events the served solution versions keep (each user's newest 256 at most). */
  readonly historyEvents: number;
  /** Users with a history tail. */
  readonly users: number;
}

export const DEFAULT_SERVING_CAPACITY: ServingCapacity = Object.freeze({
  items: 100_000,
  hiddenDimension: 256,
  historyEvents: 20_000_000,
  users: 1_000_000,
});

const MIB = 2 ** 20;
const PER_ITEM_OVERHEAD = 512;
const PER_HISTORY_EVENT = 4;
const PER_USER = 96;
const RUNTIME_MB = 192;
const HEADROOM = 1.25;
const LAMBDA_MAX_MB = 10_240;
const LAMBDA_MIN_MB = 512;

/** Bytes a loaded model and its history tails hold (module comment). */
export function servingBytes(c: ServingCapacity): number {
  const stride = Math.max(8, Math.ceil(c.hiddenDimension / 8) * 8);
  return (
    c.items * (8 * c.hiddenDimension + stride + 8 + PER_ITEM_OVERHEAD) +
    PER_HISTORY_EVENT * c.historyEvents +
    PER_USER * c.users
  );
}

/** The function memory in MB for this capacity; throws when it exceeds Lambda's 10,240 MB. */
export function servingMemoryMb(c: ServingCapacity): number {
  for (const [name, value] of Object.entries(c)) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`serving ${name} must be a non-negative integer`);
  }
  const mb = Math.ceil((RUNTIME_MB + (HEADROOM * servingBytes(c)) / MIB) / 64) * 64;
  if (mb > LAMBDA_MAX_MB) {
    throw new Error(
      `serving ${c.items} items × ${c.hiddenDimension} with ${c.historyEvents} history events needs ${mb} MB, ` +
        `more than Lambda's ${LAMBDA_MAX_MB} MB`,
    );
  }
  return Math.max(LAMBDA_MIN_MB, mb);
}

/** The capacity from `-c servingItems=… -c servingHiddenDimension=… -c servingHistoryEvents=… -c servingUsers=…`. */
export function servingCapacityFromContext(get: (key: string) => unknown): ServingCapacity {
  const read = (key: string, fallback: number): number => {
    const raw = get(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`context ${key} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  const d = DEFAULT_SERVING_CAPACITY;
  return {
    items: read('servingItems', d.items),
    hiddenDimension: read('servingHiddenDimension', d.hiddenDimension),
    historyEvents: read('servingHistoryEvents', d.historyEvents),
    users: read('servingUsers', d.users),
  };
}
