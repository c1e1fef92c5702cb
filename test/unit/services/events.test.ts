import type { Event } from '@aws-sdk/client-personalize-events';
import type { Interaction, ItemMeta, UserMeta } from '../../../lambdas/engine/types';
import {
  currentGenerations,
  findDataset,
  groupInteractions,
  groupItems,
  groupUsers,
} from '../../../lambdas/services/dataset-data';
import { createDatasetImportJob, runDatasetImportJob } from '../../../lambdas/services/dataset-import-jobs';
import { createDataset, deleteDataset, describeDataset } from '../../../lambdas/services/datasets';
import { createEventTracker } from '../../../lambdas/services/event-trackers';
import { putEvents, recentEvents } from '../../../lambdas/services/events';
import { putItems, putUsers } from '../../../lambdas/services/records';
import { createSchema, deleteSchema } from '../../../lambdas/services/schemas';
import { RecommendationStore } from '../../../lambdas/store/recommendations';
import { type DataEnv, type GroupArns, interactionsCsv, ROLE_ARN, startDataEnv } from './data-env';

let env: DataEnv;
beforeAll(async () => {
  env = await startDataEnv();
});
afterAll(async () => {
  await env.close();
});

async function tracked(name: string): Promise<{ g: GroupArns; trackingId: string }> {
  const g = await env.group(name);
  const { trackingId } = await createEventTracker(env.ctx, {
    name: `${name}-tracker`,
    datasetGroupArn: g.group,
  });
  return { g, trackingId: trackingId as string };
}

const at = (seconds: number) => new Date(seconds * 1000);
const click = (itemId: string, seconds: number, extra: Partial<Event> = {}): Event => ({
  eventType: 'click',
  itemId,
  sentAt: at(seconds),
  ...extra,
});

async function all<T>(gen: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of gen) out.push(...batch);
  return out;
}

