import { type Interaction, type ItemMeta, Model, train } from '../../../lambdas/engine';
import { Random } from '../../../lambdas/engine/random';
import { interactionRows, SnapshotBuilder } from '../../../lambdas/engine/snapshot';
import { updateModel } from '../../../lambdas/engine/update';

const SMALL = { hiddenDimension: 32 };
const genre = (g: string) => [0, 1, 2, 3, 4].map((i) => `${g}${i}`);

/** Two genres whose items follow each other; users stay within one genre. */
function genreInteractions(): Interaction[] {
  const r = new Random(11);
  const out: Interaction[] = [];
  for (let u = 0; u < 60; u++) {
    const items = genre(u % 2 === 0 ? 'x' : 'y');
    for (let t = 0; t < 12; t++)
      out.push({ userId: `u${u}`, itemId: items[r.nextInt(5)] as string, timestamp: t });
  }
  return out;
}

const meta = (itemId: string, g: string, extra: Partial<ItemMeta> = {}): ItemMeta => ({
  itemId,
  categorical: { genre: [g] },
  text: `a ${g === 'x' ? 'space' : 'love'} story`,
  ...extra,
});

const ITEMS: ItemMeta[] = [
  ...['x', 'y'].flatMap((g) => genre(g).map((id) => meta(id, g))),
  // Cold at training time: its embeddings come from the metadata map.
  meta('cold-x', 'x'),
];

let base: Model;
let data: Interaction[];
beforeAll(async () => {
  data = genreInteractions();
  base = await train({ interactions: data, items: ITEMS }, { hyperParameters: SMALL, seed: 2 });
});

const row = (a: Float32Array, i: number, d: number) => Array.from(a.subarray(i * d, (i + 1) * d));

