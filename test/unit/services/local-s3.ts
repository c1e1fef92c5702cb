/**
 * Test helper: an in-process s3rver in a scratch directory with the given buckets, and a path-style S3 client for it
 * that sends and checks checksums only where required.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// s3rver ships no type declarations; the constructor and the two calls used are typed above.
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

export interface LocalS3 {
  readonly s3: S3Client;
  /** The server's URL, for tests that build their own clients. */
  readonly endpoint: string;
  /** Destroys the client, stops the server and deletes its directory. */
  close(): Promise<void>;
}

export async function startLocalS3(buckets: readonly string[], dirPrefix = 'local-s3-'): Promise<LocalS3> {
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const { port } = await server.run();
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  for (const bucket of buckets) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    s3,
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      s3.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
