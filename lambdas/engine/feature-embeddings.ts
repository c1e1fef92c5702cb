/**
 * Metadata in the model as input embeddings added to the user's state, like more history events. Each value of a
 * categorical column (`FIELD=value`, a token) gets one:
 * - Users metadata: a column of the Users dataset; the token belongs to every event of the users who have it, and
 *   a request adds the requesting user's tokens.
 * - Contextual metadata: a categorical column of the Interactions dataset (DEVICE, LOCATION, …); the token belongs
 *   to the one event recorded with it, and a request adds the tokens of its `context`.
 *
 * The embedding is a Newton step on the softmax log-likelihood of the token's events from a zero embedding: the
 * gradient is τ Σ (q_y − E[q]), summed over those events y, and the Hessian is taken as isotropic, τ² n_t σ² I,
 * with σ² the per-dimension variance of the output embeddings q over all training events and E[q] their mean q̄
 * (the context row already holds what everyone does). So
 *   e_t = α (Σ_{events of t} q_y − n_t q̄) / (τ σ² (n_t + s)),
 * n_t being the token's training events and s the mean number of events per training user, which shrinks a token
 * resting on about one user's events by half. A token fewer than two training users have names a user rather than
 * a group and is left out. α (a share of the Newton step, one per kind) is chosen by self-tuning on the validation
 * users (`tuning.ts`); 0, for metadata that carries no signal, leaves the model as it was. Numeric columns are not
 * used.
 */
import type { IdIndex, Sequences } from './dataset';
import type { UserMeta } from './types';

/** Categorical values by field, multi-valued fields already split (a user's metadata, an event's context). */
export type Attributes = Readonly<Record<string, readonly string[]>>;

/** The token of a categorical value, as the model artifact lists it. */
export function tokenOf(field: string, value: string): string {
  return `${field}=${value}`;
}

/** The tokens of one user's metadata or one event's context. */
export function tokensOfAttributes(attributes: Attributes): string[] {
  const tokens: string[] = [];
  for (const [field, values] of Object.entries(attributes))
    for (const value of values) tokens.push(tokenOf(field, value));
  return tokens;
}

/** Tokens back into attributes (the inverse of {@link tokensOfAttributes}). */
export function attributesOfTokens(tokens: Iterable<string>): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const token of tokens) {
    const at = token.indexOf('=');
    const field = token.slice(0, at);
    const values = attributes[field] ?? [];
    values.push(token.slice(at + 1));
    attributes[field] = values;
  }
  return attributes;
}

/**
 * Token sets in CSR form over units: the sequences' users (Users metadata) or their event positions, aligned with
 * `itemSeq` (context). Unit k's tokens are ids[offsets[k] .. offsets[k+1]), indices into `tokens`.
 */
export interface TokenSets {
  readonly tokens: readonly string[];
  readonly offsets: Int32Array;
  readonly ids: Int32Array;
}

/** The tokens of unit `k` of `sets`. */
export function tokensAt(sets: TokenSets, k: number): string[] {
  const out: string[] = [];
  for (let e = sets.offsets[k] as number; e < (sets.offsets[k + 1] as number); e++)
    out.push(sets.tokens[sets.ids[e] as number] as string);
  return out;
}

/** The tokens of the users in `users` that the sequences know; undefined when no user has one. */
export async function userTokensOf(
  metadata: AsyncIterable<UserMeta> | Iterable<UserMeta>,
  users: IdIndex,
): Promise<TokenSets | undefined> {
  const perUser = new Map<number, string[]>();
  for await (const meta of metadata) {
    const u = users.get(meta.userId);
    if (u === undefined || meta.categorical === undefined) continue;
    const tokens = tokensOfAttributes(meta.categorical);
    if (tokens.length > 0) perUser.set(u, tokens);
  }
  if (perUser.size === 0) return undefined;
  const vocabulary = new Map<string, number>();
  const offsets = new Int32Array(users.size + 1);
  const ids: number[] = [];
  for (let u = 0; u < users.size; u++) {
    for (const token of perUser.get(u) ?? []) {
      let id = vocabulary.get(token);
      if (id === undefined) {
        id = vocabulary.size;
        vocabulary.set(token, id);
      }
      ids.push(id);
    }
    offsets[u + 1] = ids.length;
  }
  return { tokens: [...vocabulary.keys()], offsets, ids: Int32Array.from(ids) };
}

/** Tokens and their input embeddings (tokens × d, α included), as the model keeps them. */
export interface FeatureEmbeddings {
  readonly tokens: readonly string[];
  readonly embeddings: Float32Array;
}

/** A model's {@link FeatureEmbeddings} with their tokens looked up. */
export class FeatureTable {
  private readonly index = new Map<string, number>();

