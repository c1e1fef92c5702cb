/**
 * Control-plane services against a real dynalite: the rules that the SDK-level tests cannot easily provoke —
 * concurrent creates, the import-job rule of DeleteDataset, reference counts on schemas, the tracking-id lookup.
 */
import { createServiceContext, type ServiceContext } from '../../../lambdas/services/context';
import { createDatasetGroup, deleteDatasetGroup } from '../../../lambdas/services/dataset-groups';
import {
  createDataset,
  DATASET_IMPORT_JOB,
  datasetSchemaInfo,
  deleteDataset,
  describeDataset,
  updateDataset,
} from '../../../lambdas/services/datasets';
import {
  createEventTracker,
  deleteEventTracker,
  listEventTrackers,
  resolveTrackingId,
} from '../../../lambdas/services/event-trackers';
import { createSchema, deleteSchema } from '../../../lambdas/services/schemas';
import { listTagsForResource, tagsToMap, untagResource } from '../../../lambdas/services/tags';
import { RESOURCES_TABLE } from '../../../lambdas/store/tables';
import { type LocalDynamo, startDynalite } from './dynalite-table';

const TABLE = 'control-plane-services-test';
let local: LocalDynamo;
let ctx: ServiceContext;

beforeAll(async () => {
  local = await startDynalite([{ def: RESOURCES_TABLE, name: TABLE }]);
  ctx = createServiceContext({
    ddb: local.ddb,
    resourcesTable: TABLE,
    accountId: '111122223333',
    region: 'eu-west-1',
  });
});
afterAll(async () => {
  await local.close();
});

const interactions = (extra: Record<string, unknown>[] = []) =>
  JSON.stringify({
    type: 'record',
    name: 'Interactions',
    fields: [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      ...extra,
    ],
  });

async function groupWithDataset(name: string) {
  const { datasetGroupArn } = await createDatasetGroup(ctx, { name });
  const { schemaArn } = await createSchema(ctx, { name: `${name}-schema`, schema: interactions() });
  const { datasetArn } = await createDataset(ctx, {
    name: `${name}-ds`,
    schemaArn,
    datasetGroupArn,
    datasetType: 'Interactions',
  });
  return { datasetGroupArn: datasetGroupArn!, schemaArn: schemaArn!, datasetArn: datasetArn! };
}

describe('event trackers', () => {
  it('lets exactly one of many concurrent creates win per group', async () => {
    const { datasetGroupArn } = await createDatasetGroup(ctx, { name: 'race-trackers' });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => createEventTracker(ctx, { name: `t${i}`, datasetGroupArn })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const r of lost) expect(r.reason).toMatchObject({ name: 'ResourceAlreadyExistsException' });
    expect((await listEventTrackers(ctx, { datasetGroupArn })).eventTrackers).toHaveLength(1);
  });

  it('resolves a tracking id to its tracker, group and status until the tracker is deleted', async () => {
    const { datasetGroupArn } = await createDatasetGroup(ctx, { name: 'tracking-lookup' });
    const { eventTrackerArn, trackingId } = await createEventTracker(ctx, { name: 't', datasetGroupArn });
    expect(await resolveTrackingId(ctx, trackingId!)).toEqual({
      eventTrackerArn,
      datasetGroupArn,
      status: 'ACTIVE',
    });
    expect(eventTrackerArn).toMatch(
      /^arn:aws:personalize:eu-west-1:111122223333:event-tracker\/[0-9a-f]{8}$/,
    );
    await deleteEventTracker(ctx, { eventTrackerArn });
    expect(await resolveTrackingId(ctx, trackingId!)).toBeUndefined();
    expect(await resolveTrackingId(ctx, 'never-issued')).toBeUndefined();
  });

  it('refuses a tracker on a group that is not ACTIVE', async () => {
    const { datasetGroupArn } = await createDatasetGroup(ctx, { name: 'pending-group' });
    await ctx.resources.update(datasetGroupArn!, {
      status: 'CREATE PENDING',
      doc: { status: 'CREATE PENDING' },
    });
    await expect(createEventTracker(ctx, { name: 't', datasetGroupArn })).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });
  });

  it('reclaims a group slot left behind by a create that died before writing the tracker', async () => {
    const { datasetGroupArn } = await createDatasetGroup(ctx, { name: 'stale-slot' });
    await ctx.resources.putGuard('event-tracker-of', datasetGroupArn!, {
      eventTrackerArn: 'arn:aws:personalize:eu-west-1:111122223333:event-tracker/deadbeef',
      createdAt: Date.now() - 10 * 60_000,
    });
    const out = await createEventTracker(ctx, { name: 't', datasetGroupArn });
    expect(out.trackingId).toBeDefined();
  });
});

describe('dataset groups', () => {
  it('a delete retried after one that died midway finishes, or puts the group back to ACTIVE if it has children', async () => {
    const stuck = await createDatasetGroup(ctx, { name: 'stuck-empty' });
    await ctx.resources.update(stuck.datasetGroupArn!, {
      status: 'DELETE PENDING',
      doc: { status: 'DELETE PENDING' },
    });
    await deleteDatasetGroup(ctx, { datasetGroupArn: stuck.datasetGroupArn });
    expect(await ctx.resources.get(stuck.datasetGroupArn!)).toBeUndefined();

    const { datasetGroupArn } = await groupWithDataset('stuck-full');
    await ctx.resources.update(datasetGroupArn, {
      status: 'DELETE PENDING',
      doc: { status: 'DELETE PENDING' },
    });
    await expect(deleteDatasetGroup(ctx, { datasetGroupArn })).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });
    const group = await ctx.resources.require<{ status?: string }>(datasetGroupArn);
    expect(group.status).toBe('ACTIVE');
    expect(group.doc.status).toBe('ACTIVE');
  });
});

