/**
 * The filter operations' functions and what serving needs for filters: each filter operation has its own function
 * with exactly the Resources access it needs, and the runtime functions can read the Items and Users data filters
 * look at (bulk generations in the bucket, PutItems / PutUsers records and their version item).
 */
import { ENV } from '../../lambdas/env';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '../../lib/constructs/personalize-function';
import { refTarget, scratchSourceRoot, synthStack, TemplateView } from './template-helpers';

const { template } = synthStack({ sourceRoot: scratchSourceRoot() });
const view = new TemplateView(template);

function tableOf(op: string, envKey: string): string {
  const id = refTarget(view.env(op)[envKey]);
  if (id === undefined) throw new Error(`${op} has no ${envKey}`);
  return id;
}

describe('filter functions', () => {
  const resources = tableOf('CreateFilter', ENV.RESOURCES_TABLE);

  it.each([
    ['CreateFilter', TABLE_WRITE_ACTIONS],
    ['DeleteFilter', TABLE_WRITE_ACTIONS],
    ['DescribeFilter', TABLE_READ_ACTIONS],
    ['ListFilters', TABLE_READ_ACTIONS],
  ] as const)('%s touches only the Resources table, with exactly its access', (op, actions) => {
    expect(view.actionsOn(op, resources)).toEqual(new Set(actions));
    const env = view.env(op);
    for (const key of [ENV.EVENTS_TABLE, ENV.RECORDS_TABLE, ENV.DATA_BUCKET])
      expect(env[key]).toBeUndefined();
    const all = [...view.actions(op)];
    expect(
      all.filter((a) => a.startsWith('dynamodb:')).every((a) => (actions as readonly string[]).includes(a)),
    ).toBe(true);
    expect(all.some((a) => a.startsWith('s3:') || a.startsWith('states:') || a.startsWith('lambda:'))).toBe(
      false,
    );
  });

  it.each(['GetRecommendations', 'GetPersonalizedRanking'])(
    '%s may read the records (and their version item) and the bucket that filters read',
    (op) => {
      const records = tableOf(op, ENV.RECORDS_TABLE);
      expect(view.actionsOn(op, records)).toEqual(new Set(TABLE_READ_ACTIONS));
      const bucket = refTarget(view.env(op)[ENV.DATA_BUCKET]);
      expect(bucket).toBeDefined();
      expect(view.actionsOn(op, bucket as string).has('s3:GetObject*')).toBe(true);
    },
  );
});
