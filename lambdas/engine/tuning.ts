/**
 * Self-tuning at every FULL training: a seeded share of the training users is held out as a validation set under
 * Personalize's own protocol (each validation user's oldest 90 % of events are the input, the newest 10 % the
 * truth), the model is fitted on the other users for each candidate of a small grid, and the candidate with the
 * best mean NDCG@10 on the validation users wins. The caller then refits on every user with it.
 *
 * The search is coordinate-wise (ridge first, then the long-term weight, the target horizon and the successor
 * weight), so it costs 1 + 2 + 2 + 1 = 6 fits at most; the successor weight's candidate reuses the
 * best fit's embeddings, and candidates share the sums they can (`SharedSums`). Tuning fits use a smaller head of
 * the closed form ({@link TUNING_HEAD}) and one round of the tail fit, which keeps them cheap on large catalogs.
 * The weights of the Users metadata and context embeddings come last, on the chosen model: they cost no fit, only
 * their embeddings' sums and the validation users' scores.
 */
import {
  type Attributes,
  attributesOfTokens,
  featureEmbeddings,
  featureSums,
  type TokenSets,
  tokensAt,
} from './feature-embeddings';
import {
  completeModel,
  DEFAULT_CHOICES,
  type FitContext,
  type FittedEmbeddings,
  fitEmbeddings,
  type ModelChoices,
  SharedSums,
} from './fit';
import type { HyperParameters } from './hyperparameters';
import type { Model } from './model';
import type { Random } from './random';

/** Candidates for λ / mean diag(XᵀX). */
export const RIDGE_SCALES: readonly number[] = [0.03, 0.1, 0.3];
/** Candidates for the weight of the long-term part of the history curve. */
export const LONG_WEIGHTS: readonly number[] = [0, 0.1, 0.3];
/** Candidates for the decay of the target horizon (0: the next event only). */
export const TARGET_DECAYS: readonly number[] = [0, 0.6];
/** Candidates for the weight of the successor term relative to the sequence model's scale. */
export const SUCCESSOR_FACTORS: readonly number[] = [1.75, 6];
/**
 * Candidates for α of the Users metadata and of the context embeddings, as shares of a Newton step
 * (`feature-embeddings.ts`); 0 is the start.
 */
export const FEATURE_WEIGHTS: readonly number[] = [0.25, 0.5, 1, 2, 4, 8];
/** Share of the training users that validate, and bounds on their number. */
const VALIDATION_SHARE = 0.1;
const MIN_VALIDATION_USERS = 30;
const MAX_VALIDATION_USERS = 500;
/** Head of the closed form during tuning fits. */
export const TUNING_HEAD = 1024;
/** Rounds of the tail fit during tuning fits (the final fit makes `TAIL_ROUNDS`). */
const TUNING_TAIL_ROUNDS = 1;
/**
 * Tuning fits train on a seeded sample of the other users holding at most this many events: the choices are
 * relative to the data's scale (the ridge follows mean diag(XᵀX), the successor weight B's diagonal), so a sample
 * of this size chooses them as the whole data would, while the grid's cost stops growing with the data.
 */
export const TUNING_EVENTS = 2_000_000;
/** Share of each validation user's newest events that are the truth. */
const TRUTH_SHARE = 0.1;
const CUTOFF = 10;

/** One evaluated candidate. */
export interface TuningTrial {
  readonly hp: HyperParameters;
  readonly choices: ModelChoices;
  readonly ndcg: number;
}

/** A validation user: the input part as the model receives it, and the truth. */
interface ValidationCase {
  readonly history: readonly string[];
  readonly eventTypes: readonly (string | undefined)[];
  readonly attributes: Attributes;
  readonly truth: ReadonlySet<string>;
  /** The first truth event's context: what a request made just before it carries. */
  readonly context: Attributes;
  /** The truth items grouped by the context of their events (one group without context). */
  readonly truthByContext: readonly { readonly context: Attributes; readonly items: ReadonlySet<string> }[];
}

/**
 * `performHPO`: ranges of the recipe's tunable hyperparameters searched after the model choices, by seeded random
 * draws (Personalize's HPO, FILTERS.md §4). Ranges are inclusive; absent ones keep the solution's value.
 */
