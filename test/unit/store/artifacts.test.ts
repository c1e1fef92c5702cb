import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getArtifact, getArtifactRange, putArtifact, RANGE_BYTES } from '../../../lambdas/store/artifacts';
import { type LocalS3, startLocalS3 } from '../services/local-s3';

const BUCKET = 'data';
let localS3: LocalS3;
let s3: S3Client;

beforeAll(async () => {
  localS3 = await startLocalS3([BUCKET], 'artifacts-test-');
  s3 = localS3.s3;
});
afterAll(async () => {
  await localS3.close();
});

/** Bytes whose every position differs from its neighbours', so a misplaced range shows. */
function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >>> 8) * 7 + (i >>> 16)) & 0xff;
  return bytes;
}

describe('getArtifact', () => {
  it('reads objects of every size whole, large ones as ranges put back in order', async () => {
    for (const length of [1, 1000, RANGE_BYTES, RANGE_BYTES + 1, 4 * RANGE_BYTES + 12_345]) {
      const bytes = pattern(length);
      await putArtifact(s3, BUCKET, `object-${length}`, [bytes]);
      const read = await getArtifact(s3, BUCKET, `object-${length}`);
      expect(read?.length).toBe(length);
      expect(Buffer.compare(Buffer.from(read as Uint8Array), Buffer.from(bytes))).toBe(0);
      const shared = await getArtifact(s3, BUCKET, `object-${length}`, true);
      expect(shared?.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shared?.byteLength).toBe(shared?.buffer.byteLength);
      expect(Buffer.compare(Buffer.from(shared as Uint8Array), Buffer.from(bytes))).toBe(0);
    }
  });

  it('reads byte ranges of an object, long ones as several ranges put back in order', async () => {
    const length = 4 * RANGE_BYTES + 12_345;
    const bytes = pattern(length);
    await putArtifact(s3, BUCKET, 'ranged', [bytes]);
    for (const [start, end] of [
      [1, 2],
      [0, 5],
      [5, RANGE_BYTES + 7],
      [2 * RANGE_BYTES - 3, length],
      [10, 10],
    ] as const) {
      const read = await getArtifactRange(s3, BUCKET, 'ranged', start, end);
      expect(Buffer.compare(Buffer.from(read), Buffer.from(bytes.subarray(start, end)))).toBe(0);
    }
    await expect(getArtifactRange(s3, BUCKET, 'ranged', 5, 4)).rejects.toThrow(/Bad range/);
    await expect(getArtifactRange(s3, BUCKET, 'missing', 0, 8)).rejects.toThrow(/No object missing/);
  });

  it('reads an empty object as no bytes and a missing one as undefined', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'empty', Body: new Uint8Array(0) }));
    expect(await getArtifact(s3, BUCKET, 'empty')).toEqual(new Uint8Array(0));
    expect(await getArtifact(s3, BUCKET, 'missing')).toBeUndefined();
  });
});
