import {
  edgePosition,
  HistoryFileError,
  histogramBins,
  historyLengths,
  percentileCuts,
  rowsFromCsv,
} from '../../../console/src/history';
import { selectUsersByHistoryLength } from '../../../lambdas/engine/dataset';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const p of parts) yield p;
}

const sorted = (a: Int32Array) => [...a].sort((x, y) => x - y);

describe('history lengths from an interactions file', () => {
  const csv =
    'ITEM_ID,USER_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n' +
    'i1,a,1,click,1\ni2,a,2,purchase,5\ni3,a,3,click,2\n' +
    'i1,b,1,purchase,4\ni2,b,2,click,\n' +
    'i1,c,1,click,3\n';

  it('counts interactions per user, in any column order, split across chunks', async () => {
    const lengths = await historyLengths(rowsFromCsv(chunks(csv.slice(0, 37), csv.slice(37))), {});
    expect(sorted(lengths)).toEqual([1, 2, 3]);
  });

  it('applies the event type and the event value threshold as training does', async () => {
    expect(sorted(await historyLengths(rowsFromCsv(chunks(csv)), { eventType: 'click' }))).toEqual([1, 1, 2]);
    // b's click has no value: dropped by a threshold, as in training.
    expect(sorted(await historyLengths(rowsFromCsv(chunks(csv)), { eventValueThreshold: 3 }))).toEqual([
      1, 1, 1,
    ]);
  });

  it('names the line of a row without a user', async () => {
    await expect(historyLengths(rowsFromCsv(chunks('USER_ID,ITEM_ID\na,i1\n,i2\n')), {})).rejects.toThrow(
      new HistoryFileError('Line 3: column USER_ID is empty.'),
    );
    await expect(historyLengths(rowsFromCsv(chunks('ITEM_ID\ni1\n')), {})).rejects.toThrow(
      /no USER_ID column/,
    );
  });
});

describe('percentile cuts', () => {
  // Ten users with histories 1..10: nearest-rank p0.2 is 2, p0.8 is 8.
  const lengths = Int32Array.from([5, 1, 9, 3, 7, 2, 10, 4, 8, 6]);

  it('counts what each cut keeps by hand', () => {
    expect(percentileCuts(lengths, 0.2, 0.8)).toEqual({
      total: 10,
      minLength: 2,
      maxLength: 8,
      keptByMin: 9,
      keptByMax: 8,
      kept: 7,
    });
    expect(percentileCuts(lengths, 0, 1)).toMatchObject({ kept: 10, minLength: 1, maxLength: 10 });
  });

  it('keeps exactly the users the engine trains on', () => {
    const random = Int32Array.from({ length: 500 }, (_, i) => 1 + ((i * 7919) % 97));
    const offsets = new Int32Array(random.length + 1);
    for (let i = 0; i < random.length; i++) offsets[i + 1] = offsets[i]! + random[i]!;
    const engine = selectUsersByHistoryLength(offsets, 0.15, 0.9).reduce((s, x) => s + x, 0);
    expect(percentileCuts(random, 0.15, 0.9).kept).toBe(engine);
  });
});

describe('histogram bins', () => {
  it('uses one bin per length up to maxBins, then equal-width bins that hold every user', () => {
    expect(histogramBins(Int32Array.from([1, 1, 3]))).toEqual([
      { from: 1, to: 1, users: 2 },
      { from: 2, to: 2, users: 0 },
      { from: 3, to: 3, users: 1 },
    ]);
    const wide = histogramBins(Int32Array.from([1, 5, 6, 10, 11]), 4);
    expect(wide.map((b) => [b.from, b.to, b.users])).toEqual([
      [1, 3, 1],
      [4, 6, 2],
      [7, 9, 0],
      [10, 12, 2],
    ]);
  });

  it('places a cut at the edge of its length, inside a wide bin', () => {
    const bins = histogramBins(Int32Array.from([1, 12]), 4);
    // Bin 1 spans lengths 4..6 and axis positions 0.5..1.5: "≥ 5" starts a third of the way in.
    expect(edgePosition(bins, 5, 'before')).toBeCloseTo(0.5 + 1 / 3);
    expect(edgePosition(bins, 5, 'after')).toBeCloseTo(0.5 + 2 / 3);
    expect(edgePosition(bins, 1, 'before')).toBeCloseTo(-0.5);
  });
});
