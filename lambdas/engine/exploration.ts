/**
 * Automatic item exploration and impression feedback at serving time (spec §7.3).
 *
 * Two effects, both driven by per-item engagement statistics: how often an item was shown (impressions) and how
 * often it was then chosen (clicks after an impression).
 *
 * 1. Suitability. Every item's engagement rate θ_j (clicks per impression) has a Beta posterior with the catalog's
 *    base rate m₀ as prior mean and {@link PRIOR_STRENGTH} pseudo-impressions,
 *      θ̄_j = (c_j + s₀ m₀) / (n_j + s₀),
 *    and the relevance of an item that is shown without being chosen is scaled down by
 *      f_j = min(1, θ̄_j / m₀).
 *    Items never shown keep f_j = 1; clicks never raise an item above its model score (the clicks are
 *    interactions the model has already learned from).
 *
 * 2. Exploration. Candidates are items younger than the age cut-off with little data (fewer than
 *    {@link EXPLORATION_DATA_LIMIT} training interactions plus impressions). The list is filled slot by slot: with
 *    probability ε = {@link MAX_EXPLORED_SHARE} × explorationWeight the slot is explored, otherwise it takes the
 *    best remaining item by suitability-adjusted relevance s_j f_j. An explored slot draws one remaining candidate
 *    with probability proportional to its Bayesian upper confidence bound (Kaufmann, Cappé & Garivier, AISTATS
 *    2012) on θ_j, whose Beta prior takes its mean from the model's relevance for this user,
 *      m_j = clamp(m₀ · N s_j),   a_j = s₀ m_j + c_j,   b_j = s₀ (1 − m_j) + n_j − c_j,
 *      u_j = a_j / (a_j + b_j) + Z √(a_j b_j / ((a_j + b_j)² (a_j + b_j + 1))),
 *      π(j) = u_j / Σ_{i remaining} u_i,
 *    so unseen candidates (wide posteriors) and candidates relevant to the user are favoured, and candidates shown
 *    often without a click fade out. Sampling ∝ UCB rather than Thompson sampling's argmax keeps every slot's
 *    probability exact, which off-policy estimators need:
 *      P(slot p shows x | slots before p) = (1 − ε_p)·[x = best exploit item] + ε_p·π_p(x),
 *    where ε_p is 0 when no candidate remains and 1 when no exploit item remains. The product over the slots is the
 *    probability of the whole list. At weight 0 no random number is drawn and the list is deterministic.
 */
import { type Model, topK } from './model';
import type { Random } from './random';
import type { RecommendRequest } from './types';

/** Share of slots explored at explorationWeight 1 (the rest stay relevance-ranked). */
export const MAX_EXPLORED_SHARE = 0.5;
/** Items with at least this many training interactions plus impressions are no longer exploration candidates. */
export const EXPLORATION_DATA_LIMIT = 10;
/** s₀: pseudo-impressions of the Beta priors. */
export const PRIOR_STRENGTH = 10;
/** m₀ when no impression has been recorded yet. */
export const DEFAULT_BASE_RATE = 0.05;
/** Z of the upper confidence bound. */
export const UCB_Z = 2;
/** Bounds of a candidate's prior mean m_j. */
const MIN_PRIOR_MEAN = 1e-3;
const MAX_PRIOR_MEAN = 0.5;
const SECONDS_PER_DAY = 86_400;

/** Per-item engagement counts, index-aligned with the model's catalog. */
export interface Engagement {
  /** Times the item was in a list shown to a user. */
  readonly impressions: Float32Array;
  /** Times the item was chosen from a list that showed it (≤ impressions). */
  readonly clicks: Float32Array;
}

/** What the model knows about its catalog that exploration needs (all index-aligned, `itemCounts.length` items). */
export interface CatalogFacts {
  readonly itemCounts: Float32Array;
  /** CREATION_TIMESTAMP, else the first interaction, else NaN (epoch seconds). */
  readonly itemCreationTimestamps: Float64Array;
  /** Newest interaction in the dataset (epoch seconds; NaN if unknown). */
  readonly latestInteractionTimestamp: number;
}

