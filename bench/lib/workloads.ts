/**
 * What each benchmark mode evaluates: the training data and test cases of every fit, built the same way in every
 * worker so the rows are comparable.
 */

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { leaveLastOut, type NextItemCase, type TestCase } from '../../lambdas/engine/metrics';
import { catalogSize, splitByUser } from '../../lambdas/engine/split';
import { generateSynthetic, SYNTHETIC_PRESETS, type SyntheticPreset } from '../../lambdas/engine/synthetic';
import type { Interaction, ItemMeta, UserMeta } from '../../lambdas/engine/types';
import { readInteractionsCsv, readItemsCsv, readUsersCsv } from '../datasets/csv';
import { loadMl1m, sequencesToInteractions, trainingSequences } from '../datasets/ml1m';
import type { Mode } from './args';

export interface DatasetRequest {
  readonly mode: Mode;
  readonly path?: string;
  readonly size: string;
  readonly seeds: number;
  /** @default false */
  readonly excludeHistory?: boolean;
}

export interface PersonalizeFold {
  readonly seed: number;
  readonly train: Interaction[];
  readonly test: TestCase[];
  readonly catalogSize: number;
}

export interface Workload {
  readonly description: string;
  readonly items?: ItemMeta[];
  readonly users?: UserMeta[];
  /** Personalize's 90/10 user split, one per seed (absent for ml1m). */
  readonly folds: PersonalizeFold[];
  /** Leave-last-out: train on every user's sequence but the last item, predict that item. */
  readonly nextItem: { readonly train: Interaction[]; readonly cases: NextItemCase[] };
}

export async function loadWorkload(request: DatasetRequest): Promise<Workload> {
  if (request.mode === 'ml1m') {
    const data = loadMl1m(request.path as string);
    const cases = leaveLastOut(data.sequences);
    return {
      description: `ml1m: ${data.sequences.size} users, ${data.itemIds.length} items, ${data.interactionCount} interactions`,
      folds: [],
      nextItem: { train: sequencesToInteractions(trainingSequences(cases)), cases },
    };
  }
  let interactions: Interaction[];
  let items: ItemMeta[] | undefined;
  let users: UserMeta[] | undefined;
  let source: string;
  if (request.mode === 'csv') {
    const files = resolveCsvFiles(request.path as string);
    interactions = await readInteractionsCsv(files.interactions);
    if (files.items) items = await readItemsCsv(files.items);
    if (files.users) users = await readUsersCsv(files.users);
    source = `csv ${files.interactions}${files.items ? ' + items' : ''}${files.users ? ' + users' : ''}`;
  } else {
    if (!(request.size in SYNTHETIC_PRESETS)) throw new Error(`unknown synthetic size ${request.size}`);
    const preset = SYNTHETIC_PRESETS[request.size as SyntheticPreset];
    const data = generateSynthetic({ ...preset, seed: 1 });
    ({ interactions, items, users } = data);
    source = `synthetic ${request.size} (seed 1)`;
  }
  const itemIds = items?.map((i) => i.itemId) ?? [];
  const catalog = catalogSize(interactions, itemIds);
  const folds: PersonalizeFold[] = [];
  for (let seed = 1; seed <= request.seeds; seed++) {
    const split = splitByUser(interactions, { seed });
    folds.push({ seed, train: split.train, test: split.test, catalogSize: catalog });
  }
  const userCount = new Set(interactions.map((x) => x.userId)).size;
  return {
    description: `${source}: ${userCount} users, ${catalog} items, ${interactions.length} interactions`,
    ...(items ? { items } : {}),
    ...(users ? { users } : {}),
    folds,
    nextItem: leaveLastOutInteractions(interactions),
  };
}

/** Per user in time order (stable on ties): every interaction but the last trains, the last is the target. */
function leaveLastOutInteractions(interactions: readonly Interaction[]): Workload['nextItem'] {
  const byUser = new Map<string, Interaction[]>();
  for (const x of interactions) {
    const list = byUser.get(x.userId);
    if (list === undefined) byUser.set(x.userId, [x]);
    else list.push(x);
  }
  const train: Interaction[] = [];
  const sequences = new Map<string, string[]>();
  for (const [userId, list] of byUser) {
    list.sort((a, b) => a.timestamp - b.timestamp);
    if (list.length < 2) {
      train.push(...list);
      continue;
    }
    train.push(...list.slice(0, -1));
    sequences.set(
      userId,
      list.map((x) => x.itemId),
    );
  }
  return { train, cases: leaveLastOut(sequences) };
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
