/**
 * `metadataColumns` on GetRecommendations and GetPersonalizedRanking (spec §2.10): the requested Items columns are
 * checked against the campaign's `enableMetadataWithRecommendations` and the documented limits, and each returned
 * item gets its values from a per-process copy of the Items dataset reused for {@link METADATA_TTL_MS}.
 */
import type { PredictedItem } from '@aws-sdk/client-personalize-runtime';
import { invalidInput } from '../errors';
import type { BulkValue } from '../store/bulk-data';
import type { ServiceContext } from './context';
import { findDataset, groupDatasetArn } from './dataset-data';

/** Documented per-request limit (the model allows 99). */
export const MAX_METADATA_COLUMNS = 10;
/** How long item metadata read for `metadataColumns` is reused before PutItems changes are picked up. */
export const METADATA_TTL_MS = 60_000;

/** The requested Items columns, after the checks of spec §2.10; `undefined` when none are requested. */
export function requestedColumns(
  metadataColumns: Record<string, string[]> | undefined,
  enabled: boolean,
  campaignArn: string,
): readonly string[] | undefined {
  if (metadataColumns === undefined) return undefined;
  if (!enabled) {
    throw invalidInput(
      `Campaign ${campaignArn} was not created with campaignConfig.enableMetadataWithRecommendations; ` +
        'metadataColumns cannot be returned.',
    );
  }
  const entries = Object.entries(metadataColumns);
  for (const [type] of entries) {
    if (type !== 'ITEMS') throw invalidInput(`metadataColumns supports only the ITEMS dataset; got ${type}.`);
  }
  const columns = entries.flatMap(([, cols]) => cols);
  if (columns.length > MAX_METADATA_COLUMNS) {
    throw invalidInput(
      `At most ${MAX_METADATA_COLUMNS} metadata columns can be requested; got ${columns.length}.`,
    );
  }
  return columns.length === 0 ? undefined : columns;
}

/** The items with a `metadata` map of the requested columns; an unknown column → `InvalidInputException`. */
export async function withMetadata(
  ctx: ServiceContext,
  cache: ItemMetadataCache,
  groupArn: string,
  columns: readonly string[] | undefined,
  items: PredictedItem[],
): Promise<PredictedItem[]> {
  if (columns === undefined) return items;
  const table = await cache.get(ctx, groupArn);
  const unknown = columns.filter((c) => !table.columns.has(c));
  if (unknown.length > 0) {
    throw invalidInput(`The Items dataset has no column ${unknown.join(', ')}.`);
  }
  return items.map((item) => {
    const row = table.rows.get(item.itemId as string);
    const metadata: Record<string, string> = {};
    for (const c of columns) {
      const v = row?.[c];
      if (v !== undefined) metadata[c] = v;
    }
    return { ...item, metadata };
  });
}

interface MetadataTable {
  readonly columns: ReadonlySet<string>;
  /** Item id → column → value as a string (multi-valued categories stay `|`-joined, as imported). */
  readonly rows: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly loadedAt: number;
}

/**
 * The Items dataset of a group as strings, for `metadataColumns`: bulk generations in order, then PutItems records,
 * the most recent write of an id winning. Read whole and reused for {@link METADATA_TTL_MS}.
 */
export class ItemMetadataCache {
  private readonly tables = new Map<string, Promise<MetadataTable>>();

  async get(ctx: ServiceContext, groupArn: string): Promise<MetadataTable> {
    const cached = this.tables.get(groupArn);
    if (cached !== undefined) {
      const table = await cached.catch(() => undefined);
      if (table !== undefined && Date.now() - table.loadedAt < METADATA_TTL_MS) return table;
    }
    const loading = loadMetadata(ctx, groupArn);
    this.tables.set(groupArn, loading);
    loading.catch(() => this.tables.delete(groupArn));
    return loading;
  }
}

const asString = (v: BulkValue | undefined): string | undefined =>
  v === null || v === undefined ? undefined : String(v);

async function loadMetadata(ctx: ServiceContext, groupArn: string): Promise<MetadataTable> {
  const arn = groupDatasetArn(groupArn, 'Items');
  const dataset = await findDataset(ctx, arn);
  const loadedAt = Date.now();
  if (dataset === undefined) return { columns: new Set(), rows: new Map(), loadedAt };
  const columns = new Set(dataset.fields.map((f) => f.name).filter((n) => n !== 'ITEM_ID'));
  const rows = new Map<string, { values: Record<string, string>; at: number }>();
  const toValues = (get: (c: string) => BulkValue | undefined) => {
    const values: Record<string, string> = {};
    for (const c of columns) {
      const v = asString(get(c));
      if (v !== undefined) values[c] = v;
    }
    return values;
  };
  const bulk = ctx.bulk;
  for (const generation of (await bulk.state(arn)).generations) {
    for await (const batch of bulk.read(generation.key)) {
      const index = new Map(batch.columns.map((c, i) => [c, i]));
      const id = index.get('ITEM_ID') ?? -1;
      for (const row of batch.rows) {
        rows.set(row[id] as string, {
          values: toValues((c) => row[index.get(c) ?? -1]),
          at: generation.publishedAt,
        });
      }
    }
  }
  for await (const page of ctx.records.list(arn)) {
    for (const record of page) {
      const existing = rows.get(record.id);
      if (existing !== undefined && existing.at > record.updatedAt) continue;
      rows.set(record.id, { values: toValues((c) => record.values[c]), at: record.updatedAt });
    }
  }
  return { columns, rows: new Map([...rows].map(([id, r]) => [id, r.values])), loadedAt };
}
