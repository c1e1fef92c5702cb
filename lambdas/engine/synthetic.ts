/**
 * Seeded synthetic interaction data with the structure the recipe is meant to exploit, for tests and benchmarks:
 *
 * - latent factors: G genre centres c_g ∈ R^K; item i of genre g has v_i = c_g + σ·z; a user's taste is a mix of
 *   one or two genre centres plus noise;
 * - power-law popularity: item weights w_i = rank_i^(−a) over a random ranking (Zipf), used to draw candidates;
 * - sequential signal: after each event the taste drifts towards the item just consumed
 *   (u ← (1 − d)·u + d·v_i), and with probability `transitionProbability` the next item is one of the previous
 *   item's fixed successors (series, sequels, accessories);
 * - new items: a share of the catalog exists before the log starts, the rest is created uniformly over the log's
 *   time span; no item is consumed before its creation, and young items get a freshness bonus exp(−age / τ);
 * - metadata correlated with the factors: a genre label (noisy), a price derived from a factor, a price band and a
 *   description drawn from the genre's vocabulary; users get a (noisy) favourite-genre segment and an age band;
 * - event types and values: `purchase` is likelier for high-affinity items; EVENT_VALUE is a 1–5 rating.
 *
 * Each event picks from a candidate set (half drawn by popularity among available items, half by popularity within
 * a genre drawn by the user's affinity) with probability ∝ exp(β·u·v_j + f·exp(−age_j/τ)), so the cost per event is
 * independent of the catalog size. Interactions stream user by user, so 750k-item catalogs stay within memory.
 */
import { Random } from './random';
import type { Interaction, ItemMeta, UserMeta } from './types';

export interface SyntheticOptions {
  /** @default 1 */
  readonly seed: number;
  readonly users: number;
  readonly items: number;
  /** Mean interactions per user; counts are log-normal (σ = 1), at least 1. */
  readonly meanEventsPerUser: number;
  /** Latent dimension K. @default 16 */
  readonly factors: number;
  /** Number of genres G. @default 20 */
  readonly genres: number;
  /** Zipf exponent a of item popularity. @default 1 */
  readonly popularityExponent: number;
  /** Share of items created before the log starts. @default 0.6 */
  readonly initialItemShare: number;
  /** Epoch seconds of the first possible event. @default 1_700_000_000 */
  readonly startTimestamp: number;
  /** Length of the log. @default 180 */
  readonly durationDays: number;
  /** Chance that the next item is one of the previous item's successors. @default 0.3 */
  readonly transitionProbability: number;
  /** Taste drift d towards each consumed item. @default 0.3 */
  readonly drift: number;
  /** Affinity sharpness β. @default 4 */
  readonly affinityWeight: number;
  /** Freshness bonus f for just-created items. @default 1.5 */
  readonly freshnessWeight: number;
  /** Candidates drawn per event. @default 32 */
  readonly candidates: number;
}

const DEFAULTS: Omit<SyntheticOptions, 'users' | 'items' | 'meanEventsPerUser'> = {
  seed: 1,
  factors: 16,
  genres: 20,
  popularityExponent: 1,
  initialItemShare: 0.6,
  startTimestamp: 1_700_000_000,
  durationDays: 180,
  transitionProbability: 0.3,
  drift: 0.3,
  affinityWeight: 4,
  freshnessWeight: 1.5,
  candidates: 32,
};

/** Sizes: `tiny` for unit tests, `small` ≈ MovieLens-1M scale, `large` and `xl` (750k items) for scale runs. */
export const SYNTHETIC_PRESETS = {
  tiny: { users: 400, items: 300, meanEventsPerUser: 25 },
  small: { users: 6_000, items: 3_500, meanEventsPerUser: 60 },
  large: { users: 100_000, items: 100_000, meanEventsPerUser: 30 },
  xl: { users: 500_000, items: 750_000, meanEventsPerUser: 40 },
} as const;

export type SyntheticPreset = keyof typeof SYNTHETIC_PRESETS;

