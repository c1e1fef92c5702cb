/**
 * Recommendation records in the Events table (see `EVENTS_TABLE` in `tables.ts`): what one GetRecommendations or
 * GetPersonalizedRanking response showed, so a later PutEvents carrying its `recommendationId` can be expanded to
 * the impression list (spec §7.3).
 *
 * One item per response: `pk` = "rec|<recommendationId>", `sk` = "R". It carries no `gpk`, so it stays out of index
 * `byGroup` (training reads events there); event partitions start with `arn:`, so the prefix never collides. Writing
 * is one PutItem and looking up is one GetItem.
 *
 * The per-slot lists (item ids, scores, exploration flags and probabilities) are one JSON string attribute, `shown`,
 * rather than four DynamoDB lists of up to 500 values each: every response writes a record, and a list value costs
 * the client's marshalling and the table's parsing per element (measured locally, about half of a record's write
 * cost). Records written before hold the four lists as attributes of their own, which {@link RecommendationStore.get}
 * still reads.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { batchWrite } from './events';
import { WriteCoalescer } from './write-coalescer';

/** The promotion a GetRecommendations response applied (spec FILTERS.md §2). */
export interface PromotionRecord {
  readonly name: string;
  readonly filterArn: string;
  /** 0-based positions in `itemIds` that hold promoted items, ascending. */
  readonly positions: readonly number[];
}

export interface RecommendationRecord {
  readonly recommendationId: string;
  readonly campaignArn: string;
  readonly datasetGroupArn: string;
  /** The solution version whose model produced the list. */
  readonly solutionVersionArn: string;
  readonly userId: string;
  /** Item ids in the order shown. */
  readonly itemIds: readonly string[];
  /** Scores aligned with `itemIds`; `null` for an item shown without a score (ranking of unknown items). */
  readonly scores: readonly (number | null)[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** GetRecommendations only: per shown item, whether its slot was an explored one. */
  readonly explored?: readonly boolean[];
  /**
   * GetRecommendations only: per shown item, P(that slot shows it | the slots before it) under the policy that
   * made the list; their product is the list's probability (for propensity-weighted offline estimates).
   */
  readonly probabilities?: readonly number[];
  /** The campaign's exploration settings the list was made with. */
  readonly explorationWeight?: number;
  readonly explorationItemAgeCutOff?: number;
  /** The request's filter, if any. */
  readonly filterArn?: string;
  readonly promotion?: PromotionRecord;
}

const SK = 'R';
/** BatchWriteItem accepts at most 25 requests. */
const BATCH = 25;
/** How long a recommendationId can be attributed by a later PutEvents. */
export const RECORD_TTL_DAYS = 30;
const TTL_SECONDS = RECORD_TTL_DAYS * 86_400;
/**
 * DynamoDB numbers cannot be smaller in magnitude than 1e-130, but a softmax probability over a large catalog can
 * be (exp of a very negative logit). Such scores are stored as 0, which they are for every practical purpose.
 */
const SMALLEST_STORED = 1e-120;

function storable(score: number | null): number | null {
  return score !== null && Math.abs(score) < SMALLEST_STORED ? 0 : score;
}

export function recommendationPk(recommendationId: string): string {
  return `rec|${recommendationId}`;
}

export class RecommendationStore {
  private readonly writer = new WriteCoalescer<Record<string, unknown>>(
    (items) =>
      items.length === 1
        ? this.ddb.send(new PutCommand({ TableName: this.tableName, Item: items[0] })).then(() => undefined)
        : batchWrite(
            this.ddb,
            this.tableName,
            items.map((Item) => ({ PutRequest: { Item } })),
            this.sleep,
          ),
    (item) => item.pk as string,
    BATCH,
  );

  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Deletes expired records (what DynamoDB's TTL does on AWS); returns how many. A full scan: local use only. */
  async sweepExpired(): Promise<number> {
    let deleted = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :rec) AND expiresAt <= :now',
          ExpressionAttributeValues: { ':rec': recommendationPk(''), ':now': Math.floor(this.now() / 1000) },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: startKey,
        }),
      );
      const keys = out.Items ?? [];
      for (let i = 0; i < keys.length; i += 25) {
        let pending: unknown[] = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
        while (pending.length > 0) {
          const res = await this.ddb.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never[] } }),
          );
          pending = res.UnprocessedItems?.[this.tableName] ?? [];
        }
      }
      deleted += keys.length;
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return deleted;
  }

  /**
   * Writes a record. Records put at the same time by this process share BatchWriteItem requests (see
   * {@link WriteCoalescer}); one put while no write is in flight is a lone PutItem, which the store completes sooner,
   * unless the caller lets it wait up to `lingerMs` for others (a write no response waits for).
   */
  async put(record: RecommendationRecord, lingerMs = 0): Promise<void> {
    await this.writer.put([toItem(record)], lingerMs);
  }

  /** The record of a recommendationId, or `undefined` (never issued, or issued by another deployment). */
  async get(recommendationId: string): Promise<RecommendationRecord | undefined> {
    const out = await this.ddb.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: recommendationPk(recommendationId), sk: SK } }),
    );
    const item = out.Item;
    if (item === undefined) return undefined;
    if (typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= this.now()) return undefined;
    return {
      recommendationId: item.recommendationId as string,
      campaignArn: item.campaignArn as string,
      datasetGroupArn: item.datasetGroupArn as string,
      solutionVersionArn: item.solutionVersionArn as string,
      userId: item.userId as string,
      ...shownLists(item),
      createdAt: item.createdAt as number,
      ...(item.explorationWeight === undefined
        ? {}
        : { explorationWeight: item.explorationWeight as number }),
      ...(item.explorationItemAgeCutOff === undefined
        ? {}
        : { explorationItemAgeCutOff: item.explorationItemAgeCutOff as number }),
      ...(item.filterArn === undefined ? {} : { filterArn: item.filterArn as string }),
      ...(item.promotion === undefined ? {} : { promotion: item.promotion as PromotionRecord }),
    };
  }
}