/** Per-catalog state computed once per model and statistics generation, reused by every request. */
export interface ExplorationCatalog {
  readonly size: number;
  /** Age in days relative to the newest interaction; items with no known creation time are 0 days old. */
  readonly ageDays: Float32Array;
  /** Training interactions + impressions. */
  readonly observations: Float32Array;
  readonly impressions: Float32Array;
  readonly clicks: Float32Array;
  /** f_j ∈ (0, 1]. */
  readonly suitability: Float32Array;
  /** Whether any f_j < 1 (else the exploit ranking is the model's own). */
  readonly penalised: boolean;
  /** m₀: clicks per impression over the catalog. */
  readonly baseRate: number;
  /** Youngest age among items with little data (∞ if none): a cut-off below it leaves no candidate. */
  readonly candidateAgeFloor: number;
}

export interface ExplorationSettings {
  /** explorationWeight, 0–1. */
  readonly weight: number;
  /** explorationItemAgeCutOff, days. */
  readonly ageCutOffDays: number;
}

export interface ExplorationRequest {
  /** The model's softmax probability of every catalog item for this user (index-aligned). */
  readonly scores: Float32Array;
  readonly numResults: number;
  /** Catalog indices never to show. */
  readonly exclude?: ReadonlySet<number>;
  readonly settings: ExplorationSettings;
  /** Needed when `settings.weight` > 0. */
  readonly random?: Random;
  /**
   * The only indices whose `scores` may be non-zero, where the caller knows them ({@link sparseExplorationScores}):
   * the exploit list is then found among these instead of by a pass over the whole catalog (the same list).
   */
  readonly scored?: readonly number[];
}

/** What {@link sparseExplorationScores} gives {@link explore}. */
export interface SparseScores {
  /** Reused by the next call for the same catalog: read it before then. */
  readonly scores: Float32Array;
  readonly scored: readonly number[];
}

export interface ShownItem {
  /** Catalog index. */
  readonly index: number;
  /** The model's score s_j. */
  readonly score: number;
  /** Whether the slot was an explored one. */
  readonly explored: boolean;
  /** P(this slot shows this item | the slots before it) under the policy that produced the list. */
  readonly probability: number;
}

/**
 * The per-catalog state for a model and its engagement statistics (none: nothing shown yet, so no penalties and
 * only age and training counts decide candidacy). `latestInteractionTimestamp` may be newer than the model's when
 * the statistics were refreshed later.
 */
export function explorationCatalog(
  facts: CatalogFacts,
  engagement?: Engagement,
  latestInteractionTimestamp = facts.latestInteractionTimestamp,
): ExplorationCatalog {
  const n = facts.itemCounts.length;
  if (facts.itemCreationTimestamps.length !== n)
    throw new Error('catalog arrays must have one entry per item');
  const impressions = engagement?.impressions ?? new Float32Array(n);
  const clicks = engagement?.clicks ?? new Float32Array(n);
  if (impressions.length !== n || clicks.length !== n)
    throw new Error('engagement must have one entry per item');
  let totalImpressions = 0;
  let totalClicks = 0;
  for (let j = 0; j < n; j++) {
    totalImpressions += impressions[j] as number;
    totalClicks += Math.min(clicks[j] as number, impressions[j] as number);
  }
  const baseRate =
    totalImpressions > 0 && totalClicks > 0 ? totalClicks / totalImpressions : DEFAULT_BASE_RATE;
  const latest = Number.isNaN(latestInteractionTimestamp)
    ? facts.latestInteractionTimestamp
    : latestInteractionTimestamp;
  const ageDays = new Float32Array(n);
  const observations = new Float32Array(n);
  const suitability = new Float32Array(n);
  let penalised = false;
  let candidateAgeFloor = Number.POSITIVE_INFINITY;
  for (let j = 0; j < n; j++) {
    const created = facts.itemCreationTimestamps[j] as number;
    ageDays[j] =
      Number.isNaN(created) || Number.isNaN(latest) ? 0 : Math.max(0, (latest - created) / SECONDS_PER_DAY);
    const shown = impressions[j] as number;
    const chosen = Math.min(clicks[j] as number, shown);
    observations[j] = (facts.itemCounts[j] as number) + shown;
    if ((observations[j] as number) < EXPLORATION_DATA_LIMIT && (ageDays[j] as number) < candidateAgeFloor) {
      candidateAgeFloor = ageDays[j] as number;
    }
    // f_j = min(1, θ̄_j / m₀), θ̄_j = (c_j + s₀ m₀) / (n_j + s₀)
    const f = Math.min(1, (chosen + PRIOR_STRENGTH * baseRate) / ((shown + PRIOR_STRENGTH) * baseRate));
    suitability[j] = f;
    if (f < 1) penalised = true;
  }
  return {
    size: n,
    ageDays,
    observations,
    impressions,
    clicks,
    suitability,
    penalised,
    baseRate,
    candidateAgeFloor,
  };
}

