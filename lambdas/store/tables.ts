/**
 * Table and bucket definitions, as plain data, used by both the CDK stack and the local runtime so that the
 * key schema exists in exactly one place. All keys are strings.
 */
import { ENV, type EnvKey } from '../env';

export interface KeyDef {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface IndexDef extends KeyDef {
  readonly indexName: string;
  /** Non-key attributes the index carries (projection INCLUDE); omitted = every attribute (ALL). */
  readonly include?: readonly string[];
}

export interface TableDef extends KeyDef {
  /** Construct id in CDK; also the local table name. */
  readonly id: string;
  readonly envKey: EnvKey;
  readonly indexes: readonly IndexDef[];
  /** Attribute holding an item's expiry (epoch seconds); DynamoDB deletes expired items, the local runtime sweeps. */
  readonly timeToLiveAttribute?: string;
}

/**
 * Resources: one item per control-plane resource (`pk` = ARN, `sk` = "R") plus guard and lookup items
 * (`pk` = "<kind>#<key>") that make uniqueness rules single-item conditional writes.
 * `byType` lists a resource type newest first; `byParent` lists a type under one parent ARN newest first.
 */
export const RESOURCES_TABLE: TableDef = {
  id: 'Resources',
  envKey: ENV.RESOURCES_TABLE,
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'byType', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'byParent', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
};

/**
 * Events: `pk` = "<datasetGroupArn>|<userId or session>", `sk` = time-ordered event key, so a user's most recent N
 * events are one Query in reverse. `byGroup` (`gpk` = "<dataset group ARN>#<shard 0–15>") lets training read a
 * group's events; it projects only the attributes training and session links read (`columns`: the contextual
 * metadata; adding it to a deployed table's index means replacing the index, which DynamoDB builds anew). Write marks
 * (`pk` = "marks|<group>", `event-marks.ts`) and recommendation records carry `expiresAt` (epoch seconds), the
 * table's TTL attribute.
 */
export const EVENTS_TABLE: TableDef = {
  id: 'Events',
  envKey: ENV.EVENTS_TABLE,
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    {
      indexName: 'byGroup',
      partitionKey: 'gpk',
      sortKey: 'gsk',
      include: [
        'datasetGroupArn',
        'actorId',
        'sessionId',
        'eventId',
        'eventType',
        'timestamp',
        'writtenAt',
        'userId',
        'itemId',
        'eventValue',
        'impression',
        'columns',
        'linkedAt',
      ],
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};

/** Records: items and users from PutItems / PutUsers; `pk` = dataset ARN, `sk` = item or user id. */
export const RECORDS_TABLE: TableDef = {
  id: 'Records',
  envKey: ENV.RECORDS_TABLE,
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
};

export const TABLES: readonly TableDef[] = [RESOURCES_TABLE, EVENTS_TABLE, RECORDS_TABLE];

/** The one data bucket: imported data under `datasets/`, model artifacts under `models/`. */
export const DATA_BUCKET = { id: 'Data', envKey: ENV.DATA_BUCKET } as const;
