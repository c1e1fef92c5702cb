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
}

export interface TableDef extends KeyDef {
  /** Construct id in CDK; also the local table name. */
  readonly id: string;
  readonly envKey: EnvKey;
  readonly indexes: readonly IndexDef[];
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
 * events are one Query in reverse. `byGroup` (`gpk` = dataset group ARN) lets training read a group's events.
 */
export const EVENTS_TABLE: TableDef = {
  id: 'Events',
  envKey: ENV.EVENTS_TABLE,
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [{ indexName: 'byGroup', partitionKey: 'gpk', sortKey: 'gsk' }],
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
