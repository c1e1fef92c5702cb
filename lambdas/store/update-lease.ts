/**
 * The one-at-a-time guard of automatic-update runs: a lease item in the Resources table (`pk` = "update-run#lease",
 * `sk` = "G") naming the campaigns the running run still has to update (`members.campaigns`) and when it expires.
 *
 * The scan step claims the lease with one conditional write (absent or expired), so a run that starts while
 * another is still updating gets no campaigns. Each apply step renews it for its campaign and takes the campaign
 * off when done; the last one deletes it. A run that died leaves a lease that expires after {@link LEASE_MS}.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './conditions';

/** Longer than one apply step may run (15 minutes), so a live run always renews in time. */
export const LEASE_MS = 30 * 60_000;
const KEY = { pk: 'update-run#lease', sk: 'G' } as const;

export class UpdateRunLease {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Claims the lease for a run over `campaignArns`; `false` when another run holds it. */
  async claim(runId: string, campaignArns: readonly string[], now: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...KEY,
            runId,
            expiresAt: now + LEASE_MS,
            members: { campaigns: Object.fromEntries(campaignArns.map((arn) => [arn, now])) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Whether an apply step for `campaignArn` may run: yes when no run holds the lease (a direct invocation), or when
   * the campaign belongs to the run that does (its lease is renewed); no when it belongs to no live run.
   */
  async enter(campaignArn: string, now: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { ...KEY },
          UpdateExpression: 'SET expiresAt = :exp',
          ConditionExpression: 'attribute_exists(#m.#c.#a)',
          ExpressionAttributeNames: { '#m': 'members', '#c': 'campaigns', '#a': campaignArn },
          ExpressionAttributeValues: { ':exp': now + LEASE_MS },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const out = await this.ddb.send(
      new GetCommand({ TableName: this.tableName, Key: { ...KEY }, ConsistentRead: true }),
    );
    return out.Item === undefined || (out.Item.expiresAt as number) < now;
  }

  /** Takes a finished campaign off the lease, and releases the lease when none is left. */
  async leave(campaignArn: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { ...KEY },
          UpdateExpression: 'REMOVE #m.#c.#a',
          ConditionExpression: 'attribute_exists(#m.#c.#a)',
          ExpressionAttributeNames: { '#m': 'members', '#c': 'campaigns', '#a': campaignArn },
        }),
      );
      await this.ddb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { ...KEY },
          ConditionExpression: 'size(#m.#c) = :zero',
          ExpressionAttributeNames: { '#m': 'members', '#c': 'campaigns' },
          ExpressionAttributeValues: { ':zero': 0 },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Drops the lease whoever holds it (the local runtime at start-up: no run survives a restart). */
  async release(): Promise<void> {
    await this.ddb.send(new DeleteCommand({ TableName: this.tableName, Key: { ...KEY } }));
  }
}
