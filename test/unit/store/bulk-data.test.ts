import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  BulkDataStore,
  type BulkValue,
  type Generation,
  generationKey,
  ImportSource,
} from '../../../lambdas/store/bulk-data';
import { BLOCK_CHARS, BLOCK_ROWS } from '../../../lambdas/store/bulk-format';
import { RESOURCES_TABLE } from '../../../lambdas/store/tables';
import { type LocalDynamo, startDynalite } from '../services/dynalite-table';
import { type LocalS3, startLocalS3 } from '../services/local-s3';

const BUCKET = 'data';
const DATASET = 'arn:aws:personalize:us-east-1:000000000000:dataset/bulk-test/INTERACTIONS';
let local: LocalDynamo;
let localS3: LocalS3;
let s3: S3Client;
let store: BulkDataStore;

beforeAll(async () => {
  local = await startDynalite([{ def: RESOURCES_TABLE, name: 'resources' }]);
  localS3 = await startLocalS3([BUCKET, 'customer'], 'bulk-data-test-');
  s3 = localS3.s3;
  store = new BulkDataStore(local.ddb, 'resources', s3, BUCKET);
});
afterAll(async () => {
  await localS3.close();
  await local.close();
});

async function readAll(key: string): Promise<{ columns: readonly string[]; rows: BulkValue[][] }> {
  let columns: readonly string[] = [];
  const rows: BulkValue[][] = [];
  for await (const batch of store.read(key)) {
    columns = batch.columns;
    rows.push(...batch.rows);
  }
  return { columns, rows };
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

const generation = (key: string, mode: Generation['mode'], rows: number): Generation => ({
  key,
  jobArn: `arn:aws:personalize:us-east-1:000000000000:dataset-import-job/${key}`,
  rows,
  mode,
  publishedAt: 1,
});

describe('BulkDataStore', () => {
  it('names generation objects after the dataset and job', () => {
    expect(generationKey(DATASET, 'job-1')).toBe('datasets/bulk-test/INTERACTIONS/imports/job-1.bin');
  });

  it('streams a multi-part generation to S3 and reads back the same rows', async () => {
    const key = generationKey(DATASET, 'big');
    const writer = store.openWriter(key, ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_VALUE']);
    const expected: BulkValue[][] = [];
    // About 8 MB of blocks: more than one 5 MB upload part.
    for (let i = 0; i < 200_000; i++) {
      const row: BulkValue[] = [
        `user-${i % 977}-padding-padding`,
        `item-${i}`,
        1_700_000_000 + i,
        i % 3 ? 0.5 : null,
      ];
      expected.push(row);
      await writer.write(row);
    }
    await writer.finish();
    expect(writer.rows).toBe(200_000);
    const back = await readAll(key);
    expect(back.columns).toEqual(['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_VALUE']);
    expect(back.rows.length).toBe(expected.length);
    expect(back.rows).toEqual(expected);
  });

  it('reads back every kind of value, over several blocks and a partial last one', async () => {
    const key = generationKey(DATASET, 'kinds');
    const columns = ['S', 'N', 'B', 'MIXED'];
    const strings = ['', 'plain', 'é-ü 日本', '"quoted"\\,\n|x', '\ud800 lone', '😀'];
    const numbers = [0, -1.5, 1e300, 2 ** 53 + 2, 1_700_000_000];
    const expected: BulkValue[][] = Array.from({ length: BLOCK_ROWS * 2 + 17 }, (_, i) => [
      strings[i % strings.length] as string,
      i % 7 === 0 ? null : (numbers[i % numbers.length] as number),
      i % 3 === 0 ? null : i % 2 === 0,
      [null, 'm', 3.25, true, false][i % 5] as BulkValue,
    ]);
    const writer = store.openWriter(key, columns);
    for (const row of expected) await writer.write(row);
    await writer.finish();
    const back = await readAll(key);
    expect(back.columns).toEqual(columns);
    expect(back.rows).toEqual(expected);
    // Equal strings of a block come back as one value, whatever the row.
    expect(back.rows[0]?.[0]).toBe('');
  });

  it('cuts a block early when its strings are long, and reads the rows back in order', async () => {
    const key = generationKey(DATASET, 'long-text');
    // 40 rows of 300,000 characters: about 14 rows per block of 4M characters.
    const expected: BulkValue[][] = Array.from({ length: 40 }, (_, i) => [
      `item-${i}`,
      `${i}`.padEnd(300_000, 'x'),
    ]);
    const writer = store.openWriter(key, ['ITEM_ID', 'DESCRIPTION']);
    for (const row of expected) await writer.write(row);
    await writer.finish();
    const sizes: number[] = [];
    const rows: BulkValue[][] = [];
    for await (const batch of store.read(key)) {
      sizes.push(batch.rows.length);
      rows.push(...batch.rows);
    }
    expect(rows).toEqual(expected);
    expect(sizes.length).toBe(Math.ceil(40 / Math.ceil(BLOCK_CHARS / 300_006)));
    expect(Math.max(...sizes)).toBeLessThan(BLOCK_ROWS);
  });

  it('reads a generation of no rows, and refuses one cut short', async () => {
    const empty = generationKey(DATASET, 'empty');
    const writer = store.openWriter(empty, ['A']);
    await writer.finish();
    expect(await readAll(empty)).toEqual({ columns: [], rows: [] });

    const full = generationKey(DATASET, 'to-cut');
    const complete = store.openWriter(full, ['A']);
    for (let i = 0; i < 100; i++) await complete.write([`v${i}`]);
    await complete.finish();
    const bytes = await (
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: full }))
    ).Body?.transformToByteArray();
    const cut = generationKey(DATASET, 'cut');
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: cut, Body: bytes?.subarray(0, bytes.length - 9) }),
    );
    await expect(readAll(cut)).rejects.toThrow(/is truncated/);
  });

  it('still reads a generation written as JSON lines before the binary format', async () => {
    const key = 'datasets/bulk-test/INTERACTIONS/imports/old.jsonl';
    const body = ['{"v":1,"columns":["USER_ID","N"]}', '["u1",1]', '["ü",null]', '[true,2.5]', ''].join('\n');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(body) }));
    expect(await readAll(key)).toEqual({
      columns: ['USER_ID', 'N'],
      rows: [
        ['u1', 1],
        ['ü', null],
        [true, 2.5],
      ],
    });
  });

  it('aborting a writer leaves no object behind', async () => {
    const key = generationKey(DATASET, 'aborted');
    const writer = store.openWriter(key, ['A']);
    await writer.write(['x']);
    await writer.abort();
    expect(await exists(key)).toBe(false);
  });

  it('publishes FULL as a replacement and INCREMENTAL as an append, with a version per publish', async () => {
    const ds = `${DATASET}-publish`;
    expect(await store.state(ds)).toEqual({ version: 0, generations: [] });
    expect(await store.publish(ds, generation('g1', 'FULL', 1))).toEqual([]);
    expect(await store.publish(ds, generation('g2', 'INCREMENTAL', 2))).toEqual([]);
    expect((await store.state(ds)).generations.map((g) => g.key)).toEqual(['g1', 'g2']);
    const replaced = await store.publish(ds, generation('g3', 'FULL', 3));
    expect(replaced?.map((g) => g.key)).toEqual(['g1', 'g2']);
    expect(await store.state(ds)).toEqual({ version: 3, generations: [generation('g3', 'FULL', 3)] });
  });

  it('drops generations older than `since` (left by an earlier dataset of the same ARN)', async () => {
    const ds = `${DATASET}-since`;
    await store.publish(ds, { ...generation('old', 'FULL', 1), publishedAt: 10 });
    const replaced = await store.publish(ds, { ...generation('new', 'INCREMENTAL', 1), publishedAt: 30 }, 20);
    expect(replaced?.map((g) => g.key)).toEqual(['old']);
    expect((await store.state(ds)).generations.map((g) => g.key)).toEqual(['new']);
  });

  it('concurrent publishes all land: none is lost to a race', async () => {
    const ds = `${DATASET}-race`;
    await store.publish(ds, generation('base', 'FULL', 1));
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.publish(ds, generation(`inc${i}`, 'INCREMENTAL', 1))),
    );
    const state = await store.state(ds);
    expect(state.version).toBe(7);
    expect(state.generations.map((g) => g.key).sort()).toEqual([
      'base',
      'inc0',
      'inc1',
      'inc2',
      'inc3',
      'inc4',
      'inc5',
    ]);
  });
});

describe('ImportSource', () => {
  it('resolves an object or every object under a prefix, and streams bytes', async () => {
    for (const key of ['in/b.csv', 'in/a.csv', 'in/', 'other/c.csv']) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'customer',
          Key: key,
          Body: Buffer.from(key.endsWith('/') ? '' : `x,${key}`),
        }),
      );
    }
    const source = new ImportSource(s3);
    expect(await source.keys('customer', 'in/')).toEqual(['in/a.csv', 'in/b.csv']);
    expect(await source.keys('customer', 'other/c.csv')).toEqual(['other/c.csv']);
    await expect(source.keys('customer', 'missing.csv')).rejects.toThrow();
    const chunks: Buffer[] = [];
    for await (const chunk of await source.open('customer', 'in/a.csv')) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).toString('utf8')).toBe('x,in/a.csv');
  });
});
