/**
 * The Records table (see `RECORDS_TABLE` in `tables.ts`): items and users written with PutItems / PutUsers, one
 * item per record id: `pk` = dataset ARN, `sk` = item or user id, `values` = the schema columns, `updatedAt` =
 * epoch milliseconds of the write (readers use it to decide between a record and a later bulk import).
 *
 * Each dataset also has a version item, `pk` = "version#<dataset ARN>", `sk` = "V", whose `version` every
 * {@link RecordStore.put} increments after writing: readers that cache a dataset's records (filters) compare it to
 * know, with one read, whether anything was written since. Its partition differs from the dataset's, so
 * {@link RecordStore.list} never sees it.
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from './events';

export type RecordValue = string | number | boolean | null;

export interface StoredRecord {
  readonly id: string;
  readonly values: Readonly<Record<string, RecordValue>>;
  readonly updatedAt: number;
}

const BATCH = 25;
const VERSION_SK = 'V';
const versionPk = (datasetArn: string) => `version#${datasetArn}`;

export class RecordStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Upserts records by id; within one call the last record with an id wins. */
  async put(datasetArn: string, records: readonly StoredRecord[]): Promise<void> {
    const unique = new Map(records.map((r) => [r.id, r]));
    const all = [...unique.values()];
    for (let i = 0; i < all.length; i += BATCH) {
      await batchWrite(
        this.ddb,
        this.tableName,
        all.slice(i, i + BATCH).map((r) => ({
          PutRequest: { Item: { pk: datasetArn, sk: r.id, values: { ...r.values }, updatedAt: r.updatedAt } },
        })),
        this.sleep,
      );
    }
    if (all.length === 0) return;
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: versionPk(datasetArn), sk: VERSION_SK },
        UpdateExpression: 'ADD #v :one',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }

  /** How many {@link put} calls have written to the dataset (0 before the first). */
  async version(datasetArn: string): Promise<number> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: versionPk(datasetArn), sk: VERSION_SK },
        ConsistentRead: true,
      }),
    );
    return (out.Item?.version as number | undefined) ?? 0;
  }

  /** Every record of a dataset, one page at a time, ordered by id. */
  async *list(datasetArn: string): AsyncGenerator<StoredRecord[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': datasetArn },
          ExclusiveStartKey: startKey,
        }),
      );
      yield (out.Items ?? []).map((item) => ({
        id: item.sk as string,
        values: (item.values ?? {}) as Record<string, RecordValue>,
        updatedAt: item.updatedAt as number,
      }));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
}
