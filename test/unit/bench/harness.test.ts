import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readInteractionsCsv,
  readItemsCsv,
  readUsersCsv,
  writeInteractionsCsv,
  writeItemsCsv,
  writeUsersCsv,
} from '../../../bench/datasets/csv';
import { loadMl1m, sequencesToInteractions } from '../../../bench/datasets/ml1m';
import { parseArgs } from '../../../bench/lib/args';
import { resolveHyperparameters } from '../../../bench/lib/engine';
import { formatTable } from '../../../bench/lib/table';
import { runModel } from '../../../bench/lib/worker';
import { loadWorkload } from '../../../bench/lib/workloads';
import { generateSynthetic } from '../../../lambdas/engine/synthetic';

describe('bench helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses modes, options and engine hyperparameter passthrough', () => {
    const args = parseArgs([
      'ml1m',
      'data/ml1m',
      '--json',
      '--only',
      'engine,markov',
      '--hidden-dimension',
      '64',
    ]);
    expect(args).toMatchObject({
      mode: 'ml1m',
      path: 'data/ml1m',
      json: true,
      only: ['engine', 'markov'],
      seeds: 5,
    });
    expect(args.hyperparameters).toEqual({ 'hidden-dimension': '64' });
    expect(parseArgs(['synthetic', '--size=tiny', '--seeds', '2', '--exclude-history'])).toMatchObject({
      size: 'tiny',
      seeds: 2,
      excludeHistory: true,
    });
    expect(() => parseArgs(['csv'])).toThrow(/needs a path/);
    expect(() => parseArgs(['other'])).toThrow(/usage/);
    expect(() => parseArgs(['synthetic', '--seeds', '0'])).toThrow(/positive/);
  });

  it("maps flags onto the engine's hyperparameter names and types", () => {
    const engine = {
      DEFAULT_HYPERPARAMETERS: { hidden_dimension: 149, recencyMask: true, name: 'x' },
    };
    expect(
      resolveHyperparameters(engine, { 'hidden-dimension': '64', 'recency-mask': 'false', name: 'y' }),
    ).toEqual({ hidden_dimension: 64, recencyMask: false, name: 'y' });
    expect(() => resolveHyperparameters(engine, { bogus: '1' })).toThrow(
      /unknown engine hyperparameter --bogus/,
    );
  });

  it('reads Personalize interaction CSVs with any column order and optional columns, and round-trips writes', async () => {
    const path = join(dir, 'a.csv');
    writeFileSync(path, 'TIMESTAMP,ITEM_ID,USER_ID,EVENT_TYPE\n10,"i,1",u1,click\n5,i2,u2,\n');
    expect(await readInteractionsCsv(path)).toEqual([
      { userId: 'u1', itemId: 'i,1', timestamp: 10, eventType: 'click' },
      { userId: 'u2', itemId: 'i2', timestamp: 5 },
    ]);
    const rows = [
      { userId: 'u"1', itemId: 'a', timestamp: 1, eventType: 'purchase', eventValue: 4 },
      { userId: 'u2', itemId: 'b', timestamp: 2 },
    ];
    const out = join(dir, 'b.csv');
    await writeInteractionsCsv(out, rows);
    expect(await readInteractionsCsv(out)).toEqual(rows);
    writeFileSync(path, 'USER_ID,ITEM_ID\nu,i\n');
    await expect(readInteractionsCsv(path)).rejects.toThrow(/TIMESTAMP/);
  });

  it('round-trips items and users metadata through Personalize CSV files', async () => {
    const { items, users } = generateSynthetic({ users: 5, items: 8, meanEventsPerUser: 2, seed: 2 });
    await writeItemsCsv(join(dir, 'items.csv'), items);
    await writeUsersCsv(join(dir, 'users.csv'), users);
    expect(await readItemsCsv(join(dir, 'items.csv'))).toEqual(items);
    expect(await readUsersCsv(join(dir, 'users.csv'))).toEqual(users.map((u) => ({ ...u, numeric: {} })));
  });

  it('loads the sequential ML-1M format with increasing synthetic timestamps', () => {
    const path = join(dir, 'input.txt');
    writeFileSync(path, '1 2 3\n4 2\n');
    const data = loadMl1m(path);
    expect([...data.sequences]).toEqual([
      ['1', ['1', '2', '3']],
      ['2', ['4', '2']],
    ]);
    expect(data.itemIds).toHaveLength(4);
    expect(data.interactionCount).toBe(5);
    const ts = sequencesToInteractions(data.sequences)
      .filter((x) => x.userId === '1')
      .map((x) => x.timestamp);
    expect(ts[0]).toBeLessThan(ts[1] as number);
    expect(ts[1]).toBeLessThan(ts[2] as number);
  });

  it('builds leave-last-out and 90/10 workloads without leaking targets into training', async () => {
    const path = join(dir, 'w.csv');
    const rows = ['USER_ID,ITEM_ID,TIMESTAMP'];
    for (let u = 0; u < 20; u++) for (let t = 0; t < 5; t++) rows.push(`u${u},i${(u + t) % 7},${100 - t}`);
    writeFileSync(path, rows.join('\n') + '\n');
    const workload = await loadWorkload({ mode: 'csv', path, size: 'small', seeds: 3 });
    expect(workload.folds.map((f) => [f.seed, f.test.length, f.catalogSize])).toEqual([
      [1, 2, 7],
      [2, 2, 7],
      [3, 2, 7],
    ]);
    const { train, cases } = workload.nextItem;
    expect(cases).toHaveLength(20);
    // Timestamps fall with t, so the oldest event (t = 4) comes first and the newest (t = 0) is the target.
    expect(cases[0]).toEqual({ userId: 'u0', history: ['i4', 'i3', 'i2', 'i1'], target: 'i0' });
    expect(train).toHaveLength(80);
    expect(train.some((x) => x.timestamp === 100)).toBe(false);
  });

  it('runs one model end to end in-process and reports every metric', async () => {
    const result = await runModel({
      model: 'markov',
      mode: 'synthetic',
      size: 'tiny',
      seeds: 1,
      hyperparameters: {},
    });
    expect(result.error).toBeUndefined();
    expect(result.fitSeconds).toHaveLength(2);
    expect(result.nextItem?.users).toBeGreaterThan(300);
    expect(result.nextItem?.ndcg_at_10).toBeGreaterThan(0);
    expect(Object.keys(result.personalize ?? {})).toHaveLength(8);
    expect(result.peakRssMiB).toBeGreaterThan(0);
  });

  it('formats a table with aligned columns', () => {
    expect(formatTable(['m', 'x'], [['ab', '1.5']])).toBe('m     x\n--  ---\nab  1.5');
  });
});
