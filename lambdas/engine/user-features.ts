/**
 * Users metadata in the model: each value of a categorical column of the Users dataset (`FIELD=value`, a token)
 * gets an input embedding that is added to the state of every user who has it, like one more history event.
 *
 * The embedding is a Newton step on the softmax log-likelihood of the token's users' events from a zero
 * embedding: the gradient is τ Σ (q_y − E[q]), summed over their events y, and the Hessian is taken as isotropic,
 * τ² n_t σ² I, with σ² the per-dimension variance of the output embeddings q over all training events and E[q]
 * their mean q̄ (the context row already holds what everyone does). So
 *   e_t = α (Σ_{events of t's users} q_y − n_t q̄) / (τ σ² (n_t + s)),
 * n_t being the training events of t's users and s the mean number of events per training user, which shrinks a
 * token resting on about one user's events by half. A token fewer than two training users have names a user rather
 * than a group and is left out. α (`userFeatureWeight`, a share of the Newton step) is chosen by self-tuning on the
 * validation users (`tuning.ts`); 0, for a data set whose Users metadata carries no signal, leaves the model as it
 * was. Numeric columns are not used.
 */
import type { IdIndex, Sequences } from './dataset';
import type { UserMeta } from './types';

/** The token of a categorical value, as the model artifact lists it. */
export function tokenOf(field: string, value: string): string {
  return `${field}=${value}`;
}

/** The tokens of one user's categorical metadata (multi-valued fields already split). */
export function tokensOfAttributes(attributes: Readonly<Record<string, readonly string[]>>): string[] {
  const tokens: string[] = [];
  for (const [field, values] of Object.entries(attributes))
    for (const value of values) tokens.push(tokenOf(field, value));
  return tokens;
}

/** Every training user's tokens (CSR by the sequences' user index). */
export interface UserTokens {
  readonly tokens: readonly string[];
  /** users + 1 entries: user u's tokens are ids[offsets[u] .. offsets[u+1]). */
  readonly offsets: Int32Array;
  readonly ids: Int32Array;
}

/** The tokens of the users in `users` that the sequences know; undefined when no user has one. */
export async function userTokensOf(
  metadata: AsyncIterable<UserMeta> | Iterable<UserMeta>,
  users: IdIndex,
): Promise<UserTokens | undefined> {
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
export interface UserFeatureEmbeddings {
  readonly tokens: readonly string[];
  readonly embeddings: Float32Array;
}

/** The tokens' embeddings for weight α from `keep`'s users (module comment). */
export function fitUserFeatures(
  seqs: Sequences,
  keep: Uint8Array,
  userTokens: UserTokens,
  output: Float32Array,
  d: number,
  temperature: number,
  weight: number,
): UserFeatureEmbeddings {
  const t = userTokens.tokens.length;
  const sums = new Float64Array(t * d);
  const counts = new Float64Array(t);
  const members = new Int32Array(t);
  const total = new Float64Array(d);
  let squares = 0;
  let events = 0;
  let users = 0;
  const userSum = new Float64Array(d);
  for (let u = 0; u < keep.length; u++) {
    if (!keep[u]) continue;
    const a = seqs.userOffsets[u] as number;
    const b = seqs.userOffsets[u + 1] as number;
    userSum.fill(0);
    for (let p = a; p < b; p++) {
      const row = (seqs.itemSeq[p] as number) * d;
      for (let c = 0; c < d; c++) {
        const q = output[row + c] as number;
        userSum[c] = (userSum[c] as number) + q;
        squares += q * q;
      }
    }
    for (let c = 0; c < d; c++) total[c] = (total[c] as number) + (userSum[c] as number);
    events += b - a;
    users++;
    for (let e = userTokens.offsets[u] as number; e < (userTokens.offsets[u + 1] as number); e++) {
      const id = userTokens.ids[e] as number;
      counts[id] = (counts[id] as number) + (b - a);
      members[id] = (members[id] as number) + 1;
      for (let c = 0; c < d; c++) sums[id * d + c] = (sums[id * d + c] as number) + (userSum[c] as number);
    }
  }
  const tokens: string[] = [];
  const rows: number[] = [];
  let meanSquare = 0;
  for (let c = 0; c < d; c++) meanSquare += ((total[c] as number) / Math.max(1, events)) ** 2;
  const variance = events > 0 ? (squares / events - meanSquare) / d : 0;
  if (!(variance > 0) || !(temperature > 0) || weight === 0)
    return { tokens, embeddings: new Float32Array(0) };
  const shrink = events / users;
  for (let id = 0; id < t; id++) {
    const n = counts[id] as number;
    if ((members[id] as number) < 2) continue;
    tokens.push(userTokens.tokens[id] as string);
    const scale = weight / (temperature * variance * (n + shrink));
    for (let c = 0; c < d; c++)
      rows.push(scale * ((sums[id * d + c] as number) - (n * (total[c] as number)) / events));
  }
  return { tokens, embeddings: Float32Array.from(rows) };
}
