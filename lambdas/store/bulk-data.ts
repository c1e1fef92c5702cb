/**
 * Bulk-imported dataset data: the only code that reads import sources from S3 and reads or writes imported rows.
 *
 * Each successful import job is one *generation*: an S3 object `datasets/<dataset resource id>/imports/<job>.jsonl`
 * in the data bucket whose first line is `{"v":1,"columns":[...]}` and every further line a JSON array of one row's
 * normalised values in that column order (strings, numbers, booleans, null).
 *
 * Which generations make up a dataset's bulk data is one item in the Resources table, `pk` = "bulk#<datasetArn>",
 * `sk` = "BULK", with a `version` that every publish checks and bumps. A publish is therefore a single conditional
 * write (dynalite has no transactions): readers see either the old list or the new one, never a mix.
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
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';

export type BulkValue = string | number | boolean | null;
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

const FORMAT_VERSION = 1;
const POINTER_SK = 'BULK';
const MAX_PUBLISH_ATTEMPTS = 20;
/** Lines are handed to the upload stream in blocks of about this many characters. */
const FLUSH_CHARS = 256 * 1024;

const pointerPk = (datasetArn: string) => `bulk#${datasetArn}`;

/** `arn:aws:personalize:r:a:dataset/G/INTERACTIONS` → `datasets/G/INTERACTIONS/imports/<job>.jsonl`. */
export function generationKey(datasetArn: string, jobName: string): string {
  const resource = datasetArn
    .split(':')
    .slice(5)
    .join(':')
    .replace(/^dataset\//, '');
  return `datasets/${resource}/imports/${jobName}.jsonl`;
}

export class BulkDataStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly resourcesTable: string,
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async state(datasetArn: string): Promise<BulkState> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.resourcesTable,
        Key: { pk: pointerPk(datasetArn), sk: POINTER_SK },
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) return { version: 0, generations: [] };
    return { version: out.Item.version as number, generations: out.Item.generations as Generation[] };
  }

  /**
   * Makes a staged generation part of the dataset: FULL replaces the list, INCREMENTAL appends. Generations
   * published before `since` (the dataset's creation: they belong to an earlier dataset with the same ARN) are
   * dropped either way. Retries when another job published in between. Returns the generations that left the
   * list, for the caller to delete.
   */
  async publish(datasetArn: string, generation: Generation, since = 0): Promise<Generation[]> {
    for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      const current = await this.state(datasetArn);
      const kept =
        generation.mode === 'FULL' ? [] : current.generations.filter((g) => g.publishedAt >= since);
      const replaced = current.generations.filter((g) => !kept.includes(g));
      const generations = [...kept, generation];
      try {
        await this.ddb.send(
          new PutCommand({
            TableName: this.resourcesTable,
            Item: {
              pk: pointerPk(datasetArn),
              sk: POINTER_SK,
              version: current.version + 1,
              generations,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': current.version },
          }),
        );
        return replaced;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
    throw new Error(`Bulk data of ${datasetArn} kept changing concurrently; giving up`);
  }

  /** Starts writing a generation to the data bucket; nothing is visible to readers until {@link publish}. */
  openWriter(key: string, columns: readonly string[]): GenerationWriter {
    return new GenerationWriter(this.s3, this.bucket, key, columns);
  }

  /** Streams a generation's rows in batches. */
  async *read(key: string): AsyncGenerator<BulkBatch> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    let columns: string[] | undefined;
    let rest = '';
    const decoder = new TextDecoder('utf-8');
    const take = (text: string): BulkValue[][] => {
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      const rows: BulkValue[][] = [];
      for (const line of lines) {
        if (line === '') continue;
        if (columns === undefined) {
          const header = JSON.parse(line) as { v: number; columns: string[] };
          if (header.v !== FORMAT_VERSION) throw new Error(`${key}: unknown bulk data format ${header.v}`);
          columns = header.columns;
        } else {
          rows.push(JSON.parse(line) as BulkValue[]);
        }
      }
      return rows;
    };
    for await (const chunk of out.Body as Readable) {
      const rows = take(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (rows.length > 0 && columns !== undefined) yield { columns, rows };
    }
    const rows = take(`${decoder.decode()}\n`);
    if (rows.length > 0 && columns !== undefined) yield { columns, rows };
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

/**
 * Streams lines to S3 with a multipart upload, so a generation of any size is written with bounded memory. `write`
 * waits while the upload is behind.
 */
export class GenerationWriter {
  private readonly body = new PassThrough();
  private readonly done: Promise<unknown>;
  private readonly upload: Upload;
  private failure: unknown;
  private lines: string[] = [];
  private chars = 0;
  rows = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly key: string,
    columns: readonly string[],
  ) {
    this.upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.body, ContentType: 'application/x-ndjson' },
      queueSize: 2,
    });
    this.done = this.upload.done();
    this.done.catch((err: unknown) => {
      this.failure = err;
    });
    this.lines.push(JSON.stringify({ v: FORMAT_VERSION, columns }));
  }

  async write(row: readonly BulkValue[]): Promise<void> {
    const line = JSON.stringify(row);
    this.lines.push(line);
    this.chars += line.length;
    this.rows++;
    if (this.chars >= FLUSH_CHARS) await this.flush();
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
    if (this.lines.length === 0) return;
    const text = `${this.lines.join('\n')}\n`;
    this.lines = [];
    this.chars = 0;
    if (!this.body.write(text)) await Promise.race([once(this.body, 'drain'), this.done]);
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
