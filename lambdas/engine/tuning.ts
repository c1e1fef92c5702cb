/**
 * Self-tuning at every FULL training: a seeded share of the training users is held out as a validation set under
 * Personalize's own protocol (each validation user's oldest 90 % of events are the input, the newest 10 % the
 * truth), the model is fitted on the other users for each candidate of a small grid, and the candidate with the
 * best mean NDCG@10 on the validation users wins. The caller then refits on every user with it.
 *
 * The search is coordinate-wise (ridge first, then the long-term weight, then its decay), so it costs
 * |RIDGE_SCALES| + |LONG_WEIGHTS| + |LONG_DECAYS| − 2 fits at most. Tuning fits use a smaller head of the closed
 * form ({@link TUNING_HEAD}), which keeps them cheap on large catalogs.
 */
import { type FitContext, fitSequences, type ModelChoices } from './fit';
import type { Random } from './random';

/** Candidates for λ / mean diag(XᵀX). */
export const RIDGE_SCALES: readonly number[] = [0.03, 0.1, 0.3];
/** Candidates for the weight of the long-term part of the history curve. */
export const LONG_WEIGHTS: readonly number[] = [0, 0.1, 0.3];
/** Candidates for its per-event decay. */
export const LONG_DECAYS: readonly number[] = [0.9, 0.98];
/** Share of the training users that validate, and bounds on their number. */
const VALIDATION_SHARE = 0.1;
const MIN_VALIDATION_USERS = 30;
const MAX_VALIDATION_USERS = 1000;
/** Head of the closed form during tuning fits. */
export const TUNING_HEAD = 1024;
/** Share of each validation user's newest events that are the truth. */
const TRUTH_SHARE = 0.1;
const CUTOFF = 10;

/** One evaluated candidate. */
export interface TuningTrial {
  readonly choices: ModelChoices;
  readonly ndcg: number;
}

/** The validation users' cases: the input part (as sequence offsets) and the truth as item indices. */
interface ValidationCase {
  readonly start: number;
  readonly cut: number;
  readonly end: number;
}

/**
 * The chosen values (or the defaults when there are too few users to validate on), and every trial in the order
 * tried.
 */
export async function tuneChoices(
  ctx: FitContext,
  random: Random,
  start: ModelChoices = DEFAULT_START,
): Promise<ModelChoices> {
  return (await tune(ctx, random, start)).choices;
}

const DEFAULT_START: ModelChoices = Object.freeze({
  ridgeScale: RIDGE_SCALES[1] as number,
  longWeight: LONG_WEIGHTS[1] as number,
  longDecay: LONG_DECAYS[1] as number,
});

export async function tune(
  ctx: FitContext,
  random: Random,
  start: ModelChoices = DEFAULT_START,
): Promise<{ choices: ModelChoices; trials: TuningTrial[] }> {
  const { seqs, keep } = ctx;
  const eligible: number[] = [];
  for (let u = 0; u < keep.length; u++) {
    if (keep[u] && (seqs.userOffsets[u + 1] as number) - (seqs.userOffsets[u] as number) >= 2)
      eligible.push(u);
  }
  const count = Math.min(MAX_VALIDATION_USERS, Math.round(VALIDATION_SHARE * eligible.length));
  if (count < MIN_VALIDATION_USERS) return { choices: start, trials: [] };
  random.shuffle(eligible);
  const validation = eligible.slice(0, count).sort((a, b) => a - b);
  const tuningKeep = Uint8Array.from(keep);
  const cases: ValidationCase[] = validation.map((u) => {
    tuningKeep[u] = 0;
    const s = seqs.userOffsets[u] as number;
    const e = seqs.userOffsets[u + 1] as number;
    const truth = Math.min(e - s - 1, Math.max(1, Math.round(TRUTH_SHARE * (e - s))));
    return { start: s, cut: e - truth, end: e };
  });
  const tuningCtx: FitContext = {
    ...ctx,
    keep: tuningKeep,
    headItems: Math.min(ctx.headItems, TUNING_HEAD),
  };
  const trials: TuningTrial[] = [];
  const tried = new Map<string, number>();
  const score = async (choices: ModelChoices): Promise<number> => {
    const key = JSON.stringify(choices);
    const known = tried.get(key);
    if (known !== undefined) return known;
    const model = await fitSequences(tuningCtx, choices, random.fork());
    const ids = seqs.items.ids;
    const types = seqs.eventTypes.ids;
    let total = 0;
    for (const c of cases) {
      const history: string[] = [];
      const eventTypes: (string | undefined)[] = [];
      for (let p = c.start; p < c.cut; p++) {
        history.push(ids[seqs.itemSeq[p] as number] as string);
        const t = seqs.typeSeq[p] as number;
        eventTypes.push(t === 0 ? undefined : types[t - 1]);
      }
      const truth = new Set<string>();
      for (let p = c.cut; p < c.end; p++) truth.add(ids[seqs.itemSeq[p] as number] as string);
      const ranked = model
        .recommend({ history, historyEventTypes: eventTypes, numResults: CUTOFF })
        .map((x) => x.itemId);
      total += ndcgAtCutoff(ranked, truth, CUTOFF);
    }
    const ndcg = total / cases.length;
    tried.set(key, ndcg);
    trials.push({ choices, ndcg });
    ctx.progress(Math.min(1, trials.length / 6), `tuning ${key}: NDCG@${CUTOFF} ${ndcg.toFixed(4)}`);
    return ndcg;
  };
  let best = start;
  let bestScore = await score(start);
  const sweep = async (candidates: ModelChoices[]): Promise<void> => {
    for (const c of candidates) {
      const s = await score(c);
      // Strictly better only: ties keep the earlier (default-side) choice.
      if (s > bestScore) {
        best = c;
        bestScore = s;
      }
    }
  };
  await sweep(RIDGE_SCALES.map((ridgeScale) => ({ ...best, ridgeScale })));
  await sweep(LONG_WEIGHTS.map((longWeight) => ({ ...best, longWeight })));
  if (best.longWeight > 0) await sweep(LONG_DECAYS.map((longDecay) => ({ ...best, longDecay })));
  return { choices: best, trials };
}

/**
 * The tuning objective: the literature's NDCG@K with the ideal DCG of min(|truth|, K) hits, which rewards every
 * additional hit (Personalize's reported NDCG normalises by the hits found, `metrics.ts`).
 */
function ndcgAtCutoff(ranked: readonly string[], truth: ReadonlySet<string>, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++)
    if (truth.has(ranked[i] as string)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, truth.size); i++) ideal += 1 / Math.log2(i + 2);
  return ideal > 0 ? dcg / ideal : 0;
}
