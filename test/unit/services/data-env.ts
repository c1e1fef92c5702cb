/**
 * Test helper for the data services: dynalite with the three tables, s3rver with the data bucket and a customer
 * bucket, a service context over them, and a dataset group with Interactions, Items and Users datasets created
 * through the control-plane services.
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createServiceContext, type ServiceContext } from '../../../lambdas/services/context';
import { createDatasetGroup } from '../../../lambdas/services/dataset-groups';
import { createDataset } from '../../../lambdas/services/datasets';
import { createSchema } from '../../../lambdas/services/schemas';
import { EVENTS_TABLE, RECORDS_TABLE, RESOURCES_TABLE } from '../../../lambdas/store/tables';
import { startDynalite } from './dynalite-table';
import { startLocalS3 } from './local-s3';

export const CUSTOMER_BUCKET = 'customer-data';
export const DATA_BUCKET = 'op-data';
export const ROLE_ARN = 'arn:aws:iam::000000000000:role/PersonalizeS3';

export interface DataEnv {
  readonly ctx: ServiceContext;
  readonly s3: S3Client;
  /** Uploads a customer CSV and returns its `s3://` URI. */
  upload(key: string, body: string): Promise<string>;
  /** Keys in the data bucket under a prefix. */
  dataKeys(prefix: string): Promise<string[]>;
  /** Moves the context's clock forward. */
  advance(ms: number): void;
  /** Creates a dataset group with the three datasets; returns their ARNs. */
  group(name: string): Promise<GroupArns>;
  close(): Promise<void>;
}

export interface GroupArns {
  readonly group: string;
  readonly interactions: string;
  readonly items: string;
  readonly users: string;
}

const INTERACTIONS_SCHEMA = {
  type: 'record',
  name: 'Interactions',
  namespace: 'com.amazonaws.personalize.schema',
  fields: [
    { name: 'USER_ID', type: 'string' },
    { name: 'ITEM_ID', type: 'string' },
    { name: 'TIMESTAMP', type: 'long' },
    { name: 'EVENT_TYPE', type: 'string' },
    { name: 'EVENT_VALUE', type: ['null', 'float'] },
    { name: 'IMPRESSION', type: ['null', 'string'] },
    { name: 'DEVICE', type: ['null', 'string'], categorical: true },
  ],
  version: '1.0',
};

const ITEMS_SCHEMA = {
  type: 'record',
  name: 'Items',
  namespace: 'com.amazonaws.personalize.schema',
  fields: [
    { name: 'ITEM_ID', type: 'string' },
    { name: 'GENRES', type: ['null', 'string'], categorical: true },
    { name: 'PRICE', type: ['null', 'double'] },
    { name: 'DESCRIPTION', type: ['null', 'string'], textual: true },
    { name: 'CREATION_TIMESTAMP', type: ['null', 'long'] },
  ],
  version: '1.0',
};

const USERS_SCHEMA = {
  type: 'record',
  name: 'Users',
  namespace: 'com.amazonaws.personalize.schema',
  fields: [
    { name: 'USER_ID', type: 'string' },
    { name: 'AGE', type: 'int' },
    { name: 'MEMBERSHIP', type: ['null', 'string'], categorical: true },
  ],
  version: '1.0',
};

export interface DataEnvOptions {
  /** Wraps the clients the services use (fault injection); the helper's own uploads use the plain S3 client. */
  readonly wrapDdb?: (ddb: DynamoDBDocumentClient) => DynamoDBDocumentClient;
  readonly wrapS3?: (s3: S3Client) => S3Client;
}

export async function startDataEnv(options: DataEnvOptions = {}): Promise<DataEnv> {
  const dynamo = await startDynalite([
    { def: RESOURCES_TABLE, name: 'resources' },
    { def: EVENTS_TABLE, name: 'events' },
    { def: RECORDS_TABLE, name: 'records' },
  ]);
  const { s3, close: closeS3 } = await startLocalS3([DATA_BUCKET, CUSTOMER_BUCKET], 'data-env-');
  let clock = 1_700_000_000_000;
  const ctx = createServiceContext({
    accountId: '000000000000',
    region: 'us-east-1',
    ddb: options.wrapDdb?.(dynamo.ddb) ?? dynamo.ddb,
    resourcesTable: 'resources',
    eventsTable: 'events',
    recordsTable: 'records',
    s3: options.wrapS3?.(s3) ?? s3,
    dataBucket: DATA_BUCKET,
    // Strictly increasing, so "later write wins" never depends on two writes sharing a millisecond.
    now: () => new Date(clock++),
    importFunction: 'DatasetImport',
    importAssumeRole: false,
  });
  const schemaArns = new Map<string, string>();
  const schema = async (name: string, body: object): Promise<string> => {
    const known = schemaArns.get(name);
    if (known !== undefined) return known;
    const { schemaArn } = await createSchema(ctx, { name, schema: JSON.stringify(body) });
    schemaArns.set(name, schemaArn as string);
    return schemaArn as string;
  };
  return {
    ctx,
    s3,
    advance: (ms) => {
      clock += ms;
    },
    upload: async (key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: CUSTOMER_BUCKET, Key: key, Body: body }));
      return `s3://${CUSTOMER_BUCKET}/${key}`;
    },
    dataKeys: async (prefix) => {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: DATA_BUCKET, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key as string).sort();
    },
    group: async (name) => {
      const { datasetGroupArn } = await createDatasetGroup(ctx, { name });
      const group = datasetGroupArn as string;
      const make = async (type: string, schemaName: string, body: object) =>
        (
          await createDataset(ctx, {
            name: `${name}-${type}`,
            datasetGroupArn: group,
            datasetType: type,
            schemaArn: await schema(schemaName, body),
          })
        ).datasetArn as string;
      return {
        group,
        interactions: await make('Interactions', 'interactions-schema', INTERACTIONS_SCHEMA),
        items: await make('Items', 'items-schema', ITEMS_SCHEMA),
        users: await make('Users', 'users-schema', USERS_SCHEMA),
      };
    },
    close: async () => {
      await closeS3();
      await dynamo.close();
    },
  };
}

/** An interactions CSV with `rows` rows; `override(line)` replaces the text of one data line (line 2 = first row). */
export function interactionsCsv(
  rows: number,
  override: (line: number) => string | undefined = () => undefined,
): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE'];
  for (let r = 0; r < rows; r++) {
    const line = r + 2;
    lines.push(override(line) ?? `u${r % 50},i${r % 200},${1_700_000_000 + r},click,${r % 5}`);
  }
  return `${lines.join('\n')}\n`;
}
