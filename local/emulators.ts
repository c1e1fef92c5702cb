/**
 * The embedded AWS emulators: dynalite (DynamoDB) and s3rver (S3), in this process, persisted under a data
 * directory or kept in memory, with the project's tables and bucket created when absent.
 */
import crypto from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { IndexDef, TableDef } from '../lambdas/store/tables';
import { close, listen } from './http-util';

/** s3rver accepts only this fixed key pair; the handlers and users uploading CSVs sign with it. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const HOST = '127.0.0.1';

interface DynaliteOptions {
  readonly path?: string;
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
}
type DynaliteFactory = (options: DynaliteOptions) => Server;

interface S3rverOptions {
  readonly address: string;
  readonly port: number;
  readonly directory: string;
  readonly silent: boolean;
  readonly configureBuckets: readonly { readonly name: string }[];
}
interface S3rverInstance {
  configureBuckets(): Promise<unknown>;
  /** The Koa request listener. */
  callback(): RequestListener;
}
type S3rverClass = new (options: S3rverOptions) => S3rverInstance;

let desShimInstalled = false;

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which Node 17+ only has under
 * `--openssl-legacy-provider`. Triple DES with the key repeated three times is the same cipher (E_k∘D_k∘E_k = E_k)
 * and is in OpenSSL's default provider, so `des` is mapped to it when the legacy provider is not loaded. Only
 * the `des` name is touched; every other algorithm goes to Node unchanged.
 */
export function ensureDesCipher(): void {
  if (desShimInstalled) return;
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return;
  } catch {
    // Legacy provider absent: install the mapping below.
  }
  const tripled = (key: crypto.CipherKey): Buffer => {
    const k = Buffer.from(key as Uint8Array);
    return k.length === 8 ? Buffer.concat([k, k, k]) : k;
  };
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  const patched = crypto as unknown as {
    createCipheriv: (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null) => crypto.Cipher;
    createDecipheriv: (
      algorithm: string,
      key: crypto.CipherKey,
      iv: crypto.BinaryLike | null,
    ) => crypto.Decipher;
  };
  patched.createCipheriv = (algorithm, key, iv) =>
    algorithm.toLowerCase() === 'des'
      ? createCipheriv('des-ede3-cbc', tripled(key), iv)
      : createCipheriv(algorithm, key, iv);
  patched.createDecipheriv = (algorithm, key, iv) =>
    algorithm.toLowerCase() === 'des'
      ? createDecipheriv('des-ede3-cbc', tripled(key), iv)
      : createDecipheriv(algorithm, key, iv);
  desShimInstalled = true;
}

/** The DynamoDB `CreateTable` input for one table definition: string keys, on-demand billing, the index projections. */
export function createTableInput(def: TableDef, tableName: string) {
  const attributes = new Map<string, AttributeDefinition>();
  const keyAttrs = [def, ...def.indexes].flatMap((k) =>
    k.sortKey ? [k.partitionKey, k.sortKey] : [k.partitionKey],
  );
  for (const name of keyAttrs) attributes.set(name, { AttributeName: name, AttributeType: 'S' });
  const keySchema = (k: { partitionKey: string; sortKey?: string }) => [
    { AttributeName: k.partitionKey, KeyType: 'HASH' as const },
    ...(k.sortKey ? [{ AttributeName: k.sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(def),
    BillingMode: 'PAY_PER_REQUEST' as const,
    ...(def.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.indexes.map((ix) => ({
            IndexName: ix.indexName,
            KeySchema: keySchema(ix),
            Projection: projectionOf(ix),
          })),
        }
      : {}),
  };
}

/** The DynamoDB projection of an index definition. */
export function projectionOf(index: IndexDef) {
  return index.include === undefined
    ? { ProjectionType: 'ALL' as const }
    : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.include] };
}

export interface EmulatorOptions {
  /** Persist under this directory (`dynamodb/`, `s3/`); omitted = in memory (S3 in a temp dir removed at stop). */
  readonly dataDir?: string;
  /** 0 = ephemeral. */
  readonly dynamodbPort: number;
  /** 0 = ephemeral. */
  readonly s3Port: number;
  readonly tables: readonly { readonly def: TableDef; readonly name: string }[];
  readonly bucket: string;
  readonly region: string;
}

export interface Emulators {
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  stop(): Promise<void>;
}

