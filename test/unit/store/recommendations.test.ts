import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type RecommendationRecord,
  RecommendationStore,
  recommendationPk,
} from '../../../lambdas/store/recommendations';
import { EVENTS_TABLE } from '../../../lambdas/store/tables';
import { type LocalDynamo, startDynalite } from '../services/dynalite-table';

let local: LocalDynamo;
let store: RecommendationStore;

beforeAll(async () => {
  local = await startDynalite([{ def: EVENTS_TABLE, name: 'events' }]);
  store = new RecommendationStore(local.ddb, 'events', () => 1_700_000_000_000);
});
afterAll(async () => {
  await local.close();
});

function record(i: number, extra: Partial<RecommendationRecord> = {}): RecommendationRecord {
  return {
    recommendationId: `RID-${i}`,
    campaignArn: 'arn:aws:personalize:us-east-1:000000000000:campaign/c',
    datasetGroupArn: 'arn:aws:personalize:us-east-1:000000000000:dataset-group/g',
    solutionVersionArn: 'arn:aws:personalize:us-east-1:000000000000:solution/s/v1',
    userId: `u${i}`,
    itemIds: [`a${i}`, `b${i}`],
    scores: [0.5, 1e-200],
    createdAt: 1_700_000_000_000,
    ...extra,
  };
}

describe('RecommendationStore', () => {
  it('writes records put at the same time in shared BatchWriteItem calls that read back as one PutItem writes them', async () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      record(i, i === 3 ? { explored: [true, false], probabilities: [0.25, 1], explorationWeight: 0.3 } : {}),
    );
    const send = jest.spyOn(local.ddb, 'send');
    await Promise.all(many.map((r) => store.put(r)));
    // The first goes alone; the 29 that came while it was in flight share two requests (25 + 4).
    expect(send.mock.calls.map(([command]) => command.constructor.name)).toEqual([
      'PutCommand',
      'BatchWriteCommand',
      'BatchWriteCommand',
    ]);
    send.mockRestore();
    await store.put(record(100, { promotion: { name: 'p', filterArn: 'arn:f', positions: [1] } }));
    await Promise.all([
      store.put(record(99)),
      store.put(record(101, { promotion: { name: 'p', filterArn: 'arn:f', positions: [1] } })),
    ]);
    for (const r of many) {
      // Scores too small for DynamoDB are stored as 0.
      expect(await store.get(r.recommendationId)).toEqual({ ...r, scores: [0.5, 0] });
    }
    const single = await store.get('RID-100');
    expect(await store.get('RID-101')).toEqual({
      ...single,
      recommendationId: 'RID-101',
      userId: 'u101',
      itemIds: ['a101', 'b101'],
    });
  });

  it('writes the others of a shared batch the store refuses one record of, and refuses that one', async () => {
    // Over DynamoDB's 400 KB item limit.
    const bad = record(201, { itemIds: ['x'.repeat(410_000), 'y'] });
    const puts = [record(199), record(200), bad, record(202)].map((r) => store.put(r));
    await expect(puts[2]).rejects.toThrow();
    await Promise.all([puts[0], puts[1], puts[3]]);
    expect((await store.get('RID-200'))?.userId).toBe('u200');
    expect((await store.get('RID-202'))?.userId).toBe('u202');
    expect(await store.get('RID-201')).toBeUndefined();
  });

  it('keeps the per-slot lists in one attribute, and reads records that hold them as list attributes', async () => {
    const r = record(300, { explored: [false, true], probabilities: [1, 0.125], explorationWeight: 0.3 });
    await store.put(r);
    const stored = await local.ddb.send(
      new GetCommand({ TableName: 'events', Key: { pk: recommendationPk('RID-300'), sk: 'R' } }),
    );
    expect(Object.keys(stored.Item ?? {})).not.toEqual(expect.arrayContaining(['itemIds']));
    expect(typeof stored.Item?.shown).toBe('string');
    expect(await store.get('RID-300')).toEqual({ ...r, scores: [0.5, 0] });

    // As records were written before `shown`.
    const { shown: _shown, ...rest } = stored.Item as Record<string, unknown>;
    await local.ddb.send(
      new PutCommand({
        TableName: 'events',
        Item: {
          ...rest,
          pk: recommendationPk('RID-301'),
          recommendationId: 'RID-301',
          itemIds: ['x', 'y'],
          scores: [0.25, null],
          explored: [true, false],
          probabilities: [0.5, 1],
        },
      }),
    );
    expect(await store.get('RID-301')).toEqual({
      ...r,
      recommendationId: 'RID-301',
      itemIds: ['x', 'y'],
      scores: [0.25, null],
      explored: [true, false],
      probabilities: [0.5, 1],
    });
    await expect(store.put(record(302, { probabilities: [Number.POSITIVE_INFINITY, 1] }))).rejects.toThrow(
      RangeError,
    );
    expect(await store.get('RID-302')).toBeUndefined();
  });
});
