/**
 * Bulk-imported dataset data: the only code that reads import sources from S3 and reads or writes imported rows.
 *
 * Each successful import job is one *generation*: an S3 object `datasets/<dataset resource id>/imports/<job>.bin`
 * in the data bucket holding the rows' normalised values (strings, numbers, booleans, null) in columnar blocks
 * (`bulk-format.ts`). Generations written before that format, `<job>.jsonl`, are still read: a first line
 * `{"v":1,"columns":[...]}`, then a JSON array of one row's values per line.
 *
 * Which generations make up a dataset's bulk data is recorded under `pk` = "bulk#<datasetArn>" in the Resources
 * table. The head item (`sk` = "BULK") has a `version` that every publish checks and bumps, the newest generations
 * inline, and references to immutable chunk items (`sk` = "CHUNK#<n>") holding older ones, so a dataset can take
 * any number of INCREMENTAL imports without the head nearing DynamoDB's 400 KB item limit. A chunk is written
 * before the head that references it, with contents fixed by the head version it was cut from, so a publish is
 * still a single conditional write (dynalite has no transactions): readers see the old list or the new one.
 *
 * Generations that leave the list are not deleted at once: a training step may be streaming them. They are
 * *retired* (`sk` = "RETIRED#<epoch ms>#<key>") and {@link BulkDataStore.sweepRetired} deletes them once they have
 * been retired longer than the grace period.
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import {
  BLOCK_CHARS,
  BLOCK_ROWS,
  type BulkValue,
  blockLength,
  decodeBlock,
  decodeFileHeader,
  encodeBlock,
  encodeFileHeader,
  isBinaryGeneration,
  stringChars,
} from './bulk-format';

export type { BulkValue };
export type ImportMode = 'FULL' | 'INCREMENTAL';

export interface Generation {
  readonly key: string;
  readonly jobArn: string;
  readonly rows: number;
  readonly mode: ImportMode;
  /** Epoch milliseconds. */
  readonly publishedAt: number;
}

export interface BulkState {
  /** 0 before the first publish. */
  readonly version: number;
  /** Oldest first: later generations override earlier ones for items and users with the same id. */
  readonly generations: readonly Generation[];
}

export interface BulkBatch {
  readonly columns: readonly string[];
  readonly rows: BulkValue[][];
}

/** The version of the JSON-lines generations written before the binary format. */
const JSON_LINES_VERSION = 1;
const POINTER_SK = 'BULK';
const MAX_PUBLISH_ATTEMPTS = 20;

/** Generations kept in the head item before the oldest are moved to a chunk item. */
export const INLINE_GENERATIONS = 64;
/**
 * How long a replaced generation stays readable: longer than any reader (a training Prepare step runs at most 15
 * minutes) can take between reading the list and reading the object.
 */
export const RETIRE_GRACE_MS = 60 * 60_000;
const CHUNK_PREFIX = 'CHUNK#';
const RETIRED_PREFIX = 'RETIRED#';

const pointerPk = (datasetArn: string) => `bulk#${datasetArn}`;
const chunkSk = (id: number) => `${CHUNK_PREFIX}${String(id).padStart(12, '0')}`;

interface ChunkRef {
  readonly id: number;
  readonly count: number;
}

interface Head {
  readonly version: number;
  readonly chunks: readonly ChunkRef[];
  readonly generations: readonly Generation[];
}

