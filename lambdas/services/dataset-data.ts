/**
 * The data of a dataset group as training reads it: every interaction (bulk imports + PutEvents, sessions resolved
 * to users), every item and every user (bulk imports + PutItems / PutUsers, the later write of an id winning),
 * shaped as the engine's `Interaction`, `ItemMeta` and `UserMeta`. Also the dataset and schema lookups the import,
 * event and record services share.
 */
import type { Interaction, ItemMeta, UserMeta } from '../engine/types';
import type { BulkDataStore, BulkValue, Generation } from '../store/bulk-data';
import type { StoredEvent } from '../store/event-items';
import type { ResourceRecord } from '../store/resources';
import { arnName, datasetArn, parseArn } from './arns';
import type { ServiceContext } from './context';
import type { DatasetKind, FieldDef } from './row-validation';
import { parseDatasetSchema, resolveDatasetType } from './schema-validation';
import { TtlCache } from './ttl-cache';

/** The members of a dataset's stored document this module relies on. */
export interface DatasetDoc {
  readonly [key: string]: unknown;
  readonly datasetArn: string;
  readonly datasetGroupArn: string;
  readonly datasetType: string;
  readonly schemaArn: string;
  readonly status: string;
}

export interface LoadedDataset {
  readonly record: ResourceRecord<DatasetDoc>;
  readonly kind: DatasetKind;
  readonly fields: readonly FieldDef[];
}

/**
 * Parsed schema fields per dataset version. A schema is immutable and pinned while a dataset uses it, but its name
 * (hence ARN) can be reused once no dataset does; a dataset's creation time and last update together change
 * whenever it could point at a different schema, so they are part of the key.
 */
const schemaCache = new Map<string, readonly FieldDef[]>();
const SCHEMA_CACHE_SIZE = 1000;

async function datasetFields(
  ctx: ServiceContext,
  record: ResourceRecord<DatasetDoc>,
): Promise<readonly FieldDef[]> {
  const updated = record.doc.lastUpdatedDateTime;
  const key = `${record.doc.schemaArn}|${record.createdAt}|${updated instanceof Date ? updated.getTime() : ''}`;
  const cached = schemaCache.get(key);
  if (cached !== undefined) return cached;
  const schema = await ctx.resources.require<{ schema: string }>(record.doc.schemaArn, 'schema');
  const fields = parseDatasetSchema(schema.doc.schema).fields;
  if (schemaCache.size >= SCHEMA_CACHE_SIZE) schemaCache.clear();
  schemaCache.set(key, fields);
  return fields;
}

/** A dataset with its kind and schema fields; `undefined` when there is no such dataset. */
export async function findDataset(ctx: ServiceContext, arn: string): Promise<LoadedDataset | undefined> {
  const record = await ctx.resources.get<DatasetDoc>(arn, 'dataset');
  if (record === undefined) return undefined;
  return {
    record,
    kind: resolveDatasetType(record.doc.datasetType),
    fields: await datasetFields(ctx, record),
  };
}

/**
 * How long the request paths (PutEvents, GetRecommendations) reuse a dataset lookup: its creation time (events
 * older than it belong to a deleted dataset of the same ARN) and its schema's fields. A dataset deleted, re-created
 * or updated by another process is seen this much later; this process forgets it at once ({@link forgetDataset}).
 */
export const DATASET_TTL_MS = 5_000;

const datasetCache = new TtlCache<string, LoadedDataset | undefined>(DATASET_TTL_MS);

/** {@link findDataset}, reusing a found dataset for {@link DATASET_TTL_MS}; a missing one is read again. */
export function cachedDataset(ctx: ServiceContext, arn: string): Promise<LoadedDataset | undefined> {
  return datasetCache.get(
    arn,
    () => findDataset(ctx, arn),
    (d) => d !== undefined,
  );
}

/** Drops a dataset from this process's lookups (it was just deleted or updated here). */
export function forgetDataset(arn: string): void {
  datasetCache.delete(arn);
}

/** The ARN the group's dataset of a kind has (datasets are named after their group and type, spec §4). */
export function groupDatasetArn(datasetGroupArn: string, kind: DatasetKind): string {
  const parsed = parseArn(datasetGroupArn);
  const name = arnName(datasetGroupArn);
  if (parsed === undefined || name === undefined)
    throw new Error(`Not a dataset group ARN: ${datasetGroupArn}`);
  return datasetArn(parsed, name, kind);
}

/**
 * The bulk generations that make up a dataset's data now, oldest first: those published before the dataset was
 * created belong to an earlier dataset with the same ARN and are left out. Read each with `BulkDataStore.read`.
 */
export async function currentGenerations(ctx: ServiceContext, dataset: LoadedDataset): Promise<Generation[]> {
  const state = await ctx.bulk.state(dataset.record.arn);
  return state.generations.filter((g) => g.publishedAt >= dataset.record.createdAt);
}

