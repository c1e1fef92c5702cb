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
import { type FitContext, fitSums, headOf, type ModelChoices, sumsKey } from './fit';
import { frameHeader, readFrame } from './framing';
import { fnv1a } from './hash';
import type { HyperParameters } from './hyperparameters';

export const SUMS_FORMAT = 'open-personalize/sums';
export const SUMS_FORMAT_VERSION = 1;
const MAGIC = 0x53554d53; // "SUMS"

/** The shard (0 … shards − 1) of a user: FNV-1a of the id's UTF-16 code units, modulo the shard count. */
export function shardOfUser(userId: string, shards: number): number {
  return fnv1a(userId) % shards;
}

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

export function decodeShardSums(bytes: Uint8Array): ShardSums {
  const frame = readFrame(bytes, MAGIC, 'shard sums object');
  const header = frame.header as Header;
  if (header.format !== SUMS_FORMAT || header.version !== SUMS_FORMAT_VERSION)
    throw new Error(`Unsupported sums format ${header.format} ${header.version}`);
  const nx = header.h + 1;
  const start = frame.dataStart;
  const floats = (offset: number, count: number): Float64Array => {
    if (start + (offset + count) * 8 > bytes.byteLength) throw new Error('Truncated shard sums');
    // A copy: the bytes need not be 8-aligned in their buffer.
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