/**
 * Whether the list is the model's plain top-N under these settings: no impression penalty and either no
 * exploration or no candidate. Callers may then rank with the model directly, without the full softmax.
 */
export function isPlainRanking(catalog: ExplorationCatalog, settings: ExplorationSettings): boolean {
  return !catalog.penalised && (settings.weight <= 0 || catalog.candidateAgeFloor > settings.ageCutOffDays);
}

/** Longest list {@link sparseExplorationScores} serves: its exploit list is the model's top 2k, at most 500. */
export const SPARSE_EXPLORATION_MAX_RESULTS = 250;
/**
 * Largest share of the catalog that may be candidates for {@link sparseExplorationScores}: an exactly scored
 * candidate costs a float64 dot product plus the normaliser's bookkeeping, more than the full path spends on an
 * item. With 25 results at d = 149 the two paths cost about the same near 15 % candidates on 10k–100k items.
 */
export const SPARSE_EXPLORATION_MAX_CANDIDATE_SHARE = 0.1;

/**
 * The top `k` of `ranking` not excluded; among `scored` when the rest are zeros that cannot reach the list (ties are
 * broken by index, so the k best of a superset of the list are the list).
 */
function exploitList(
  ranking: Float32Array,
  k: number,
  exclude: ReadonlySet<number>,
  scored: readonly number[] | undefined,
): number[] {
  if (scored === undefined) return topK(ranking, k, exclude);
  const among = [...new Set(scored)].filter((j) => !exclude.has(j) && (ranking[j] as number) > 0);
  // With fewer than k positive entries, zeros elsewhere fill the list: the whole catalog decides which.
  if (among.length < k) return topK(ranking, k, exclude);
  return topK(ranking, k, exclude, among);
}

/** Per catalog: the scores buffer {@link sparseExplorationScores} fills, and the entries it set last. */
const sparseBuffers = new WeakMap<ExplorationCatalog, { scores: Float32Array; scored: number[] }>();

/**
 * The scores {@link explore} reads, without scoring the whole catalog in JavaScript: the model's top 2k items (the
 * SIMD path) and every remaining candidate, exactly and under one normaliser. Every other entry stays 0, which
 * `explore` never reads: its exploit list is the top 2k of these scores, which are the catalog's top 2k, and it
 * draws only candidates. Undefined where that does not hold (an impression penalty reorders the whole catalog), or
 * where it would not be cheaper: the list is longer than {@link SPARSE_EXPLORATION_MAX_RESULTS}, or candidates are
 * more than {@link SPARSE_EXPLORATION_MAX_CANDIDATE_SHARE} of the catalog.
 */