/** The record's per-slot lists, as `shown` holds them. */
type ShownLists = Pick<RecommendationRecord, 'itemIds' | 'scores' | 'explored' | 'probabilities'>;

/** The per-slot lists of a stored item: from `shown`, or from the list attributes of a record written before it. */
function shownLists(item: Record<string, unknown>): ShownLists {
  const lists: Partial<ShownLists> =
    typeof item.shown === 'string' ? (JSON.parse(item.shown) as Partial<ShownLists>) : item;
  return {
    itemIds: (lists.itemIds ?? []) as string[],
    scores: (lists.scores ?? []) as (number | null)[],
    ...(lists.explored === undefined ? {} : { explored: lists.explored }),
    ...(lists.probabilities === undefined ? {} : { probabilities: lists.probabilities }),
  };
}

function toItem(record: RecommendationRecord): Record<string, unknown> {
  for (const list of [record.scores, record.probabilities ?? []]) {
    // JSON would store these as null; a DynamoDB number refuses them, as this refuses the record.
    if (list.some((v) => v !== null && !Number.isFinite(v))) {
      throw new RangeError(
        `Recommendation ${record.recommendationId} has a score that is not a finite number.`,
      );
    }
  }
  return {
    pk: recommendationPk(record.recommendationId),
    sk: SK,
    recommendationId: record.recommendationId,
    campaignArn: record.campaignArn,
    datasetGroupArn: record.datasetGroupArn,
    solutionVersionArn: record.solutionVersionArn,
    userId: record.userId,
    shown: JSON.stringify({
      itemIds: record.itemIds,
      scores: record.scores.map(storable),
      ...(record.explored === undefined ? {} : { explored: record.explored }),
      ...(record.probabilities === undefined ? {} : { probabilities: record.probabilities }),
    } satisfies ShownLists),
    createdAt: record.createdAt,
    expiresAt: Math.floor(record.createdAt / 1000) + TTL_SECONDS,
    ...(record.explorationWeight === undefined ? {} : { explorationWeight: record.explorationWeight }),
    ...(record.explorationItemAgeCutOff === undefined
      ? {}
      : { explorationItemAgeCutOff: record.explorationItemAgeCutOff }),
    ...(record.filterArn === undefined ? {} : { filterArn: record.filterArn }),
    ...(record.promotion === undefined
      ? {}
      : {
          promotion: {
            name: record.promotion.name,
            filterArn: record.promotion.filterArn,
            positions: [...record.promotion.positions],
          },
        }),
  };
}