/**
 * Rows of the bulk data of a dataset, oldest generation first, with each batch's column positions. Generations
 * published before `since` (the dataset's creation) belong to an earlier dataset of the same ARN and are skipped.
 */
async function* bulkRows(
  bulk: BulkDataStore,
  arn: string,
  since: number,
): AsyncGenerator<{
  readonly rows: BulkValue[][];
  readonly index: Map<string, number>;
  readonly at: number;
}> {
  const state = await bulk.state(arn);
  for (const generation of state.generations) {
    if (generation.publishedAt < since) continue;
    for await (const batch of bulk.read(generation.key)) {
      yield {
        rows: batch.rows,
        index: new Map(batch.columns.map((c, i) => [c, i])),
        at: generation.publishedAt,
      };
    }
  }
}

/** The values of a multi-valued categorical string (`a|b`), empty parts dropped. */
export const splitMulti = (value: string): string[] => value.split('|').filter((v) => v !== '');

/**
 * The contextual metadata fields of an Interactions schema: its categorical fields (reserved fields cannot be
 * categorical), which a request's `context` names too.
 */
export function contextFields(fields: readonly FieldDef[]): string[] {
  return fields.filter((f) => f.categorical === true).map((f) => f.name);
}

/** An event's context from its categorical column values (multi-valued ones split); undefined when it has none. */
function contextOf(
  names: readonly string[],
  value: (name: string) => unknown,
): Record<string, string[]> | undefined {
  const context: Record<string, string[]> = {};
  let found = false;
  for (const name of names) {
    const v = value(name);
    if (typeof v !== 'string') continue;
    const values = splitMulti(v);
    if (values.length === 0) continue;
    context[name] = values;
    found = true;
  }
  return found ? context : undefined;
}

/**
 * Every interaction of a group, in batches: bulk-imported rows, then events from PutEvents. Anonymous events are
 * attributed to the user their session was later tied to, else to the session id (which GetRecommendations accepts
 * as a user id). Events without an item id are skipped: they carry nothing to train on. `onEvent` sees every
 * stored event read, skipped or not (a data mark records the newest: `data-marks.ts`). The categorical columns
 * come with each interaction as its context.
 */
export async function* groupInteractions(
  ctx: ServiceContext,
  datasetGroupArn: string,
  onEvent?: (event: StoredEvent) => void,
): AsyncGenerator<Interaction[]> {
  const { bulk, events } = ctx;
  const arn = groupDatasetArn(datasetGroupArn, 'Interactions');
  const dataset = await findDataset(ctx, arn);
  if (dataset === undefined) return;
  const contextNames = contextFields(dataset.fields);
  // Data stored before the dataset was created belongs to an earlier dataset with the same ARN.
  const since = dataset.record.createdAt;
  for await (const { rows, index } of bulkRows(bulk, arn, since)) {
    const col = (name: string) => index.get(name) ?? -1;
    const [u, i, t, et, ev, im] = [
      'USER_ID',
      'ITEM_ID',
      'TIMESTAMP',
      'EVENT_TYPE',
      'EVENT_VALUE',
      'IMPRESSION',
    ].map(col) as [number, number, number, number, number, number];
    yield rows.map((row) => {
      const interaction: {
        userId: string;
        itemId: string;
        timestamp: number;
        eventType?: string;
        eventValue?: number;
        impression?: string[];
        context?: Record<string, string[]>;
      } = { userId: row[u] as string, itemId: row[i] as string, timestamp: row[t] as number };
      if (et >= 0 && typeof row[et] === 'string') interaction.eventType = row[et];
      if (ev >= 0 && typeof row[ev] === 'number') interaction.eventValue = row[ev];
      if (im >= 0 && typeof row[im] === 'string') interaction.impression = splitMulti(row[im]);
      const context = contextOf(contextNames, (name) => row[index.get(name) ?? -1]);
      if (context !== undefined) interaction.context = context;
      return interaction;
    });
  }
  const links = await events.links(datasetGroupArn, since);
  for await (const page of events.groupEvents(datasetGroupArn, since)) {
    const batch: Interaction[] = [];
    for (const e of page) {
      onEvent?.(e);
      const x = eventInteraction(e, links.get(e.sessionId), contextNames);
      if (x !== undefined) batch.push(x);
    }
    if (batch.length > 0) yield batch;
  }
}

/**
 * A stored event as an interaction, attributed to its user, else to `sessionUser` (the user its session was tied
 * to), else to its session, with the columns `contextNames` lists as its context; `undefined` for an event without
 * an item id.
 */
export function eventInteraction(
  e: StoredEvent,
  sessionUser: string | undefined,
  contextNames: readonly string[] = [],
): Interaction | undefined {
  if (e.itemId === undefined) return undefined;
  const context = contextOf(contextNames, (name) => e.columns?.[name]);
  return {
    userId: e.userId ?? sessionUser ?? e.sessionId,
    itemId: e.itemId,
    timestamp: e.timestamp,
    eventType: e.eventType,
    ...(e.eventValue === undefined ? {} : { eventValue: e.eventValue }),
    ...(e.impression === undefined ? {} : { impression: [...e.impression] }),
    ...(context === undefined ? {} : { context }),
  };
}

