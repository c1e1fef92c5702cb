/**
 * The Resources table (see `RESOURCES_TABLE` in `tables.ts`): the only code that reads or writes it.
 *
 * One item per control-plane resource:
 * - `pk` = ARN, `sk` = "R"
 * - `type` (e.g. "dataset-group"), `parentArn` (optional), `status` (internal lifecycle state used in conditions;
 *   services keep it equal to the wire `status` where the resource has one)
 * - `doc`: the wire document Describe returns (`Date` values are stored as `{ "$date": epochMs }` and restored)
 * - `attrs`: service-private fields that are not part of the wire document
 * - `counters`: numbers changed atomically with {@link ResourceStore.addCounter} (e.g. how many datasets use a schema)
 * - `tags`: map tagKey → tagValue; `tagsVersion` guards read-modify-write of the map
 * - `gsi1pk` = type, `gsi1sk` = "<createdAt ms, zero-padded>#<arn>" (index `byType`)
 * - `gsi2pk` = parentArn, `gsi2sk` = "<type>#<createdAt ms, zero-padded>#<arn>" (index `byParent`), so one query
 *   answers both "children of this type, newest first" and "does this parent have any child at all".
 *
 * Guard and lookup items (`pk` = "<kind>#<key>", `sk` = "G", `data` map) turn uniqueness rules into single-item
 * conditional writes, because dynalite has no transactions.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { alreadyExists, invalidNextToken, notFound, PersonalizeError } from '../errors';
import { decode, encode, isPlainObject } from './codec';
import { type Condition, conditionParts, errorName, isConditionFailure } from './conditions';

export type { Condition } from './conditions';

/**
 * Resource type names: the ARN resource-type segment ("dataset-group", "schema", "dataset", "event-tracker",
 * "dataset-import-job", "solution", "solution-version", "campaign", …). A plain string so later kinds need no change.
 */
export type ResourceType = string;

/** A stored wire document: any object type (SDK output interfaces included). */
export type Doc = object;

export interface ResourceRecord<D extends Doc = Doc> {
  readonly arn: string;
  readonly type: ResourceType;
  readonly parentArn?: string;
  readonly status?: string;
  readonly doc: D;
  readonly attrs: Record<string, unknown>;
  readonly counters: Record<string, number>;
  readonly tags: Record<string, string>;
  /** Epoch milliseconds; the list order. */
  readonly createdAt: number;
}

export interface NewResource<D extends Doc = Doc> {
  readonly arn: string;
  readonly type: ResourceType;
  readonly parentArn?: string;
  readonly status?: string;
  readonly doc: D;
  readonly attrs?: Record<string, unknown>;
  readonly tags?: Record<string, string>;
  /** Epoch milliseconds; defaults to now. */
  readonly createdAt?: number;
}

export interface UpdateChanges<D extends Doc = Doc> {
  /** Top-level members of `doc` to set; a member set to `undefined` is removed. */
  readonly doc?: Partial<D>;
  readonly status?: string;
  /** Top-level members of `attrs` to set; `undefined` removes. */
  readonly attrs?: Record<string, unknown>;
}

export interface ListQuery {
  readonly type: ResourceType;
  /** Restrict to children of this ARN (index `byParent`). */
  readonly parentArn?: string;
  /** Page size, 1–100. */
  readonly limit: number;
  readonly nextToken?: string;
  /** Keep only items whose `status` is one of these (applied after the page is read, so pages may be short). */
  readonly statusIn?: readonly string[];
}

export interface ListPage<D extends Doc = Doc> {
  readonly items: ResourceRecord<D>[];
  readonly nextToken?: string;
}

const RESOURCE_SK = 'R';
const GUARD_SK = 'G';
const BY_TYPE = 'byType';
const BY_PARENT = 'byParent';
/** Wide enough for any epoch-millisecond value until the year 33658, so string order is time order. */
const TIME_WIDTH = 15;

/**
 * A tag map as the document client should write it: a Map. Given an object, the client decides its type from its
 * `constructor` property, which the valid tag key `constructor` shadows with a string, and refuses it.
 */
function tagsAttribute(tags: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(tags));
}