describe('updateModel', () => {
  it('appends new items and leaves every learned embedding and the context row as they were', async () => {
    const { model, addedItems } = await updateModel(base, {
      interactions: data,
      items: [...ITEMS, meta('new-y', 'y'), meta('new-x', 'x')],
    });
    expect(addedItems).toEqual(['new-x', 'new-y']);
    expect(model.itemIds).toEqual([...base.itemIds, 'new-x', 'new-y']);
    const d = base.hiddenDimension;
    for (const id of base.itemIds) {
      const i = base.itemIndex(id) as number;
      if (!((base.itemCounts[i] as number) > 0)) continue;
      expect(row(model.inputEmbeddings, i, d)).toEqual(row(base.inputEmbeddings, i, d));
      expect(row(model.outputEmbeddings, i, d)).toEqual(row(base.outputEmbeddings, i, d));
    }
    expect(row(model.inputEmbeddings, model.itemCount, d)).toEqual(
      row(base.inputEmbeddings, base.itemCount, d),
    );
    expect(model.temperature).toBe(base.temperature);
    expect(model.historyWeights).toEqual(base.historyWeights);
    expect(model.repeat.probabilities).toEqual(base.repeat.probabilities);
    expect(Array.from(model.repeat.itemFactors)).toEqual([...base.repeat.itemFactors, 1, 1]);
  });

  it('gives a new item the embeddings training gives a cold item with the same metadata', async () => {
    // Same warm items, same tokens: the refitted metadata map is the trainer's, up to float rounding.
    const { model } = await updateModel(base, { interactions: data, items: [...ITEMS, meta('new-x', 'x')] });
    const d = base.hiddenDimension;
    const cold = base.itemIndex('cold-x') as number;
    const fresh = model.itemIndex('new-x') as number;
    const expected = row(base.outputEmbeddings, cold, d);
    row(model.outputEmbeddings, fresh, d).forEach((v, c) => {
      expect(v).toBeCloseTo(expected[c] as number, 4);
    });
    const expectedIn = row(base.inputEmbeddings, cold, d);
    row(model.inputEmbeddings, fresh, d).forEach((v, c) => {
      expect(v).toBeCloseTo(expectedIn[c] as number, 4);
    });
  });

  it('makes a brand-new item recommendable, ranked by its metadata', async () => {
    expect(base.itemIndex('new-x')).toBeUndefined();
    const { model } = await updateModel(base, {
      interactions: data,
      items: [...ITEMS, meta('new-x', 'x'), meta('new-y', 'y')],
    });
    const rank = (history: string[], id: string) =>
      model.recommend({ history, numResults: 100 }).findIndex((x) => x.itemId === id);
    expect(rank(['x1', 'x2', 'x3'], 'new-x')).toBeGreaterThanOrEqual(0);
    expect(rank(['x1', 'x2', 'x3'], 'new-x')).toBeLessThan(rank(['x1', 'x2', 'x3'], 'new-y'));
    expect(rank(['y1', 'y2', 'y3'], 'new-y')).toBeLessThan(rank(['y1', 'y2', 'y3'], 'new-x'));
  });

  it('recounts item statistics and dates new items as spec §7.3 says', async () => {
    const later: Interaction[] = [
      { userId: 'u0', itemId: 'x1', timestamp: 100 },
      { userId: 'u0', itemId: 'only-in-events', timestamp: 90 },
      { userId: 'u1', itemId: 'only-in-events', timestamp: 95 },
    ];
    const { model, interactions } = await updateModel(base, {
      interactions: [...data, ...later],
      items: [...ITEMS, meta('dated', 'x', { creationTimestamp: 50 }), meta('undated', 'y')],
    });
    expect(interactions).toBe(data.length + 3);
    const count = (id: string) => model.itemCounts[model.itemIndex(id) as number];
    const created = (id: string) => model.itemCreationTimestamps[model.itemIndex(id) as number];
    expect(count('x1')).toBe(data.filter((x) => x.itemId === 'x1').length + 1);
    expect(count('only-in-events')).toBe(2);
    expect(count('dated')).toBe(0);
    expect(created('dated')).toBe(50);
    expect(created('only-in-events')).toBe(90);
    // Neither a creation time nor an interaction: new as of the newest interaction.
    expect(created('undated')).toBe(100);
    expect(model.latestInteractionTimestamp).toBe(100);
    expect(created('x1')).toBe(base.itemCreationTimestamps[base.itemIndex('x1') as number]);
  });

  it('keeps the newest new items when the catalog would exceed maxItems', async () => {
    const extra = [10, 30, 20].map((t, k) => meta(`n${k}`, 'x', { creationTimestamp: t }));
    const { model, droppedItems } = await updateModel(base, {
      interactions: data,
      items: [...ITEMS, ...extra],
      maxItems: base.itemCount + 2,
    });
    expect(droppedItems).toBe(1);
    expect(model.itemIds.slice(base.itemCount)).toEqual(['n1', 'n2']);
  });

  it('is deterministic and survives serialisation', async () => {
    const input = { interactions: data, items: [...ITEMS, meta('new-x', 'x')] };
    const a = (await updateModel(base, input)).model.serialize();
    const b = (await updateModel(base, input)).model.serialize();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const loaded = Model.load(a);
    expect(loaded.itemIndex('new-x')).toBe(base.itemCount);
  });

  it("takes a snapshot's columns to the same bytes as their rows", async () => {
    const builder = new SnapshotBuilder();
    const later: Interaction[] = [
      { userId: 'u0', itemId: 'only-in-events', timestamp: 90 },
      { userId: 'u1', itemId: 'only-in-events', timestamp: 95 },
      { userId: 'u9', itemId: 'x1', timestamp: 200 },
    ];
    for (const x of [...data, ...later]) builder.add(x);
    const columns = builder.finish();
    const items = [...ITEMS, meta('dated', 'x', { creationTimestamp: 50 })];
    const fromRows = await updateModel(base, { interactions: interactionRows(columns), items });
    const fromColumns = await updateModel(base, { columns, items });
    expect(fromColumns.interactions).toBe(data.length + 3);
    expect(fromColumns.addedItems).toEqual(fromRows.addedItems);
    expect(fromColumns.model.latestInteractionTimestamp).toBe(200);
    expect(Buffer.from(fromColumns.model.serialize()).equals(Buffer.from(fromRows.model.serialize()))).toBe(
      true,
    );
  });

  it('changes nothing when there is nothing new', async () => {
    const { model, addedItems } = await updateModel(base, { interactions: data, items: ITEMS });
    expect(addedItems).toEqual([]);
    expect(Array.from(model.outputEmbeddings)).toEqual(Array.from(base.outputEmbeddings));
    expect(Array.from(model.itemCounts)).toEqual(Array.from(base.itemCounts));
  });
});
