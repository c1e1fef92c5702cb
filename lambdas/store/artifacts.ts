/**
 * Binary artifacts in the data bucket (training snapshots, models): whole-object reads and streamed writes.
 * Key naming stays with the services that own each artifact; this module only moves bytes.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

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

/** The object's bytes; `undefined` when there is no such object. */
export async function getArtifact(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<Uint8Array | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (out.Body === undefined) throw new Error(`Object ${key} has no body`);
    return await out.Body.transformToByteArray();
  } catch (err) {
    if (err instanceof Error && err.name === 'NoSuchKey') return undefined;
    throw err;
  }
}
