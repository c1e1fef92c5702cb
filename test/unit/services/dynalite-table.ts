/**
 * Test helper: an in-process dynalite server with tables created from the shared definitions in `store/tables.ts`,
 * and a document client configured exactly like the production one.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableDef } from '../../../lambdas/store/tables';

interface DynaliteServer {
  listen(port: number, cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
  address(): AddressInfo | string | null;
}
type DynaliteFactory = (options: { createTableMs: number; deleteTableMs?: number }) => DynaliteServer;

// dynalite ships no type declarations; the two calls used here are typed above.
const dynalite = require('dynalite') as DynaliteFactory;

export interface LocalDynamo {
  readonly ddb: DynamoDBDocumentClient;
  /** The server's URL, for tests that build their own clients. */
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(
  tables: readonly { def: TableDef; name: string }[],
): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });
  await new Promise<void>((resolve, reject) => server.listen(0, (err) => (err ? reject(err) : resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite did not bind a TCP port');
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  for (const { def, name } of tables) await createTable(client, def, name);
  const ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    ddb,
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

async function createTable(client: DynamoDBClient, def: TableDef, name: string): Promise<void> {
  const keyNames = new Set<string>([def.partitionKey]);
  if (def.sortKey !== undefined) keyNames.add(def.sortKey);
  for (const index of def.indexes) {
    keyNames.add(index.partitionKey);
    if (index.sortKey !== undefined) keyNames.add(index.sortKey);
  }
  const keySchema = (pk: string, sk: string | undefined) => [
    { AttributeName: pk, KeyType: 'HASH' as const },
    ...(sk === undefined ? [] : [{ AttributeName: sk, KeyType: 'RANGE' as const }]),
  ];
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...keyNames].map((n) => ({ AttributeName: n, AttributeType: 'S' as const })),
      KeySchema: keySchema(def.partitionKey, def.sortKey),
      GlobalSecondaryIndexes:
        def.indexes.length === 0
          ? undefined
          : def.indexes.map((index) => ({
              IndexName: index.indexName,
              KeySchema: keySchema(index.partitionKey, index.sortKey),
              Projection:
                index.include === undefined
                  ? { ProjectionType: 'ALL' as const }
                  : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.include] },
            })),
    }),
  );
}
