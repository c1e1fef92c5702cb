/**
 * Throttling never surfaces as a failure: the production client configuration retries DynamoDB's
 * ProvisionedThroughputExceededException and S3's SlowDown, and what would still escape is answered as
 * Personalize's ThrottlingException (HTTP 400), never a 5xx.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { errorResponse } from '../../../lambdas/api/http';
import { dynamoDbClientConfig, s3ClientConfig } from '../../../lambdas/clients';
import { BulkDataStore } from '../../../lambdas/store/bulk-data';
import { ResourceStore } from '../../../lambdas/store/resources';
import { RESOURCES_TABLE } from '../../../lambdas/store/tables';
import { throttlingHandler } from '../../fault/faults';
import { type LocalDynamo, startDynalite } from '../services/dynalite-table';
import { type LocalS3, startLocalS3 } from '../services/local-s3';

let dynamo: LocalDynamo;
let localS3: LocalS3;

beforeAll(async () => {
  dynamo = await startDynalite([{ def: RESOURCES_TABLE, name: 'resources' }]);
  localS3 = await startLocalS3(['throttled'], 'throttling-test-');
});
afterAll(async () => {
  await localS3.close();
  await dynamo.close();
});

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

it('retries throttled DynamoDB and S3 calls until they succeed', async () => {
  const ddbHandler = throttlingHandler(new NodeHttpHandler(), { service: 'dynamodb', timesPerRequest: 3 });
  const s3Handler = throttlingHandler(new NodeHttpHandler(), { service: 's3', timesPerRequest: 3 });
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...dynamoDbClientConfig(),
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials,
      requestHandler: ddbHandler,
    }),
  );
  const s3 = new S3Client({
    ...s3ClientConfig(),
    forcePathStyle: true,
    endpoint: localS3.endpoint,
    region: 'us-east-1',
    credentials,
    requestHandler: s3Handler,
  });
  const resources = new ResourceStore(ddb, 'resources');
  const arn = 'arn:aws:personalize:us-east-1:000000000000:dataset-group/throttled';
  await resources.create({ arn, type: 'dataset-group', status: 'ACTIVE', doc: { name: 'throttled' } });
  expect((await resources.require(arn)).status).toBe('ACTIVE');

  const bulk = new BulkDataStore(ddb, 'resources', s3, 'throttled');
  const writer = bulk.openWriter('datasets/throttled.jsonl', ['USER_ID']);
  await writer.write(['u1']);
  await writer.finish();
  const rows: unknown[] = [];
  for await (const batch of bulk.read('datasets/throttled.jsonl')) rows.push(...batch.rows);
  expect(rows).toEqual([['u1']]);
  expect(ddbHandler.stats.throttled).toBeGreaterThanOrEqual(6);
  expect(s3Handler.stats.throttled).toBeGreaterThanOrEqual(6);
}, 60_000);

it('answers throttling that outlasts the retries as ThrottlingException (400), not a 5xx', () => {
  for (const name of ['ProvisionedThroughputExceededException', 'SlowDown']) {
    const err = Object.assign(new Error('Rate exceeded'), { name });
    const response = errorResponse('control', err, 'req-1');
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).__type).toBe('ThrottlingException');
  }
});
