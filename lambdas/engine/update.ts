/**
 * The refresh behind automatic updates and `trainingMode` `UPDATE` (spec §7.5): a trained model takes in the items
 * that appeared since it was trained and the item statistics of the data as it is now, without retraining.
 *
 * - Items the model knows keep their learned input and output embeddings bit for bit, and so does the context row:
 *   users' states and the ranking among known items move only through their new events, as between two updates in
 *   Personalize. Learning from the new interactions is what a FULL retrain does.
 * - New items (in the Items data or in interactions, unknown to the model) are appended. Their embeddings come from
 *   the metadata map the trainer uses for cold items (`metadata.ts`), refitted on the model's warm items:
 *     M = (FᵀF + μI)⁻¹ Fᵀ [P Q]   over items with training interactions,   [p_j q_j] = f_jᵀ M   for the others,
 *   so a new item scores like the warm items whose metadata it shares, and like the average warm item without
 *   metadata. Known items without training interactions are refilled from the same map, picking up metadata
 *   changes (PutItems).
 * - Per-item statistics are recounted from the data: interaction counts and creation time (CREATION_TIMESTAMP,
 *   else the first interaction, else the newest interaction of the data, i.e. brand new — spec §7.3), and the
 *   newest interaction time. Exploration reads these to decide which items are new and little known.
 *
 * Pure and deterministic: the same model and data give the same bytes.
 */
import { buildItemFeatures, fitMetadataMap, ingestItems } from './metadata';
import { Model, type ModelParts } from './model';
import type { InteractionColumns } from './snapshot';
import type { Interaction, ItemMeta } from './types';

/** Items an updated model holds at most (spec §7.5: automatic updates consider up to 750,000 items). */
export const MAX_UPDATE_ITEMS = 750_000;

export interface UpdateInput {
  /** Every interaction the model's solution trains on now (after its event-type and event-value filtering). */
  readonly interactions?: Iterable<Interaction>;
  /** The same as a training snapshot's columns (`snapshot.ts`), instead of `interactions`: no object per row. */
  readonly columns?: InteractionColumns;
  /** The same gathered from the columns of a snapshot's parts, instead of `columns`. */
  readonly columnFacts?: ColumnFacts;
  /** The Items dataset now. */
  readonly items?: Iterable<ItemMeta>;
  /**
   * Largest catalog of the updated model; when new items would exceed it, the newest are kept.
   * @default MAX_UPDATE_ITEMS
   */
  readonly maxItems?: number;
}

export interface UpdateResult {
  readonly model: Model;
  /** Ids appended to the catalog, in catalog order. */
  readonly addedItems: readonly string[];
  /** New items left out because of `maxItems`. */
  readonly droppedItems: number;
  /** Interactions counted. */
  readonly interactions: number;
}

interface ItemFacts {
  count: number;
  first: number;
}

/** What an update reads from the interactions: per item, its count and first time; the newest time; the count. */
interface InteractionFacts {
  readonly items: Map<string, ItemFacts>;
  readonly latest: number;
  readonly interactions: number;
}

/** The facts of `xs`, the newest time folded from `latest` (the model's) in the order given. */
function factsOfInteractions(xs: Iterable<Interaction>, latest: number): InteractionFacts {
  const items = new Map<string, ItemFacts>();
  let interactions = 0;
  for (const x of xs) {
    interactions++;
    const f = items.get(x.itemId);
    if (f === undefined) items.set(x.itemId, { count: 1, first: x.timestamp });
    else {
      f.count++;
      if (x.timestamp < f.first) f.first = x.timestamp;
    }
    if (!(x.timestamp <= latest)) latest = x.timestamp;
  }
  return { items, latest, interactions };
}

/** {@link factsOfInteractions} of a snapshot's rows, in row order, counted per item index first. */
function factsOfColumns(c: InteractionColumns, latest: number): InteractionFacts {
  const facts = new ColumnFacts();
  facts.add(c);
  return facts.facts(latest);
}

/**
 * What an update reads from a snapshot's columns, gathered one part (a shard's columns, which share the snapshot's
 * item table) at a time: the same facts as the whole columns give.
 */
export class ColumnFacts {
  private itemIds: readonly string[] = [];
  private count = new Float64Array(0);
  private first = new Float64Array(0);
  private latest = Number.NaN;
  private rows = 0;

  add(c: InteractionColumns): void {
    if (this.count.length === 0) {
      this.itemIds = c.itemIds;
      this.count = new Float64Array(c.itemIds.length);
      this.first = new Float64Array(c.itemIds.length);
    }
    if (c.itemIds.length !== this.itemIds.length) throw new Error('The parts are not of one snapshot');
    const { count, first } = this;
    let latest = this.latest;
    for (let r = 0; r < c.item.length; r++) {
      const i = c.item[r] as number;
      const t = c.time[r] as number;
      if (count[i] === 0 || t < (first[i] as number)) first[i] = t;
      count[i] = (count[i] as number) + 1;
      if (!(t <= latest)) latest = t;
    }
    this.latest = latest;
    this.rows += c.item.length;
  }