const DAY = 86_400;
const FRESHNESS_DAYS = 14;
const SUCCESSORS = 3;
const ITEM_NOISE = 0.7;
const USER_NOISE = 0.5;
const GENRE_LABEL_NOISE = 0.1;
const PRICE_BANDS = ['low', 'mid', 'high'] as const;
const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55+'] as const;
const COMMON_WORDS = ['the', 'new', 'classic', 'edition', 'best', 'with', 'and', 'for', 'series', 'special'];

export interface SyntheticData {
  readonly interactions: Interaction[];
  readonly items: ItemMeta[];
  readonly users: UserMeta[];
}

/** The whole data set in memory (tests and ML-1M-sized runs). */
export function generateSynthetic(
  options: Partial<SyntheticOptions> & Pick<SyntheticOptions, 'users' | 'items'>,
) {
  const generator = new SyntheticGenerator(options);
  return {
    interactions: [...generator.interactions()],
    items: generator.items,
    users: generator.users,
  } satisfies SyntheticData;
}

export class SyntheticGenerator {
  readonly options: SyntheticOptions;
  /** In creation order. */
  readonly items: ItemMeta[];
  readonly users: UserMeta[];
  private readonly k: number;
  private readonly itemFactors: Float64Array;
  private readonly itemGenre: Int32Array;
  private readonly itemCreated: Float64Array;
  /** Cumulative popularity over items in creation order. */
  private readonly cumulative: Float64Array;
  private readonly genreCentres: Float64Array;
  private readonly genreItems: Int32Array[];
  private readonly genreCumulative: Float64Array[];
  private readonly genreCreated: Float64Array[];
  private readonly successors: Int32Array;
  private readonly userTaste: Float64Array;
  private readonly userSeeds: Uint32Array;
  private readonly endTimestamp: number;

  constructor(options: Partial<SyntheticOptions> & Pick<SyntheticOptions, 'users' | 'items'>) {
    const o: SyntheticOptions = {
      ...DEFAULTS,
      meanEventsPerUser: 20,
      ...options,
    };
    if (o.items < 1 || o.users < 1) throw new Error('synthetic: users and items must be positive');
    this.options = o;
    const k = o.factors;
    const g = o.genres;
    this.k = k;
    this.endTimestamp = o.startTimestamp + o.durationDays * DAY;
    const root = new Random(o.seed);
    const rng = root.fork();

    this.genreCentres = new Float64Array(g * k);
    for (let i = 0; i < g * k; i++) this.genreCentres[i] = rng.nextNormal();
    const vocab = Array.from({ length: g }, () => Array.from({ length: 12 }, () => pseudoWord(rng)));
    const genreNames = Array.from({ length: g }, (_, i) => `genre-${i}`);

    // Creation times, ascending, so the items available at time t are a prefix of the catalog.
    const n = o.items;
    const initial = Math.round(o.initialItemShare * n);
    const created = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      created[i] =
        i < initial
          ? o.startTimestamp - rng.next() * 365 * DAY
          : o.startTimestamp + rng.next() * (this.endTimestamp - o.startTimestamp);
    }
    created.sort();
    this.itemCreated = created.map(Math.floor);

