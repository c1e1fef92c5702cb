/**
 * The data filters read, kept in memory per process and checked for freshness on every request, so a filter sees
 * PutItems, PutUsers, PutEvents and finished imports at once (Personalize takes up to 20 minutes).
 *
 * - Items and Users: bulk generations (oldest first) then PutItems / PutUsers records, the later write of an id
 *   winning. A table is current while its bulk version and its records version (see `RecordStore.version`) are
 *   unchanged: two reads per request, in parallel. A new import reloads everything; new records reload only the
 *   records. The dataset's record (schema, creation time) is re-read every {@link DATASET_RECHECK_MS}.
 * - Interactions: per user and lower-case event type, the {@link RECENT_PER_EVENT_TYPE} most recent item ids from
 *   the bulk imports (indexed once per bulk version: one read per request) merged with the user's last
 *   {@link RECENT_EVENTS_READ} PutEvents events, which the serving path reads anyway.
 */
import type { BulkValue } from '../../store/bulk-data';
import type { ServiceContext } from '../context';
import { findDataset, groupDatasetArn, type LoadedDataset } from '../dataset-data';
import type { RecentEvent } from '../events';
import type { FieldDef } from '../row-validation';
import type { AttributeRow, FilterCatalog, ItemColumns } from './evaluate';

/** Interactions considered per user and event type, as in Personalize (spec §5). */
export const RECENT_PER_EVENT_TYPE = 100;
/** Recorded (PutEvents) events read per request for interaction filters. */
export const RECENT_EVENTS_READ = 1000;
/** How long a dataset's record is reused: a dataset deleted and re-created is noticed within this time. */
export const DATASET_RECHECK_MS = 5_000;

interface RowAt {
  readonly row: AttributeRow;
  /** Epoch ms of the write. */
  readonly at: number;
}

/** An Items or Users dataset as rows by id. */
export class AttributeTable {
  /** Catalog → field → column, valid for this table only. */
  private readonly columns = new WeakMap<readonly string[], Map<string, (BulkValue | undefined)[]>>();

  constructor(
    readonly fields: readonly FieldDef[],
    readonly bulkVersion: string,
    readonly recordsVersion: number,
    private readonly bulk: ReadonlyMap<string, RowAt>,
    private readonly records: ReadonlyMap<string, RowAt>,
  ) {}

  row(id: string): AttributeRow | undefined {
    const b = this.bulk.get(id);
    const r = this.records.get(id);
    if (r === undefined) return b?.row;
    if (b === undefined) return r.row;
    return b.at > r.at ? b.row : r.row;
  }

  /** The table's values for `catalog`, a column per field, built once per catalog and table. */
  columnsFor(catalog: FilterCatalog): ItemColumns {
    let byField = this.columns.get(catalog.ids);
    if (byField === undefined) {
      byField = new Map();
      this.columns.set(catalog.ids, byField);
    }
    const cache = byField;
    return {
      column: (field) => {
        let column = cache.get(field);
        if (column === undefined) {
          column = catalog.ids.map((id) => this.row(id)?.[field]);
          cache.set(field, column);
        }
        return column;
      },
    };
  }

  /** Same data, new records. */
  withRecords(recordsVersion: number, records: ReadonlyMap<string, RowAt>): AttributeTable {
    return new AttributeTable(this.fields, this.bulkVersion, recordsVersion, this.bulk, records);
  }
}

export interface InteractionIndex {
  readonly version: string;
  /** user → lower-case event type → (item, timestamp), newest first, at most RECENT_PER_EVENT_TYPE. */
  readonly users: ReadonlyMap<string, ReadonlyMap<string, readonly { item: string; at: number }[]>>;
}

function rowsOf(columns: readonly string[], row: readonly BulkValue[]): Record<string, BulkValue> {
  const out: Record<string, BulkValue> = {};
  columns.forEach((c, i) => {
    out[c] = row[i] ?? null;
  });
  return out;
}

async function loadBulk(
  ctx: ServiceContext,
  dataset: LoadedDataset,
  idField: string,
): Promise<Map<string, RowAt>> {
  const out = new Map<string, RowAt>();
  const state = await ctx.bulk.state(dataset.record.arn);
  for (const generation of state.generations) {
    if (generation.publishedAt < dataset.record.createdAt) continue;
    for await (const batch of ctx.bulk.read(generation.key)) {
      const id = batch.columns.indexOf(idField);
      for (const row of batch.rows) {
        out.set(row[id] as string, { row: rowsOf(batch.columns, row), at: generation.publishedAt });
      }
    }
  }
  return out;
}

async function loadRecords(ctx: ServiceContext, dataset: LoadedDataset): Promise<Map<string, RowAt>> {
  const out = new Map<string, RowAt>();
  for await (const page of ctx.records.list(dataset.record.arn)) {
    for (const record of page) {
      if (record.updatedAt < dataset.record.createdAt) continue;
      out.set(record.id, { row: record.values, at: record.updatedAt });
    }
  }
  return out;
}

/** Per-process filter data; tests build their own. */
export class FilterDataCache {
  private readonly tables = new Map<string, Promise<AttributeTable | undefined>>();
  private readonly interactionIndexes = new Map<string, Promise<InteractionIndex>>();
  private readonly datasets = new Map<
    string,
    { dataset: Promise<LoadedDataset | undefined>; readAt: number }
  >();

  /** The dataset's record and schema, re-read after {@link DATASET_RECHECK_MS}. */
  private dataset(ctx: ServiceContext, arn: string): Promise<LoadedDataset | undefined> {
    const cached = this.datasets.get(arn);
    if (cached !== undefined && Date.now() - cached.readAt < DATASET_RECHECK_MS) return cached.dataset;
    const dataset = findDataset(ctx, arn);
    this.datasets.set(arn, { dataset, readAt: Date.now() });
    dataset.catch(() => this.datasets.delete(arn));
    return dataset;
  }