describe('putEvents', () => {
  it('records events; recentEvents is the latest N in time order with fractional seconds', async () => {
    const { g, trackingId } = await tracked('recent');
    await putEvents(env.ctx, {
      trackingId,
      userId: 'alice',
      sessionId: 's1',
      eventList: [
        click('i3', 1_700_000_003.5, { eventValue: 2, properties: '{"device":"ios"}' }),
        click('i1', 1_700_000_001),
        click('i2', 1_700_000_002, { impression: ['i2', 'i9'], recommendationId: 'RID-1' }),
      ],
    });
    expect(await recentEvents(env.ctx, g.group, 'alice', 2)).toEqual([
      { itemId: 'i2', eventType: 'click', timestamp: 1_700_000_002 },
      { itemId: 'i3', eventType: 'click', timestamp: 1_700_000_003.5, eventValue: 2 },
    ]);
    expect(await all(groupInteractions(env.ctx, g.group))).toEqual([
      { userId: 'alice', itemId: 'i1', timestamp: 1_700_000_001, eventType: 'click' },
      {
        userId: 'alice',
        itemId: 'i2',
        timestamp: 1_700_000_002,
        eventType: 'click',
        impression: ['i2', 'i9'],
      },
      {
        userId: 'alice',
        itemId: 'i3',
        timestamp: 1_700_000_003.5,
        eventType: 'click',
        eventValue: 2,
        context: { DEVICE: ['ios'] },
      },
    ]);
  });

  it('expands a recommendationId into the items it showed unless impressions are explicit', async () => {
    const { g, trackingId } = await tracked('implicit');
    const recommendations = new RecommendationStore(env.ctx.ddb, 'events');
    const shown = {
      campaignArn: 'arn:aws:personalize:us-east-1:000000000000:campaign/c',
      solutionVersionArn: 'arn:aws:personalize:us-east-1:000000000000:solution/s/1',
      userId: 'u',
      scores: [0.5, 0.4, 0.1],
      createdAt: Date.now(),
    };
    await recommendations.put({
      ...shown,
      recommendationId: 'RID-a',
      datasetGroupArn: g.group,
      itemIds: ['a', 'b', 'c'],
    });
    await recommendations.put({
      ...shown,
      recommendationId: 'RID-other',
      datasetGroupArn: `${g.group}-x`,
      itemIds: ['z'],
    });
    await putEvents(env.ctx, {
      trackingId,
      userId: 'u',
      sessionId: 's',
      eventList: [
        click('a', 1_700_000_001, { recommendationId: 'RID-a' }),
        click('b', 1_700_000_002, { recommendationId: 'RID-a', impression: ['b', 'q'] }),
        click('c', 1_700_000_003, { recommendationId: 'RID-unknown' }),
        click('d', 1_700_000_004, { recommendationId: 'RID-other' }),
      ],
    });
    expect((await all(groupInteractions(env.ctx, g.group))).map((e) => e.impression)).toEqual([
      ['a', 'b', 'c'],
      ['b', 'q'],
      undefined,
      undefined,
    ]);
  });

  it('uses identical events and a reused eventId once', async () => {
    const { g, trackingId } = await tracked('dedupe');
    const same = click('i1', 1_700_000_000);
    await putEvents(env.ctx, { trackingId, userId: 'u', sessionId: 's', eventList: [same, same] });
    await putEvents(env.ctx, { trackingId, userId: 'u', sessionId: 's', eventList: [same] });
    await putEvents(env.ctx, {
      trackingId,
      userId: 'u',
      sessionId: 's',
      eventList: [click('i2', 1_700_000_001, { eventId: 'e-1' })],
    });
    // Same id, different event: dropped (from training and from the user's recent events). Same id, same event
    // (a retry): still one event.
    await putEvents(env.ctx, {
      trackingId,
      userId: 'u',
      sessionId: 's',
      eventList: [
        click('i3', 1_700_000_002, { eventId: 'e-1' }),
        click('i2', 1_700_000_001, { eventId: 'e-1' }),
      ],
    });
    expect((await all(groupInteractions(env.ctx, g.group))).map((e) => e.itemId)).toEqual(['i1', 'i2']);
    expect((await recentEvents(env.ctx, g.group, 'u', 10)).map((e) => e.itemId)).toEqual(['i1', 'i2']);
  });

  it('writes a warm call as one BatchWriteItem, with or without caller-chosen eventIds', async () => {
    const { g, trackingId } = await tracked('round-trips');
    const send = { trackingId, userId: 'rt', sessionId: 'rt-s' };
    await putEvents(env.ctx, { ...send, eventList: [click('i0', 1_700_000_000)] });
    const spy = jest.spyOn(env.ctx.ddb, 'send');
    try {
      await putEvents(env.ctx, {
        ...send,
        eventList: Array.from({ length: 10 }, (_, i) => click(`i${i + 1}`, 1_700_000_001 + i)),
      });
      expect(spy.mock.calls.map(([command]) => command.constructor.name)).toEqual(['BatchWriteCommand']);
      spy.mockClear();
      await putEvents(env.ctx, {
        ...send,
        eventList: [
          click('i11', 1_700_000_011, { eventId: 'a' }),
          click('i12', 1_700_000_012, { eventId: 'b' }),
        ],
      });
      expect(spy.mock.calls.map(([command]) => command.constructor.name)).toEqual(['BatchWriteCommand']);
    } finally {
      spy.mockRestore();
    }
    expect((await recentEvents(env.ctx, g.group, 'rt', 20)).map((e) => e.itemId)).toEqual(
      Array.from({ length: 13 }, (_, i) => `i${i}`),
    );
  });

  it('shares BatchWriteItem requests between concurrent calls, and stores every event of each', async () => {
    const { g, trackingId } = await tracked('shared-batches');
    const users = Array.from({ length: 16 }, (_, u) => `sb${u}`);
    // Warm: tracker, dataset and each session's link are cached.
    await Promise.all(
      users.map((u) =>
        putEvents(env.ctx, { trackingId, userId: u, sessionId: `${u}-s`, eventList: [click('w', 1)] }),
      ),
    );
    const spy = jest.spyOn(env.ctx.ddb, 'send');
    try {
      await Promise.all(
        users.map((u) =>
          putEvents(env.ctx, {
            trackingId,
            userId: u,
            sessionId: `${u}-s`,
            eventList: Array.from({ length: 10 }, (_, i) => click(`i${i}`, 1_700_000_000 + i)),
          }),
        ),
      );
      const names = spy.mock.calls.map(([command]) => command.constructor.name);
      expect(new Set(names)).toEqual(new Set(['BatchWriteCommand']));
      // 160 events in batches of at most 25: the first call's batch alone, then the others' together.
      expect(names.length).toBeLessThanOrEqual(1 + Math.ceil(150 / 25));
    } finally {
      spy.mockRestore();
    }
    for (const u of users) {
      expect((await recentEvents(env.ctx, g.group, u, 20)).map((e) => e.itemId)).toEqual([
        'w',
        ...Array.from({ length: 10 }, (_, i) => `i${i}`),
      ]);
    }
  });

  it('ties anonymous session events to the user who later signs in', async () => {
    const { g, trackingId } = await tracked('sessions');
    await putEvents(env.ctx, { trackingId, sessionId: 'anon-1', eventList: [click('i1', 1_700_000_001)] });
    // Before sign-in the session id works as a user id.
    expect((await recentEvents(env.ctx, g.group, 'anon-1', 10)).map((e) => e.itemId)).toEqual(['i1']);
    await putEvents(env.ctx, {
      trackingId,
      userId: 'bob',
      sessionId: 'anon-1',
      eventList: [click('i2', 1_700_000_002)],
    });
    await putEvents(env.ctx, { trackingId, sessionId: 'anon-1', eventList: [click('i3', 1_700_000_003)] });
    expect((await recentEvents(env.ctx, g.group, 'bob', 10)).map((e) => e.itemId)).toEqual([
      'i1',
      'i2',
      'i3',
    ]);
    const interactions: Interaction[] = await all(groupInteractions(env.ctx, g.group));
    expect(interactions.map((e) => [e.userId, e.itemId])).toEqual([
      ['bob', 'i1'],
      ['bob', 'i2'],
      ['bob', 'i3'],
    ]);
  });

  it("ties a session in the same round trip as the call's own write: link, session read and events side by side", async () => {
    const { g, trackingId } = await tracked('tie-parallel');
    await putEvents(env.ctx, { trackingId, sessionId: 'anon-p', eventList: [click('i1', 1_700_000_001)] });
    const send = env.ctx.ddb.send.bind(env.ctx.ddb);
    const log: string[] = [];
    let marks = 0;
    const spy = jest.spyOn(env.ctx.ddb, 'send').mockImplementation((async (command: object) => {
      const name = command.constructor.name;
      // A write mark (`store/event-marks.ts`) goes ahead of the link: once per group and minute, left out here.
      if (String((command as { input?: { Item?: { pk?: unknown } } }).input?.Item?.pk).startsWith('marks|')) {
        marks++;
        return (send as (c: object) => Promise<unknown>)(command);
      }
      log.push(`start ${name}`);
      try {
        return await (send as (c: object) => Promise<unknown>)(command);
      } finally {
        log.push(`end ${name}`);
      }
    }) as never);
    try {
      await putEvents(env.ctx, {
        trackingId,
        userId: 'pia',
        sessionId: 'anon-p',
        eventList: [click('i2', 1_700_000_002)],
      });
    } finally {
      spy.mockRestore();
    }
    // (The anonymous call left "no link" cached.) The link write, the read of the session and the events' write all
    // start before any of them ends; then the session's event is copied to the user.
    expect(new Set(log.slice(0, 3))).toEqual(
      new Set(['start PutCommand', 'start QueryCommand', 'start BatchWriteCommand']),
    );
    expect(log.slice(-2)).toEqual(['start BatchWriteCommand', 'end BatchWriteCommand']);
    expect(log).toHaveLength(8);
    expect(marks).toBe(1);
    expect((await recentEvents(env.ctx, g.group, 'pia', 10)).map((e) => e.itemId)).toEqual(['i1', 'i2']);
  });

  it('refuses an unknown tracking id, forbidden or unknown properties, and a group without Interactions', async () => {
    const { trackingId } = await tracked('refusals');
    const base = { sessionId: 's', eventList: [click('i1', 1_700_000_000)] };
    await expect(putEvents(env.ctx, { ...base, trackingId: 'no-such-id' })).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: 'The trackingId no-such-id does not belong to any event tracker.',
    });
    await expect(
      putEvents(env.ctx, {
        trackingId,
        sessionId: 's',
        eventList: [click('i1', 1, { properties: '{"UserId":"x"}' })],
      }),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/may not contain UserId/),
    });
    await expect(
      putEvents(env.ctx, {
        trackingId,
        sessionId: 's',
        eventList: [click('i1', 1, { properties: '{"colour":"x"}' })],
      }),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: 'eventList.1.member: property colour does not match a column of the schema.',
    });
    await expect(
      putEvents(env.ctx, { trackingId, sessionId: 's', eventList: [click('i1', 1, { properties: 'nope' })] }),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });

    const bare = await env.ctx.resources.create({
      arn: 'arn:aws:personalize:us-east-1:000000000000:dataset-group/bare',
      type: 'dataset-group',
      status: 'ACTIVE',
      doc: { name: 'bare', status: 'ACTIVE' },
    });
    await expect(
      putEvents(env.ctx, { ...base, trackingId: 't' }, async () => ({
        datasetGroupArn: bare.arn,
        status: 'ACTIVE',
      })),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/no Interactions dataset/),
    });
    await expect(
      putEvents(env.ctx, { ...base, trackingId: 't' }, async () => ({
        datasetGroupArn: bare.arn,
        status: 'DELETE PENDING',
      })),
    ).rejects.toMatchObject({ name: 'InvalidInputException', message: expect.stringMatching(/not ACTIVE/) });
  });
});

