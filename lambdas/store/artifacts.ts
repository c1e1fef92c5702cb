/**
 * The artifacts of training and serving in the data bucket, and the only code that names, reads, writes or deletes
 * them. Under `models/<solution name>/<version id>/`:
 * - `training-data.bin`: the training snapshot (`engine/snapshot.ts`);
 * - `model.bin`: the trained model (`engine/model.ts`), and `updates/<generation>-<ms>.bin` the automatic updates'
 *   generations of it;
 * - `history-tails.bin`: each training user's newest events, for serving (`engine/history-tails.ts`; versions published
 *   before that format have them in the snapshot's);
 * - `training/plan.json`: the training's plan (its shard count and the chosen model), `training/start.bin` the
 *   chosen candidate's output embeddings from self-tuning (float32, little-endian), `training/shard-<n>.bin` each
 *   user shard's sums and `training/sums.bin` their total (`engine/shards.ts`); the publish step deletes `training/`;
 * - `<model key without .bin>.item-stats.json` beside every model: its item statistics (`services/item-stats.ts`);
 * - `data-mark.json`: what the training read of the group's data (`services/data-marks.ts`), and beside each
 *   generation `<key without .bin>.data-mark.json` with `<key without .bin>.new-interactions.bin`, the interactions
 *   that arrived since the training (the snapshot's format), so the next update reads only what came after.
 * Whole-object reads (large objects as parallel ranges), streamed writes, and deletion by key or by a solution's
 * prefix.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { arnName, parseArn } from '../services/arns';

/** Prefix of one solution version's artifacts. */
export function versionPrefix(versionArn: string): string {
  const parsed = parseArn(versionArn);
  if (parsed === undefined || parsed.resourceType !== 'solution' || !parsed.resourceId.includes('/')) {
    throw new Error(`Not a solution version ARN: ${versionArn}`);
  }
  return `models/${parsed.resourceId}/`;
}

/** Prefix of every artifact of a solution's versions. */
export function solutionPrefix(solutionArn: string): string {
  return `models/${arnName(solutionArn)}/`;
}

export const snapshotKey = (versionArn: string): string => `${versionPrefix(versionArn)}training-data.bin`;
export const modelKey = (versionArn: string): string => `${versionPrefix(versionArn)}model.bin`;
export const historyTailsKey = (versionArn: string): string =>
  `${versionPrefix(versionArn)}history-tails.bin`;

/** The distributed training's intermediate objects, all under one prefix so they go together. */
export const trainingWorkPrefix = (versionArn: string): string => `${versionPrefix(versionArn)}training/`;
export const trainingPlanKey = (versionArn: string): string => `${trainingWorkPrefix(versionArn)}plan.json`;
export const tuningStartKey = (versionArn: string): string => `${trainingWorkPrefix(versionArn)}start.bin`;
export const shardSumsKey = (versionArn: string, shard: number): string =>
  `${trainingWorkPrefix(versionArn)}shard-${String(shard).padStart(4, '0')}.bin`;
export const reducedSumsKey = (versionArn: string): string => `${trainingWorkPrefix(versionArn)}sums.bin`;

/** Key of an automatic update's generation: beside the version's model, never the key a campaign serves now. */
export function generationKey(versionArn: string, generation: number, at: number): string {
  return `${versionPrefix(versionArn)}updates/${String(generation).padStart(6, '0')}-${at}.bin`;
}

/** What a version's training read of its group's data. */
export const dataMarkKey = (versionArn: string): string => `${versionPrefix(versionArn)}data-mark.json`;

/** What the update that wrote a generation read, beside the generation. */
export function generationMarkKey(generationKey: string): string {
  return `${generationKey.replace(/\.bin$/, '')}.data-mark.json`;
}

/** The interactions that arrived since the training, as an update that wrote a generation read them. */
export function generationInteractionsKey(generationKey: string): string {
  return `${generationKey.replace(/\.bin$/, '')}.new-interactions.bin`;
}

/** The item statistics' key of a model artifact key. */
export function itemStatsKey(modelKey: string): string {
  return `${modelKey.replace(/\.bin$/, '')}.item-stats.json`;
}

/** Parts of at least this size are uploaded while the next ones are produced (S3's multipart minimum is 5 MiB). */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Writes `chunks` as one object, in order, streaming: a multipart upload for large objects, so the object is never
 * assembled in one buffer.
 */
export async function putArtifact(
  s3: S3Client,
  bucket: string,
  key: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: key,
      Body: Readable.from(chunks, { objectMode: false }),
      ContentType: 'application/octet-stream',
    },
    partSize: PART_BYTES,
    queueSize: 2,
  });
  await upload.done();
}

