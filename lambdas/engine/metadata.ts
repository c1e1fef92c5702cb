/**
 * Item metadata → embeddings for items without interactions. Each item becomes a bag of tokens
 * (`field=value` for categorical values, words of the textual field) plus a constant; a ridge map from that bag
 * to the learned input and output embeddings is fitted on warm items and applied to cold ones:
 *   M = (FᵀF + μI)⁻¹ Fᵀ [P Q]   over warm items,   [p_j q_j] = f_jᵀ M   for cold items j.
 */
import { IdIndex } from './dataset';
import { cholesky, solveLower, solveUpperT } from './linalg';
import type { ItemMeta } from './types';

/** Tokens kept (most frequent first); bounds the O(V³) solve. */
export const METADATA_VOCABULARY = 1024;
/** Ridge penalty μ of the metadata map. */
const METADATA_RIDGE = 1;
const WORD = /[\p{L}\p{N}]{2,}/gu;

export interface ItemCatalog {
  readonly items: IdIndex;
  /** Item index → creation timestamp. */
  readonly creation: Map<number, number>;
  /** Item index → token strings. */
  readonly tokens: Map<number, string[]>;
}

export async function ingestItems(
  source: AsyncIterable<ItemMeta> | Iterable<ItemMeta>,
): Promise<ItemCatalog> {
  const catalog = ingestItems.empty();
  for await (const meta of source) {
    const i = catalog.items.intern(meta.itemId);
    if (meta.creationTimestamp !== undefined && Number.isFinite(meta.creationTimestamp)) {
      catalog.creation.set(i, meta.creationTimestamp);
    }
    const tokens: string[] = [];
    for (const [field, values] of Object.entries(meta.categorical ?? {})) {
      for (const value of values) tokens.push(`${field.toLowerCase()}=${value.toLowerCase()}`);
    }
    if (meta.text) for (const w of meta.text.toLowerCase().match(WORD) ?? []) tokens.push(`text:${w}`);
    if (tokens.length > 0) catalog.tokens.set(i, [...new Set(tokens)]);
  }
  return catalog;
}

ingestItems.empty = (): ItemCatalog => ({ items: new IdIndex(), creation: new Map(), tokens: new Map() });

/** Sparse item × token rows (token ids into a vocabulary of the most frequent tokens), in item order. */
export interface ItemFeatures {
  readonly vocabulary: number;
  readonly rows: ReadonlyMap<number, Int32Array>;
}

export function buildItemFeatures(catalog: ItemCatalog, n: number): ItemFeatures {
  const df = new Map<string, number>();
  for (const tokens of catalog.tokens.values()) for (const t of tokens) df.set(t, (df.get(t) ?? 0) + 1);
  const vocab = [...df.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, METADATA_VOCABULARY)
    .map(([t]) => t);
  const tokenId = new Map(vocab.map((t, i) => [t, i] as const));
  const rows = new Map<number, Int32Array>();
  for (const [i, tokens] of catalog.tokens) {
    if (i >= n) continue;
    const ids = tokens.map((t) => tokenId.get(t)).filter((x): x is number => x !== undefined);
    rows.set(i, Int32Array.from(ids.sort((a, b) => a - b)));
  }
  return { vocabulary: vocab.length, rows };
}

/**
 * Fills the input and output embeddings of cold items (count 0) from the metadata map. Token weights are
 * 1/√(tokens) so that items with long texts do not get larger embeddings; the constant feature makes an item
 * without metadata the average warm item.
 */
export function fitMetadataMap(
  features: ItemFeatures,
  counts: Float64Array,
  input: Float32Array,
  output: Float32Array,
  d: number,
): void {
  const n = counts.length;
  const v = features.vocabulary + 1; // + constant
  const targets = 2 * d;
  const ftf = new Float64Array(v * v);
  const fty = new Float64Array(v * targets);
  const idsOf = (i: number): { ids: Int32Array; w: number } => {
    const ids = features.rows.get(i) ?? new Int32Array(0);
    return { ids, w: ids.length > 0 ? 1 / Math.sqrt(ids.length) : 0 };
  };
  for (let i = 0; i < n; i++) {
    if (!((counts[i] as number) > 0)) continue;
    const { ids, w } = idsOf(i);
    const all = [...ids, v - 1];
    const weight = (a: number): number => (a === v - 1 ? 1 : w);
    for (const a of all) {
      const wa = weight(a);
      for (const b of all) ftf[a * v + b] = (ftf[a * v + b] as number) + wa * weight(b);
      for (let col = 0; col < d; col++) {
        fty[a * targets + col] = (fty[a * targets + col] as number) + wa * (input[i * d + col] as number);
        fty[a * targets + d + col] =
          (fty[a * targets + d + col] as number) + wa * (output[i * d + col] as number);
      }
    }
  }
  for (let a = 0; a < v; a++) ftf[a * v + a] = (ftf[a * v + a] as number) + METADATA_RIDGE;
  cholesky(ftf, v);
  solveLower(ftf, v, fty, targets);
  solveUpperT(ftf, v, fty, targets);
  for (let i = 0; i < n; i++) {
    if ((counts[i] as number) > 0) continue;
    const { ids, w } = idsOf(i);
    for (let col = 0; col < d; col++) {
      let pIn = fty[(v - 1) * targets + col] as number;
      let pOut = fty[(v - 1) * targets + d + col] as number;
      for (const a of ids) {
        pIn += w * (fty[a * targets + col] as number);
        pOut += w * (fty[a * targets + d + col] as number);
      }
      input[i * d + col] = pIn;
      output[i * d + col] = pOut;
    }
  }
}