/** `arn:aws:personalize:r:a:dataset/G/INTERACTIONS` → `datasets/G/INTERACTIONS/imports/<job>.bin`. */
export function generationKey(datasetArn: string, jobName: string): string {
  const resource = datasetArn
    .split(':')
    .slice(5)
    .join(':')
    .replace(/^dataset\//, '');
  return `datasets/${resource}/imports/${jobName}.bin`;
}

export class BulkDataStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly resourcesTable: string,
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async state(datasetArn: string): Promise<BulkState> {
    for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      const head = await this.head(datasetArn);
      const older: Generation[] = [];
      let complete = true;
      for (const ref of head.chunks) {
        const chunk = await this.item(datasetArn, chunkSk(ref.id));
        // A FULL publish deletes the chunks it replaced: this head is already outdated, read it again.
        if (chunk === undefined) {
          complete = false;
          break;
        }
        older.push(...(chunk.generations as Generation[]));
      }
      if (complete) return { version: head.version, generations: [...older, ...head.generations] };
    }
    throw new Error(`Bulk data of ${datasetArn} kept changing while it was read; giving up`);
  }

  /**
   * Makes a staged generation part of the dataset: FULL replaces the list, INCREMENTAL appends. Generations
   * published before `since` (the dataset's creation: they belong to an earlier dataset with the same ARN) are
   * dropped from the inline list either way (readers skip them too). `stillMayPublish` is asked right before each
   * conditional write; when it says no, nothing is published and `undefined` is returned. Retries when another job
   * published in between. Returns the generations that left the list; they are retired, not deleted
   * (see {@link sweepRetired}).
   */
  async publish(
    datasetArn: string,
    generation: Generation,
    since = 0,
    stillMayPublish: () => boolean = () => true,
  ): Promise<Generation[] | undefined> {
    for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      const head = await this.head(datasetArn);
      const full = generation.mode === 'FULL';
      const inline = full ? [] : head.generations.filter((g) => g.publishedAt >= since);
      let chunks = full ? [] : [...head.chunks];
      const dropped = full ? head.generations : head.generations.filter((g) => g.publishedAt < since);
      let generations = [...inline, generation];
      const next = head.version + 1;
      if (generations.length > INLINE_GENERATIONS) {
        // The chunk's content is fixed by the head version it is cut from, so a concurrent publisher of the same
        // version writes the same bytes; only the one whose head write succeeds references it.
        await this.ddb.send(
          new PutCommand({
            TableName: this.resourcesTable,
            Item: { pk: pointerPk(datasetArn), sk: chunkSk(next), generations: inline },
          }),
        );
        chunks = [...chunks, { id: next, count: inline.length }];
        generations = [generation];
      }
      if (!stillMayPublish()) return undefined;
      try {
        await this.ddb.send(
          new PutCommand({
            TableName: this.resourcesTable,
            Item: { pk: pointerPk(datasetArn), sk: POINTER_SK, version: next, chunks, generations },
            ConditionExpression: 'attribute_not_exists(pk) OR #v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': head.version },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        continue;
      }
      const replaced = [...dropped];
      if (full) {
        for (const ref of head.chunks) {
          const chunk = await this.item(datasetArn, chunkSk(ref.id));
          replaced.unshift(...((chunk?.generations as Generation[] | undefined) ?? []));
        }
      }
      await this.retire(datasetArn, replaced);
      if (full) {
        for (const ref of head.chunks) await this.deleteItem(datasetArn, chunkSk(ref.id));
      }
      return replaced;
    }
    throw new Error(`Bulk data of ${datasetArn} kept changing concurrently; giving up`);
  }

  /** Records generations that left the list, for {@link sweepRetired} to delete after the grace period. */
  async retire(datasetArn: string, generations: readonly Generation[], at = Date.now()): Promise<void> {
    for (const g of generations) {
      await this.ddb.send(
        new PutCommand({
          TableName: this.resourcesTable,
          Item: {
            pk: pointerPk(datasetArn),
            sk: `${RETIRED_PREFIX}${String(at).padStart(15, '0')}#${g.key}`,
            key: g.key,
            retiredAt: at,
          },
        }),
      );
    }
  }

  /** Deletes the objects of generations retired more than `graceMs` ago; returns their keys. */
  async sweepRetired(datasetArn: string, graceMs = RETIRE_GRACE_MS, now = Date.now()): Promise<string[]> {
    const upTo = `${RETIRED_PREFIX}${String(now - graceMs).padStart(15, '0')}#\uffff`;
    const swept: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.resourcesTable,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pointerPk(datasetArn), ':from': RETIRED_PREFIX, ':to': upTo },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        await this.delete(item.key as string);
        await this.deleteItem(datasetArn, item.sk as string);
        swept.push(item.key as string);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return swept;
  }

  private async head(datasetArn: string): Promise<Head> {
    const item = await this.item(datasetArn, POINTER_SK);
    if (item === undefined) return { version: 0, chunks: [], generations: [] };
    return {
      version: item.version as number,
      chunks: (item.chunks ?? []) as ChunkRef[],
      generations: item.generations as Generation[],
    };
  }

  private async item(datasetArn: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.resourcesTable,
        Key: { pk: pointerPk(datasetArn), sk },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }

  private async deleteItem(datasetArn: string, sk: string): Promise<void> {
    await this.ddb.send(
      new DeleteCommand({ TableName: this.resourcesTable, Key: { pk: pointerPk(datasetArn), sk } }),
    );
  }

  /** Starts writing a generation to the data bucket; nothing is visible to readers until {@link publish}. */
  openWriter(key: string, columns: readonly string[]): GenerationWriter {
    return new GenerationWriter(this.s3, this.bucket, key, columns);
  }

  /** Streams a generation's rows in batches (a block of the binary format, or what a chunk of JSON lines held). */
  async *read(key: string): AsyncGenerator<BulkBatch> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = (out.Body as Readable)[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    // Enough of the start to tell the format by.
    const start: Uint8Array[] = [];
    let length = 0;
    while (length < 4) {
      const next = await body.next();
      if (next.done) break;
      start.push(next.value);
      length += next.value.length;
    }
    if (length === 0) return;
    const first = Buffer.concat(start);
    const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => body };
    yield* isBinaryGeneration(first) ? readBlocks(key, first, rest) : readJsonLines(key, first, rest);
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