  /** The facts, the newest time folded from `latest` (the model's). */
  facts(latest: number): InteractionFacts {
    const items = new Map<string, ItemFacts>();
    for (let i = 0; i < this.count.length; i++) {
      if (this.count[i] === 0) continue;
      items.set(this.itemIds[i] as string, {
        count: this.count[i] as number,
        first: this.first[i] as number,
      });
    }
    const newest = this.rows > 0 && !(this.latest <= latest) ? this.latest : latest;
    return { items, latest: newest, interactions: this.rows };
  }
}

/** Folds the data into `base`; see the module comment for what changes and what does not. */
export async function updateModel(base: Model, input: UpdateInput): Promise<UpdateResult> {
  const maxItems = input.maxItems ?? MAX_UPDATE_ITEMS;
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new Error(`maxItems must be a positive integer`);

  const {
    items: facts,
    latest,
    interactions,
  } = input.columnFacts !== undefined
    ? input.columnFacts.facts(base.latestInteractionTimestamp)
    : input.columns !== undefined
      ? factsOfColumns(input.columns, base.latestInteractionTimestamp)
      : factsOfInteractions(input.interactions ?? [], base.latestInteractionTimestamp);
  const metas = new Map<string, ItemMeta>();
  for (const meta of input.items ?? []) metas.set(meta.itemId, meta);

  // An item with neither a creation time nor an interaction counts as created at the newest interaction.
  const createdAt = (id: string): number => {
    const given = metas.get(id)?.creationTimestamp;
    if (given !== undefined && Number.isFinite(given)) return given;
    return facts.get(id)?.first ?? latest;
  };

  const known = base.itemCount;
  const candidates = new Set<string>();
  for (const id of facts.keys()) if (base.itemIndex(id) === undefined) candidates.add(id);
  for (const id of metas.keys()) if (base.itemIndex(id) === undefined) candidates.add(id);
  let fresh = [...candidates].sort();
  const room = Math.max(0, maxItems - known);
  let droppedItems = 0;
  if (fresh.length > room) {
    // Newest first, ties by id, so the cut is deterministic.
    fresh = fresh
      .map((id) => ({ id, at: createdAt(id) }))
      .sort((a, b) => (Number.isNaN(b.at) ? 0 : b.at) - (Number.isNaN(a.at) ? 0 : a.at) || cmp(a.id, b.id))
      .slice(0, room)
      .map((x) => x.id)
      .sort();
    droppedItems = candidates.size - fresh.length;
  }

  const itemIds = [...base.itemIds, ...fresh];
  const n = itemIds.length;
  const d = base.hiddenDimension;
  const input_ = new Float32Array((n + 1) * d);
  input_.set(base.inputEmbeddings.subarray(0, known * d));
  input_.set(base.inputEmbeddings.subarray(known * d, (known + 1) * d), n * d);
  const output = new Float32Array(n * d);
  output.set(base.outputEmbeddings);

  // Warm = learned from training interactions; only those anchor the metadata map.
  const warm = new Float64Array(n);
  let anyWarm = false;
  for (let i = 0; i < known; i++) {
    const c = base.itemCounts[i] as number;
    warm[i] = c;
    if (c > 0) anyWarm = true;
  }
  if (anyWarm && n > 0 && warm.some((c) => !(c > 0))) {
    // Interning every id first, in catalog order, makes the catalog's indices the model's.
    const catalog = await ingestItems([
      ...itemIds.map((itemId) => ({ itemId })),
      ...itemIds.flatMap((id) => {
        const meta = metas.get(id);
        return meta === undefined ? [] : [meta];
      }),
    ]);
    fitMetadataMap(buildItemFeatures(catalog, n), warm, input_, output, d);
  }

  const itemCounts = new Float32Array(n);
  const itemCreationTimestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = itemIds[i] as string;
    itemCounts[i] = facts.get(id)?.count ?? 0;
    const previous = i < known ? (base.itemCreationTimestamps[i] as number) : Number.NaN;
    const given = metas.get(id)?.creationTimestamp;
    itemCreationTimestamps[i] =
      given !== undefined && Number.isFinite(given)
        ? given
        : !Number.isNaN(previous)
          ? Math.min(previous, facts.get(id)?.first ?? previous)
          : createdAt(id);
  }

  // New items are appended, so known items keep their indices and successor lists; new items have none yet.
  const successorOffsets = new Int32Array(n + 1);
  successorOffsets.set(base.successorOffsets);
  successorOffsets.fill(base.successorOffsets[known] as number, known + 1);

  // New items have no repeat history of their own yet: factor 1.
  const itemFactors = new Float32Array(n).fill(1);
  itemFactors.set(base.repeat.itemFactors);

  const parts: ModelParts = {
    // Carries every scoring parameter of the base model (history curve, temperature, repeat rates, …) unchanged.
    ...base,
    repeat: { ...base.repeat, itemFactors },
    itemIds,
    successorOffsets,
    inputEmbeddings: input_,
    outputEmbeddings: output,
    itemCounts,
    itemCreationTimestamps,
    latestInteractionTimestamp: latest,
    ...(base.stats ? { stats: { ...base.stats, interactions } } : {}),
  };
  return { model: new Model(parts), addedItems: fresh, droppedItems, interactions };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