export interface HpoSearch {
  readonly hiddenDimension?: readonly [number, number];
  readonly bptt?: readonly [number, number];
  readonly recencyMask?: readonly boolean[];
  /** Fits of the whole search at most (`maxNumberOfTrainingJobs`), the choices' coordinate search included. */
  readonly maxTrials: number;
}

export interface TuningResult {
  readonly hp: HyperParameters;
  readonly choices: ModelChoices;
  /** The output embeddings of the chosen candidate's fit, where one was made (they start the final fit). */
  readonly output?: Float32Array;
  readonly trials: readonly TuningTrial[];
}

/**
 * The chosen values (the solution's hyperparameters and the default choices when there are too few users to
 * validate on) and every trial in the order tried.
 */
export async function tune(ctx: FitContext, random: Random, hpo?: HpoSearch): Promise<TuningResult> {
  const { seqs, keep } = ctx;
  const eligible: number[] = [];
  for (let u = 0; u < keep.length; u++) {
    if (keep[u] && (seqs.userOffsets[u + 1] as number) - (seqs.userOffsets[u] as number) >= 2)
      eligible.push(u);
  }
  const count = Math.min(MAX_VALIDATION_USERS, Math.round(VALIDATION_SHARE * eligible.length));
  if (count < MIN_VALIDATION_USERS) return { hp: ctx.hp, choices: DEFAULT_CHOICES, trials: [] };
  random.shuffle(eligible);
  const validation = eligible.slice(0, count).sort((a, b) => a - b);
  const tuningKeep = Uint8Array.from(keep);
  const ids = seqs.items.ids;
  const types = seqs.eventTypes.ids;
  const cases: ValidationCase[] = validation.map((u) => {
    tuningKeep[u] = 0;
    const start = seqs.userOffsets[u] as number;
    const end = seqs.userOffsets[u + 1] as number;
    const cut = end - Math.min(end - start - 1, Math.max(1, Math.round(TRUTH_SHARE * (end - start))));
    const history: string[] = [];
    const eventTypes: (string | undefined)[] = [];
    for (let p = start; p < cut; p++) {
      history.push(ids[seqs.itemSeq[p] as number] as string);
      const t = seqs.typeSeq[p] as number;
      eventTypes.push(t === 0 ? undefined : types[t - 1]);
    }
    const truth = new Set<string>();
    const groups = new Map<string, { context: Attributes; items: Set<string> }>();
    for (let p = cut; p < end; p++) {
      const item = ids[seqs.itemSeq[p] as number] as string;
      truth.add(item);
      const tokens = seqs.context === undefined ? [] : tokensAt(seqs.context, p);
      const key = tokens.join('\n');
      let group = groups.get(key);
      if (group === undefined) {
        group = { context: attributesOfTokens(tokens), items: new Set() };
        groups.set(key, group);
      }
      group.items.add(item);
    }
    const truthByContext = [...groups.values()];
    return {
      history,
      eventTypes,
      attributes: ctx.userTokens === undefined ? {} : attributesOfTokens(tokensAt(ctx.userTokens, u)),
      truth,
      context: truthByContext[0]?.context ?? {},
      truthByContext,
    };
  });
  capEvents(tuningKeep, seqs.userOffsets, TUNING_EVENTS, random);
  const tuningCtx: FitContext = {
    ...ctx,
    keep: tuningKeep,
    headItems: Math.min(ctx.headItems, TUNING_HEAD),
    tailRounds: TUNING_TAIL_ROUNDS,
    shared: new SharedSums(),
  };
  const budget = hpo?.maxTrials ?? Number.POSITIVE_INFINITY;
  const trials: TuningTrial[] = [];
  const tried = new Map<string, number>();
  // The embeddings of the latest fit and of the best one: a candidate that changes only the successor weight
  // reuses them and only completes the model anew.
  const fitted: { key: string; embeddings: FittedEmbeddings }[] = [];
  // The best candidate's model, which the metadata weights are chosen on.
  let bestModel: Model | undefined;
  const score = async (hp: HyperParameters, choices: ModelChoices): Promise<number> => {
    const key = JSON.stringify([hp, choices]);
    const known = tried.get(key);
    if (known !== undefined) return known;
    const fitCtx = { ...tuningCtx, hp };
    const embeddingKey = embeddingKeyOf(hp, choices);
    let embeddings = fitted.find((f) => f.key === embeddingKey)?.embeddings;
    if (embeddings === undefined) {
      embeddings = await fitEmbeddings(fitCtx, choices, random.fork());
      fitted.splice(0, fitted.length, ...fitted.filter((f) => f.key === bestEmbeddingKey), {
        key: embeddingKey,
        embeddings,
      });
    }
    const model = await completeModel(fitCtx, choices, embeddings, random.fork());
    const ndcgs = validationNdcgs(model, cases);
    const ndcg = mean(ndcgs);
    if (bestModel === undefined || ndcg > bestScore) bestModel = model;
    tried.set(key, ndcg);
    trials.push({ hp, choices, ndcg });
    ctx.progress(
      Math.min(1, trials.length / Math.min(budget, 7)),
      `tuning trial ${trials.length}: NDCG@${CUTOFF} ${ndcg.toFixed(4)}`,
    );
    return ndcg;
  };
  let best = { hp: ctx.hp, choices: DEFAULT_CHOICES };
  let bestEmbeddingKey = embeddingKeyOf(best.hp, best.choices);
  let bestScore = await score(best.hp, best.choices);
  const consider = async (hp: HyperParameters, choices: ModelChoices): Promise<void> => {
    if (trials.length >= budget) return;
    const s = await score(hp, choices);
    // Strictly better only: ties keep the earlier (default-side) candidate.
    if (s > bestScore) {
      best = { hp, choices };
      bestEmbeddingKey = embeddingKeyOf(hp, choices);
      bestScore = s;
    }
  };
  for (const ridgeScale of RIDGE_SCALES) await consider(best.hp, { ...best.choices, ridgeScale });
  for (const longWeight of LONG_WEIGHTS) await consider(best.hp, { ...best.choices, longWeight });
  for (const targetDecay of TARGET_DECAYS) await consider(best.hp, { ...best.choices, targetDecay });
  for (const successorFactor of SUCCESSOR_FACTORS)
    await consider(best.hp, { ...best.choices, successorFactor });
  if (hpo !== undefined) {
    const draw = (range: readonly [number, number] | undefined, value: number): number =>
      range === undefined ? value : range[0] + random.nextInt(range[1] - range[0] + 1);
    // Draws that repeat an earlier candidate cost nothing; bound them so a one-point space ends.
    for (let attempt = 0; trials.length < budget && attempt < 4 * budget; attempt++) {
      const masks = hpo.recencyMask;
      const hp: HyperParameters = {
        ...best.hp,
        hiddenDimension: draw(hpo.hiddenDimension, best.hp.hiddenDimension),
        bptt: draw(hpo.bptt, best.hp.bptt),
        recencyMask:
          masks === undefined || masks.length === 0
            ? best.hp.recencyMask
            : (masks[random.nextInt(masks.length)] as boolean),
      };
      await consider(hp, best.choices);
    }
  }
  // The metadata weights, Users metadata first, then context with the chosen Users embeddings in place: of the
  // weights whose validation likelihood is clearly above the model's without the feature, the highest mean wins.
  let model = bestModel;
  const sources: [TokenSets | undefined, 'user' | 'event', 'userFeatureWeight' | 'contextWeight'][] = [
    [ctx.userTokens, 'user', 'userFeatureWeight'],
    [seqs.context, 'event', 'contextWeight'],
  ];
  for (const [sets, per, choice] of sources) {
    if (sets === undefined || model === undefined) continue;
    const base = model;
    const baseFit = validationLogLikelihoods(base, cases);
    const baseChoices = best.choices;
    best = { hp: best.hp, choices: { ...baseChoices, [choice]: 0 } };
    let bestMean = Number.NEGATIVE_INFINITY;
    let previous = mean(baseFit);
    const sums = featureSums(seqs, tuningKeep, sets, per, base.outputEmbeddings, base.hiddenDimension);
    for (const weight of FEATURE_WEIGHTS) {
      const features = featureEmbeddings(sums, base.temperature, weight);
      const candidate = base.withFeatures(
        per === 'user' ? { userFeatures: features } : { contextFeatures: features },
      );
      const fit = validationLogLikelihoods(candidate, cases);
      const choices = { ...baseChoices, [choice]: weight };
      trials.push({ hp: best.hp, choices, ndcg: mean(validationNdcgs(candidate, cases)) });
      if (clearlyBetter(fit, baseFit) && mean(fit) > bestMean) {
        best = { hp: best.hp, choices };
        bestMean = mean(fit);
        model = candidate;
      }
      // The state is linear in α and the log-likelihood concave in the state, so once the mean falls as α grows it
      // falls for every larger α too.
      if (mean(fit) < previous) break;
      previous = mean(fit);
    }
  }
  const output = fitted.find((f) => f.key === bestEmbeddingKey)?.embeddings.output;
  return { ...best, trials, ...(output === undefined ? {} : { output }) };
}