describe('putItems / putUsers', () => {
  it('validates against the schema and upserts; the latest write of an id wins over bulk data', async () => {
    const g = await env.group('records');
    const csv = await env.upload('records/items.csv', 'ITEM_ID,GENRES,PRICE\ni1,A|B,1\ni2,C,2\n');
    const { datasetImportJobArn } = await createDatasetImportJob(
      env.ctx,
      { jobName: 'records-items', datasetArn: g.items, dataSource: { dataLocation: csv }, roleArn: ROLE_ARN },
      async () => undefined,
    );
    await runDatasetImportJob(env.ctx, datasetImportJobArn as string);
    await putItems(env.ctx, {
      datasetArn: g.items,
      items: [
        { itemId: 'i2', properties: '{"genres":"D","price":"5.5"}' },
        { itemId: 'i3', properties: '{"description":"new","creationTimestamp":1700000000}' },
      ],
    });
    const items: ItemMeta[] = await all(groupItems(env.ctx, g.group));
    expect(items).toEqual([
      { itemId: 'i1', categorical: { GENRES: ['A', 'B'] }, numeric: { PRICE: 1 } },
      { itemId: 'i2', categorical: { GENRES: ['D'] }, numeric: { PRICE: 5.5 } },
      { itemId: 'i3', text: 'new', creationTimestamp: 1700000000 },
    ]);

    await putUsers(env.ctx, {
      datasetArn: g.users,
      users: [{ userId: 'u1', properties: '{"age":31,"membership":"gold"}' }],
    });
    const users: UserMeta[] = await all(groupUsers(env.ctx, g.group));
    expect(users).toEqual([{ userId: 'u1', categorical: { MEMBERSHIP: ['gold'] }, numeric: { AGE: 31 } }]);
  });

  it('refuses a missing dataset, the wrong dataset type, unknown columns, bad values and missing required ones', async () => {
    const g = await env.group('record-refusals');
    await expect(
      putItems(env.ctx, { datasetArn: `${g.items}X`, items: [{ itemId: 'i' }] }),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(putItems(env.ctx, { datasetArn: g.users, items: [{ itemId: 'i' }] })).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/has type Users; items belong in a dataset of type Items\./),
    });
    await expect(
      putItems(env.ctx, { datasetArn: g.items, items: [{ itemId: 'i', properties: '{"weight":1}' }] }),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: 'items.1.member: property weight does not match a column of the schema.',
    });
    await expect(
      putItems(env.ctx, { datasetArn: g.items, items: [{ itemId: 'i', properties: '{"price":"cheap"}' }] }),
    ).rejects.toMatchObject({ message: "items.1.member: property price: 'cheap' is not a valid double." });
    await expect(
      putUsers(env.ctx, { datasetArn: g.users, users: [{ userId: 'u', properties: '{"membership":"x"}' }] }),
    ).rejects.toMatchObject({ message: 'users.1.member.properties must set AGE (required by the schema).' });
  });
});

