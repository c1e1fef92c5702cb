import { ResourceStore } from '../../../lambdas/store/resources';
import { RESOURCES_TABLE } from '../../../lambdas/store/tables';
import { type LocalDynamo, startDynalite } from '../services/dynalite-table';

const TABLE = 'resources-store-test';
let local: LocalDynamo;
let store: ResourceStore;

beforeAll(async () => {
  local = await startDynalite([{ def: RESOURCES_TABLE, name: TABLE }]);
  store = new ResourceStore(local.ddb, TABLE);
});
afterAll(async () => {
  await local.close();
});

const arn = (type: string, id: string) => `arn:aws:personalize:us-east-1:000000000000:${type}/${id}`;

describe('ResourceStore', () => {
  it('creates once, round-trips the document with dates, refuses a second create of the same ARN', async () => {
    const a = arn('dataset-group', 'create-once');
    const created = new Date(1_700_000_000_123);
    await store.create({
      arn: a,
      type: 'dataset-group',
      status: 'ACTIVE',
      doc: { name: 'create-once', creationDateTime: created, nested: { when: created, list: [created, 1] } },
      tags: { team: 'a' },
    });
    const got = await store.require<{ name: string; creationDateTime: Date; nested: { when: Date } }>(a);
    expect(got.doc.creationDateTime).toBeInstanceOf(Date);
    expect(got.doc.creationDateTime.getTime()).toBe(created.getTime());
    expect(got.doc.nested.when.getTime()).toBe(created.getTime());
    expect(got.status).toBe('ACTIVE');
    expect(got.tags).toEqual({ team: 'a' });

    await expect(
      store.create({ arn: a, type: 'dataset-group', doc: { name: 'other' } }),
    ).rejects.toMatchObject({
      name: 'ResourceAlreadyExistsException',
      message: `Another resource with Arn ${a} already exists.`,
    });
    expect((await store.require<{ name: string }>(a)).doc.name).toBe('create-once');
  });

  it('require and get treat a missing ARN or another type as absent', async () => {
    const a = arn('schema', 'typed');
    await store.create({ arn: a, type: 'schema', doc: {} });
    expect(await store.get(a, 'dataset')).toBeUndefined();
    await expect(store.require(arn('schema', 'missing'))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('updates conditionally on status and leaves the item untouched when the condition fails', async () => {
    const a = arn('dataset', 'cond/INTERACTIONS');
    await store.create({ arn: a, type: 'dataset', status: 'ACTIVE', doc: { status: 'ACTIVE', keep: 1 } });
    const updated = await store.update(
      a,
      { status: 'DELETE PENDING', doc: { status: 'DELETE PENDING' } },
      {
        statusIn: ['ACTIVE'],
      },
    );
    expect(updated.status).toBe('DELETE PENDING');
    expect(updated.doc).toEqual({ status: 'DELETE PENDING', keep: 1 });
    await expect(
      store.update(a, { status: 'X', doc: { keep: 2 } }, { statusIn: ['ACTIVE'] }),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });
    expect((await store.require(a)).doc).toEqual({ status: 'DELETE PENDING', keep: 1 });
    await expect(store.update(arn('dataset', 'nope/ITEMS'), { status: 'ACTIVE' })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('updates on the condition that an attribute is still absent, so only the first such write wins', async () => {
    const a = arn('solution', 'attrs-absent');
    await store.create({ arn: a, type: 'solution', doc: {}, attrs: { other: 1 } });
    const claim = (value: number) => store.update(a, { attrs: { due: value } }, { attrsAbsent: ['due'] });
    expect((await claim(5)).attrs).toEqual({ other: 1, due: 5 });
    await expect(claim(6)).rejects.toMatchObject({ name: 'ResourceInUseException' });
    expect((await store.require(a)).attrs).toEqual({ other: 1, due: 5 });
  });

  it('counts references atomically and refuses deletion while a counter is non-zero', async () => {
    const a = arn('schema', 'counted');
    await store.create({ arn: a, type: 'schema', status: 'ACTIVE', doc: {} });
    await Promise.all([1, 2, 3].map(() => store.addCounter(a, 'refs', 1, { statusIn: ['ACTIVE'] })));
    expect((await store.require(a)).counters.refs).toBe(3);
    await expect(store.delete(a, { countersZero: ['refs'] })).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });
    await Promise.all([1, 2, 3].map(() => store.addCounter(a, 'refs', -1)));
    await store.delete(a, { countersZero: ['refs'] });
    expect(await store.get(a)).toBeUndefined();
    await expect(store.delete(a)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('lists by type and by parent newest first with an opaque nextToken', async () => {
    const parent = arn('dataset-group', 'paging-parent');
    const base = 1_800_000_000_000;
    for (let i = 0; i < 5; i++) {
      await store.create({
        arn: arn('event-tracker', `page${i}`),
        type: 'event-tracker',
        parentArn: parent,
        status: i === 2 ? 'CREATE PENDING' : 'ACTIVE',
        doc: { i },
        createdAt: base + i,
      });
    }
    await store.create({
      arn: arn('dataset', 'paging-parent/USERS'),
      type: 'dataset',
      parentArn: parent,
      doc: {},
      createdAt: base + 10,
    });

    const seen: number[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await store.list<{ i: number }>({
        type: 'event-tracker',
        parentArn: parent,
        limit: 2,
        nextToken,
      });
      seen.push(...page.items.map((r) => r.doc.i));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken !== undefined);
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    expect(pages).toBeGreaterThanOrEqual(3);

    const byType = await store.list<{ i: number }>({ type: 'event-tracker', limit: 100 });
    expect(byType.items.map((r) => r.doc.i)).toEqual([4, 3, 2, 1, 0]);
    expect(byType.nextToken).toBeUndefined();

    const pending = await store.findChild(parent, 'event-tracker', ['CREATE PENDING']);
    expect(pending?.arn).toBe(arn('event-tracker', 'page2'));
    expect((await store.findChild(parent))?.parentArn).toBe(parent);
    expect(await store.findChild(arn('dataset-group', 'childless'))).toBeUndefined();
    expect(await store.findChild(parent, 'solution')).toBeUndefined();
  });

  it('refuses malformed and foreign next tokens with InvalidNextTokenException', async () => {
    const parent = arn('dataset-group', 'token-parent');
    for (let i = 0; i < 3; i++) {
      await store.create({ arn: arn('campaign', `tok${i}`), type: 'campaign', parentArn: parent, doc: {} });
    }
    const page = await store.list({ type: 'campaign', parentArn: parent, limit: 1 });
    expect(page.nextToken).toBeDefined();
    const invalid = { name: 'InvalidNextTokenException' };
    await expect(store.list({ type: 'campaign', limit: 1, nextToken: 'not a token' })).rejects.toMatchObject(
      invalid,
    );
    await expect(store.list({ type: 'campaign', limit: 1, nextToken: page.nextToken })).rejects.toMatchObject(
      invalid,
    );
    await expect(
      store.list({ type: 'solution', parentArn: parent, limit: 1, nextToken: page.nextToken }),
    ).rejects.toMatchObject(invalid);
    const forged = Buffer.from(JSON.stringify({ pk: 1, sk: 'R', gsi1pk: 'campaign', gsi1sk: 'x' })).toString(
      'base64url',
    );
    await expect(store.list({ type: 'campaign', limit: 1, nextToken: forged })).rejects.toMatchObject(
      invalid,
    );
  });

  it('guard items are put-if-absent, readable and deletable', async () => {
    expect(await store.putGuard('tracker-of', 'g1', { arn: 'a1' })).toBe(true);
    expect(await store.putGuard('tracker-of', 'g1', { arn: 'a2' })).toBe(false);
    expect(await store.getGuard('tracker-of', 'g1')).toEqual({ arn: 'a1' });
    await store.deleteGuard('tracker-of', 'g1');
    expect(await store.getGuard('tracker-of', 'g1')).toBeUndefined();
    expect(await store.putGuard('tracker-of', 'g1', { arn: 'a3' })).toBe(true);
  });

  it('merges concurrent tag updates without losing any', async () => {
    const a = arn('solution', 'tagged');
    await store.create({ arn: a, type: 'solution', doc: {} });
    await Promise.all(
      ['k1', 'k2', 'k3', 'k4'].map((k) => store.updateTags(a, (current) => ({ ...current, [k]: 'v' }))),
    );
    expect((await store.require(a)).tags).toEqual({ k1: 'v', k2: 'v', k3: 'v', k4: 'v' });
    await expect(store.updateTags(arn('solution', 'untagged'), (c) => c)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
