/**
 * Batch inference job files: the only code that reads a job's input and writes its output in the customer's
 * buckets (with whichever credentials the client carries: the job's role assumed on AWS), and that keeps the
 * per-chunk results in the data bucket until the job's outputs are assembled.
 *
 * Chunk results live at `batch-inference/<job resource id>/<chunk index>.jsonl` in the data bucket and are deleted
 * once assembled.
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** `s3://bucket/key` split; `undefined` when it is not an S3 URI with a bucket. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (m === null) return undefined;
  return { bucket: m[1] as string, key: m[2] as string };
}

/** The customer's side: input objects and output objects of one job. */
export class BatchFiles {
  constructor(private readonly s3: S3Client) {}

  /**
   * The input objects a path names with their sizes: the object itself, or every object under a prefix ending in
   * `/` (in key order, skipping "folder" placeholder keys).
   */
  async inputs(bucket: string, keyOrPrefix: string): Promise<{ key: string; size: number }[]> {
    if (keyOrPrefix !== '' && !keyOrPrefix.endsWith('/')) {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOrPrefix }));
      return [{ key: keyOrPrefix, size: head.ContentLength ?? 0 }];
    }
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: keyOrPrefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined && !o.Key.endsWith('/')) out.push({ key: o.Key, size: o.Size ?? 0 });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Bytes [start, end) of an object as a stream (the whole object when `end` is undefined). */
  async read(bucket: string, key: string, start = 0, end?: number): Promise<AsyncIterable<Uint8Array>> {
    const range =
      start === 0 && end === undefined ? undefined : `bytes=${start}-${end === undefined ? '' : end - 1}`;
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
    return out.Body as Readable;
  }

  /** Writes an object from a stream of text parts. */
  async write(bucket: string, key: string, body: Readable): Promise<void> {
    await new Upload({ client: this.s3, params: { Bucket: bucket, Key: key, Body: body } }).done();
  }
}

/** Our side: chunk results in the data bucket. */
export class BatchParts {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  private prefix(jobId: string): string {
    return `batch-inference/${jobId}/`;
  }

  private key(jobId: string, chunk: number): string {
    return `${this.prefix(jobId)}${String(chunk).padStart(6, '0')}.jsonl`;
  }

  async put(jobId: string, chunk: number, text: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.key(jobId, chunk), Body: text }),
    );
  }

  async get(jobId: string, chunk: number): Promise<string> {
    const out = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.key(jobId, chunk) }),
    );
    if (out.Body === undefined) throw new Error(`Chunk ${chunk} of ${jobId} has no body`);
    return out.Body.transformToString('utf8');
  }

  /** Removes every chunk result of a job. */
  async clear(jobId: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix(jobId),
          ContinuationToken: token,
        }),
      );
      // One DeleteObject per part: a job has at most a few hundred, and it needs no Content-MD5 (s3rver).
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined)
          await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key }));
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
}
