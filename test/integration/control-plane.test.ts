/**
 * Control-plane resources through the official SDK against the local runtime: dataset groups, schemas, datasets,
 * event trackers and tags — the happy path of every operation and, for each, refused inputs surfacing as the typed
 * Personalize exceptions.
 */
import {
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateEventTrackerCommand,
  CreateSchemaCommand,
  DeleteDatasetCommand,
  DeleteDatasetGroupCommand,
  DeleteEventTrackerCommand,
  DeleteSchemaCommand,
  DescribeDatasetCommand,
  DescribeDatasetGroupCommand,
  DescribeEventTrackerCommand,
  DescribeSchemaCommand,
  InvalidInputException,
  InvalidNextTokenException,
  ListDatasetGroupsCommand,
  ListDatasetsCommand,
  ListEventTrackersCommand,
  ListSchemasCommand,
  ListTagsForResourceCommand,
  type PersonalizeClient,
  paginateListDatasetGroups,
  ResourceAlreadyExistsException,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  TooManyTagsException,
  UntagResourceCommand,
  UpdateDatasetCommand,
} from '@aws-sdk/client-personalize';
import { startTestRuntime, type TestRuntime } from './harness';

let t: TestRuntime;
let p: PersonalizeClient;
let account: string;
let region: string;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
  p = t.personalize;
  account = t.runtime.accountId;
  region = t.runtime.region;
});
afterAll(() => t?.stop());

const arn = (resource: string) => `arn:aws:personalize:${region}:${account}:${resource}`;

const interactionsSchema = (extra: Record<string, unknown>[] = []) =>
  JSON.stringify({
    type: 'record',
    name: 'Interactions',
    namespace: 'com.amazonaws.personalize.schema',
    fields: [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      ...extra,
    ],
    version: '1.0',
  });
const itemsSchema = JSON.stringify({
  type: 'record',
  name: 'Items',
  fields: [
    { name: 'ITEM_ID', type: 'string' },
    { name: 'GENRES', type: ['null', 'string'], categorical: true },
  ],
});

async function group(name: string): Promise<string> {
  const out = await p.send(new CreateDatasetGroupCommand({ name }));
  return out.datasetGroupArn!;
}