    // Zipf weights over a random ranking, independent of creation order: some new items become hits.
    const rank = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      const t = rank[i] as number;
      rank[i] = rank[j] as number;
      rank[j] = t;
    }
    const weight = new Float64Array(n);
    for (let i = 0; i < n; i++) weight[i] = ((rank[i] as number) + 1) ** -o.popularityExponent;
    this.cumulative = new Float64Array(n);
    let running = 0;
    for (let i = 0; i < n; i++) {
      running += weight[i] as number;
      this.cumulative[i] = running;
    }

    this.itemGenre = new Int32Array(n);
    this.itemFactors = new Float64Array(n * k);
    const perGenre: number[][] = Array.from({ length: g }, () => []);
    for (let i = 0; i < n; i++) {
      const genre = rng.nextInt(g);
      this.itemGenre[i] = genre;
      perGenre[genre]?.push(i);
      for (let f = 0; f < k; f++) {
        this.itemFactors[i * k + f] =
          (this.genreCentres[genre * k + f] as number) + ITEM_NOISE * rng.nextNormal();
      }
    }
    this.genreItems = perGenre.map((list) => Int32Array.from(list));
    this.genreCumulative = perGenre.map((list) => {
      const cum = new Float64Array(list.length);
      let s = 0;
      list.forEach((item, j) => {
        s += weight[item] as number;
        cum[j] = s;
      });
      return cum;
    });
    this.genreCreated = perGenre.map((list) =>
      Float64Array.from(list, (item) => this.itemCreated[item] as number),
    );

    this.successors = new Int32Array(n * SUCCESSORS);
    for (let i = 0; i < n; i++) {
      const list = this.genreItems[this.itemGenre[i] as number] as Int32Array;
      for (let s = 0; s < SUCCESSORS; s++)
        this.successors[i * SUCCESSORS + s] = list[rng.nextInt(list.length)] as number;
    }

    this.items = [];
    for (let i = 0; i < n; i++) {
      const genre = this.itemGenre[i] as number;
      const label = rng.next() < GENRE_LABEL_NOISE ? rng.nextInt(g) : genre;
      const price = Math.round(Math.exp(0.5 * (this.itemFactors[i * k] as number)) * 1000) / 100;
      const band = PRICE_BANDS[price < 7 ? 0 : price < 14 ? 1 : 2] as string;
      const words: string[] = [];
      const length = 5 + rng.nextInt(8);
      const genreVocab = vocab[genre] as string[];
      for (let w = 0; w < length; w++) {
        words.push(
          rng.next() < 0.6
            ? (genreVocab[rng.nextInt(genreVocab.length)] as string)
            : (COMMON_WORDS[rng.nextInt(COMMON_WORDS.length)] as string),
        );
      }
      this.items.push({
        itemId: `item-${i}`,
        creationTimestamp: this.itemCreated[i] as number,
        categorical: { genre: [genreNames[label] as string], price_band: [band] },
        numeric: { price },
        text: words.join(' '),
      });
    }

    const m = o.users;
    this.userTaste = new Float64Array(m * k);
    this.userSeeds = new Uint32Array(m);
    this.users = [];
    for (let u = 0; u < m; u++) {
      const first = rng.nextInt(g);
      const second = rng.next() < 0.5 ? rng.nextInt(g) : first;
      const mix = 0.5 + 0.5 * rng.next();
      for (let f = 0; f < k; f++) {
        this.userTaste[u * k + f] =
          mix * (this.genreCentres[first * k + f] as number) +
          (1 - mix) * (this.genreCentres[second * k + f] as number) +
          USER_NOISE * rng.nextNormal();
      }
      this.userSeeds[u] = rng.nextUint32();
      const segment = rng.next() < 0.8 ? first : rng.nextInt(g);
      this.users.push({
        userId: `user-${u}`,
        categorical: {
          segment: [genreNames[segment] as string],
          age_band: [AGE_BANDS[rng.nextInt(AGE_BANDS.length)] as string],
        },
      });
    }
  }

  /** Every user's interactions, user by user, each user's in time order. */
  *interactions(): Generator<Interaction> {
    for (let u = 0; u < this.options.users; u++) yield* this.userInteractions(u);
  }

  /** One user's interactions; depends only on the seed and the user index. */
  userInteractions(u: number): Interaction[] {
    const o = this.options;
    const k = this.k;
    const rng = new Random(this.userSeeds[u] as number);
    const sigma = 1;
    const mu = Math.log(o.meanEventsPerUser) - (sigma * sigma) / 2;
    const count = Math.max(
      1,
      Math.min(20 * o.meanEventsPerUser, Math.round(Math.exp(mu + sigma * rng.nextNormal()))),
    );
    const span = (this.endTimestamp - o.startTimestamp) * (0.1 + 0.9 * rng.next());
    let t = o.startTimestamp + rng.next() * (this.endTimestamp - o.startTimestamp - span);
    const meanGap = span / count;
    const taste = this.userTaste.slice(u * k, (u + 1) * k);
    const consumed = new Set<number>();
    const out: Interaction[] = [];
    const userId = `user-${u}`;
    const candidates: number[] = [];
    const scores: number[] = [];
    const genreScores = new Float64Array(o.genres);
    let previous = -1;
    for (let e = 0; e < count; e++) {
      t += -Math.log(1 - rng.next()) * meanGap;
      const available = upperBound(this.itemCreated, t);
      if (available === 0) continue;
      let chosen = -1;
      if (previous >= 0 && rng.next() < o.transitionProbability) {
        const s = this.successors[previous * SUCCESSORS + rng.nextInt(SUCCESSORS)] as number;
        if ((this.itemCreated[s] as number) <= t && !consumed.has(s)) chosen = s;
      }
      if (chosen < 0) {
        candidates.length = 0;
        scores.length = 0;
        // Genre ∝ exp(β·u·c_g / K): the user's current taste decides where the second half of the candidates come from.
        let gmax = -Infinity;
        for (let g = 0; g < o.genres; g++) {
          const s = (o.affinityWeight * dot(taste, this.genreCentres, g * k, k)) / k;
          genreScores[g] = s;
          if (s > gmax) gmax = s;
        }
        let gsum = 0;
        for (let g = 0; g < o.genres; g++) {
          const w = Math.exp((genreScores[g] as number) - gmax);
          genreScores[g] = w;
          gsum += w;
        }
        let r = rng.next() * gsum;
        let genre = 0;
        while (genre < o.genres - 1 && r >= (genreScores[genre] as number))
          r -= genreScores[genre++] as number;
        const genreAvailable = upperBound(this.genreCreated[genre] as Float64Array, t);
        for (let c = 0; c < o.candidates; c++) {
          let item: number;
          if (c % 2 === 1 && genreAvailable > 0) {
            const cum = this.genreCumulative[genre] as Float64Array;
            const j = sampleCumulative(cum, genreAvailable, rng.next());
            item = (this.genreItems[genre] as Int32Array)[j] as number;
          } else {
            item = sampleCumulative(this.cumulative, available, rng.next());
          }
          if (consumed.has(item)) continue;
          const age = (t - (this.itemCreated[item] as number)) / DAY;
          candidates.push(item);
          scores.push(
            o.affinityWeight * (dot(taste, this.itemFactors, item * k, k) / k) +
              (age >= 0 ? o.freshnessWeight * Math.exp(-age / FRESHNESS_DAYS) : 0),
          );
        }
        if (candidates.length === 0) continue;
        let smax = -Infinity;
        for (const s of scores) if (s > smax) smax = s;
        let ssum = 0;
        for (let c = 0; c < scores.length; c++) {
          const w = Math.exp((scores[c] as number) - smax);
          scores[c] = w;
          ssum += w;
        }
        let pick = rng.next() * ssum;
        let c = 0;
        while (c < candidates.length - 1 && pick >= (scores[c] as number)) pick -= scores[c++] as number;
        chosen = candidates[c] as number;
      }
      consumed.add(chosen);
      const affinity = dot(taste, this.itemFactors, chosen * k, k) / k;
      const purchase = rng.next() < 0.05 + 0.3 / (1 + Math.exp(-2 * affinity));
      const rating = Math.max(1, Math.min(5, Math.round(3 + 1.5 * affinity + 0.5 * rng.nextNormal())));
      out.push({
        userId,
        itemId: `item-${chosen}`,
        timestamp: Math.floor(t),
        eventType: purchase ? 'purchase' : 'click',
        eventValue: rating,
      });
      for (let f = 0; f < k; f++) {
        taste[f] =
          (1 - o.drift) * (taste[f] as number) + o.drift * (this.itemFactors[chosen * k + f] as number);
      }
      previous = chosen;
    }
    return out;
  }
}

function dot(a: Float64Array, b: Float64Array, offset: number, k: number): number {
  let s = 0;
  for (let f = 0; f < k; f++) s += (a[f] as number) * (b[offset + f] as number);
  return s;
}

/** Number of entries ≤ x in an ascending array. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index j < n drawn with probability ∝ cum[j] − cum[j − 1], by binary search for u·cum[n − 1]. */
function sampleCumulative(cum: Float64Array, n: number, u: number): number {
  const target = u * (cum[n - 1] as number);
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cum[mid] as number) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

function pseudoWord(rng: Random): string {
  let word = '';
  const syllables = 2 + rng.nextInt(2);
  for (let s = 0; s < syllables; s++) {
    word += CONSONANTS[rng.nextInt(CONSONANTS.length)];
    word += VOWELS[rng.nextInt(VOWELS.length)];
  }
  return word;
}
