import { nextItemNdcgAtK } from '../../../lambdas/engine/metrics';
import { Random } from '../../../lambdas/engine/random';
import { generateSynthetic, SYNTHETIC_PRESETS, SyntheticGenerator } from '../../../lambdas/engine/synthetic';
import type { Interaction } from '../../../lambdas/engine/types';

const data = generateSynthetic({ ...SYNTHETIC_PRESETS.tiny, seed: 7 });

function sequences(interactions: readonly Interaction[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const x of interactions) {
    const list = out.get(x.userId);
    if (list === undefined) out.set(x.userId, [x.itemId]);
    else list.push(x.itemId);
  }
  return out;
}

/**
 * Leave-last-out NDCG@10 of a last-item transition model (popularity back-fill) — or of popularity alone when
 * `useTransitions` is false — trained on every sequence without its last item.
 */
function nextItemNdcg(seqs: Map<string, string[]>, useTransitions: boolean): number {
  const popularity = new Map<string, number>();
  const transitions = new Map<string, Map<string, number>>();
  for (const seq of seqs.values()) {
    for (let i = 0; i < seq.length - 1; i++) {
      const item = seq[i] as string;
      popularity.set(item, (popularity.get(item) ?? 0) + 1);
      if (i + 1 < seq.length - 1) {
        const row = transitions.get(item) ?? new Map<string, number>();
        row.set(seq[i + 1] as string, (row.get(seq[i + 1] as string) ?? 0) + 1);
        transitions.set(item, row);
      }
    }
  }
  const byPopularity = [...popularity.keys()].sort(
    (a, b) => (popularity.get(b) ?? 0) - (popularity.get(a) ?? 0),
  );
  let sum = 0;
  let users = 0;
  for (const seq of seqs.values()) {
    if (seq.length < 2) continue;
    const history = new Set(seq.slice(0, -1));
    const row = useTransitions ? transitions.get(seq[seq.length - 2] as string) : undefined;
    const fromRow = [...(row?.entries() ?? [])].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    const ranked = [...new Set([...fromRow, ...byPopularity])].filter((id) => !history.has(id)).slice(0, 10);
    sum += nextItemNdcgAtK(ranked, seq[seq.length - 1] as string, 10);
    users++;
  }
  return sum / users;
}

describe('synthetic data generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const again = generateSynthetic({ ...SYNTHETIC_PRESETS.tiny, seed: 7 });
    const other = generateSynthetic({ ...SYNTHETIC_PRESETS.tiny, seed: 8 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(data));
    expect(other.interactions.slice(0, 50)).not.toEqual(data.interactions.slice(0, 50));
    // One user's events depend only on the seed and the user, so streaming and random access agree.
    const generator = new SyntheticGenerator({ ...SYNTHETIC_PRESETS.tiny, seed: 7 });
    const user5 = data.interactions.filter((x) => x.userId === 'user-5');
    expect(generator.userInteractions(5)).toEqual(user5);
  });

  it('has the requested size and a power-law popularity skew', () => {
    expect(data.items).toHaveLength(SYNTHETIC_PRESETS.tiny.items);
    expect(data.users).toHaveLength(SYNTHETIC_PRESETS.tiny.users);
    const mean = data.interactions.length / SYNTHETIC_PRESETS.tiny.users;
    expect(mean).toBeGreaterThan(0.5 * SYNTHETIC_PRESETS.tiny.meanEventsPerUser);
    expect(mean).toBeLessThan(1.5 * SYNTHETIC_PRESETS.tiny.meanEventsPerUser);
    const counts = new Map<string, number>();
    for (const x of data.interactions) counts.set(x.itemId, (counts.get(x.itemId) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const topTenth = sorted.slice(0, data.items.length / 10).reduce((a, b) => a + b, 0);
    // Uniform popularity would give the top tenth ≈ 10 % of events.
    expect(topTenth / data.interactions.length).toBeGreaterThan(0.2);
  });

  it('has an order signal: a last-item transition model beats popularity, and shuffling order removes most of it', () => {
    const seqs = sequences(data.interactions);
    const popularity = nextItemNdcg(seqs, false);
    const markov = nextItemNdcg(seqs, true);
    expect(markov).toBeGreaterThan(2 * popularity);
    const rng = new Random(1);
    const shuffled = new Map([...seqs].map(([u, seq]) => [u, rng.shuffle([...seq])]));
    expect(nextItemNdcg(shuffled, true)).toBeLessThan(0.6 * markov);
  });

  it('brings new items over time and never shows an item before its creation', () => {
    const created = new Map(data.items.map((i) => [i.itemId, i.creationTimestamp as number]));
    const first = Math.min(...data.interactions.map((x) => x.timestamp));
    expect(data.interactions.filter((x) => x.timestamp < (created.get(x.itemId) as number))).toEqual([]);
    const newItems = data.items.filter((i) => (i.creationTimestamp as number) > first);
    expect(newItems.length).toBeGreaterThan(0.3 * data.items.length);
    const consumed = new Set(data.interactions.map((x) => x.itemId));
    expect(newItems.filter((i) => consumed.has(i.itemId)).length).toBeGreaterThan(0.5 * newItems.length);
    let outOfOrder = 0;
    for (let i = 1; i < data.interactions.length; i++) {
      const a = data.interactions[i - 1] as Interaction;
      const b = data.interactions[i] as Interaction;
      if (a.userId === b.userId && b.timestamp < a.timestamp) outOfOrder++;
    }
    expect(outOfOrder).toBe(0);
  });

  it('has metadata that carries the latent structure, event types and user metadata', () => {
    const genre = new Map(data.items.map((i) => [i.itemId, i.categorical?.genre?.[0]]));
    let same = 0;
    let pairs = 0;
    for (const seq of sequences(data.interactions).values()) {
      for (let i = 1; i < seq.length; i++) {
        pairs++;
        if (genre.get(seq[i] as string) === genre.get(seq[i - 1] as string)) same++;
      }
    }
    // 20 genres: unrelated consecutive items would share a label about 5 % of the time.
    expect(same / pairs).toBeGreaterThan(0.3);
    for (const item of data.items) {
      expect(item.text?.split(' ').length).toBeGreaterThanOrEqual(5);
      expect(item.numeric?.price).toBeGreaterThan(0);
      expect(item.categorical?.price_band).toHaveLength(1);
    }
    const types = new Set(data.interactions.map((x) => x.eventType));
    expect([...types].sort()).toEqual(['click', 'purchase']);
    expect(
      data.interactions.every((x) => x.eventValue !== undefined && x.eventValue >= 1 && x.eventValue <= 5),
    ).toBe(true);
    expect(
      data.users.every((u) => u.categorical?.segment?.length === 1 && u.categorical.age_band?.length === 1),
    ).toBe(true);
  });
});
