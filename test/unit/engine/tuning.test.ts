import { train } from '../../../lambdas/engine';
import { ingestInteractions } from '../../../lambdas/engine/dataset';
import {
  completeModel,
  DEFAULT_CHOICES,
  type FitContext,
  fitEmbeddings,
  HEAD_ITEMS,
  SharedSums,
} from '../../../lambdas/engine/fit';
import { DEFAULT_HYPERPARAMETERS } from '../../../lambdas/engine/hyperparameters';
import { ingestItems } from '../../../lambdas/engine/metadata';
import { Random } from '../../../lambdas/engine/random';
import { generateSynthetic } from '../../../lambdas/engine/synthetic';
import { inThread, type ParallelRunner } from '../../../lambdas/engine/train';
import { capEvents, LONG_WEIGHTS, RIDGE_SCALES, tune } from '../../../lambdas/engine/tuning';
import type { Interaction } from '../../../lambdas/engine/types';

/** Start S_k, a fixed run of five items, then T_k: only an event six steps back tells which T comes. */
function rememberingWorld(users: number): Interaction[] {
  const run = ['N1', 'N2', 'N3', 'N4', 'N5'];
  const out: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    const k = u % 3;
    [`S${k}`, ...run, `T${k}`].forEach((itemId, t) => {
      out.push({ userId: `u${u}`, itemId, timestamp: t });
    });
  }
  return out;
}

async function context(interactions: Interaction[], bptt: number): Promise<FitContext> {
  const catalog = ingestItems.empty();
  const seqs = await ingestInteractions(interactions, {}, catalog.items);
  return {
    seqs,
    catalog,
    keep: new Uint8Array(seqs.users.size).fill(1),
    hp: { ...DEFAULT_HYPERPARAMETERS, hiddenDimension: 32, bptt },
    headItems: HEAD_ITEMS,
    parallel: inThread,
    seed: 0,
    progress: () => undefined,
  };
}

describe('self-tuning', () => {
  it('turns the long-term part on when only an event beyond bptt predicts the next item', async () => {
    const result = await tune(await context(rememberingWorld(450), 2), new Random(1));
    expect(result.choices.longWeight).toBeGreaterThan(0);
    expect(RIDGE_SCALES).toContain(result.choices.ridgeScale);
    expect(LONG_WEIGHTS).toContain(result.choices.longWeight);
    const off = result.trials.find((t) => t.choices.longWeight === 0);
    const chosen = result.trials.find((t) => t.choices === result.choices);
    expect(off).toBeDefined();
    expect(chosen?.ndcg).toBeGreaterThan((off?.ndcg as number) + 0.05);
  });

  it('keeps the defaults when there are too few users to validate on', async () => {
    const result = await tune(await context(rememberingWorld(60), 2), new Random(1));
    expect(result.trials).toHaveLength(0);
  });

  it('HPO draws hyperparameters inside the ranges and stops at maxNumberOfTrainingJobs', async () => {
    const result = await tune(await context(rememberingWorld(450), 2), new Random(2), {
      bptt: [2, 8],
      hiddenDimension: [32, 40],
      recencyMask: [true],
      maxTrials: 9,
    });
    expect(result.trials.length).toBeLessThanOrEqual(9);
    for (const t of result.trials) {
      expect(t.hp.bptt).toBeGreaterThanOrEqual(2);
      expect(t.hp.bptt).toBeLessThanOrEqual(8);
      expect(t.hp.hiddenDimension).toBeGreaterThanOrEqual(32);
      expect(t.hp.hiddenDimension).toBeLessThanOrEqual(40);
    }
    expect(result.trials.some((t) => t.hp.bptt !== 2 || t.hp.hiddenDimension !== 32)).toBe(true);
  });

  it('train reports the chosen values as tunedHPOParams, and the defaults with too few users to validate on', async () => {
    const data = rememberingWorld(450);
    const model = await train({ interactions: data }, { hyperParameters: { hiddenDimension: 32, bptt: 2 } });
    expect(Number(model.tuned?.long_term_weight)).toBeGreaterThan(0);
    expect(model.tuned?.bptt).toBe('2');
    // 10 % of 200 users is fewer than the 30 validation users tuning needs.
    const untuned = await train(
      { interactions: rememberingWorld(200) },
      { hyperParameters: { hiddenDimension: 32, bptt: 2 } },
    );
    expect(untuned.tuned?.ridge_scale).toBe(String(RIDGE_SCALES[1]));
    expect(untuned.tuned?.long_term_weight).toBe(String(LONG_WEIGHTS[1]));
  });

  it('fits that share sums give the same embeddings as fits that compute their own', async () => {
    // Worker threads only see the factorisation's updates in memory of the runner's `alloc`.
    const allocated = new WeakSet<Float64Array>();
    const parallel: ParallelRunner = {
      ...inThread,
      alloc: (length) => {
        const a = new Float64Array(length);
        allocated.add(a);
        return a;
      },
      solveColumns: async (l, n, b, m) => {
        if (!allocated.has(l)) throw new Error('solving with memory the threads do not share');
        await inThread.solveColumns(l, n, b, m);
      },
    };
    const ctx = { ...(await context(rememberingWorld(90), 2)), parallel };
    const shared = { ...ctx, shared: new SharedSums() };
    const choices = { ...DEFAULT_CHOICES, ridgeScale: 0.3 };
    const alone = await fitEmbeddings(ctx, choices, new Random(3));
    // The first shared fit computes the sums, the second (another ridge) reuses them, the third its own copy again.
    await fitEmbeddings(shared, DEFAULT_CHOICES, new Random(3));
    const reused = await fitEmbeddings(shared, choices, new Random(3));
    expect(reused.input).toEqual(alone.input);
    expect(reused.output).toEqual(alone.output);
    expect(reused.windowPenalty).toBe(alone.windowPenalty);
    const again = await fitEmbeddings(shared, choices, new Random(3));
    expect(again.input).toEqual(alone.input);
    // The tables do not depend on the choices: both completions see the same ones.
    const a = await completeModel(shared, choices, reused, new Random(4));
    const b = await completeModel(ctx, choices, alone, new Random(4));
    expect(a.recommend({ history: ['S1', 'N1'], numResults: 5 })).toEqual(
      b.recommend({ history: ['S1', 'N1'], numResults: 5 }),
    );
  });
});