describe('a dataset deleted and created again', () => {
  it('starts empty: earlier bulk data, events and records of the same ARN are not its data', async () => {
    const { g, trackingId } = await tracked('recreated');
    const importInto = async (
      jobName: string,
      datasetArn: string,
      key: string,
      body: string,
      incremental = false,
    ) => {
      const dataLocation = await env.upload(key, body);
      const { datasetImportJobArn } = await createDatasetImportJob(
        env.ctx,
        {
          jobName,
          datasetArn,
          dataSource: { dataLocation },
          roleArn: ROLE_ARN,
          importMode: incremental ? 'INCREMENTAL' : 'FULL',
        },
        async () => undefined,
      );
      return runDatasetImportJob(env.ctx, datasetImportJobArn as string);
    };
    expect((await importInto('recreated-1', g.interactions, 're/i.csv', interactionsCsv(1000))).status).toBe(
      'ACTIVE',
    );
    await putEvents(env.ctx, {
      trackingId,
      userId: 'x',
      sessionId: 'sx',
      eventList: [click('i1', 1_700_000_000)],
    });
    await putItems(env.ctx, { datasetArn: g.items, items: [{ itemId: 'i1', properties: '{"genres":"A"}' }] });
    expect((await all(groupInteractions(env.ctx, g.group))).length).toBe(1001);
    const before = await findDataset(env.ctx, g.interactions);
    expect((await currentGenerations(env.ctx, before as NonNullable<typeof before>)).length).toBe(1);

    for (const arn of [g.interactions, g.items]) {
      const { dataset } = await describeDataset(env.ctx, { datasetArn: arn });
      await deleteDataset(env.ctx, { datasetArn: arn });
      await createDataset(env.ctx, {
        name: dataset?.name as string,
        datasetGroupArn: g.group,
        datasetType: dataset?.datasetType as string,
        schemaArn: dataset?.schemaArn as string,
      });
    }
    expect(await all(groupInteractions(env.ctx, g.group))).toEqual([]);
    const after = await findDataset(env.ctx, g.interactions);
    expect(await currentGenerations(env.ctx, after as NonNullable<typeof after>)).toEqual([]);
    expect(await recentEvents(env.ctx, g.group, 'x', 10)).toEqual([]);
    expect(await all(groupItems(env.ctx, g.group))).toEqual([]);
    await expect(
      importInto('recreated-2', g.interactions, 're/i.csv', interactionsCsv(1000), true),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });

    await putEvents(env.ctx, {
      trackingId,
      userId: 'x',
      sessionId: 'sx',
      eventList: [click('i2', 1_700_000_001)],
    });
    expect((await recentEvents(env.ctx, g.group, 'x', 10)).map((e) => e.itemId)).toEqual(['i2']);
  });
});

