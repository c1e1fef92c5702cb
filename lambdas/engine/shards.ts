/**
 * The distributed part of a training: the users are cut into shards by a hash of their id, each shard's Gram and
 * cross sums (`accumulate.ts`) are computed on their own, and the shards' sums are added up for the solve.
 *
 * The sums are additive over users, so the added sums are the sums over every user up to the order of the
 * floating-point additions: one shard gives exactly the sums of an undistributed fit (the reduction starts from
 * the first shard's arrays and adds nothing), several differ from them by rounding only (a relative 1e-12 or so).
 * The position count is an integer and adds exactly.
 *
 * The sums travel as one binary object per shard: a small JSON header (`h`, the positions, the sums key, the compute
 * seconds), then G
 * ((h+1)²) and C ((h+1)·h) as little-endian float64.
 */

import type { Statistics } from './accumulate';
import { historyLengthBounds, IdIndex, ingestColumns, usersWithin } from './dataset';
import { type FitContext, fitSums, headOf, type ModelChoices, sumsKey } from './fit';
import { frameHeader, readFrame } from './framing';
import { shardOfUser } from './hash';
import type { HyperParameters } from './hyperparameters';
import type { InteractionColumns } from './snapshot';
import { trainingRowsOf } from './split';
import type { ParallelRunner } from './train';

export const SUMS_FORMAT = 'open-personalize/sums';
export const SUMS_FORMAT_VERSION = 1;
const MAGIC = 0x53554d53; // "SUMS"

/** Shards for `interactions` interactions at `perShard` each: at least 1, at most `maxShards`. */
export function shardCount(interactions: number, perShard: number, maxShards: number): number {
  return Math.max(1, Math.min(maxShards, Math.ceil(interactions / Math.max(1, perShard))));
}

/** A shard's sums, with what they were computed for. */
export interface ShardSums {
  /** `sumsKey` of the fit they are for. */
  readonly key: string;
  readonly h: number;
  readonly stats: Statistics;
  /** Compute seconds spent on these sums (added up over shards), for the training's reported hours. */
  readonly seconds?: number;
}

/** The sums of the context's training users in `shard` of `shards`, for the fit of these hyperparameters and choices. */
export async function shardSums(
  ctx: FitContext,
  chosen: { readonly hp: HyperParameters; readonly choices: ModelChoices },
  shard: number,
  shards: number,
): Promise<ShardSums> {
  if (!Number.isInteger(shards) || shards < 1 || !Number.isInteger(shard) || shard < 0 || shard >= shards)
    throw new Error(`No shard ${shard} of ${shards}`);
  const keep = Uint8Array.from(ctx.keep);
  const ids = ctx.seqs.users.ids;
  for (let u = 0; u < keep.length; u++)
    if (keep[u] && shardOfUser(ids[u] as string, shards) !== shard) keep[u] = 0;
  const head = headOf(ctx.seqs, ctx.headItems);
  const fitCtx = { ...ctx, hp: chosen.hp };
  const stats = await fitSums(fitCtx, chosen.choices, head, keep);
  return { key: sumsKey(chosen.hp, chosen.choices, head.h), h: head.h, stats };
}

/**
 * What a shard's sums need of the whole data besides its own users' rows, from the context of every user: the
 * head's item ids in head order, the history lengths of the users that train (null for no bound), and the metrics'
 * sampled test users, whose truths no sum sees.
 */
export interface ShardPlan {
  readonly head: readonly string[];
  readonly historyLengths: readonly [number | null, number | null];
  readonly heldOut: readonly string[];
}

export function shardPlanOf(ctx: FitContext, heldOut: readonly string[]): ShardPlan {
  const { head } = headOf(ctx.seqs, ctx.headItems);
  const { hp, seqs } = ctx;
  const { lo, hi } = historyLengthBounds(
    seqs.userOffsets,
    hp.minUserHistoryLengthPercentile,
    hp.maxUserHistoryLengthPercentile,
  );
  return {
    head: Array.from(head, (i) => seqs.items.ids[i] as string),
    historyLengths: [Number.isFinite(lo) ? lo : null, Number.isFinite(hi) ? hi : null],
    heldOut,
  };
}