  /** The group's Items or Users table, current as of this call; `undefined` without such a dataset. */
  async table(
    ctx: ServiceContext,
    groupArn: string,
    kind: 'Items' | 'Users',
  ): Promise<AttributeTable | undefined> {
    const arn = groupDatasetArn(groupArn, kind);
    const [dataset, state, recordsVersion] = await Promise.all([
      this.dataset(ctx, arn),
      ctx.bulk.state(arn),
      ctx.records.version(arn),
    ]);
    if (dataset === undefined) return undefined;
    const bulkVersion = `${dataset.record.createdAt}|${state.version}|${dataset.fields.map((f) => f.name).join()}`;
    const key = `${kind}|${arn}`;
    const cached = await this.tables.get(key)?.catch(() => undefined);
    if (
      cached !== undefined &&
      cached.bulkVersion === bulkVersion &&
      cached.recordsVersion === recordsVersion
    ) {
      return cached;
    }
    const idField = kind === 'Items' ? 'ITEM_ID' : 'USER_ID';
    const loading = (async () => {
      const records = await loadRecords(ctx, dataset);
      if (cached !== undefined && cached.bulkVersion === bulkVersion)
        return cached.withRecords(recordsVersion, records);
      const bulk = await loadBulk(ctx, dataset, idField);
      return new AttributeTable(dataset.fields, bulkVersion, recordsVersion, bulk, records);
    })();
    this.tables.set(key, loading);
    loading.catch(() => this.tables.delete(key));
    return loading;
  }

  /**
   * The user's recent interactions per lower-case event type: the newest {@link RECENT_PER_EVENT_TYPE} of the
   * bulk-imported ones and of `events` (the user's recorded events, read by the caller) together.
   */
  async interactions(
    ctx: ServiceContext,
    groupArn: string,
    userId: string,
    events: readonly RecentEvent[],
  ): Promise<ReadonlyMap<string, readonly string[]>> {
    return userInteractions(await this.interactionIndexOf(ctx, groupArn), userId, events);
  }

  /** The group's bulk-imported interactions indexed by user, current as of this call (one read when cached). */
  async interactionIndexOf(ctx: ServiceContext, groupArn: string): Promise<InteractionIndex | undefined> {
    const arn = groupDatasetArn(groupArn, 'Interactions');
    const [dataset, state] = await Promise.all([this.dataset(ctx, arn), ctx.bulk.state(arn)]);
    if (dataset === undefined) return undefined;
    const version = `${dataset.record.createdAt}|${state.version}`;
    return this.interactionIndex(ctx, arn, dataset.record.createdAt, version);
  }

  private async interactionIndex(
    ctx: ServiceContext,
    arn: string,
    since: number,
    version: string,
  ): Promise<InteractionIndex> {
    const cached = await this.interactionIndexes.get(arn)?.catch(() => undefined);
    if (cached?.version === version) return cached;
    const loading = (async (): Promise<InteractionIndex> => {
      const users = new Map<string, Map<string, { item: string; at: number }[]>>();
      const state = await ctx.bulk.state(arn);
      for (const generation of state.generations) {
        if (generation.publishedAt < since) continue;
        for await (const batch of ctx.bulk.read(generation.key)) {
          const [u, i, t, et] = ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE'].map((c) =>
            batch.columns.indexOf(c),
          ) as [number, number, number, number];
          for (const row of batch.rows) {
            const user = row[u] as string;
            const type = et >= 0 && typeof row[et] === 'string' ? (row[et] as string).toLowerCase() : '';
            let types = users.get(user);
            if (types === undefined) {
              types = new Map();
              users.set(user, types);
            }
            let list = types.get(type);
            if (list === undefined) {
              list = [];
              types.set(type, list);
            }
            list.push({ item: row[i] as string, at: row[t] as number });
            // Trim now and then so a heavy user does not hold every interaction.
            if (list.length >= 4 * RECENT_PER_EVENT_TYPE) keepNewest(list);
          }
        }
      }
      for (const types of users.values()) for (const list of types.values()) keepNewest(list);
      return { version, users };
    })();
    this.interactionIndexes.set(arn, loading);
    loading.catch(() => this.interactionIndexes.delete(arn));
    return loading;
  }
}

/** {@link FilterDataCache.interactions} for an index already at hand. */
export function userInteractions(
  index: InteractionIndex | undefined,
  userId: string,
  events: readonly RecentEvent[],
): ReadonlyMap<string, readonly string[]> {
  const byType = new Map<string, { item: string; at: number }[]>();
  for (const [type, list] of index?.users.get(userId) ?? []) byType.set(type, [...list]);
  for (const e of events) {
    if (e.itemId === undefined) continue;
    const type = e.eventType.toLowerCase();
    let list = byType.get(type);
    if (list === undefined) {
      list = [];
      byType.set(type, list);
    }
    list.push({ item: e.itemId, at: e.timestamp });
  }
  const out = new Map<string, string[]>();
  for (const [type, list] of byType) {
    list.sort((a, b) => b.at - a.at);
    out.set(
      type,
      list.slice(0, RECENT_PER_EVENT_TYPE).map((x) => x.item),
    );
  }
  return out;
}

function keepNewest(list: { item: string; at: number }[]): void {
  list.sort((a, b) => b.at - a.at);
  list.length = Math.min(list.length, RECENT_PER_EVENT_TYPE);
}
