import type { Sequences } from '../../../lambdas/engine/dataset';
import { HEAD_FLOOR, HEAD_ITEMS, HEAD_MIN_EVENTS, headOf } from '../../../lambdas/engine/fit';

/** headOf reads only the catalog size and the item counts. */
function counts(values: number[]): Sequences {
  return { items: { size: values.length }, itemCounts: Int32Array.from(values) } as unknown as Sequences;
}

describe('headOf', () => {
  it('takes the most frequent items, past the floor only those with enough events', () => {
    // 2,500 items with HEAD_MIN_EVENTS events, then 3,000 with one fewer: the head stops at the 2,500.
    const values = [
      ...Array.from({ length: 2500 }, () => HEAD_MIN_EVENTS),
      ...Array.from({ length: 3000 }, () => HEAD_MIN_EVENTS - 1),
    ];
    const { h, head, headPos, warm } = headOf(counts(values), HEAD_ITEMS);
    expect(h).toBe(2500);
    expect(warm).toBe(5500);
    expect(Array.from(head.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(headPos[2499]).toBe(2499);
    expect(headPos[2500]).toBe(-1);
  });

  it('keeps the floor on sparse data, the cap on dense data and a smaller requested head', () => {
    expect(headOf(counts(Array.from({ length: 5000 }, () => 2)), HEAD_ITEMS).h).toBe(HEAD_FLOOR);
    expect(headOf(counts(Array.from({ length: 6000 }, () => 100)), HEAD_ITEMS).h).toBe(HEAD_ITEMS);
    expect(headOf(counts(Array.from({ length: 6000 }, () => 100)), 50).h).toBe(50);
    // Fewer warm items than the floor: all of them, most frequent first; items without events stay out.
    const { h, head } = headOf(counts([1, 0, 3, 2]), HEAD_ITEMS);
    expect(h).toBe(3);
    expect(Array.from(head)).toEqual([2, 3, 0]);
  });
});