const keyText = (schema: readonly KeySchemaElement[] | undefined): string =>
  (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');

/**
 * A table persisted by an older version may lack an index added since, or an attribute an index projects since;
 * dynalite cannot add either to an existing table (UpdateTable there only changes throughput), so say so at start
 * rather than fail on the first query or read events without the attribute.
 */
export function checkSchema(def: TableDef, name: string, table: TableDescription, dataDir?: string): void {
  const want = createTableInput(def, name);
  const problems: string[] = [];
  if (keyText(table.KeySchema) !== keyText(want.KeySchema)) problems.push('its key schema differs');
  const have = new Map((table.GlobalSecondaryIndexes ?? []).map((ix) => [ix.IndexName, ix]));
  for (const ix of want.GlobalSecondaryIndexes ?? []) {
    const found = have.get(ix.IndexName);
    const projected = new Set(found?.Projection?.NonKeyAttributes ?? []);
    const missing =
      found?.Projection?.ProjectionType === 'INCLUDE'
        ? (ix.Projection.NonKeyAttributes ?? []).filter((a) => !projected.has(a))
        : [];
    if (found === undefined) problems.push(`index ${ix.IndexName} is missing`);
    else if (keyText(found.KeySchema) !== keyText(ix.KeySchema))
      problems.push(`index ${ix.IndexName} has other keys`);
    else if (missing.length > 0)
      problems.push(`index ${ix.IndexName} does not project ${missing.join(', ')}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `Table ${name} in ${dataDir ?? 'the data directory'} was created by another version: ${problems.join('; ')}. ` +
        'Move that directory aside (or start with --in-memory) to begin with empty tables.',
    );
  }
}

async function createTables(endpoint: string, options: EmulatorOptions): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: options.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await Promise.all(
      options.tables.map(async ({ def, name }) => {
        try {
          await client.send(new CreateTableCommand(createTableInput(def, name)));
        } catch (err) {
          if (!(err instanceof ResourceInUseException)) throw err;
        }
        // dynalite flips CREATING → ACTIVE on a timer even with createTableMs 0.
        for (let i = 0; i < 100; i++) {
          const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
          if (Table?.TableStatus === 'ACTIVE') {
            checkSchema(def, name, Table, options.dataDir);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        throw new Error(`Table ${name} did not become ACTIVE`);
      }),
    );
  } finally {
    client.destroy();
  }
}

export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  ensureDesCipher();
  const dynalite = require('dynalite') as DynaliteFactory;
  const S3rver = require('s3rver') as S3rverClass;

  let dynamoPath: string | undefined;
  let s3Dir: string;
  let tempDir: string | undefined;
  if (options.dataDir !== undefined) {
    dynamoPath = join(options.dataDir, 'dynamodb');
    s3Dir = join(options.dataDir, 's3');
    await mkdir(dynamoPath, { recursive: true });
    await mkdir(s3Dir, { recursive: true });
  } else {
    tempDir = await mkdtemp(join(tmpdir(), 'open-personalize-s3-'));
    s3Dir = tempDir;
  }

  const dynamo = dynalite({ path: dynamoPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const s3 = new S3rver({
    address: HOST,
    port: options.s3Port,
    directory: s3Dir,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
  });
  // Our own server over s3rver's request listener: its `run()` leaves a failed listen (port in use) as an
  // unhandled 'error' event that kills the process.
  const s3Server = createServer(s3.callback());

  let dynamoStarted = false;
  let s3Started = false;
  const stop = async (): Promise<void> => {
    const closing: Promise<void>[] = [];
    // dynalite's close waits for pending writes and then closes LevelDB, which flushes it to disk.
    if (dynamoStarted) closing.push(close(dynamo));
    if (s3Started) closing.push(close(s3Server));
    dynamoStarted = s3Started = false;
    const results = await Promise.allSettled(closing);
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  try {
    const dynamoPort = await listen(dynamo, options.dynamodbPort, HOST);
    dynamoStarted = true;
    await s3.configureBuckets();
    const s3Port = await listen(s3Server, options.s3Port, HOST);
    s3Started = true;
    const dynamodbEndpoint = `http://${HOST}:${dynamoPort}`;
    await createTables(dynamodbEndpoint, options);
    return { dynamodbEndpoint, s3Endpoint: `http://${HOST}:${s3Port}`, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
