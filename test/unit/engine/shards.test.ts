/**
 * The distributed training's shard sums: one shard reproduces `train` bit for bit; three shards partition the users
 * and add up to the one shard's sums within rounding; the sums' binary object round-trips exactly.
 */
import { train } from '../../../lambdas/engine';
import { DEFAULT_CHOICES } from '../../../lambdas/engine/fit';
import { shardOfUser } from '../../../lambdas/engine/hash';
import {
  addShardSums,
  decodeShardSums,
  encodeShardSums,
  partSums,
  type ShardSums,
  shardCount,
  shardPlanOf,
  shardSums,
} from '../../../lambdas/engine/shards';
import {
  decodeSnapshot,
  encodeSnapshot,
  openSnapshot,
  SnapshotBuilder,
} from '../../../lambdas/engine/snapshot';
import { holdOutTruthRows } from '../../../lambdas/engine/split';
import { generateSynthetic } from '../../../lambdas/engine/synthetic';
import { chooseModel, fitChosen, fitContextOf, inThread } from '../../../lambdas/engine/train';

const data = generateSynthetic({ users: 400, items: 90, seed: 5 });
const options = { hyperParameters: { hiddenDimension: 32 }, headItems: 60, seed: 3 };

async function reduced(shards: number, chosen = { hp: undefined, choices: DEFAULT_CHOICES }) {
  const ctx = await fitContextOf({ interactions: data.interactions, items: data.items }, options, inThread);
  const pick = { hp: chosen.hp ?? ctx.hp, choices: chosen.choices };
  const parts: ShardSums[] = [];
  for (let s = 0; s < shards; s++) parts.push(await shardSums(ctx, pick, s, shards));
  const [first, ...rest] = parts;
  return { ctx, parts, total: rest.reduce(addShardSums, first as ShardSums) };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('shard sums', () => {
  it('one shard through the stages gives the model train gives, bit for bit', async () => {
    const direct = await train({ interactions: data.interactions, items: data.items }, options);
    const ctx = await fitContextOf({ interactions: data.interactions, items: data.items }, options, inThread);
    const chosen = await chooseModel(ctx, {});
    // Self-tuning ran, and its chosen embeddings start the final fit as they do in train().
    expect(chosen.output?.length).toBeGreaterThan(0);
    const one = await shardSums(ctx, chosen, 0, 1);
    const decoded = decodeShardSums(concat(encodeShardSums({ ...one, seconds: 1.5 })));
    expect(decoded.seconds).toBe(1.5);
    expect(addShardSums(decodeShardSums(concat(encodeShardSums(decoded))), decoded).seconds).toBe(3);
    const staged = await fitChosen(ctx, chosen, { given: { key: decoded.key, stats: decoded.stats } });
    expect(Buffer.from(staged.serialize()).equals(Buffer.from(direct.serialize()))).toBe(true);
  });

  it('three shards partition the users and add up to the one shard within 1e-12 relative', async () => {
    const one = await reduced(1);
    const three = await reduced(3);
    // Every shard has users, and the positions add up exactly.
    for (const part of three.parts) expect(part.stats.positions).toBeGreaterThan(0);
    expect(three.total.stats.positions).toBe(one.total.stats.positions);
    expect(three.total.key).toBe(one.total.key);
    const a = one.total.stats;
    const b = three.total.stats;
    expect(b.g.length).toBe(a.g.length);
    let scale = 0;
    for (const x of a.g) scale = Math.max(scale, Math.abs(x));
    let worst = 0;
    let nonzero = 0;
    for (const [x, y] of [
      [a.g, b.g],
      [a.c, b.c],
    ] as const) {
      for (let i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
        if (x[i] !== 0) nonzero++;
      }
    }
    expect(nonzero).toBeGreaterThan(100);
    expect(worst).toBeLessThanOrEqual(1e-12 * scale);
  });

  it("a shard's sums from its own users' byte ranges and the plan equal its sums from every user, bit for bit", async () => {
    const builder = new SnapshotBuilder();
    for (const x of data.interactions) builder.add(x);
    const bytes = Buffer.concat(
      encodeSnapshot({ columns: builder.finish(3), items: data.items, users: [], shards: 3 }),
    );
    const columns = decodeSnapshot(bytes).columns;
    const split = holdOutTruthRows(columns, { seed: 7, maxUsers: 15, sampleSeed: 7 });
    // Bounds on history length leave users out on both sides.
    const hyperParameters = {
      ...options.hyperParameters,
      minUserHistoryLengthPercentile: 0.1,
      maxUserHistoryLengthPercentile: 0.9,
    };
    const ctx = await fitContextOf(
      { columns: { data: columns, keep: split.keep }, items: data.items },
      { ...options, hyperParameters },
      inThread,
    );
    expect(ctx.keep.some((k) => k === 0)).toBe(true);
    const plan = JSON.parse(
      JSON.stringify(
        shardPlanOf(
          ctx,
          split.test.map((t) => t.userId),
        ),
      ),
    );
    expect(plan.heldOut).toHaveLength(15);
    expect(plan.head).toHaveLength(60);
    const chosen = { hp: ctx.hp, choices: DEFAULT_CHOICES };
    const read = (start: number, end: number) => Promise.resolve(bytes.subarray(start, end));
    for (let shard = 0; shard < 3; shard++) {
      const everyone = await shardSums(ctx, chosen, shard, 3);
      const own = await partSums(
        (await (await openSnapshot(read)).shard(shard)).columns,
        plan,
        chosen,
        inThread,
      );
      expect(own.key).toBe(everyone.key);
      expect(own.stats.positions).toBe(everyone.stats.positions);
      expect(own.stats.positions).toBeGreaterThan(0);
      expect(Buffer.from(own.stats.g.buffer).equals(Buffer.from(everyone.stats.g.buffer))).toBe(true);
      expect(Buffer.from(own.stats.c.buffer).equals(Buffer.from(everyone.stats.c.buffer))).toBe(true);
    }
  });

  it('reads the sums object at any alignment: a view of aligned bytes, a copy of unaligned ones', async () => {
    const { total } = await reduced(1);
    const bytes = concat(encodeShardSums(total));
    const shifted = new Uint8Array(bytes.length + 4);
    shifted.set(bytes, 4);
    const aligned = decodeShardSums(bytes);
    const copied = decodeShardSums(shifted.subarray(4));
    expect(aligned.stats.g.buffer).toBe(bytes.buffer);
    expect(copied.stats.g.buffer).not.toBe(shifted.buffer);
    for (const sums of [aligned, copied]) {
      expect(
        Buffer.from(sums.stats.g.buffer, sums.stats.g.byteOffset, sums.stats.g.byteLength).equals(
          Buffer.from(total.stats.g.buffer, total.stats.g.byteOffset, total.stats.g.byteLength),
        ),
      ).toBe(true);
      expect(Array.from(sums.stats.c)).toEqual(Array.from(total.stats.c));
    }
  });

  it('refuses to add the sums of different fits, and to use sums of another fit', async () => {
    const { ctx, total } = await reduced(1);
    const other = await reduced(1, { hp: undefined, choices: { ...DEFAULT_CHOICES, longWeight: 0.3 } });
    expect(() => addShardSums(total, other.total)).toThrow(/Cannot add/);
    await expect(
      fitChosen(ctx, { hp: ctx.hp, choices: DEFAULT_CHOICES }, { given: other.total }),
    ).rejects.toThrow(/given sums/);
  });

  it('hashes users into every shard and rejects a shard out of range', async () => {
    const seen = new Set<number>();
    for (let u = 0; u < 100; u++) seen.add(shardOfUser(`user-${u}`, 4));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    expect(shardCount(10, 4, 64)).toBe(3);
    expect(shardCount(0, 4, 64)).toBe(1);
    expect(shardCount(1000, 4, 64)).toBe(64);
    const { ctx } = await reduced(1);
    await expect(shardSums(ctx, { hp: ctx.hp, choices: DEFAULT_CHOICES }, 3, 3)).rejects.toThrow(/No shard/);
  });
});
