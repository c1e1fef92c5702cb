import { type Interaction, train } from '../../../lambdas/engine';
import { evaluateOnThreads } from '../../../lambdas/engine/evaluation-threads';
import { evaluate, type TestCase } from '../../../lambdas/engine/metrics';
import { Random } from '../../../lambdas/engine/random';

/** Users drifting along a ring of 60 items, so that rankings and metrics differ from user to user. */
function ringData(users: number, seed: number): { interactions: Interaction[]; cases: TestCase[] } {
  const r = new Random(seed);
  const interactions: Interaction[] = [];
  const cases: TestCase[] = [];
  for (let u = 0; u < users; u++) {
    let cur = r.nextInt(60);
    const seq: string[] = [];
    for (let t = 0; t < 14; t++) {
      cur = (cur + 1 + r.nextInt(4)) % 60;
      seq.push(`i${cur}`);
    }
    seq.slice(0, 10).forEach((itemId, t) => {
      interactions.push({ userId: `u${u}`, itemId, timestamp: t });
    });
    cases.push({ userId: `u${u}`, history: seq.slice(0, 10), truth: seq.slice(10) });
  }
  return { interactions, cases };
}

describe('evaluateOnThreads', () => {
  it('gives the same metrics, bit for bit, on one, two and three threads as evaluate on one', async () => {
    const { interactions, cases } = ringData(120, 5);
    const model = await train({ interactions }, { hyperParameters: { hiddenDimension: 32 }, seed: 2 });
    const bytes = model.serialize();
    // A sample smaller than the cases, so the threads split the sampled users, not the input.
    const options = { catalogSize: 60, maxUsers: 97, sampleSeed: 4 };
    const alone = evaluate(model, cases, options);
    expect(alone.normalized_discounted_cumulative_gain_at_10).toBeGreaterThan(0);
    expect(alone.normalized_discounted_cumulative_gain_at_10).toBeLessThan(1);
    // The artifact in a SharedArrayBuffer of its own, as the evaluate step reads it, and in an ordinary one.
    const inShared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    inShared.set(bytes);
    for (const [threads, artifact] of [
      [1, bytes],
      [2, bytes],
      [3, bytes],
      [2, inShared],
    ] as const) {
      const shared = await evaluateOnThreads(artifact, cases, options, threads);
      expect(shared).toEqual(alone);
      for (const key of Object.keys(alone) as (keyof typeof alone)[])
        expect(Object.is(shared[key], alone[key])).toBe(true);
    }
  }, 60_000);

  it('fails with the other thread’s reason when a case it scores is malformed', async () => {
    const { interactions, cases } = ringData(40, 6);
    const model = await train({ interactions }, { hyperParameters: { hiddenDimension: 32 }, seed: 2 });
    // The last case falls to the second thread; this thread's cases are sound.
    const bad = { ...cases[39], history: null } as unknown as TestCase;
    let reason = '';
    try {
      evaluate(model, [bad], { catalogSize: 60 });
    } catch (error) {
      reason = (error as Error).message;
    }
    expect(reason).not.toBe('');
    const broken = [...cases.slice(0, -1), bad];
    await expect(evaluateOnThreads(model.serialize(), broken, { catalogSize: 60 }, 2)).rejects.toThrow(
      reason,
    );
    await expect(evaluateOnThreads(model.serialize(), cases, { catalogSize: 60 }, 2)).resolves.toEqual(
      evaluate(model, cases, { catalogSize: 60 }),
    );
  }, 60_000);
});