/** The rows of a binary generation whose bytes are `first`, then `rest`, a block at a time. */
async function* readBlocks(
  key: string,
  first: Uint8Array,
  rest: AsyncIterable<Uint8Array>,
): AsyncGenerator<BulkBatch> {
  // The bytes not decoded yet, joined only once a whole header or block is there.
  let parts: Uint8Array[] = [first];
  let size = first.length;
  const joined = (): Uint8Array => {
    if (parts.length > 1) parts = [Buffer.concat(parts)];
    return parts[0] ?? new Uint8Array(0);
  };
  const drop = (length: number): void => {
    const left = joined().subarray(length);
    parts = [left];
    size = left.length;
  };
  let columns: string[] | undefined;
  let need = 8;
  const take = function* (): Generator<BulkBatch> {
    while (size >= need) {
      if (columns === undefined) {
        const file = decodeFileHeader(joined(), key);
        if (file === undefined) {
          need = Math.max(need, size + 1);
          return;
        }
        columns = file.columns;
        drop(file.length);
        need = 4;
        continue;
      }
      const length = blockLength(joined()) as number;
      if (size < length) {
        need = length;
        return;
      }
      yield { columns, rows: decodeBlock(joined().subarray(0, length), columns.length, key) };
      drop(length);
      need = 4;
    }
  };
  yield* take();
  for await (const chunk of rest) {
    parts.push(chunk);
    size += chunk.length;
    yield* take();
  }
  if (size > 0 || columns === undefined) throw new Error(`${key} is truncated`);
}

/** The rows of a JSON-lines generation (written before the binary format) whose bytes are `first`, then `rest`. */
async function* readJsonLines(
  key: string,
  first: Uint8Array,
  rest: AsyncIterable<Uint8Array>,
): AsyncGenerator<BulkBatch> {
  let columns: string[] | undefined;
  let tail = '';
  const decoder = new TextDecoder('utf-8');
  const take = (text: string): BulkValue[][] => {
    const lines = (tail + text).split('\n');
    tail = lines.pop() ?? '';
    const rows: BulkValue[][] = [];
    for (const line of lines) {
      if (line === '') continue;
      if (columns === undefined) {
        const header = JSON.parse(line) as { v: number; columns: string[] };
        if (header.v !== JSON_LINES_VERSION) throw new Error(`${key}: unknown bulk data format ${header.v}`);
        columns = header.columns;
      } else {
        rows.push(JSON.parse(line) as BulkValue[]);
      }
    }
    return rows;
  };
  const batch = (rows: BulkValue[][]): BulkBatch[] =>
    rows.length > 0 && columns !== undefined ? [{ columns, rows }] : [];
  yield* batch(take(decoder.decode(first, { stream: true })));
  for await (const chunk of rest) yield* batch(take(decoder.decode(chunk, { stream: true })));
  yield* batch(take(`${decoder.decode()}\n`));
}

/**
 * Streams a generation to S3 with a multipart upload, a block of rows at a time, so a generation of any size is
 * written with bounded memory. `write` waits while the upload is behind.
 */
export class GenerationWriter {
  private readonly body = new PassThrough();
  private readonly done: Promise<unknown>;
  private readonly upload: Upload;
  private readonly columns: number;
  private failure: unknown;
  private block: (readonly BulkValue[])[] = [];
  private blockChars = 0;
  rows = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly key: string,
    columns: readonly string[],
  ) {
    this.upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.body, ContentType: 'application/octet-stream' },
      queueSize: 2,
    });
    this.done = this.upload.done();
    this.done.catch((err: unknown) => {
      this.failure = err;
    });
    this.columns = columns.length;
    this.body.write(encodeFileHeader(columns));
  }

  async write(row: readonly BulkValue[]): Promise<void> {
    this.block.push(row);
    this.blockChars += stringChars(row);
    this.rows++;
    if (this.block.length >= BLOCK_ROWS || this.blockChars >= BLOCK_CHARS) await this.flush();
  }

  /** Ends the object; resolves when S3 has it. */
  async finish(): Promise<void> {
    await this.flush();
    this.body.end();
    await this.done;
  }

  /** Stops the upload and removes whatever was written. */
  async abort(): Promise<void> {
    this.body.destroy();
    await this.upload.abort().catch(() => undefined);
    await this.done.catch(() => undefined);
    await this.s3
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }))
      .catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.block.length === 0) return;
    const chunks = encodeBlock(this.block, this.columns);
    this.block = [];
    this.blockChars = 0;
    const bytes = Buffer.concat(chunks);
    if (!this.body.write(bytes)) await Promise.race([once(this.body, 'drain'), this.done]);
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Where a dataset import reads from: the customer's bucket, with whichever credentials the client carries. */
export class ImportSource {
  constructor(private readonly s3: S3Client) {}

  /**
   * The object keys a `dataLocation` names: the object itself, or every object under a prefix ending in `/`
   * (in key order, skipping "folder" placeholder keys).
   */
  async keys(bucket: string, keyOrPrefix: string): Promise<string[]> {
    if (keyOrPrefix !== '' && !keyOrPrefix.endsWith('/')) {
      await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOrPrefix }));
      return [keyOrPrefix];
    }
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: keyOrPrefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) if (o.Key !== undefined && !o.Key.endsWith('/')) keys.push(o.Key);
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  /** The object's bytes as a stream. */
  async open(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return out.Body as Readable;
  }
}

function isConditionFailure(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && 'name' in err && err.name === 'ConditionalCheckFailedException'
  );
}