/** Objects larger than this are read as ranges of this size, several at once (S3's throughput is per connection). */
export const RANGE_BYTES = 16 * 1024 * 1024;
/** Ranges of one object read at once. */
const RANGE_CONCURRENCY = 4;

/** Copies a response body into `out` from `at`; throws unless it fills exactly `out[at, end)`. */
async function readInto(body: unknown, out: Uint8Array, at: number, end: number, key: string): Promise<void> {
  if (!(body instanceof Readable)) throw new Error(`Object ${key} has no readable body`);
  let to = at;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (to + chunk.length > end) throw new Error(`Object ${key} sent more bytes than asked for`);
    out.set(chunk, to);
    to += chunk.length;
  }
  if (to !== end) throw new Error(`Object ${key} ended after ${to - at} of ${end - at} bytes`);
}

/**
 * The object's bytes; `undefined` when there is no such object. The bytes are written into one buffer as they
 * arrive (no list of chunks to join), a SharedArrayBuffer when `shared` (for worker threads to read without a
 * copy); an object larger than {@link RANGE_BYTES} is read as ranges, up to {@link RANGE_CONCURRENCY} at once, each
 * required to come from the version the first range came from (`If-Match`).
 */
export async function getArtifact(
  s3: S3Client,
  bucket: string,
  key: string,
  shared = false,
): Promise<Uint8Array | undefined> {
  let first: GetObjectCommandOutput;
  try {
    first = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${RANGE_BYTES - 1}` }),
    );
  } catch (err) {
    if (err instanceof Error && err.name === 'NoSuchKey') return undefined;
    // An empty object has no byte 0 to range over.
    if (err instanceof Error && err.name === 'InvalidRange') return new Uint8Array(0);
    throw err;
  }
  // A store that ignores Range answers with the whole object and no Content-Range.
  const total = Number(/\/(\d+)$/.exec(first.ContentRange ?? '')?.[1] ?? first.ContentLength);
  if (!Number.isSafeInteger(total)) throw new Error(`Object ${key} has no length`);
  if (total === 0) {
    // Some S3 emulators answer a range of an empty object with a body they never send.
    if (first.Body instanceof Readable) first.Body.destroy();
    return new Uint8Array(0);
  }
  const bytes = new Uint8Array(shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
  const firstEnd = Math.min(total, first.ContentRange === undefined ? total : RANGE_BYTES);
  await Promise.all([
    readInto(first.Body, bytes, 0, firstEnd, key),
    readRanges(
      s3,
      bucket,
      key,
      { into: bytes, from: firstEnd, to: total, at: 0 },
      RANGE_CONCURRENCY - 1,
      first.ETag,
    ),
  ]);
  return bytes;
}

/**
 * Reads bytes [from, to) of an object into `into` (byte b at b − at), as ranges of at most {@link RANGE_BYTES},
 * `workers` at once, each from the version `etag` names where given.
 */
async function readRanges(
  s3: S3Client,
  bucket: string,
  key: string,
  span: { readonly into: Uint8Array; readonly from: number; readonly to: number; readonly at: number },
  workers: number,
  etag?: string,
): Promise<void> {
  const { into, to, at } = span;
  let next = span.from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const start = next;
      const end = Math.min(to, start + RANGE_BYTES);
      next = end;
      const part = await s3
        .send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            Range: `bytes=${start}-${end - 1}`,
            ...(etag === undefined ? {} : { IfMatch: etag }),
          }),
        )
        .catch((err: unknown) => {
          throw err instanceof Error && err.name === 'NoSuchKey' ? new Error(`No object ${key}`) : err;
        });
      if (part.ContentRange === undefined) {
        if (part.Body instanceof Readable) part.Body.destroy();
        throw new Error(`The store sent all of ${key} for a range of it`);
      }
      await readInto(part.Body, into, start - at, end - at, key);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

/**
 * Bytes [start, end) of an object, read as ranges of at most {@link RANGE_BYTES}, up to {@link RANGE_CONCURRENCY}
 * at once.
 */
export async function getArtifactRange(
  s3: S3Client,
  bucket: string,
  key: string,
  start: number,
  end: number,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new Error(`Bad range [${start}, ${end}) of ${key}`);
  const bytes = new Uint8Array(end - start);
  await readRanges(s3, bucket, key, { into: bytes, from: start, to: end, at: start }, RANGE_CONCURRENCY);
  return bytes;
}

/** Deletes one object; a missing one is no error. */
export async function deleteArtifact(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** Deletes every object under `prefix`, a page of listing at a time. */
export async function deleteArtifactsUnder(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (keys.length > 0)
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
