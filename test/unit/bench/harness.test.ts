import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import {
  loadCheckins,
  loadMl1mSplit,
  loadS3Rec,
  loadTafeng,
  loadTaobao,
  repeatFraction,
} from '../../../bench/datasets/public';
import { parseArgs } from '../../../bench/lib/args';
import { resolveHyperparameters, selfTunedChoices } from '../../../bench/lib/engine';
import { formatDataset, formatOverview, summarize } from '../../../bench/lib/report';
import { meanCi } from '../../../bench/lib/stats';
import { formatTable } from '../../../bench/lib/table';
import { fitTuned } from '../../../bench/lib/tune';
import { runModel, type SeedResult, type WorkerResult } from '../../../bench/lib/worker';
import { foldOf, loadDataset } from '../../../bench/lib/workloads';
import type { PersonalizeMetrics } from '../../../lambdas/engine/metrics';
import { generateSynthetic } from '../../../lambdas/engine/synthetic';

describe('bench helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses data sets, seeds, quick mode and engine hyperparameter passthrough', () => {
    const args = parseArgs([
      '--datasets',
      'foursquare,csv:x.csv',
      '--data-dir',
      'somewhere',
      '--json',
      '--only',
      'engine,markov',
      '--hidden-dimension',
      '64',
    ]);
    expect(args).toMatchObject({
      datasets: ['foursquare', 'csv:x.csv'],
      dataDir: 'somewhere',
      json: true,
      only: ['engine', 'markov'],
      seeds: 5,
      quick: false,
    });
    expect(args.maxUsers).toBeUndefined();
    expect(args.hyperparameters).toEqual({ 'hidden-dimension': '64' });
    expect(parseArgs([]).datasets).toEqual(['foursquare', 'taobao', 'tafeng', 'beauty', 'ml1m']);
    expect(parseArgs(['--quick'])).toMatchObject({ seeds: 2, maxUsers: 2000, quick: true });
    expect(parseArgs(['--quick', '--seeds=3', '--max-users', '10'])).toMatchObject({
      seeds: 3,
      maxUsers: 10,
    });
    expect(parseArgs(['--exclude-history']).excludeHistory).toBe(true);
    expect(() => parseArgs(['ml1m'])).toThrow(/unexpected argument/);
    expect(() => parseArgs(['--seeds', '0'])).toThrow(/positive/);
    expect(() => parseArgs(['--datasets', ','])).toThrow(/no data set/);
  });

  it("reports the engine's self-tuned choices without the recipe's hyperparameters", () => {
    const tuned = {
      hidden_dimension: '149',
      bptt: '32',
      recency_mask: 'true',
      ridge_scale: '0.03',
      target_decay: '0.6',
    };
    expect(selfTunedChoices({ tuned })).toEqual({ ridge_scale: 0.03, target_decay: 0.6 });
    expect(selfTunedChoices({})).toEqual({});
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

  it('loads check-ins: whitespace-separated, sorted per user by time, duplicates kept', () => {
    const path = join(dir, 'checkins.txt');
    writeFileSync(path, '1\t5\t300.0\n2\t5\t200.0\n1\t6\t100.0\n1\t5\t300.0\n');
    expect(loadCheckins(path).interactions).toEqual([
      { userId: '1', itemId: '6', timestamp: 100 },
      { userId: '1', itemId: '5', timestamp: 300 },
      { userId: '1', itemId: '5', timestamp: 300 },
      { userId: '2', itemId: '5', timestamp: 200 },
    ]);
    writeFileSync(path, '1 5\n');
    expect(() => loadCheckins(path)).toThrow(/checkins.txt:1/);
  });

  it('loads Taobao rows with the behaviour as event type and the category as metadata, dropping a cut-off row', () => {
    const path = join(dir, 'taobao.csv');
    writeFileSync(path, '1,10,100,pv,5\n1,11,101,buy,3\n2,10,100,cart,4\n2,12,1');
    const data = loadTaobao(path);
    expect(data.interactions).toEqual([
      { userId: '1', itemId: '11', timestamp: 3, eventType: 'buy' },
      { userId: '1', itemId: '10', timestamp: 5, eventType: 'pv' },
      { userId: '2', itemId: '10', timestamp: 4, eventType: 'cart' },
    ]);
    expect(data.items).toEqual([
      { itemId: '10', categorical: { category: ['100'] } },
      { itemId: '11', categorical: { category: ['101'] } },
    ]);
    expect(data.notes).toEqual(['1 incomplete row(s) dropped']);
  });

  it('loads S3-Rec sequences in order with increasing synthetic timestamps', () => {
    const path = join(dir, 's3rec.txt');
    writeFileSync(path, '1 3 4 3\n2 5\n');
    const x = loadS3Rec(path).interactions;
    expect(x.map((e) => [e.userId, e.itemId])).toEqual([
      ['1', '3'],
      ['1', '4'],
      ['1', '3'],
      ['2', '5'],
    ]);
    expect(x[0]!.timestamp).toBeLessThan(x[1]!.timestamp);
    expect(x[1]!.timestamp).toBeLessThan(x[2]!.timestamp);
    expect(repeatFraction(x)).toBeCloseTo(1 / 4, 12);
  });

  it('loads Ta-Feng baskets with the basket index as time, one time per basket', () => {
    const path = join(dir, 'tafeng.json');
    writeFileSync(path, JSON.stringify({ 7: [[1, 2], [2]], 8: [[3]] }));
    const x = loadTafeng(path).interactions;
    expect(x.map((e) => [e.userId, e.itemId])).toEqual([
      ['7', '1'],
      ['7', '2'],
      ['7', '2'],
      ['8', '3'],
    ]);
    expect(x[0]!.timestamp).toBe(x[1]!.timestamp);
    expect(x[2]!.timestamp - x[1]!.timestamp).toBe(86_400);
    writeFileSync(path, '[1]');
    expect(() => loadTafeng(path)).toThrow(/JSON object/);
  });

  it("loads gSASRec's ML-1M split: training sequences, and the validation split as leave-last-out", () => {
    const ml = join(dir, 'ml1m');
    for (const sub of ['train', 'val', 'test']) mkdirSync(join(ml, sub), { recursive: true });
    writeFileSync(join(ml, 'train', 'input.txt'), '1 2 3\n4 2\n');
    writeFileSync(join(ml, 'val', 'input.txt'), '1 2 3 9\n');
    writeFileSync(join(ml, 'val', 'output.txt'), '7\n');
    writeFileSync(join(ml, 'test', 'input.txt'), '');
    const data = loadMl1mSplit(ml);
    expect(data.interactions.map((e) => [e.userId, e.itemId])).toEqual([
      ['1', '1'],
      ['1', '2'],
      ['1', '3'],
      ['2', '4'],
      ['2', '2'],
    ]);
    expect(data.nextItem?.cases).toEqual([{ userId: 'val1', history: ['1', '2', '3', '9'], target: '7' }]);
    expect(data.notes?.[0]).toMatch(/test\/input.txt is empty/);
  });

  it('builds folds: Personalize split plus leave-last-out on the same test users, no target in training', async () => {
    const path = join(dir, 'w.csv');
    const rows = ['USER_ID,ITEM_ID,TIMESTAMP'];
    for (let u = 0; u < 20; u++) for (let t = 0; t < 5; t++) rows.push(`u${u},i${(u + t) % 7},${100 - t}`);
    writeFileSync(path, rows.join('\n') + '\n');
    const data = await loadDataset({ dataset: `csv:${path}`, dataDir: dir, seeds: 3 });
    expect(data.catalogSize).toBe(7);
    const fold = foldOf(data, 1);
    expect(fold.test).toHaveLength(2);
    const testUsers = new Set(fold.test.map((t) => t.userId));
    expect(fold.train.some((x) => testUsers.has(x.userId))).toBe(false);
    const first = fold.test[0]!;
    // Timestamps fall with t: the oldest event (t = 4) comes first, the newest (t = 0) is the target.
    const u = Number(first.userId.slice(1));
    expect(fold.nextItemCases[0]).toEqual({
      userId: first.userId,
      history: [4, 3, 2, 1].map((t) => `i${(u + t) % 7}`),
      target: `i${u % 7}`,
    });
    expect(foldOf(data, 1).test.map((t) => t.userId)).toEqual(fold.test.map((t) => t.userId));
    // A seeded user sample: bounded and the same every time.
    const sampled = await loadDataset({ dataset: `csv:${path}`, dataDir: dir, seeds: 1, maxUsers: 5 });
    const users = new Set(sampled.interactions.map((x) => x.userId));
    expect(users.size).toBe(5);
    const again = await loadDataset({ dataset: `csv:${path}`, dataDir: dir, seeds: 1, maxUsers: 5 });
    expect(new Set(again.interactions.map((x) => x.userId))).toEqual(users);
    await expect(loadDataset({ dataset: 'foursquare', dataDir: dir, seeds: 1 })).rejects.toThrow(
      /rahmanidashti\/LBSNDatasets/,
    );
  });

  it('tunes a learned baseline on an inner split of the training users only', () => {
    const { interactions } = generateSynthetic({ users: 120, items: 40, meanEventsPerUser: 8, seed: 3 });
    const tuned = fitTuned('ease', interactions, 1, false);
    expect(Object.keys(tuned.chosen).sort()).toEqual(['decay', 'lambda']);
    expect(tuned.validationNdcg).toBeGreaterThan(0);
    expect(fitTuned('ease', interactions, 1, false).chosen).toEqual(tuned.chosen);
    expect(fitTuned('markov', interactions, 1, false).chosen).toEqual({});
  });

  it('runs one model end to end in-process and reports every metric per seed', async () => {
    const result = await runModel({
      model: 'markov',
      dataset: 'synthetic:tiny',
      dataDir: dir,
      seeds: 2,
      hyperparameters: {},
    });
    expect(result.error).toBeUndefined();
    expect(result.seeds.map((s) => s.seed)).toEqual([1, 2]);
    expect(result.seeds[0]?.nextItem.users).toBe(40);
    expect(result.seeds[0]?.nextItem.ndcg_at_10).toBeGreaterThan(0);
    expect(Object.keys(result.seeds[0]?.personalize ?? {})).toHaveLength(8);
    expect(result.peakRssMiB).toBeGreaterThan(0);
  });

  it('summarises mean ± 95 % CI per model and the engine ÷ best baseline ratio', () => {
    const seed = (s: number, ndcg: number, p: number): SeedResult => ({
      seed: s,
      fitSeconds: 1,
      tuneSeconds: 0,
      evalSeconds: 0,
      personalize: {
        normalized_discounted_cumulative_gain_at_10: ndcg,
        precision_at_10: p,
        mean_reciprocal_rank_at_25: ndcg,
        coverage: 0.5,
      } as PersonalizeMetrics,
      nextItem: { ndcg_at_10: 0.1, hit_rate_at_10: 0.2, users: 10 },
    });
    const result = (model: string, values: [number, number][]): WorkerResult => ({
      model,
      dataset: 'd',
      seeds: values.map(([n, p], i) => seed(i + 1, n, p)),
      peakRssMiB: 100,
    });
    const summary = summarize('d', [
      result('engine', [
        [0.3, 0.1],
        [0.36, 0.1],
      ]),
      result('ease', [
        [0.2, 0.2],
        [0.3, 0.2],
      ]),
      result('markov', [
        [0.1, 0.05],
        [0.1, 0.05],
      ]),
    ]);
    const v = summary.engineVsBest!;
    expect(v.ndcg10.baseline).toBe('ease');
    expect(v.ndcg10.ratio).toBeCloseTo(0.33 / 0.25, 12);
    expect(v.ndcg10.perSeed.mean).toBeCloseTo((1.5 + 1.2) / 2, 12);
    expect(v.precision10.ratio).toBeCloseTo(0.5, 12);
    expect(summary.models[0]?.metrics['ndcg@10']?.mean).toBeCloseTo(0.33, 12);
    expect(formatDataset(summary)).toMatch(/ENGINE ÷ BEST BASELINE, NDCG@10: 1\.32× ease/);
    expect(formatOverview([summary])).toMatch(/1\.32×/);
  });

  it('computes Student-t 95 % intervals', () => {
    // mean 2, s = 1, t(0.975, 2) = 4.303: half-width 4.303 / √3.
    const ci = meanCi([1, 2, 3]);
    expect(ci.mean).toBe(2);
    expect(ci.halfWidth).toBeCloseTo(4.303 / Math.sqrt(3), 12);
    expect(Number.isNaN(meanCi([1]).halfWidth)).toBe(true);
  });

  it('formats a table with aligned columns', () => {
    expect(formatTable(['m', 'x'], [['ab', '1.5']])).toBe('m     x\n--  ---\nab  1.5');
  });
});