/**
 * The sums of a shard from its own users' columns (`StoredSnapshot.shard`) and the plan: the same sums `shardSums`
 * takes from the context of every user, bit for bit, since the shard's users keep their relative order.
 */
export async function partSums(
  part: InteractionColumns,
  plan: ShardPlan,
  chosen: { readonly hp: HyperParameters; readonly choices: ModelChoices },
  parallel: ParallelRunner,
): Promise<ShardSums> {
  const seqs = ingestColumns(part, {}, new IdIndex(), trainingRowsOf(part, new Set(plan.heldOut)));
  const [lo, hi] = plan.historyLengths;
  const keep = usersWithin(seqs.userOffsets, {
    lo: lo ?? Number.NEGATIVE_INFINITY,
    hi: hi ?? Number.POSITIVE_INFINITY,
  });
  const h = plan.head.length;
  const headPos = new Int32Array(seqs.items.size).fill(-1);
  plan.head.forEach((id, p) => {
    const i = seqs.items.get(id);
    if (i !== undefined) headPos[i] = p;
  });
  const stats = await fitSums({ seqs, hp: chosen.hp, parallel }, chosen.choices, { headPos, h }, keep);
  return { key: sumsKey(chosen.hp, chosen.choices, h), h, stats };
}

/**
 * Adds `next` into `total` (which it returns): the reduction of shards, in shard order. Sums of different fits
 * (another key or head) throw.
 */
export function addShardSums(total: ShardSums, next: ShardSums): ShardSums {
  if (total.key !== next.key || total.h !== next.h)
    throw new Error(`Cannot add the sums of ${next.key} to those of ${total.key}`);
  const { g, c } = total.stats;
  const add = (into: Float64Array, from: Float64Array) => {
    if (into.length !== from.length) throw new Error('Shard sums of different sizes');
    for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) + (from[i] as number);
  };
  add(g, next.stats.g);
  add(c, next.stats.c);
  return {
    ...total,
    stats: { g, c, positions: total.stats.positions + next.stats.positions },
    seconds: (total.seconds ?? 0) + (next.seconds ?? 0),
  };
}

interface Header {
  readonly format: string;
  readonly version: number;
  readonly key: string;
  readonly h: number;
  readonly positions: number;
  readonly seconds?: number;
}

/** The object's chunks: header, G, C (views of the arrays, not copies). */
export function encodeShardSums(sums: ShardSums): Uint8Array[] {
  const header: Header = {
    format: SUMS_FORMAT,
    version: SUMS_FORMAT_VERSION,
    key: sums.key,
    h: sums.h,
    positions: sums.stats.positions,
    ...(sums.seconds === undefined ? {} : { seconds: sums.seconds }),
  };
  const bytes = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return [frameHeader(MAGIC, header), bytes(sums.stats.g), bytes(sums.stats.c)];
}

/** Reads a shard sums object; its arrays are views of `bytes` where aligned, so `bytes` must not be reused. */
export function decodeShardSums(bytes: Uint8Array): ShardSums {
  const frame = readFrame(bytes, MAGIC, 'shard sums object');
  const header = frame.header as Header;
  if (header.format !== SUMS_FORMAT || header.version !== SUMS_FORMAT_VERSION)
    throw new Error(`Unsupported sums format ${header.format} ${header.version}`);
  const nx = header.h + 1;
  const start = frame.dataStart;
  const floats = (offset: number, count: number): Float64Array => {
    if (start + (offset + count) * 8 > bytes.byteLength) throw new Error('Truncated shard sums');
    const at = bytes.byteOffset + start + offset * 8;
    // A view where the bytes are 8-aligned in their buffer (as a whole object read is), else a copy.
    if (at % 8 === 0) return new Float64Array(bytes.buffer, at, count);
    const out = new Float64Array(count);
    new Uint8Array(out.buffer).set(bytes.subarray(start + offset * 8, start + (offset + count) * 8));
    return out;
  };
  const g = floats(0, nx * nx);
  const c = floats(nx * nx, nx * header.h);
  return {
    key: header.key,
    h: header.h,
    stats: { g, c, positions: header.positions },
    ...(header.seconds === undefined ? {} : { seconds: header.seconds }),
  };
}
