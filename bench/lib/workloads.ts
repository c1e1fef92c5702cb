/**
 * What the accuracy suite evaluates per data set: the interactions, and per seed Personalize's 90/10 user split
 * with its leave-last-out cases, built the same way in every model's process so the rows are comparable.
 */

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NextItemCase } from '../../lambdas/engine/metrics';
import { Random } from '../../lambdas/engine/random';
import { catalogSize, splitByUser, type TestUser } from '../../lambdas/engine/split';
import { generateSynthetic, SYNTHETIC_PRESETS, type SyntheticPreset } from '../../lambdas/engine/synthetic';
import type { Interaction, ItemMeta, UserMeta } from '../../lambdas/engine/types';
import { readInteractionsCsv, readItemsCsv, readUsersCsv } from '../datasets/csv';
import { findDataset, groupByUserInTimeOrder, repeatFraction } from '../datasets/public';

export interface DatasetRequest {
  /** A public data set name, `synthetic[:size]` or `csv:<file-or-directory>`. */
  readonly dataset: string;
  /** Where the public data sets were fetched to. */
  readonly dataDir: string;
  readonly seeds: number;
  /** Keep at most this many users (a seeded sample), for quick runs. */
  readonly maxUsers?: number;
}

export interface SuiteDataset {
  readonly name: string;
  readonly description: string;
  readonly interactions: Interaction[];
  readonly items?: ItemMeta[];
  readonly users?: UserMeta[];
  /** Distinct items in the interactions and the Items data: GetSolutionMetrics' coverage denominator. */
  readonly catalogSize: number;
  /** A published next-item split replacing the per-fold leave-last-out (ML-1M's validation split). */
  readonly nextItem?: { readonly train: Interaction[]; readonly cases: NextItemCase[] };
  readonly notes: readonly string[];
}

export interface Fold {
  readonly seed: number;
  /** The training users' interactions. */
  readonly train: Interaction[];
  /** The test users: oldest 90 % of their events as input, newest 10 % as truth. */
  readonly test: TestUser[];
  /** Leave-last-out on the same test users: everything but the last event is the input, the last the target. */
  readonly nextItemCases: NextItemCase[];
}

/** Seed of the quick mode's user sample; independent of the split seeds. */
const USER_SAMPLE_SEED = 12_345;

export async function loadDataset(request: DatasetRequest): Promise<SuiteDataset> {
  const { dataset } = request;
  let interactions: Interaction[];
  let items: ItemMeta[] | undefined;
  let users: UserMeta[] | undefined;
  let nextItem: SuiteDataset['nextItem'];
  let notes: readonly string[] = [];
  let source: string;
  const known = findDataset(dataset);
  if (known !== undefined) {
    const path = join(request.dataDir, known.file);
    if (!existsSync(path)) {
      throw new Error(
        `${dataset}: ${path} not found; fetch ${known.source.repository} @ ${known.source.commit} ` +
          `${known.source.path} into the data directory (see bench/datasets/README.md)`,
      );
    }
    const loaded = known.load(path);
    ({ interactions, items, nextItem } = loaded);
    notes = loaded.notes ?? [];
    source = `${dataset} (${known.domain})`;
  } else if (dataset.startsWith('csv:')) {
    const files = resolveCsvFiles(dataset.slice(4));
    interactions = groupByUserInTimeOrder(await readInteractionsCsv(files.interactions));
    if (files.items) items = await readItemsCsv(files.items);
    if (files.users) users = await readUsersCsv(files.users);
    source = `csv ${files.interactions}${files.items ? ' + items' : ''}${files.users ? ' + users' : ''}`;
  } else if (dataset === 'synthetic' || dataset.startsWith('synthetic:')) {
    const size = dataset.split(':')[1] ?? 'small';
    if (!(size in SYNTHETIC_PRESETS)) throw new Error(`unknown synthetic size ${size}`);
    const data = generateSynthetic({ ...SYNTHETIC_PRESETS[size as SyntheticPreset], seed: 1 });
    interactions = groupByUserInTimeOrder(data.interactions);
    ({ items, users } = data);
    source = `synthetic ${size} (seed 1)`;
  } else {
    throw new Error(`unknown data set ${dataset}`);
  }
  let sampled = false;
  if (request.maxUsers !== undefined) {
    const keep = sampleUsers(interactions, request.maxUsers);
    const before = interactions.length;
    interactions = interactions.filter((x) => keep.has(x.userId));
    sampled = interactions.length < before;
    if (nextItem !== undefined) nextItem = { train: interactions, cases: nextItem.cases };
  }
  const catalog = catalogSize(interactions, items?.map((i) => i.itemId) ?? []);
  const userCount = new Set(interactions.map((x) => x.userId)).size;
  const repeats = repeatFraction(interactions);
  return {
    name: dataset,
    description:
      `${source}: ${userCount} users, ${catalog} items, ${interactions.length} interactions, ` +
      `repeat fraction ${repeats.toFixed(3)}${sampled ? ` (a sample of ${request.maxUsers} users)` : ''}`,
    interactions,
    ...(items ? { items } : {}),
    ...(users ? { users } : {}),
    catalogSize: catalog,
    ...(nextItem ? { nextItem } : {}),
    notes,
  };
}

/** A seeded sample of at most `max` user ids (all of them when there are fewer). */
export function sampleUsers(interactions: readonly Interaction[], max: number): Set<string> {
  const ids = [...new Set(interactions.map((x) => x.userId))].sort();
  if (ids.length <= max) return new Set(ids);
  return new Set(new Random(USER_SAMPLE_SEED).shuffle(ids).slice(0, max));
}

/** Personalize's split for one seed, with leave-last-out cases on the same test users. */
export function foldOf(dataset: SuiteDataset, seed: number): Fold {
  const split = splitByUser(dataset.interactions, { seed });
  return { seed, train: split.train, test: split.test, nextItemCases: nextItemCasesOf(split.test) };
}

/** A test user's whole sequence (input then truth) without its last event, and that event as the target. */
export function nextItemCasesOf(test: readonly TestUser[]): NextItemCase[] {
  return test.map((t) => {
    const all = [...t.history, ...t.truth];
    return { userId: t.userId, history: all.slice(0, -1), target: all[all.length - 1] as string };
  });
}

/** A file is the interactions file; a directory may hold interactions.csv, items.csv and users.csv. */
function resolveCsvFiles(path: string): { interactions: string; items?: string; users?: string } {
  if (!statSync(path).isDirectory()) return { interactions: path };
  const at = (name: string): string | undefined =>
    existsSync(join(path, name)) ? join(path, name) : undefined;
  const interactions = at('interactions.csv');
  if (interactions === undefined) throw new Error(`${path}: no interactions.csv`);
  const items = at('items.csv');
  const users = at('users.csv');
  return { interactions, ...(items ? { items } : {}), ...(users ? { users } : {}) };
}