describe("capEvents (the tuning fits' sample of users)", () => {
  // Users 0..99 with 1..100 events; user 7 is not kept to begin with.
  const offsets = Int32Array.from({ length: 101 }, (_, u) => (u * (u + 1)) / 2);
  const start = (): Uint8Array => Uint8Array.from({ length: 100 }, (_, u) => (u === 7 ? 0 : 1));
  const events = (keep: Uint8Array): number =>
    keep.reduce((sum, k, u) => sum + (k ? (offsets[u + 1] as number) - (offsets[u] as number) : 0), 0);

  it('leaves the users alone and draws nothing when they fit under the cap', () => {
    const keep = start();
    const random = new Random(3);
    capEvents(keep, offsets, events(keep), random);
    expect(keep).toEqual(start());
    expect(random.next()).toBe(new Random(3).next());
  });

  it('keeps a seeded sample of kept users, as many events as fit and never more', () => {
    const a = start();
    capEvents(a, offsets, 1000, new Random(1));
    const b = start();
    capEvents(b, offsets, 1000, new Random(1));
    const c = start();
    capEvents(c, offsets, 1000, new Random(2));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(events(a)).toBeLessThanOrEqual(1000);
    // Greedy filling leaves less than the smallest dropped user's events unused.
    const dropped = [...start().keys()].filter((u) => start()[u] === 1 && a[u] === 0);
    expect(dropped.length).toBeGreaterThan(0);
    expect(1000 - events(a)).toBeLessThan(Math.min(...dropped.map((u) => u + 1)));
    expect(a[7]).toBe(0);
  });
});

describe('the final fit started from the tuning fit', () => {
  it('reaches the subspace of a cold start with one product fewer: the same top items', async () => {
    const data = generateSynthetic({ users: 300, items: 200, meanEventsPerUser: 20, seed: 5 });
    const ctx = { ...(await context(data.interactions, 8)), headItems: 120 };
    const cold = await fitEmbeddings(ctx, DEFAULT_CHOICES, new Random(3));
    const warm = await fitEmbeddings(ctx, DEFAULT_CHOICES, new Random(3), cold.output);
    expect(warm.output).not.toEqual(cold.output);
    const top = async (embeddings: typeof cold) => {
      const model = await completeModel(ctx, DEFAULT_CHOICES, embeddings, new Random(4));
      const byUser = new Map<string, string[]>();
      for (const x of data.interactions) byUser.set(x.userId, [...(byUser.get(x.userId) ?? []), x.itemId]);
      return [...byUser.values()]
        .slice(0, 60)
        .map((history) => model.recommend({ history, numResults: 10 }).map((s) => s.itemId));
    };
    const [a, b] = [await top(cold), await top(warm)];
    const overlap = a.reduce((sum, list, u) => sum + list.filter((x) => b[u]?.includes(x)).length, 0) / 600;
    expect(overlap).toBeGreaterThan(0.9);
  });
});