export function sparseExplorationScores(
  model: Model,
  catalog: ExplorationCatalog,
  settings: ExplorationSettings,
  numResults: number,
  request: Pick<RecommendRequest, 'history' | 'historyEventTypes' | 'userAttributes' | 'context' | 'blocked'>,
): SparseScores | undefined {
  if (catalog.penalised || numResults > SPARSE_EXPLORATION_MAX_RESULTS) return undefined;
  const n = catalog.size;
  const blocked = request.blocked;
  const all = candidatesOf(catalog, settings.ageCutOffDays);
  const candidates =
    blocked === undefined ? Array.from(all) : Array.from(all).filter((j) => blocked[j] !== 1);
  if (candidates.length > SPARSE_EXPLORATION_MAX_CANDIDATE_SHARE * n) return undefined;
  const { top, also } = model.recommendAlso({ ...request, numResults: 2 * numResults }, candidates);
  // A catalog-sized buffer per request costs more than the scoring it carries: one is reused, cleared where set.
  let buffer = sparseBuffers.get(catalog);
  if (buffer === undefined || buffer.scores.length !== n) {
    buffer = { scores: new Float32Array(n), scored: [] };
    sparseBuffers.set(catalog, buffer);
  }
  const { scores } = buffer;
  for (const j of buffer.scored) scores[j] = 0;
  const scored: number[] = [];
  for (const { itemId, score } of top) {
    const j = model.itemIndex(itemId) as number;
    scores[j] = score;
    scored.push(j);
  }
  candidates.forEach((j, c) => {
    scores[j] = also[c] as number;
    scored.push(j);
  });
  buffer.scored = scored;
  return { scores, scored };
}

/** Candidate lists per catalog (catalogs are never changed once built) and age cut-off. */
const candidateLists = new WeakMap<ExplorationCatalog, Map<number, Int32Array>>();

/**
 * The catalog indices that may fill an explored slot at this age cut-off, ascending: found once per catalog and
 * cut-off rather than by a pass over the catalog on every request.
 */
export function candidatesOf(catalog: ExplorationCatalog, ageCutOffDays: number): Int32Array {
  let lists = candidateLists.get(catalog);
  if (lists === undefined) {
    lists = new Map();
    candidateLists.set(catalog, lists);
  }
  let list = lists.get(ageCutOffDays);
  if (list === undefined) {
    const found: number[] = [];
    for (let j = 0; j < catalog.size; j++) if (isCandidate(catalog, j, ageCutOffDays)) found.push(j);
    list = Int32Array.from(found);
    lists.set(ageCutOffDays, list);
  }
  return list;
}

/** Whether item j may fill an explored slot under these settings. */
export function isCandidate(catalog: ExplorationCatalog, j: number, ageCutOffDays: number): boolean {
  return (
    (catalog.ageDays[j] as number) <= ageCutOffDays &&
    (catalog.observations[j] as number) < EXPLORATION_DATA_LIMIT
  );
}

/** u_j: the Bayesian upper confidence bound on candidate j's engagement, with a relevance-based prior mean. */
export function upperConfidenceBound(catalog: ExplorationCatalog, j: number, score: number): number {
  const m = Math.min(MAX_PRIOR_MEAN, Math.max(MIN_PRIOR_MEAN, catalog.baseRate * catalog.size * score));
  const shown = catalog.impressions[j] as number;
  const chosen = Math.min(catalog.clicks[j] as number, shown);
  const a = PRIOR_STRENGTH * m + chosen;
  const b = PRIOR_STRENGTH * (1 - m) + shown - chosen;
  const total = a + b;
  return a / total + UCB_Z * Math.sqrt((a * b) / (total * total * (total + 1)));
}