describe('a schema deleted and created again under the same name', () => {
  it('validates records against the new fields', async () => {
    const g = await env.group('reschema');
    const itemsSchema = (field: string) =>
      JSON.stringify({
        type: 'record',
        name: 'Items',
        namespace: 'com.amazonaws.personalize.schema',
        fields: [
          { name: 'ITEM_ID', type: 'string' },
          { name: field, type: ['null', 'string'], categorical: true },
        ],
        version: '1.0',
      });
    const { dataset } = await describeDataset(env.ctx, { datasetArn: g.items });
    await deleteDataset(env.ctx, { datasetArn: g.items });
    const make = async (field: string) => {
      const { schemaArn } = await createSchema(env.ctx, {
        name: 'reschema-items',
        schema: itemsSchema(field),
      });
      await createDataset(env.ctx, {
        name: dataset?.name as string,
        datasetGroupArn: g.group,
        datasetType: 'Items',
        schemaArn: schemaArn as string,
      });
      return schemaArn as string;
    };
    const first = await make('COLOR');
    await putItems(env.ctx, {
      datasetArn: g.items,
      items: [{ itemId: 'i1', properties: '{"color":"red"}' }],
    });
    await deleteDataset(env.ctx, { datasetArn: g.items });
    await deleteSchema(env.ctx, { schemaArn: first });
    expect(await make('SIZE')).toBe(first);
    await putItems(env.ctx, { datasetArn: g.items, items: [{ itemId: 'i1', properties: '{"size":"XL"}' }] });
    await expect(
      putItems(env.ctx, { datasetArn: g.items, items: [{ itemId: 'i1', properties: '{"color":"red"}' }] }),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });
  });
});