  constructor(
    readonly features: FeatureEmbeddings,
    private readonly d: number,
  ) {
    if (features.embeddings.length !== features.tokens.length * d)
      throw new Error('feature embeddings must be tokens × d');
    features.tokens.forEach((token, t) => {
      this.index.set(token, t);
    });
  }

  get size(): number {
    return this.index.size;
  }

  /** Adds the embedding of each token of `attributes` the table knows to u (others are skipped). */
  addTo(u: Float32Array, attributes: Attributes): void {
    const d = this.d;
    const e = this.features.embeddings;
    for (const [field, values] of Object.entries(attributes)) {
      for (const value of values) {
        const t = this.index.get(tokenOf(field, value));
        if (t === undefined) continue;
        for (let c = 0; c < d; c++) u[c] = (u[c] as number) + (e[t * d + c] as number);
      }
    }
  }
}

/**
 * What the embeddings of every α are made of, summed once over `keep`'s users for the output embeddings: per token,
 * Σ q_y over its events, their count and how many users they belong to; over all events, Σ q_y and Σ ‖q_y‖².
 */
export interface FeatureSums {
  readonly tokens: readonly string[];
  readonly d: number;
  readonly sums: Float64Array;
  readonly counts: Float64Array;
  readonly members: Int32Array;
  readonly total: Float64Array;
  readonly squares: number;
  readonly events: number;
  readonly users: number;
}

/** {@link FeatureSums} of `sets`, a set per user or per event (`per`), under these output embeddings. */
export function featureSums(
  seqs: Sequences,
  keep: Uint8Array,
  sets: TokenSets,
  per: 'user' | 'event',
  output: Float32Array,
  d: number,
): FeatureSums {
  const t = sets.tokens.length;
  const sums = new Float64Array(t * d);
  const counts = new Float64Array(t);
  const members = new Int32Array(t);
  const lastUser = new Int32Array(t).fill(-1);
  const total = new Float64Array(d);
  let squares = 0;
  let events = 0;
  let users = 0;
  const runSum = new Float64Array(d);
  // A run of positions sharing one token set: a user's events, or a single event.
  const addRun = (u: number, from: number, to: number, unit: number): void => {
    runSum.fill(0);
    for (let p = from; p < to; p++) {
      const row = (seqs.itemSeq[p] as number) * d;
      for (let c = 0; c < d; c++) {
        const q = output[row + c] as number;
        runSum[c] = (runSum[c] as number) + q;
        squares += q * q;
      }
    }
    for (let c = 0; c < d; c++) total[c] = (total[c] as number) + (runSum[c] as number);
    for (let e = sets.offsets[unit] as number; e < (sets.offsets[unit + 1] as number); e++) {
      const id = sets.ids[e] as number;
      counts[id] = (counts[id] as number) + (to - from);
      if (lastUser[id] !== u) {
        lastUser[id] = u;
        members[id] = (members[id] as number) + 1;
      }
      for (let c = 0; c < d; c++) sums[id * d + c] = (sums[id * d + c] as number) + (runSum[c] as number);
    }
  };
  for (let u = 0; u < keep.length; u++) {
    if (!keep[u]) continue;
    const a = seqs.userOffsets[u] as number;
    const b = seqs.userOffsets[u + 1] as number;
    if (per === 'user') addRun(u, a, b, u);
    else for (let p = a; p < b; p++) addRun(u, p, p + 1, p);
    events += b - a;
    users++;
  }
  return { tokens: sets.tokens, d, sums, counts, members, total, squares, events, users };
}

/** The tokens' embeddings for weight α and softmax temperature τ (module comment). */
export function featureEmbeddings(f: FeatureSums, temperature: number, weight: number): FeatureEmbeddings {
  const { d, sums, counts, members, total, events } = f;
  const tokens: string[] = [];
  const rows: number[] = [];
  let meanSquare = 0;
  for (let c = 0; c < d; c++) meanSquare += ((total[c] as number) / Math.max(1, events)) ** 2;
  const variance = events > 0 ? (f.squares / events - meanSquare) / d : 0;
  if (!(variance > 0) || !(temperature > 0) || weight === 0)
    return { tokens, embeddings: new Float32Array(0) };
  const shrink = events / f.users;
  for (let id = 0; id < f.tokens.length; id++) {
    const n = counts[id] as number;
    if ((members[id] as number) < 2) continue;
    tokens.push(f.tokens[id] as string);
    const scale = weight / (temperature * variance * (n + shrink));
    for (let c = 0; c < d; c++)
      rows.push(scale * ((sums[id * d + c] as number) - (n * (total[c] as number)) / events));
  }
  return { tokens, embeddings: Float32Array.from(rows) };
}
