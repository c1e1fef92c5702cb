/**
 * The dataset import worker: invoked asynchronously by CreateDatasetImportJob with `{"datasetImportJobArn": ...}`.
 * With `OP_IMPORT_ASSUME_ROLE=true` (AWS) the source bucket is read with the job's role assumed, as Personalize
 * reads a customer's bucket; otherwise with the function's own credentials.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { serviceContext } from '../services/context';
import { type ImportOutcome, runDatasetImportJob, type SourceFor } from '../services/dataset-import-jobs';
import { ImportSource } from '../store/bulk-data';

const sts = new STSClient({});

const assumedRoleSource: SourceFor = async (roleArn) => {
  if (roleArn === undefined) throw new Error('The import job has no roleArn to read its data with');
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: 'open-personalize-import',
      DurationSeconds: 3600,
    }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
    throw new Error(`AssumeRole on ${roleArn} returned no credentials`);
  }
  return new ImportSource(
    new S3Client({
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
      },
    }),
  );
};

export async function handler(event: { datasetImportJobArn?: unknown }): Promise<ImportOutcome> {
  if (typeof event.datasetImportJobArn !== 'string') {
    throw new Error('Expected an event of the form {"datasetImportJobArn": "..."}');
  }
  const ctx = serviceContext();
  return runDatasetImportJob(
    ctx,
    event.datasetImportJobArn,
    ctx.importAssumeRole ? assumedRoleSource : undefined,
  );
}