interface Meta {
  categorical?: Record<string, string[]>;
  numeric?: Record<string, number>;
  text?: string;
  creationTimestamp?: number;
}

/**
 * Turns one row's values into metadata: categorical strings split on `|`, booleans as the categories
 * "true"/"false", numbers as numeric features, the textual field as text. Plain (non-categorical) strings are not
 * training features in Personalize and are left out.
 */
export function metaOf(
  fields: readonly FieldDef[],
  idField: string,
  value: (column: string) => BulkValue | undefined,
): Meta {
  const categorical: Record<string, string[]> = {};
  const numeric: Record<string, number> = {};
  const meta: Meta = {};
  for (const field of fields) {
    if (field.name === idField) continue;
    const v = value(field.name);
    if (v === null || v === undefined) continue;
    if (field.name === 'CREATION_TIMESTAMP' && typeof v === 'number') meta.creationTimestamp = v;
    else if (field.textual === true && typeof v === 'string') meta.text = v;
    else if (field.categorical === true && typeof v === 'string') categorical[field.name] = splitMulti(v);
    else if (typeof v === 'boolean') categorical[field.name] = [String(v)];
    else if (typeof v === 'number') numeric[field.name] = v;
  }
  if (Object.keys(categorical).length > 0) meta.categorical = categorical;
  if (Object.keys(numeric).length > 0) meta.numeric = numeric;
  return meta;
}

/**
 * The merged records of a group's Items or Users dataset: bulk generations in order, then PutItems / PutUsers
 * records; for each id the most recent write wins. Empty when the group has no such dataset.
 */
async function mergedRecords(
  ctx: ServiceContext,
  datasetGroupArn: string,
  kind: 'Items' | 'Users',
): Promise<Map<string, Meta>> {
  const idField = kind === 'Items' ? 'ITEM_ID' : 'USER_ID';
  const arn = groupDatasetArn(datasetGroupArn, kind);
  const merged = new Map<string, { meta: Meta; at: number }>();
  const dataset = await findDataset(ctx, arn);
  if (dataset === undefined) return new Map();
  const { bulk, records } = ctx;
  const since = dataset.record.createdAt;
  for await (const { rows, index, at } of bulkRows(bulk, arn, since)) {
    const id = index.get(idField) ?? -1;
    for (const row of rows) {
      merged.set(row[id] as string, {
        meta: metaOf(dataset.fields, idField, (c) => row[index.get(c) ?? -1]),
        at,
      });
    }
  }
  for await (const page of records.list(arn)) {
    for (const record of page) {
      if (record.updatedAt < since) continue;
      const existing = merged.get(record.id);
      if (existing !== undefined && existing.at > record.updatedAt) continue;
      merged.set(record.id, {
        meta: metaOf(dataset.fields, idField, (c) => record.values[c]),
        at: record.updatedAt,
      });
    }
  }
  return new Map([...merged].map(([id, { meta }]) => [id, meta]));
}

const BATCH = 1000;

/** `entries` mapped by `toValue`, in arrays of {@link BATCH} (the last one shorter). */
function* batched<E, V>(entries: Iterable<E>, toValue: (entry: E) => V): Generator<V[]> {
  let batch: V[] = [];
  for (const entry of entries) {
    batch.push(toValue(entry));
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Every item of a group, in batches. */
export async function* groupItems(ctx: ServiceContext, datasetGroupArn: string): AsyncGenerator<ItemMeta[]> {
  yield* batched(await mergedRecords(ctx, datasetGroupArn, 'Items'), ([itemId, meta]) => ({
    itemId,
    ...meta,
  }));
}

/** Every user's categorical Users metadata in a group (user id → field → values), for a model that uses it. */
export async function groupUserAttributes(
  ctx: ServiceContext,
  datasetGroupArn: string,
): Promise<Map<string, Record<string, string[]>>> {
  const attributes = new Map<string, Record<string, string[]>>();
  for (const [userId, meta] of await mergedRecords(ctx, datasetGroupArn, 'Users'))
    if (meta.categorical !== undefined) attributes.set(userId, meta.categorical);
  return attributes;
}

/** Every user of a group, in batches. */
export async function* groupUsers(ctx: ServiceContext, datasetGroupArn: string): AsyncGenerator<UserMeta[]> {
  yield* batched(
    await mergedRecords(ctx, datasetGroupArn, 'Users'),
    ([userId, meta]): UserMeta => ({
      userId,
      ...(meta.categorical === undefined ? {} : { categorical: meta.categorical }),
      ...(meta.numeric === undefined ? {} : { numeric: meta.numeric }),
    }),
  );
}
