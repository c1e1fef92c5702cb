/**
 * Membership sets on items of the Resources table: which children a parent has (a group's datasets, a solution's
 * training versions and campaigns, a dataset's running imports) and which jobs hold a region-wide quota.
 *
 * Deletes and quotas must not rely on the `byParent` / `byType` indexes, which are eventually consistent on
 * DynamoDB: a child created a moment earlier may be missing from them. Instead a creator first adds the child's ARN
 * to a map on the parent item (`members.<set>.<childArn>` = epoch ms), conditioned on the parent's status and the
 * set's size, and a delete is conditioned on the set being empty — single-item conditional writes on one strongly
 * consistent item, so no child is ever missed. Adding and removing are idempotent, so a retried or repeated call is
 * harmless; a member left by a caller that died midway is removed by {@link MembershipStore.heal}.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** The key of a membership-holding item. */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** A resource item (`pk` = ARN, `sk` = "R"). */
export const resourceKey = (arn: string): ItemKey => ({ pk: arn, sk: 'R' });
/** A region-wide quota item; created on first use. */
export const quotaKey = (name: string): ItemKey => ({ pk: `quota#${name}`, sk: 'G' });

export interface AddOptions {
  /** The parent's `status` must be one of these. */
  readonly statusIn?: readonly string[];
  /** The set must hold fewer than this many members (the new one not counted). */
  readonly max?: number;
}

/** Why an add was refused. */
export type AddRefusal = 'absent' | 'status' | 'full';

export class MembershipStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Adds `member` to `set` on `key`'s item; returns `undefined` on success or why it was refused. Already a member
   * counts as success (the size condition is not applied to it again).
   */
  async add(
    key: ItemKey,
    set: string,
    member: string,
    options: AddOptions = {},
  ): Promise<AddRefusal | undefined> {
    if (key.sk === quotaKey('').sk && key.pk.startsWith('quota#')) await this.ensureItem(key);
    const names: Record<string, string> = { '#pk': 'pk', '#m': 'members', '#s': set, '#a': member };
    const values: Record<string, unknown> = { ':t': this.now() };
    const conditions = ['attribute_exists(#pk)'];
    if (options.statusIn !== undefined) {
      names['#status'] = 'status';
      conditions.push(
        `#status IN (${options.statusIn
          .map((s, i) => {
            values[`:st${i}`] = s;
            return `:st${i}`;
          })
          .join(', ')})`,
      );
    }
    if (options.max !== undefined) {
      values[':max'] = options.max;
      conditions.push('(attribute_exists(#m.#s.#a) OR attribute_not_exists(#m.#s) OR size(#m.#s) < :max)');
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.ddb.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { ...key },
            UpdateExpression: 'SET #m.#s.#a = if_not_exists(#m.#s.#a, :t)',
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return undefined;
      } catch (err) {
        if (errorName(err) === 'ValidationException' && attempt === 0) {
          // The item has no map for this set yet (items written before sets existed, or a first member).
          await this.ensureSet(key, set);
          continue;
        }
        if (errorName(err) !== 'ConditionalCheckFailedException') throw err;
        const item = await this.item(key);
        if (item === undefined) return 'absent';
        if (options.statusIn !== undefined && !options.statusIn.includes(String(item.status)))
          return 'status';
        return 'full';
      }
    }
    return 'full';
  }

  /** Removes `member` from `set` (no error if it or the item is absent). */
  async remove(key: ItemKey, set: string, member: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { ...key },
          UpdateExpression: 'REMOVE #m.#s.#a',
          ConditionExpression: 'attribute_exists(#m.#s)',
          ExpressionAttributeNames: { '#m': 'members', '#s': set, '#a': member },
        }),
      );
    } catch (err) {
      if (errorName(err) !== 'ConditionalCheckFailedException') throw err;
    }
  }

  /** The members of `set` with when each was added (epoch ms); a strongly consistent read. */
  async list(key: ItemKey, set: string): Promise<Map<string, number>> {
    const item = await this.item(key);
    const members = (item?.members as Record<string, Record<string, number>> | undefined)?.[set] ?? {};
    return new Map(Object.entries(members));
  }

  /**
   * Removes the members `isLive` says are gone (a job that ended, a child whose create died before it was
   * stored); returns the members left.
   */
  async heal(
    key: ItemKey,
    set: string,
    isLive: (member: string, addedAt: number) => Promise<boolean>,
  ): Promise<string[]> {
    const left: string[] = [];
    for (const [member, addedAt] of await this.list(key, set)) {
      if (await isLive(member, addedAt)) left.push(member);
      else await this.remove(key, set, member);
    }
    return left;
  }

  private async item(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    const out = await this.ddb.send(
      new GetCommand({ TableName: this.tableName, Key: { ...key }, ConsistentRead: true }),
    );
    return out.Item;
  }

  private async ensureItem(key: ItemKey): Promise<void> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, members: {} },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (errorName(err) !== 'ConditionalCheckFailedException') throw err;
    }
  }

  private async ensureSet(key: ItemKey, set: string): Promise<void> {
    const update = (expression: string, names: Record<string, string>) =>
      this.ddb
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { ...key },
            UpdateExpression: expression,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':e': {} },
          }),
        )
        .catch((err: unknown) => {
          if (errorName(err) !== 'ConditionalCheckFailedException') throw err;
        });
    await update('SET #m = if_not_exists(#m, :e)', { '#m': 'members' });
    await update('SET #m.#s = if_not_exists(#m.#s, :e)', { '#m': 'members', '#s': set });
  }
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : undefined;
}