/**
 * Keeps a seeded random sample of the kept users whose events add up to at most `cap` (unchanged, and no random
 * draw, when they already do).
 */
export function capEvents(keep: Uint8Array, userOffsets: Int32Array, cap: number, random: Random): void {
  const kept: number[] = [];
  let total = 0;
  for (let u = 0; u < keep.length; u++) {
    if (!keep[u]) continue;
    kept.push(u);
    total += (userOffsets[u + 1] as number) - (userOffsets[u] as number);
  }
  if (total <= cap) return;
  random.shuffle(kept);
  let taken = 0;
  for (const u of kept) {
    const events = (userOffsets[u + 1] as number) - (userOffsets[u] as number);
    if (taken + events <= cap) taken += events;
    else keep[u] = 0;
  }
}

/** Candidates with the same key have the same embeddings: they differ at most in the successor weight. */
function embeddingKeyOf(hp: HyperParameters, choices: ModelChoices): string {
  return JSON.stringify([hp, { ...choices, successorFactor: 0 }]);
}

/** NDCG@10 of each validation user's truth under the model's top 10 for their input. */
function validationNdcgs(model: Model, cases: readonly ValidationCase[]): Float64Array {
  return Float64Array.from(cases, (c) => {
    const ranked = model
      .recommend({
        history: c.history,
        historyEventTypes: c.eventTypes,
        userAttributes: c.attributes,
        context: c.context,
        numResults: CUTOFF,
      })
      .map((x) => x.itemId);
    return ndcgAtCutoff(ranked, c.truth, CUTOFF);
  });
}

