/**
 * The customer's buckets as batch inference steps reach them: with `OP_IMPORT_ASSUME_ROLE=true` (AWS) through the
 * job's `roleArn`, assumed as Personalize assumes it; otherwise (local runtime) with the function's own credentials.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { s3Client } from '../clients';
import type { FilesFor } from '../services/batch-inference-jobs';
import { serviceContext } from '../services/context';
import { BatchFiles } from '../store/batch-io';

const sts = new STSClient({});

const assumed: FilesFor = async (roleArn) => {
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: 'open-personalize-batch',
      DurationSeconds: 3600,
    }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
    throw new Error(`AssumeRole on ${roleArn} returned no credentials`);
  }
  return new BatchFiles(
    new S3Client({
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
      },
    }),
  );
};

const own: FilesFor = async () => new BatchFiles(s3Client());

export function filesFor(): FilesFor {
  return serviceContext().importAssumeRole ? assumed : own;
}
