/**
 * Loader for the sequential MovieLens-1M split published with gSASRec (`datasets/ml1m/` in asash/gSASRec-pytorch):
 * `train/input.txt` holds one user per line, space-separated integer item ids in time order. The files are fetched
 * separately and never committed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NextItemCase } from '../../lambdas/engine/metrics';
import type { Interaction } from '../../lambdas/engine/types';

/** 2000-04-25, around the start of MovieLens-1M; only the order of the synthetic timestamps carries meaning. */
const BASE_TIMESTAMP = 956_700_000;
const STEP_SECONDS = 60;

export interface SequenceDataset {
  /** User id → item ids, oldest first. */
  readonly sequences: Map<string, string[]>;
  readonly itemIds: readonly string[];
  readonly interactionCount: number;
}

/** Accepts the dataset directory (`…/ml1m`), its `train/` folder, or the `input.txt` file itself. */
export function resolveMl1mFile(path: string): string {
  if (!existsSync(path)) throw new Error(`ml1m: ${path} does not exist`);
  if (statSync(path).isFile()) return path;
  for (const candidate of [join(path, 'train', 'input.txt'), join(path, 'input.txt')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`ml1m: no train/input.txt under ${path}`);
}

/** User ids are the 1-based line numbers, item ids the integers as strings. */
export function loadMl1m(path: string): SequenceDataset {
  const text = readFileSync(resolveMl1mFile(path), 'utf8');
  const sequences = new Map<string, string[]>();
  const items = new Set<string>();
  let interactionCount = 0;
  let line = 0;
  for (const raw of text.split('\n')) {
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    line++;
    const seq = trimmed.split(/\s+/);
    for (const item of seq) items.add(item);
    interactionCount += seq.length;
    sequences.set(String(line), seq);
  }
  return { sequences, itemIds: [...items], interactionCount };
}

/**
 * Interactions for sequences that carry only an order: each user's events get increasing timestamps one minute apart.
 * Users start at the same instant, so cross-user order means nothing — the same as in the source split.
 */
export function sequencesToInteractions(sequences: ReadonlyMap<string, readonly string[]>): Interaction[] {
  const out: Interaction[] = [];
  for (const [userId, seq] of sequences) {
    for (let i = 0; i < seq.length; i++) {
      out.push({ userId, itemId: seq[i] as string, timestamp: BASE_TIMESTAMP + i * STEP_SECONDS });
    }
  }
  return out;
}

/** The training side of leave-last-out: every sequence without its held-out last item. */
export function trainingSequences(cases: readonly NextItemCase[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of cases) out.set(c.userId, [...c.history]);
  return out;
}