/** The list to show, best slot first, with each slot's exploration flag and probability. */
export function explore(catalog: ExplorationCatalog, req: ExplorationRequest): ShownItem[] {
  const n = catalog.size;
  if (req.scores.length !== n) throw new Error('scores must have one entry per catalog item');
  const k = Math.max(0, Math.min(n, Math.floor(req.numResults)));
  if (k === 0) return [];
  const weight = Math.min(1, Math.max(0, req.settings.weight));
  const exclude = req.exclude ?? new Set<number>();
  let ranking = req.scores;
  if (catalog.penalised) {
    ranking = new Float32Array(n);
    for (let j = 0; j < n; j++) ranking[j] = (req.scores[j] as number) * (catalog.suitability[j] as number);
  }
  if (weight === 0) {
    return topK(ranking, k, exclude).map((index) => ({
      index,
      score: req.scores[index] as number,
      explored: false,
      probability: 1,
    }));
  }
  const random = req.random;
  if (random === undefined) throw new Error('exploration needs a random generator');
  const epsilon = MAX_EXPLORED_SHARE * weight;

  const candidates: number[] = [];
  const bounds: number[] = [];
  let boundSum = 0;
  for (const j of candidatesOf(catalog, req.settings.ageCutOffDays)) {
    if (exclude.has(j)) continue;
    const u = upperConfidenceBound(catalog, j, req.scores[j] as number);
    candidates.push(j);
    bounds.push(u);
    boundSum += u;
  }
  // Each slot takes at most one exploit item, and an exploit item already shown as explored is skipped once.
  const exploit = exploitList(ranking, Math.min(n, 2 * k), exclude, req.scored);
  const shown = new Set<number>();
  const out: ShownItem[] = [];
  let next = 0;
  let remaining = candidates.length;
  const taken = new Uint8Array(candidates.length);
  const takeCandidate = (c: number): void => {
    taken[c] = 1;
    remaining--;
    boundSum -= bounds[c] as number;
  };
  while (out.length < k) {
    while (next < exploit.length && shown.has(exploit[next] as number)) next++;
    const best = next < exploit.length ? (exploit[next] as number) : undefined;
    if (best === undefined && remaining === 0) break;
    const slotEpsilon = remaining === 0 ? 0 : best === undefined ? 1 : epsilon;
    // Σ over remaining candidates is recomputed when the running sum has drifted to nothing (all bounds tiny).
    if (remaining > 0 && !(boundSum > 0)) {
      boundSum = 0;
      for (let c = 0; c < candidates.length; c++) if (taken[c] === 0) boundSum += bounds[c] as number;
    }
    const piOf = (j: number): number => {
      const c = candidateSlot(candidates, j);
      return c < 0 || taken[c] === 1 || !(boundSum > 0) ? 0 : (bounds[c] as number) / boundSum;
    };
    let chosen: number;
    let explored: boolean;
    if (slotEpsilon > 0 && (slotEpsilon === 1 || random.next() < slotEpsilon)) {
      chosen = drawCandidate(candidates, bounds, taken, boundSum, random);
      explored = true;
    } else {
      chosen = best as number;
      explored = false;
    }
    const probability = (1 - slotEpsilon) * (chosen === best ? 1 : 0) + slotEpsilon * piOf(chosen);
    const c = candidateSlot(candidates, chosen);
    if (c >= 0 && taken[c] === 0) takeCandidate(c);
    shown.add(chosen);
    out.push({ index: chosen, score: req.scores[chosen] as number, explored, probability });
  }
  return out;
}

/** Position of catalog index j in the ascending `candidates`, or −1. */
function candidateSlot(candidates: readonly number[], j: number): number {
  let lo = 0;
  let hi = candidates.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = candidates[mid] as number;
    if (v === j) return mid;
    if (v < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** One remaining candidate drawn with probability u_c / Σ u (by inversion). */
function drawCandidate(
  candidates: readonly number[],
  bounds: readonly number[],
  taken: Uint8Array,
  boundSum: number,
  random: Random,
): number {
  let target = random.next() * boundSum;
  let last = -1;
  for (let c = 0; c < candidates.length; c++) {
    if (taken[c] === 1) continue;
    last = c;
    target -= bounds[c] as number;
    if (target < 0) return candidates[c] as number;
  }
  // Rounding can leave a sliver past the last remaining candidate.
  return candidates[last] as number;
}