export class ResourceStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates a resource; an existing item with the same ARN → `ResourceAlreadyExistsException`. */
  async create<D extends Doc>(input: NewResource<D>): Promise<ResourceRecord<D>> {
    const createdAt = input.createdAt ?? Date.now();
    const time = String(createdAt).padStart(TIME_WIDTH, '0');
    const item: Record<string, unknown> = {
      pk: input.arn,
      sk: RESOURCE_SK,
      type: input.type,
      doc: encode(input.doc),
      attrs: encode(input.attrs ?? {}),
      counters: {},
      tags: tagsAttribute(input.tags ?? {}),
      tagsVersion: 0,
      createdAt,
      gsi1pk: input.type,
      gsi1sk: `${time}#${input.arn}`,
    };
    if (input.status !== undefined) item.status = input.status;
    if (input.parentArn !== undefined) {
      item.parentArn = input.parentArn;
      item.gsi2pk = input.parentArn;
      item.gsi2sk = `${input.type}#${time}#${input.arn}`;
    }
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw alreadyExists(input.arn);
      throw err;
    }
    return toRecord<D>(item);
  }

  /** The resource, or `undefined`; with `type`, a resource of another type counts as absent. */
  async get<D extends Doc>(arn: string, type?: ResourceType): Promise<ResourceRecord<D> | undefined> {
    const out = await this.ddb.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: arn, sk: RESOURCE_SK }, ConsistentRead: true }),
    );
    if (out.Item === undefined) return undefined;
    if (type !== undefined && out.Item.type !== type) return undefined;
    return toRecord<D>(out.Item);
  }

  /** Like {@link get} but absent → `ResourceNotFoundException`. */
  async require<D extends Doc>(arn: string, type?: ResourceType): Promise<ResourceRecord<D>> {
    const record = await this.get<D>(arn, type);
    if (record === undefined) throw resourceNotFound(arn);
    return record;
  }

  /**
   * Sets members of `doc`/`attrs` and the status in one conditional write. Absent → `ResourceNotFoundException`;
   * a failed {@link Condition} → the error `onConditionFailed` returns (default `ResourceInUseException`).
   */
  async update<D extends Doc>(
    arn: string,
    changes: UpdateChanges<D>,
    condition: Condition = {},
    onConditionFailed: (current: ResourceRecord<D>) => Error = (current) => defaultInUse(current),
  ): Promise<ResourceRecord<D>> {
    const names: Record<string, string> = { '#pk': 'pk' };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    const addMembers = (attr: 'doc' | 'attrs', members: Record<string, unknown> | undefined) => {
      if (members === undefined) return;
      names[`#${attr}`] = attr;
      Object.entries(members).forEach(([key, value], i) => {
        const n = `#${attr}${i}`;
        names[n] = key;
        if (value === undefined) {
          removes.push(`#${attr}.${n}`);
        } else {
          values[`:${attr}${i}`] = encode(value);
          sets.push(`#${attr}.${n} = :${attr}${i}`);
        }
      });
    };
    addMembers('doc', changes.doc as Record<string, unknown> | undefined);
    addMembers('attrs', changes.attrs);
    if (changes.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = changes.status;
      sets.push('#status = :status');
    }
    const conditions = ['attribute_exists(#pk)', ...conditionParts(condition, names, values)];
    const parts: string[] = [];
    if (sets.length > 0) parts.push(`SET ${sets.join(', ')}`);
    if (removes.length > 0) parts.push(`REMOVE ${removes.join(', ')}`);
    if (parts.length === 0) return this.require<D>(arn);
    try {
      const out = await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: arn, sk: RESOURCE_SK },
          UpdateExpression: parts.join(' '),
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord<D>(out.Attributes ?? {});
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw onConditionFailed(await this.require<D>(arn));
    }
  }

  /**
   * Adds `delta` to a counter atomically (a reference count, for example). Absent → `ResourceNotFoundException`;
   * a failed {@link Condition} → `onConditionFailed` (default `ResourceInUseException`).
   */
  async addCounter(
    arn: string,
    counter: string,
    delta: number,
    condition: Condition = {},
    onConditionFailed: (current: ResourceRecord) => Error = (current) => defaultInUse(current),
  ): Promise<number> {
    const names: Record<string, string> = { '#pk': 'pk', '#counters': 'counters', '#c': counter };
    const values: Record<string, unknown> = { ':delta': delta, ':zero': 0 };
    const conditions = ['attribute_exists(#pk)', ...conditionParts(condition, names, values)];
    try {
      const out = await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: arn, sk: RESOURCE_SK },
          UpdateExpression: 'SET #counters.#c = if_not_exists(#counters.#c, :zero) + :delta',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const counters = (out.Attributes?.counters ?? {}) as Record<string, number>;
      return counters[counter] ?? 0;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw onConditionFailed(await this.require(arn));
    }
  }

  /**
   * Deletes a resource item. Absent → `ResourceNotFoundException`; a failed {@link Condition} →
   * `onConditionFailed` (default `ResourceInUseException`).
   */
  async delete(
    arn: string,
    condition: Condition = {},
    onConditionFailed: (current: ResourceRecord) => Error = (current) => defaultInUse(current),
  ): Promise<void> {
    const names: Record<string, string> = { '#pk': 'pk' };
    const values: Record<string, unknown> = {};
    const conditions = ['attribute_exists(#pk)', ...conditionParts(condition, names, values)];
    try {
      await this.ddb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: arn, sk: RESOURCE_SK },
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw onConditionFailed(await this.require(arn));
    }
  }

  /**
   * One page of resources of a type (optionally under a parent), newest first. `nextToken` is opaque (it encodes
   * DynamoDB's LastEvaluatedKey); a token that is malformed or from another listing → `InvalidNextTokenException`.
   */
  async list<D extends Doc>(query: ListQuery): Promise<ListPage<D>> {
    const input: QueryCommandInput =
      query.parentArn === undefined
        ? {
            TableName: this.tableName,
            IndexName: BY_TYPE,
            KeyConditionExpression: '#k = :k',
            ExpressionAttributeNames: { '#k': 'gsi1pk' },
            ExpressionAttributeValues: { ':k': query.type },
          }
        : {
            TableName: this.tableName,
            IndexName: BY_PARENT,
            KeyConditionExpression: '#k = :k AND begins_with(#s, :s)',
            ExpressionAttributeNames: { '#k': 'gsi2pk', '#s': 'gsi2sk' },
            ExpressionAttributeValues: { ':k': query.parentArn, ':s': `${query.type}#` },
          };
    input.ScanIndexForward = false;
    input.Limit = query.limit;
    if (query.statusIn !== undefined && query.statusIn.length > 0) {
      const names = input.ExpressionAttributeNames as Record<string, string>;
      const values = input.ExpressionAttributeValues as Record<string, unknown>;
      names['#status'] = 'status';
      input.FilterExpression = `#status IN (${query.statusIn.map((_, i) => `:st${i}`).join(', ')})`;
      query.statusIn.forEach((s, i) => {
        values[`:st${i}`] = s;
      });
    }
    if (query.nextToken !== undefined) input.ExclusiveStartKey = decodeToken(query.nextToken, query);
    let out: QueryCommandOutput;
    try {
      out = await this.ddb.send(new QueryCommand(input));
    } catch (err) {
      // A token that decodes but does not fit the index (wrong key names or types) is refused by DynamoDB.
      if (query.nextToken !== undefined && errorName(err) === 'ValidationException') throw invalidNextToken();
      throw err;
    }
    const items = (out.Items ?? []).map((item) => toRecord<D>(item));
    return out.LastEvaluatedKey === undefined
      ? { items }
      : { items, nextToken: encodeToken(out.LastEvaluatedKey) };
  }

  /**
   * A child of `parentArn` (of `type` if given — then the newest — and with a status in `statusIn` if given), if any.
   */
  async findChild(
    parentArn: string,
    type?: ResourceType,
    statusIn?: readonly string[],
  ): Promise<ResourceRecord | undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const names: Record<string, string> = { '#k': 'gsi2pk' };
      const values: Record<string, unknown> = { ':k': parentArn };
      let keyCondition = '#k = :k';
      if (type !== undefined) {
        names['#s'] = 'gsi2sk';
        values[':s'] = `${type}#`;
        keyCondition += ' AND begins_with(#s, :s)';
      }
      let filter: string | undefined;
      if (statusIn !== undefined && statusIn.length > 0) {
        names['#status'] = 'status';
        statusIn.forEach((s, i) => {
          values[`:st${i}`] = s;
        });
        filter = `#status IN (${statusIn.map((_, i) => `:st${i}`).join(', ')})`;
      }
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_PARENT,
          KeyConditionExpression: keyCondition,
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: filter === undefined ? 1 : 100,
          ExclusiveStartKey: startKey,
        }),
      );
      const first = out.Items?.[0];
      if (first !== undefined) return toRecord(first);
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return undefined;
  }

  /**
   * Replaces the tag map with `mutate(current)`. Read-modify-write guarded by `tagsVersion`, retried on a
   * concurrent change, so two TagResource calls never lose each other's tags. Absent → `ResourceNotFoundException`.
   */
  async updateTags(
    arn: string,
    mutate: (current: Readonly<Record<string, string>>) => Record<string, string>,
  ): Promise<Record<string, string>> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const out = await this.ddb.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: arn, sk: RESOURCE_SK },
          ConsistentRead: true,
        }),
      );
      if (out.Item === undefined) throw resourceNotFound(arn);
      const version = typeof out.Item.tagsVersion === 'number' ? out.Item.tagsVersion : 0;
      const next = mutate((out.Item.tags ?? {}) as Record<string, string>);
      try {
        await this.ddb.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: arn, sk: RESOURCE_SK },
            UpdateExpression: 'SET #tags = :tags, #v = :next',
            ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#v) OR #v = :v)',
            ExpressionAttributeNames: { '#pk': 'pk', '#tags': 'tags', '#v': 'tagsVersion' },
            ExpressionAttributeValues: { ':tags': tagsAttribute(next), ':v': version, ':next': version + 1 },
          }),
        );
        return next;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
    throw new Error(`Tags of ${arn} kept changing concurrently; giving up`);
  }

  /** Writes a guard/lookup item unless one exists; returns whether this call wrote it. */
  async putGuard(kind: string, key: string, data: Record<string, unknown> = {}): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: guardPk(kind, key), sk: GUARD_SK, data: encode(data) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** The data of a guard/lookup item, or `undefined`. */
  async getGuard<T extends Record<string, unknown> = Record<string, unknown>>(
    kind: string,
    key: string,
  ): Promise<T | undefined> {
    const out = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: guardPk(kind, key), sk: GUARD_SK },
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? undefined : (decode(out.Item.data ?? {}) as T);
  }

  /** Removes a guard/lookup item (no error if absent). */
  async deleteGuard(kind: string, key: string): Promise<void> {
    await this.ddb.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: guardPk(kind, key), sk: GUARD_SK } }),
    );
  }
}