describe('datasets', () => {
  it('refuses to delete a dataset while an import job into it is pending or running, and stays usable', async () => {
    const { datasetArn } = await groupWithDataset('import-running');
    const jobArn = 'arn:aws:personalize:eu-west-1:111122223333:dataset-import-job/running-job';
    await ctx.resources.create({
      arn: jobArn,
      type: DATASET_IMPORT_JOB,
      parentArn: datasetArn,
      status: 'CREATE IN_PROGRESS',
      doc: {},
    });
    await expect(deleteDataset(ctx, { datasetArn })).rejects.toMatchObject({
      name: 'ResourceInUseException',
      message: expect.stringContaining(jobArn),
    });
    expect((await describeDataset(ctx, { datasetArn })).dataset?.status).toBe('ACTIVE');

    await ctx.resources.update(jobArn, { status: 'ACTIVE' });
    await deleteDataset(ctx, { datasetArn });
    await expect(describeDataset(ctx, { datasetArn })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('never leaves a dataset in a deleted group when create and group delete race', async () => {
    for (let round = 0; round < 5; round++) {
      const { datasetGroupArn } = await createDatasetGroup(ctx, { name: `race-group-${round}` });
      const { schemaArn } = await createSchema(ctx, { name: `race-schema-${round}`, schema: interactions() });
      await Promise.allSettled([
        createDataset(ctx, { name: 'd', schemaArn, datasetGroupArn, datasetType: 'Interactions' }),
        deleteDatasetGroup(ctx, { datasetGroupArn }),
      ]);
      const groupExists = (await ctx.resources.get(datasetGroupArn!)) !== undefined;
      const child = await ctx.resources.findChild(datasetGroupArn!);
      if (!groupExists) expect(child).toBeUndefined();
      // The schema's use count matches the datasets that exist.
      const schema = await ctx.resources.require(schemaArn!);
      expect(schema.counters.datasets ?? 0).toBe(child === undefined ? 0 : 1);
    }
  });

  it('keeps schema use counts exact through update and delete, so schemas become deletable exactly when unused', async () => {
    const { datasetArn, schemaArn } = await groupWithDataset('counts');
    const { schemaArn: v2 } = await createSchema(ctx, {
      name: 'counts-v2',
      schema: interactions([{ name: 'EVENT_TYPE', type: 'string' }]),
    });
    await updateDataset(ctx, { datasetArn, schemaArn: v2 });
    expect((await ctx.resources.require(schemaArn)).counters.datasets).toBe(0);
    expect((await ctx.resources.require(v2!)).counters.datasets).toBe(1);
    await deleteSchema(ctx, { schemaArn });
    await expect(deleteSchema(ctx, { schemaArn: v2 })).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });

    const info = await datasetSchemaInfo(ctx, datasetArn);
    expect(info.datasetType).toBe('Interactions');
    expect(info.fields.map((f) => f.name)).toEqual(['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE']);

    await deleteDataset(ctx, { datasetArn });
    expect((await ctx.resources.require(v2!)).counters.datasets).toBe(0);
    await deleteSchema(ctx, { schemaArn: v2 });
  });

  it('a failed create does not pin the schema', async () => {
    const { datasetGroupArn, schemaArn } = await groupWithDataset('failed-create');
    await expect(
      createDataset(ctx, { name: 'again', schemaArn, datasetGroupArn, datasetType: 'interactions' }),
    ).rejects.toMatchObject({ name: 'ResourceAlreadyExistsException' });
    expect((await ctx.resources.require(schemaArn)).counters.datasets).toBe(1);
  });
});

describe('tags', () => {
  it('keeps the last value of a repeated key and counts distinct keys against the limit', async () => {
    expect(
      tagsToMap([
        { tagKey: 'a', tagValue: '1' },
        { tagKey: 'a', tagValue: '2' },
      ]),
    ).toEqual({ a: '2' });
    const fifty = Array.from({ length: 50 }, (_, i) => ({ tagKey: `k${i}`, tagValue: 'v' }));
    expect(Object.keys(tagsToMap([...fifty, { tagKey: 'k0', tagValue: 'w' }]))).toHaveLength(50);
    expect(() => tagsToMap([...fifty, { tagKey: 'k50', tagValue: 'v' }])).toThrow(
      expect.objectContaining({ name: 'TooManyTagsException' }),
    );
  });

  it('refuses to untag more than 50 keys at once without touching the tags', async () => {
    const { datasetGroupArn } = await createDatasetGroup(ctx, {
      name: 'untag-limit',
      tags: [{ tagKey: 'keep', tagValue: 'me' }],
    });
    const keys = Array.from({ length: 51 }, (_, i) => `k${i}`);
    await expect(
      untagResource(ctx, { resourceArn: datasetGroupArn, tagKeys: ['keep', ...keys] }),
    ).rejects.toMatchObject({ name: 'TooManyTagKeysException' });
    expect((await listTagsForResource(ctx, { resourceArn: datasetGroupArn })).tags).toEqual([
      { tagKey: 'keep', tagValue: 'me' },
    ]);
  });
});