/**
 * Each validation user's mean log-probability of their truth items under the model, for their input: the
 * likelihood the Users metadata embeddings are a Newton step on, and far less noisy over a few hundred users than
 * NDCG@10, whose terms are mostly 0.
 */
function validationLogLikelihoods(model: Model, cases: readonly ValidationCase[]): Float64Array {
  return Float64Array.from(cases, (c) => {
    let total = 0;
    let count = 0;
    for (const group of c.truthByContext) {
      const truth: number[] = [];
      for (const id of group.items) {
        const j = model.itemIndex(id);
        if (j !== undefined) truth.push(j);
      }
      if (truth.length === 0) continue;
      const { also } = model.recommendAlso(
        {
          history: c.history,
          historyEventTypes: c.eventTypes,
          userAttributes: c.attributes,
          context: group.context,
          numResults: 1,
        },
        truth,
      );
      for (const p of also) total += Math.log(Math.max(p, 1e-30));
      count += truth.length;
    }
    return count === 0 ? 0 : total / count;
  });
}

function mean(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return values.length > 0 ? total / values.length : 0;
}

/**
 * Whether `candidate` beats `incumbent` on the same validation users by more than two standard errors of the paired
 * differences: a feature is only taken in where the validation shows its signal above the noise of a few hundred
 * users, so one without signal is left out rather than kept by chance.
 */
export function clearlyBetter(candidate: Float64Array, incumbent: Float64Array): boolean {
  const n = candidate.length;
  if (n < 2) return false;
  const diffs = candidate.map((c, i) => c - (incumbent[i] as number));
  const m = mean(diffs);
  let squares = 0;
  for (const x of diffs) squares += (x - m) ** 2;
  return m > 2 * Math.sqrt(squares / (n - 1) / n);
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