/** The standard not-found error for an ARN. */
export function resourceNotFound(arn: string): PersonalizeError {
  return notFound(`Could not find resource with ARN ${arn}`);
}

function defaultInUse(current: ResourceRecord): PersonalizeError {
  return new PersonalizeError(
    'ResourceInUseException',
    `Resource ${current.arn} is in state ${current.status ?? 'unknown'} and cannot be changed now.`,
  );
}

function guardPk(kind: string, key: string): string {
  return `${kind}#${key}`;
}

function toRecord<D extends Doc>(item: Record<string, unknown>): ResourceRecord<D> {
  const record: ResourceRecord<D> = {
    arn: item.pk as string,
    type: item.type as string,
    doc: decode(item.doc ?? {}) as D,
    attrs: decode(item.attrs ?? {}) as Record<string, unknown>,
    counters: (item.counters ?? {}) as Record<string, number>,
    tags: (item.tags ?? {}) as Record<string, string>,
    createdAt: item.createdAt as number,
    ...(typeof item.parentArn === 'string' ? { parentArn: item.parentArn } : {}),
    ...(typeof item.status === 'string' ? { status: item.status } : {}),
  };
  return record;
}

function encodeToken(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a token and checks it belongs to this listing, so a forged or foreign token never reaches DynamoDB. */
function decodeToken(token: string, query: ListQuery): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidNextToken();
  }
  if (!isPlainObject(key)) throw invalidNextToken();
  const expected =
    query.parentArn === undefined
      ? { index: ['gsi1pk', 'gsi1sk'], pkValue: query.type }
      : { index: ['gsi2pk', 'gsi2sk'], pkValue: query.parentArn };
  const allowed = new Set(['pk', 'sk', ...expected.index]);
  const keys = Object.keys(key);
  if (keys.length !== allowed.size || keys.some((k) => !allowed.has(k) || typeof key[k] !== 'string')) {
    throw invalidNextToken();
  }
  if (key[expected.index[0] as string] !== expected.pkValue) throw invalidNextToken();
  if (query.parentArn !== undefined && !(key.gsi2sk as string).startsWith(`${query.type}#`)) {
    throw invalidNextToken();
  }
  return key;
}