describe('dataset groups', () => {
  it('creates ACTIVE with tags and KMS settings, describes, and refuses a duplicate name', async () => {
    const kmsKeyArn = `arn:aws:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const roleArn = `arn:aws:iam::${account}:role/personalize-kms`;
    const out = await p.send(
      new CreateDatasetGroupCommand({
        name: 'cp-group-a',
        roleArn,
        kmsKeyArn,
        tags: [{ tagKey: 'team', tagValue: 'recs' }],
      }),
    );
    expect(out.datasetGroupArn).toBe(arn('dataset-group/cp-group-a'));
    const { datasetGroup } = await p.send(
      new DescribeDatasetGroupCommand({ datasetGroupArn: out.datasetGroupArn }),
    );
    expect(datasetGroup).toMatchObject({
      name: 'cp-group-a',
      datasetGroupArn: out.datasetGroupArn,
      status: 'ACTIVE',
      roleArn,
      kmsKeyArn,
    });
    expect(datasetGroup?.creationDateTime).toBeInstanceOf(Date);
    expect(datasetGroup?.domain).toBeUndefined();

    await expect(p.send(new CreateDatasetGroupCommand({ name: 'cp-group-a' }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
  });

  it('refuses bad names, roleArn without kmsKeyArn, and domain groups with InvalidInputException', async () => {
    await expect(p.send(new CreateDatasetGroupCommand({ name: '-starts-with-dash' }))).rejects.toBeInstanceOf(
      InvalidInputException,
    );
    await expect(p.send(new CreateDatasetGroupCommand({ name: 'x'.repeat(64) }))).rejects.toBeInstanceOf(
      InvalidInputException,
    );
    await expect(
      p.send(
        new CreateDatasetGroupCommand({ name: 'cp-role-only', roleArn: `arn:aws:iam::${account}:role/r` }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInputException', message: expect.stringMatching(/kmsKeyArn/) });
    await expect(
      p.send(new CreateDatasetGroupCommand({ name: 'cp-domain', domain: 'ECOMMERCE' })),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/not supported/),
    });
    await expect(
      p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: arn('dataset-group/cp-role-only') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('describe refuses an unknown ARN and a malformed one', async () => {
    await expect(
      p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: arn('dataset-group/never-created') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: 'not-an-arn' })),
    ).rejects.toBeInstanceOf(InvalidInputException);
  });

  it('lists newest first across pages with the SDK paginator, and refuses a bad token or page size', async () => {
    const names = ['cp-page-1', 'cp-page-2', 'cp-page-3'];
    for (const name of names) await group(name);
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListDatasetGroups({ client: p, pageSize: 2 }, {})) {
      pages++;
      expect(page.datasetGroups!.length).toBeLessThanOrEqual(2);
      for (const g of page.datasetGroups ?? []) {
        expect(Object.keys(g).sort()).toEqual(
          ['creationDateTime', 'datasetGroupArn', 'lastUpdatedDateTime', 'name', 'status'].sort(),
        );
        seen.push(g.name!);
      }
    }
    expect(pages).toBeGreaterThanOrEqual(2);
    const ours = seen.filter((n) => names.includes(n));
    expect(ours).toEqual(['cp-page-3', 'cp-page-2', 'cp-page-1']);
    expect(new Set(seen).size).toBe(seen.length);

    await expect(p.send(new ListDatasetGroupsCommand({ nextToken: 'garbage' }))).rejects.toBeInstanceOf(
      InvalidNextTokenException,
    );
    await expect(p.send(new ListDatasetGroupsCommand({ maxResults: 0 }))).rejects.toBeInstanceOf(
      InvalidInputException,
    );
  });
});

describe('schemas, datasets and the deletion order', () => {
  let groupArn: string;
  let schemaArn: string;
  let itemsSchemaArn: string;
  let datasetArn: string;

  beforeAll(async () => {
    groupArn = await group('cp-order');
  });

  it('creates, describes and lists schemas; refuses an invalid schema naming the field', async () => {
    const out = await p.send(
      new CreateSchemaCommand({ name: 'cp-interactions', schema: interactionsSchema() }),
    );
    schemaArn = out.schemaArn!;
    expect(schemaArn).toBe(arn('schema/cp-interactions'));
    itemsSchemaArn = (await p.send(new CreateSchemaCommand({ name: 'cp-items', schema: itemsSchema })))
      .schemaArn!;

    const { schema } = await p.send(new DescribeSchemaCommand({ schemaArn }));
    expect(schema).toMatchObject({ name: 'cp-interactions', schemaArn, schema: interactionsSchema() });
    expect(schema?.creationDateTime).toBeInstanceOf(Date);

    const listed = await p.send(new ListSchemasCommand({ maxResults: 100 }));
    const summary = listed.schemas?.find((s) => s.schemaArn === schemaArn);
    expect(summary).toBeDefined();
    expect(summary).not.toHaveProperty('schema');

    await expect(
      p.send(
        new CreateSchemaCommand({
          name: 'cp-bad',
          schema: interactionsSchema([{ name: 'EVENT_VALUE', type: 'string' }]),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInputException', message: expect.stringMatching(/EVENT_VALUE/) });
    await expect(
      p.send(new CreateSchemaCommand({ name: 'cp-interactions', schema: interactionsSchema() })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(
      p.send(
        new CreateSchemaCommand({
          name: 'cp-domain-schema',
          schema: interactionsSchema(),
          domain: 'ECOMMERCE',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      p.send(new DescribeSchemaCommand({ schemaArn: arn('schema/cp-nope') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(p.send(new ListSchemasCommand({ nextToken: 'x' }))).rejects.toBeInstanceOf(
      InvalidNextTokenException,
    );
  });

  it('creates a dataset (case-insensitive type) ACTIVE at once and refuses a second of that type', async () => {
    const out = await p.send(
      new CreateDatasetCommand({
        name: 'cp-interactions-ds',
        schemaArn,
        datasetGroupArn: groupArn,
        datasetType: 'INTERACTIONS',
        tags: [{ tagKey: 'k', tagValue: 'v' }],
      }),
    );
    datasetArn = out.datasetArn!;
    expect(datasetArn).toBe(arn('dataset/cp-order/INTERACTIONS'));
    const { dataset } = await p.send(new DescribeDatasetCommand({ datasetArn }));
    expect(dataset).toMatchObject({
      name: 'cp-interactions-ds',
      datasetArn,
      datasetGroupArn: groupArn,
      datasetType: 'Interactions',
      schemaArn,
      status: 'ACTIVE',
    });

    await expect(
      p.send(
        new CreateDatasetCommand({
          name: 'cp-second',
          schemaArn,
          datasetGroupArn: groupArn,
          datasetType: 'Interactions',
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
  });

  it('refuses datasets with a mismatched schema, unsupported type, unknown group or missing member', async () => {
    const base = { name: 'cp-bad-ds', schemaArn, datasetGroupArn: groupArn };
    await expect(p.send(new CreateDatasetCommand({ ...base, datasetType: 'Items' }))).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/record name/),
    });
    await expect(
      p.send(new CreateDatasetCommand({ ...base, datasetType: 'Action_Interactions' })),
    ).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/not supported/),
    });
    await expect(
      p.send(
        new CreateDatasetCommand({
          ...base,
          datasetType: 'Users',
          datasetGroupArn: arn('dataset-group/cp-none'),
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      p.send(new CreateDatasetCommand({ ...base, datasetType: 'Users', schemaArn: arn('schema/cp-none') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      p.send(
        new CreateDatasetCommand({ schemaArn, datasetGroupArn: groupArn, datasetType: 'Users' } as never),
      ),
    ).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      p.send(new DescribeDatasetCommand({ datasetArn: arn('dataset/cp-order/USERS') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists datasets under a group with summary members only, and refuses a bad token', async () => {
    await p.send(
      new CreateDatasetCommand({
        name: 'cp-items-ds',
        schemaArn: itemsSchemaArn,
        datasetGroupArn: groupArn,
        datasetType: 'items',
      }),
    );
    const out = await p.send(new ListDatasetsCommand({ datasetGroupArn: groupArn }));
    expect(out.datasets?.map((d) => d.datasetType)).toEqual(['Items', 'Interactions']);
    expect(out.datasets?.[0]).not.toHaveProperty('schemaArn');
    expect(out.nextToken).toBeUndefined();
    const other = await p.send(new ListDatasetsCommand({ datasetGroupArn: arn('dataset-group/cp-group-a') }));
    expect(other.datasets).toEqual([]);
    await expect(
      p.send(new ListDatasetsCommand({ datasetGroupArn: groupArn, nextToken: 'bm90IGEgdG9rZW4' })),
    ).rejects.toBeInstanceOf(InvalidNextTokenException);
  });

  it('updates a dataset to another schema of its type and refuses one of another type', async () => {
    const v2 = (
      await p.send(
        new CreateSchemaCommand({
          name: 'cp-interactions-v2',
          schema: interactionsSchema([{ name: 'EVENT_TYPE', type: 'string' }]),
        }),
      )
    ).schemaArn!;
    const out = await p.send(new UpdateDatasetCommand({ datasetArn, schemaArn: v2 }));
    expect(out.datasetArn).toBe(datasetArn);
    const { dataset } = await p.send(new DescribeDatasetCommand({ datasetArn }));
    expect(dataset?.schemaArn).toBe(v2);
    expect(dataset?.latestDatasetUpdate).toMatchObject({ schemaArn: v2, status: 'ACTIVE' });

    await expect(
      p.send(new UpdateDatasetCommand({ datasetArn, schemaArn: itemsSchemaArn })),
    ).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      p.send(new UpdateDatasetCommand({ datasetArn: arn('dataset/cp-order/USERS'), schemaArn: v2 })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);

    // The old schema is free again; the new one is pinned by the dataset.
    await p.send(new DeleteSchemaCommand({ schemaArn }));
    await expect(p.send(new DescribeSchemaCommand({ schemaArn }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(p.send(new DeleteSchemaCommand({ schemaArn: v2 }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    schemaArn = v2;
  });

  it('enforces the deletion order: datasets and tracker before the group, dataset before its schema', async () => {
    const tracker = await p.send(
      new CreateEventTrackerCommand({ name: 'cp-order-tracker', datasetGroupArn: groupArn }),
    );
    await expect(p.send(new DeleteDatasetGroupCommand({ datasetGroupArn: groupArn }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    // A refused delete leaves the group usable.
    const { datasetGroup } = await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: groupArn }));
    expect(datasetGroup?.status).toBe('ACTIVE');
    await expect(p.send(new DeleteSchemaCommand({ schemaArn: itemsSchemaArn }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );

    await p.send(new DeleteEventTrackerCommand({ eventTrackerArn: tracker.eventTrackerArn }));
    await p.send(new DeleteDatasetCommand({ datasetArn }));
    await expect(p.send(new DescribeDatasetCommand({ datasetArn }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(p.send(new DeleteDatasetCommand({ datasetArn }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(p.send(new DeleteDatasetGroupCommand({ datasetGroupArn: groupArn }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    await p.send(new DeleteDatasetCommand({ datasetArn: arn('dataset/cp-order/ITEMS') }));
    await p.send(new DeleteSchemaCommand({ schemaArn }));
    await p.send(new DeleteSchemaCommand({ schemaArn: itemsSchemaArn }));
    await expect(p.send(new DeleteSchemaCommand({ schemaArn }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await p.send(new DeleteDatasetGroupCommand({ datasetGroupArn: groupArn }));
    await expect(
      p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: groupArn })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(p.send(new DeleteDatasetGroupCommand({ datasetGroupArn: groupArn }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    // The name is free again.
    expect(await group('cp-order')).toBe(groupArn);
  });
});

describe('event trackers', () => {
  let groupArn: string;

  beforeAll(async () => {
    groupArn = await group('cp-tracking');
  });

  it('creates one tracker per group with a UUID tracking id, describes and lists it', async () => {
    const out = await p.send(
      new CreateEventTrackerCommand({
        name: 'cp-tracker',
        datasetGroupArn: groupArn,
        tags: [{ tagKey: 'a', tagValue: '1' }],
      }),
    );
    expect(out.eventTrackerArn).toMatch(/^arn:aws:personalize:[^:]+:\d+:event-tracker\/[0-9a-f]{8}$/);
    expect(out.trackingId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const { eventTracker } = await p.send(
      new DescribeEventTrackerCommand({ eventTrackerArn: out.eventTrackerArn }),
    );
    expect(eventTracker).toMatchObject({
      name: 'cp-tracker',
      eventTrackerArn: out.eventTrackerArn,
      accountId: account,
      trackingId: out.trackingId,
      datasetGroupArn: groupArn,
      status: 'ACTIVE',
    });

    await expect(
      p.send(new CreateEventTrackerCommand({ name: 'cp-tracker-2', datasetGroupArn: groupArn })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);

    const listed = await p.send(new ListEventTrackersCommand({ datasetGroupArn: groupArn }));
    expect(listed.eventTrackers).toHaveLength(1);
    expect(Object.keys(listed.eventTrackers![0]!).sort()).toEqual(
      ['creationDateTime', 'eventTrackerArn', 'lastUpdatedDateTime', 'name', 'status'].sort(),
    );
    const all = await p.send(new ListEventTrackersCommand({}));
    expect(all.eventTrackers?.some((e) => e.eventTrackerArn === out.eventTrackerArn)).toBe(true);

    await p.send(new DeleteEventTrackerCommand({ eventTrackerArn: out.eventTrackerArn }));
    await expect(
      p.send(new DescribeEventTrackerCommand({ eventTrackerArn: out.eventTrackerArn })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    // The group's slot is free again.
    const again = await p.send(
      new CreateEventTrackerCommand({ name: 'cp-tracker-3', datasetGroupArn: groupArn }),
    );
    expect(again.trackingId).not.toBe(out.trackingId);
  });

  it('refuses unknown groups and trackers, bad tokens and bad names', async () => {
    await expect(
      p.send(new CreateEventTrackerCommand({ name: 'cp-t', datasetGroupArn: arn('dataset-group/cp-none') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      p.send(new CreateEventTrackerCommand({ name: 'bad name', datasetGroupArn: groupArn })),
    ).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      p.send(new DescribeEventTrackerCommand({ eventTrackerArn: arn('event-tracker/00000000') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      p.send(new DeleteEventTrackerCommand({ eventTrackerArn: arn('event-tracker/00000000') })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      p.send(new ListEventTrackersCommand({ datasetGroupArn: groupArn, nextToken: 'e30' })),
    ).rejects.toBeInstanceOf(InvalidNextTokenException);
  });
});

describe('tags', () => {
  let groupArn: string;

  beforeAll(async () => {
    const out = await p.send(
      new CreateDatasetGroupCommand({ name: 'cp-tags', tags: [{ tagKey: 'owner', tagValue: 'a' }] }),
    );
    groupArn = out.datasetGroupArn!;
  });

  it('lists creation tags, merges TagResource, removes with UntagResource', async () => {
    expect((await p.send(new ListTagsForResourceCommand({ resourceArn: groupArn }))).tags).toEqual([
      { tagKey: 'owner', tagValue: 'a' },
    ]);
    await p.send(
      new TagResourceCommand({
        resourceArn: groupArn,
        tags: [
          { tagKey: 'owner', tagValue: 'b' },
          { tagKey: 'env', tagValue: 'test' },
        ],
      }),
    );
    const merged = (await p.send(new ListTagsForResourceCommand({ resourceArn: groupArn }))).tags ?? [];
    expect(merged).toHaveLength(2);
    expect(merged).toEqual(
      expect.arrayContaining([
        { tagKey: 'owner', tagValue: 'b' },
        { tagKey: 'env', tagValue: 'test' },
      ]),
    );
    await p.send(new UntagResourceCommand({ resourceArn: groupArn, tagKeys: ['owner', 'absent'] }));
    expect((await p.send(new ListTagsForResourceCommand({ resourceArn: groupArn }))).tags).toEqual([
      { tagKey: 'env', tagValue: 'test' },
    ]);
  });

  it('keeps tag keys that name Object.prototype members; refuses __proto__, which cannot be stored', async () => {
    const { datasetGroupArn } = await p.send(
      new CreateDatasetGroupCommand({
        name: 'cp-odd-tags',
        tags: [{ tagKey: 'constructor', tagValue: 'c' }],
      }),
    );
    const listed = async () =>
      (await p.send(new ListTagsForResourceCommand({ resourceArn: datasetGroupArn }))).tags ?? [];
    expect(await listed()).toEqual([{ tagKey: 'constructor', tagValue: 'c' }]);
    await p.send(
      new TagResourceCommand({
        resourceArn: datasetGroupArn,
        tags: [
          { tagKey: 'toString', tagValue: 't' },
          { tagKey: 'constructor', tagValue: 'c2' },
          { tagKey: 'hasOwnProperty', tagValue: 'h' },
        ],
      }),
    );
    await p.send(new UntagResourceCommand({ resourceArn: datasetGroupArn, tagKeys: ['hasOwnProperty'] }));
    const expected = [
      { tagKey: 'constructor', tagValue: 'c2' },
      { tagKey: 'toString', tagValue: 't' },
    ];
    expect(await listed()).toHaveLength(2);
    expect(await listed()).toEqual(expect.arrayContaining(expected));
    await expect(
      p.send(
        new TagResourceCommand({
          resourceArn: datasetGroupArn,
          tags: [{ tagKey: '__proto__', tagValue: 'p' }],
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      p.send(
        new CreateDatasetGroupCommand({
          name: 'cp-proto-tag',
          tags: [{ tagKey: '__proto__', tagValue: 'p' }],
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidInputException);
    expect(await listed()).toEqual(expect.arrayContaining(expected));
  });

  it('refuses more than 50 tags per resource, reserved keys and unknown ARNs', async () => {
    const many = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ tagKey: `${prefix}${i}`, tagValue: 'v' }));
    await p.send(new TagResourceCommand({ resourceArn: groupArn, tags: many(49, 'k') }));
    await expect(
      p.send(new TagResourceCommand({ resourceArn: groupArn, tags: many(2, 'extra') })),
    ).rejects.toBeInstanceOf(TooManyTagsException);
    expect((await p.send(new ListTagsForResourceCommand({ resourceArn: groupArn }))).tags).toHaveLength(50);
    await expect(
      p.send(new CreateDatasetGroupCommand({ name: 'cp-many-tags', tags: many(51, 'k') })),
    ).rejects.toBeInstanceOf(TooManyTagsException);
    await expect(
      p.send(new TagResourceCommand({ resourceArn: groupArn, tags: [{ tagKey: 'aws:x', tagValue: 'v' }] })),
    ).rejects.toBeInstanceOf(InvalidInputException);

    const unknown = arn('dataset-group/cp-no-such-group');
    await expect(
      p.send(new TagResourceCommand({ resourceArn: unknown, tags: [{ tagKey: 'a', tagValue: 'b' }] })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      p.send(new UntagResourceCommand({ resourceArn: unknown, tagKeys: ['a'] })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(p.send(new ListTagsForResourceCommand({ resourceArn: unknown }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      p.send(new UntagResourceCommand({ resourceArn: groupArn, tagKeys: [''] })),
    ).rejects.toBeInstanceOf(InvalidInputException);
  });
});
