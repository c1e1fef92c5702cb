/**
 * The steps of the training workflow (`lambdas/workflows/training-definition.ts`), one function each:
 *
 * - prepare: `CREATE PENDING` → `CREATE IN_PROGRESS`; reads the group's interactions, items and users, applies the
 *   solution's `eventType` / `eventValueThreshold`, records the data's fingerprint (`data-fingerprint.ts`, which
 *   automatic training compares), enforces the minimum-data rule (spec §2.8) and writes a compact columnar training
 *   snapshot (`engine/snapshot.ts`) to `models/<solution>/<version>/training-data.bin`, its users cut into shards by
 *   a hash of their id, one per `SHARD_INTERACTIONS` interactions (at most `MAX_SHARDS`), and grouped by shard.
 * - plan: self-tuning (`engine/tuning.ts`) chooses the model on a validation split of the snapshot less the metrics'
 *   held-out truths; writes `training/plan.json`, with what a shard needs of the whole data (`ShardPlan`), and
 *   returns the shard list, which the workflow's Distributed Map runs over. With one shard the list is empty:
 *   nothing is distributed, and the train step sums itself, exactly as an undistributed training (it saves writing
 *   and reading the dense sums). An UPDATE version has no shards either.
 * - shard sums (one per shard, in parallel): that shard's users' Gram and cross sums of the final fit
 *   (`engine/shards.ts`) to `training/shard-<n>.bin`, from the byte ranges of the snapshot that hold its users.
 * - reduce: the shards' sums added up, to `training/sums.bin`.
 * - train: the final fit on every training user with the plan's choices, solving on the reduced sums (or its own
 *   with one shard), and `model.bin` with its item engagement statistics (`item-stats.ts`); records the step's wall
 *   time. An UPDATE version is not trained: its FULL version's model takes in the snapshot's new items and
 *   statistics (`engine/update.ts`).
 * - evaluate: Personalize's offline metrics (spec §6) of the served model, judged on the newest 10 % of each
 *   held-out user's interactions (a seeded sample of at most `MAX_EVALUATED_USERS` of 10 % of the users). The train
 *   step left exactly those truths out (`trainingRowsOf`), so the metrics measure prediction, not memory, without a
 *   second training; the served model misses only the held-out users' newest events (about 1 % of the data).
 * - publish: writes the training users' history tails for serving (`history-tails.bin`, each user's newest events,
 *   `engine/history-tails.ts`), deletes the `training/` objects, then `CREATE IN_PROGRESS` → `ACTIVE` with
 *   `trainingHours`.
 * - fail (the Catch target of every step): `CREATE FAILED` with a readable `failureReason`.
 *
 * The steps after prepare read the snapshot by byte ranges, one shard's users at a time (`openSnapshot`): plan and
 * train ingest it shard by shard, evaluate keeps only its test users' cases, publish writes the tails in two passes,
 * and a shard child reads only its own users.
 *
 * Every status write is conditional on the status the step expects, so a version that StopSolutionVersionCreation
 * moved to `CREATE STOPPING` / `CREATE STOPPED` is never flipped back by a step that was already running.
 */
import { type HpoSearch, type ItemMeta, Model, type ParallelRunner, type UserMeta } from '../engine';
import { evaluateOnThreads } from '../engine/evaluation-threads';
import type { FitContext, ModelChoices } from '../engine/fit';
import { HistoryTailsBuilder } from '../engine/history-tails';
import { MAX_HISTORY } from '../engine/history-weights';
import type { HyperParameters } from '../engine/hyperparameters';
import { MAX_EVALUATED_USERS } from '../engine/metrics';
import { createWorkerPool, defaultWorkers } from '../engine/parallel';
import {
  addShardSums,
  decodeShardSums,
  encodeShardSums,
  partSums,
  type ShardPlan,
  type ShardSums,
  shardCount,
  shardPlanOf,
} from '../engine/shards';
import {
  decodeSnapshot,
  encodeSnapshot,
  type InteractionColumns,
  interactionRows,
  openSnapshot,
  SnapshotBuilder,
  type StoredSnapshot,
  type TrainingSnapshot,
} from '../engine/snapshot';
import { type MetricsSplitOptions, sampledTestUsers, storedTestCases, trainingRowsOf } from '../engine/split';
import { type ChosenModel, chooseModel, fitChosen, fitContextOf, inThread } from '../engine/train';
import { ColumnFacts, updateModel } from '../engine/update';
import { ENV, type EnvKey, optionalEnv } from '../env';
import { PersonalizeError } from '../errors';
import { logger } from '../observability';
import {
  dataMarkKey,
  deleteArtifactsUnder,
  getArtifact,
  getArtifactRange,
  historyTailsKey,
  modelKey,
  putArtifact,
  reducedSumsKey,
  shardSumsKey,
  snapshotKey,
  trainingPlanKey,
  trainingWorkPrefix,
  tuningStartKey,
} from '../store/artifacts';
import type { ResourceRecord } from '../store/resources';
import type { ServiceContext } from './context';
import { DataFingerprint } from './data-fingerprint';
import {
  ItemsDigest,
  MarkRecorder,
  readItems,
  readSince,
  relinked,
  versionMark,
  writeMark,
} from './data-marks';
import { groupInteractions, groupItems, groupUsers } from './dataset-data';
import { hpoSearchOf } from './hpo-config';
import { type ItemStats, itemStatsFromColumns, mergeItemStats, writeItemStats } from './item-stats';
import type { VersionAttrs } from './solution-versions';
import {
  isTrainingInteraction,
  leaveTraining,
  SOLUTION_VERSION,
  type TrainingConfig,
  trainingConfigOf,
  VERSION_BUSY,
  VERSION_STATUS,
  type VersionDoc,
} from './solutions';

/** Minimum data (spec §2.8, §5), counted after event-type and event-value filtering. */
export const MIN_INTERACTIONS = 1000;
export const MIN_USERS_WITH_TWO = 25;
export const MIN_SHARE_WITH_TWO = 0.01;

/** Seeds of the two trainings and the split; fixed so retraining on the same data reproduces the same model. */
const TRAIN_SEED = 1;
const SPLIT_SEED = 7;

/** Interactions per user shard of the distributed sums (`OP_TRAINING_SHARD_INTERACTIONS` overrides it). */
export const SHARD_INTERACTIONS = 5_000_000;
/**
 * Most shards: each shard's sums are two dense (h+1)² arrays (268 MB at the default head of 4,096 items), and one
 * reduce step reads them all.
 */
export const MAX_SHARDS = 32;
/** Shards summed at once (`OP_TRAINING_SHARD_CONCURRENCY` overrides it; the local runtime sets 1). */
export const SHARD_CONCURRENCY = 16;

/** The event every step receives and returns. */
export interface StepEvent {
  readonly solutionVersionArn: string;
}

/**
 * What the plan step returns: the shards the Distributed Map runs over (0 … n − 1; none for an UPDATE or one
 * shard) and how many at once.
 */
export interface PlanEvent extends StepEvent {
  readonly shards: readonly number[];
  readonly concurrency: number;
}

/** What one shard's step receives. */
export interface ShardEvent extends StepEvent {
  readonly shard: number;
}

/**
 * `training/plan.json`: how many shards and, with more than one, what each needs of the whole data; the model
 * self-tuning chose, whether its output embeddings are in `training/start.bin` (they start the final fit), and the
 * plan step's seconds.
 */
interface TrainingPlan {
  readonly shards: number;
  readonly shardPlan?: ShardPlan;
  readonly hp: HyperParameters;
  readonly choices: ModelChoices;
  readonly start: boolean;
  readonly seconds: number;
}

/** What the failure step receives: the Catch's `{Error, Cause}` as well. */
export interface FailEvent extends StepEvent {
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** The data does not meet the documented minimum; its message is the version's `failureReason`. */
export class InsufficientDataError extends Error {
  override readonly name = 'InsufficientDataError';
}

/** The version left `CREATE IN_PROGRESS` (stopped, or deleted with its solution): the workflow must end. */
export class TrainingStoppedError extends Error {
  override readonly name = 'TrainingStoppedError';
}

/** Errors whose message is written for the caller and becomes `failureReason` verbatim. */
const READABLE_ERRORS = new Set(['InsufficientDataError']);

async function requireVersion(ctx: ServiceContext, arn: string): Promise<ResourceRecord<VersionDoc>> {
  const version = await ctx.resources.get<VersionDoc>(arn, SOLUTION_VERSION);
  if (version === undefined) throw new TrainingStoppedError(`Solution version ${arn} no longer exists.`);
  return version;
}

async function requireInProgress(ctx: ServiceContext, arn: string): Promise<ResourceRecord<VersionDoc>> {
  const version = await requireVersion(ctx, arn);
  if (version.status !== VERSION_STATUS.inProgress) {
    throw new TrainingStoppedError(`Solution version ${arn} is ${version.status ?? 'unknown'}.`);
  }
  return version;
}

/** A conditional status write that reports a lost race as {@link TrainingStoppedError}. */
async function moveStatus(
  ctx: ServiceContext,
  arn: string,
  from: readonly string[],
  to: string,
  doc: Partial<VersionDoc> = {},
  attrs?: Record<string, unknown>,
): Promise<void> {
  const moved = await ctx.resources.update<VersionDoc>(
    arn,
    { status: to, doc: { ...doc, status: to, lastUpdatedDateTime: ctx.now() }, ...(attrs ? { attrs } : {}) },
    { statusIn: from },
    (current) => new TrainingStoppedError(`Solution version ${arn} is ${current.status ?? 'unknown'}.`),
  );
  if (!VERSION_BUSY.includes(to) && moved.parentArn !== undefined)
    await leaveTraining(ctx, moved.parentArn, arn);
}

async function putObject(ctx: ServiceContext, key: string, chunks: Iterable<Uint8Array>): Promise<void> {
  await putArtifact(ctx.s3, ctx.dataBucket, key, chunks);
}

/** The object's bytes, in a SharedArrayBuffer when `shared` (`getArtifact`). */
async function getObject(ctx: ServiceContext, key: string, shared = false): Promise<Uint8Array> {
  const bytes = await getArtifact(ctx.s3, ctx.dataBucket, key, shared);
  if (bytes === undefined) throw new Error(`No object ${key}`);
  return bytes;
}

/** Checks the documented minimum; the messages follow Personalize's wording. */
export function checkMinimumData(interactions: number, users: number, usersWithTwo: number): void {
  if (interactions < MIN_INTERACTIONS) {
    throw new InsufficientDataError(
      `Create failed. Dataset has fewer than ${MIN_INTERACTIONS} interactions after filtering by event type and ` +
        `event value threshold (found ${interactions}).`,
    );
  }
  if (usersWithTwo < MIN_USERS_WITH_TWO) {
    throw new InsufficientDataError(
      `Create failed. Dataset has fewer than ${MIN_USERS_WITH_TWO} users with at least 2 interactions each.`,
    );
  }
  if (usersWithTwo < MIN_SHARE_WITH_TWO * users) {
    throw new InsufficientDataError(
      `Create failed. Fewer than ${MIN_SHARE_WITH_TWO * 100}% of users have at least 2 interactions each.`,
    );
  }
}

export async function prepareTraining(ctx: ServiceContext, arn: string): Promise<StepEvent> {
  // From IN_PROGRESS too: Step Functions retries a step whose Lambda call failed after the function had run.
  await moveStatus(ctx, arn, [VERSION_STATUS.pending, VERSION_STATUS.inProgress], VERSION_STATUS.inProgress);
  const version = await requireVersion(ctx, arn);
  const config = trainingConfigOf(version.doc.solutionConfig, version.doc.eventType);
  const groupArn = version.doc.datasetGroupArn!;
  const base = updateBaseOf(version);
  const data =
    (base === undefined ? undefined : await prepareSince(ctx, base, groupArn, config)) ??
    (await prepareInFull(ctx, arn, groupArn, config));
  const { builder } = data;

  const perUser = builder.userCounts();
  const usersWithTwo = perUser.reduce((n, c) => (c >= 2 ? n + 1 : n), 0);
  checkMinimumData(builder.size, perUser.length, usersWithTwo);

  const shards = shardCount(
    builder.size,
    positiveEnv(ENV.TRAINING_SHARD_INTERACTIONS, SHARD_INTERACTIONS),
    MAX_SHARDS,
  );
  await putObject(
    ctx,
    snapshotKey(arn),
    encodeSnapshot({ columns: builder.finish(shards), items: data.items, users: data.users, shards }),
  );
  return { solutionVersionArn: arn };
}

/** What the prepare step read, before the minimum-data check. */
interface Prepared {
  readonly builder: SnapshotBuilder;
  readonly items: ItemMeta[];
  readonly users: UserMeta[];
}

type EventFilter = Pick<TrainingConfig, 'eventType' | 'eventValueThreshold'>;

async function readUsers(ctx: ServiceContext, groupArn: string): Promise<UserMeta[]> {
  const users: UserMeta[] = [];
  for await (const batch of groupUsers(ctx, groupArn)) for (const user of batch) users.push(user);
  return users;
}

/**
 * Every interaction, item and user of the group; records the data's fingerprint and, for the updates and checks
 * that follow, its data mark (`data-marks.ts`).
 */
async function prepareInFull(
  ctx: ServiceContext,
  arn: string,
  groupArn: string,
  config: EventFilter,
): Promise<Prepared> {
  const builder = new SnapshotBuilder();
  const fingerprint = new DataFingerprint();
  const recorder = await MarkRecorder.start(ctx, groupArn);
  for await (const batch of groupInteractions(ctx, groupArn, recorder?.observe)) {
    for (const x of batch) {
      if (!isTrainingInteraction(x, config)) continue;
      fingerprint.interaction(x);
      builder.add(x);
    }
  }
  fingerprint.startItems();
  const itemsDigest = new ItemsDigest();
  const items: ItemMeta[] = [];
  for await (const batch of groupItems(ctx, groupArn)) {
    for (const item of batch) {
      fingerprint.item(item);
      itemsDigest.add(item);
      items.push(item);
    }
  }
  const users = await readUsers(ctx, groupArn);
  // Recorded before the minimum-data check, so automatic training does not retry data that already failed it.
  if (recorder !== undefined)
    await writeMark(ctx, dataMarkKey(arn), recorder.finish(itemsDigest.digest(), builder.size));
  await ctx.resources.update<VersionDoc>(arn, {
    attrs: { dataFingerprint: fingerprint.digest() } satisfies VersionAttrs,
  });
  return { builder, items, users };
}

/**
 * An UPDATE version's data: its FULL version's snapshot and the interactions that arrived since that training
 * (`data-marks.ts`), with the items and users as they are now; `undefined` when the FULL version's mark does not
 * allow it (then the data is read in full).
 */
async function prepareSince(
  ctx: ServiceContext,
  baseArn: string,
  groupArn: string,
  config: EventFilter,
): Promise<Prepared | undefined> {
  const mark = await versionMark(ctx, baseArn);
  if (mark === undefined) return undefined;
  const since = await readSince(ctx, groupArn, mark, config);
  if (since === undefined) return undefined;
  const snapshot = await loadSnapshot(ctx, baseArn);
  if (snapshot === undefined) return undefined;
  const links = new Map(since.mark.links);
  const builder = new SnapshotBuilder();
  for (const x of interactionRows(snapshot.columns)) builder.add(relinked(x, links));
  for (const x of since.interactions) builder.add(x);
  const { items } = await readItems(ctx, groupArn);
  return { builder, items, users: await readUsers(ctx, groupArn) };
}

/** A version's training snapshot, opened to be read by byte ranges (`StoredSnapshot`). */
function storedSnapshot(ctx: ServiceContext, arn: string): Promise<StoredSnapshot> {
  const key = snapshotKey(arn);
  return openSnapshot((start, end) => getArtifactRange(ctx.s3, ctx.dataBucket, key, start, end));
}

/** A version's training snapshot; `undefined` when it has none. */
export async function loadSnapshot(ctx: ServiceContext, arn: string): Promise<TrainingSnapshot | undefined> {
  const bytes = await getArtifact(ctx.s3, ctx.dataBucket, snapshotKey(arn));
  return bytes === undefined ? undefined : decodeSnapshot(bytes);
}

/** Runs `run` on the engine's worker threads where they can load (not under ts-jest, which stays in-thread). */
async function withParallel<T>(run: (parallel: ParallelRunner) => Promise<T>): Promise<T> {
  const workers = defaultWorkers();
  if (workers <= 1) return run(inThread);
  const pool = createWorkerPool(workers);
  try {
    return await run(pool);
  } finally {
    await pool.close();
  }
}

/**
 * The engine's fit context of a FULL version's snapshot less the metrics' held-out truths (those of `heldOut`, the
 * metrics' test users): every step of a training builds the same one, so the plan's choices, the shards' sums and
 * the final fit agree. The snapshot is read one shard at a time, so its columns are never in memory at once;
 * `onPart` sees each shard's columns as they pass.
 */
function withFitContext<T>(
  version: ResourceRecord<VersionDoc>,
  stored: StoredSnapshot,
  heldOut: ReadonlySet<string>,
  run: (fit: FitContext) => Promise<T>,
  onPart?: (columns: InteractionColumns) => void,
): Promise<T> {
  const config = trainingConfigOf(version.doc.solutionConfig, version.doc.eventType);
  return withParallel(async (parallel) => {
    const fit = await fitContextOf(
      {
        parts: { rows: stored.interactions, each: trainingParts(stored, heldOut, onPart) },
        items: stored.items,
        users: stored.users,
      },
      { hyperParameters: config.hyperParameters, seed: TRAIN_SEED },
      parallel,
    );
    return run(fit);
  });
}

/** Each shard's columns and the rows that train: all but the truths of the metrics' test users. */
async function* trainingParts(
  stored: StoredSnapshot,
  heldOut: ReadonlySet<string>,
  onPart?: (columns: InteractionColumns) => void,
): AsyncGenerator<{ data: InteractionColumns; keep: Uint8Array }> {
  for (let shard = 0; shard < stored.shards; shard++) {
    const { columns } = await stored.shard(shard);
    onPart?.(columns);
    yield { data: columns, keep: trainingRowsOf(columns, heldOut) };
  }
}

/** The ids of the metrics' test users, whose newest events no training step sees (`sampledTestUsers`). */
async function metricsTestUsers(stored: StoredSnapshot): Promise<string[]> {
  const sampled = sampledTestUsers(stored.userIds, await stored.userOffsets(), METRICS_SPLIT);
  return sampled.map((u) => stored.userIds[u] as string);
}

/** A positive integer from the environment, else `fallback`. */
function positiveEnv(key: EnvKey, fallback: number): number {
  const raw = Number(optionalEnv(key));
  return Number.isInteger(raw) && raw > 0 ? raw : fallback;
}

async function readPlan(ctx: ServiceContext, arn: string): Promise<TrainingPlan> {
  return JSON.parse(new TextDecoder().decode(await getObject(ctx, trainingPlanKey(arn)))) as TrainingPlan;
}

/** The plan's model as the final fit takes it: with self-tuning's output embeddings where it wrote them. */
async function chosenOf(ctx: ServiceContext, arn: string, plan: TrainingPlan): Promise<ChosenModel> {
  if (!plan.start) return plan;
  const bytes = await getObject(ctx, tuningStartKey(arn));
  if (bytes.byteLength % 4 !== 0) throw new Error(`Truncated ${tuningStartKey(arn)}`);
  // A copy: the bytes need not be 4-aligned in their buffer.
  const output = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(output.buffer).set(bytes);
  return { ...plan, output };
}

export async function planTraining(ctx: ServiceContext, arn: string): Promise<PlanEvent> {
  const version = await requireInProgress(ctx, arn);
  const concurrency = positiveEnv(ENV.TRAINING_SHARD_CONCURRENCY, SHARD_CONCURRENCY);
  if (updateBaseOf(version) !== undefined) return { solutionVersionArn: arn, shards: [], concurrency };
  const started = performance.now();
  const stored = await storedSnapshot(ctx, arn);
  const heldOut = await metricsTestUsers(stored);
  let output: Float32Array | undefined;
  const shards = stored.shards;
  const plan = await withFitContext(version, stored, new Set(heldOut), async (fit): Promise<TrainingPlan> => {
    const chosen = await chooseModel(fit, hpoOption(version.doc));
    output = chosen.output;
    const seconds = (performance.now() - started) / 1000;
    return {
      shards,
      ...(shards > 1 ? { shardPlan: shardPlanOf(fit, heldOut) } : {}),
      hp: chosen.hp,
      choices: chosen.choices,
      start: output !== undefined,
      seconds,
    };
  });
  await requireInProgress(ctx, arn);
  if (output !== undefined)
    await putObject(ctx, tuningStartKey(arn), [
      new Uint8Array(output.buffer, output.byteOffset, output.byteLength),
    ]);
  await putObject(ctx, trainingPlanKey(arn), [new TextEncoder().encode(JSON.stringify(plan))]);
  // One shard is not distributed: the train step sums it itself, as an undistributed training does.
  return {
    solutionVersionArn: arn,
    shards: isDistributed(plan) ? Array.from({ length: plan.shards }, (_, i) => i) : [],
    concurrency,
  };
}

/** Whether the plan's sums come from the shards (more than one) or from the train step itself. */
const isDistributed = (plan: TrainingPlan): boolean => plan.shards > 1;

export async function sumShard(ctx: ServiceContext, arn: string, shard: number): Promise<StepEvent> {
  await requireInProgress(ctx, arn);
  const started = performance.now();
  const plan = await readPlan(ctx, arn);
  if (plan.shardPlan === undefined) throw new Error(`The training plan of ${arn} has no shards`);
  const part = await (await storedSnapshot(ctx, arn)).shard(shard);
  const sums = await withParallel((parallel) =>
    partSums(part.columns, plan.shardPlan as ShardPlan, plan, parallel),
  );
  await requireInProgress(ctx, arn);
  const seconds = (performance.now() - started) / 1000;
  await putObject(ctx, shardSumsKey(arn, shard), encodeShardSums({ ...sums, seconds }));
  return { solutionVersionArn: arn };
}

/** Adds the shards' sums in shard order; a one-shard plan has nothing to add (the train step sums itself). */
export async function reduceShards(ctx: ServiceContext, arn: string): Promise<StepEvent> {
  const version = await requireInProgress(ctx, arn);
  if (updateBaseOf(version) !== undefined) return { solutionVersionArn: arn };
  const plan = await readPlan(ctx, arn);
  if (!isDistributed(plan)) return { solutionVersionArn: arn };
  let total: ShardSums | undefined;
  for (let shard = 0; shard < plan.shards; shard++) {
    const next = decodeShardSums(await getObject(ctx, shardSumsKey(arn, shard)));
    total = total === undefined ? next : addShardSums(total, next);
  }
  if (total === undefined) throw new Error(`The training plan of ${arn} has no shards`);
  await requireInProgress(ctx, arn);
  await putObject(ctx, reducedSumsKey(arn), encodeShardSums(total));
  return { solutionVersionArn: arn };
}

export async function trainVersion(ctx: ServiceContext, arn: string): Promise<StepEvent> {
  const version = await requireInProgress(ctx, arn);
  const started = performance.now();
  const stored = await storedSnapshot(ctx, arn);
  const base = updateBaseOf(version);
  // What the served model takes in of every row, gathered as the shards pass.
  const columnFacts = new ColumnFacts();
  let itemStats: ItemStats | undefined;
  const gather = (columns: InteractionColumns): void => {
    columnFacts.add(columns);
    const stats = itemStatsFromColumns(columns);
    itemStats = itemStats === undefined ? stats : mergeItemStats(itemStats, stats);
  };
  // A FULL version learns without the truths the evaluate step judges it on (neither self-tuning nor the fit sees
  // them) and solves on the shards' sums; an UPDATE version (spec §7.5) learns nothing and starts from its FULL
  // version. Either way the served model then takes in every item and item statistic of the data, the same work as
  // an automatic update.
  let learned: Model;
  // The version's training time: this step's, plus the plan's and the shards' compute time (the shards count once
  // each, whether they ran side by side or not, as compute is billed).
  let earlierSeconds = 0;
  if (base !== undefined) {
    learned = await loadModel(ctx, base);
    for (let shard = 0; shard < stored.shards; shard++) gather((await stored.shard(shard)).columns);
  } else {
    const plan = await readPlan(ctx, arn);
    const given = isDistributed(plan)
      ? decodeShardSums(await getObject(ctx, reducedSumsKey(arn)))
      : undefined;
    earlierSeconds = plan.seconds + (given?.seconds ?? 0);
    const chosen = await chosenOf(ctx, arn, plan);
    const heldOut = new Set(await metricsTestUsers(stored));
    learned = await withFitContext(
      version,
      stored,
      heldOut,
      (fit) => fitChosen(fit, chosen, given === undefined ? {} : { given }),
      gather,
    );
  }
  const { model } = await updateModel(learned, { columnFacts, items: stored.items });
  await putObject(ctx, modelKey(arn), [model.serialize()]);
  await writeItemStats(ctx, modelKey(arn), itemStats as ItemStats);
  const trainSeconds = earlierSeconds + (performance.now() - started) / 1000;
  await requireInProgress(ctx, arn);
  await ctx.resources.update<VersionDoc>(arn, {
    attrs: { trainSeconds } satisfies VersionAttrs,
    ...(model.tuned !== undefined
      ? { doc: { tunedHPOParams: { algorithmHyperParameters: { ...model.tuned } } } }
      : {}),
  });
  return { solutionVersionArn: arn };
}

/** The metrics' held-out test users: a seeded 10 % of the users, at most `MAX_EVALUATED_USERS` of them. */
const METRICS_SPLIT: MetricsSplitOptions = {
  seed: SPLIT_SEED,
  maxUsers: MAX_EVALUATED_USERS,
  sampleSeed: SPLIT_SEED,
};

/** The HPO search of a version whose solution asked for one. */
function hpoOption(doc: VersionDoc): { hpo?: HpoSearch } {
  const hpo = hpoSearchOf(doc.performHPO, doc.solutionConfig?.hpoConfig);
  return hpo === undefined ? {} : { hpo };
}

/** The FULL version an UPDATE version refreshes; `undefined` for a version that trains. */
function updateBaseOf(version: ResourceRecord<VersionDoc>): string | undefined {
  return version.doc.trainingMode === 'UPDATE'
    ? (version.attrs as VersionAttrs).baseSolutionVersionArn
    : undefined;
}

export async function evaluateVersion(ctx: ServiceContext, arn: string): Promise<StepEvent> {
  const version = await requireInProgress(ctx, arn);
  const base = updateBaseOf(version);
  if (base !== undefined) {
    // An update learns nothing about the items it knew: it reports the metrics of the FULL version it refreshes.
    const full = await ctx.resources.get<VersionDoc>(base, SOLUTION_VERSION);
    const metrics = (full?.attrs as VersionAttrs | undefined)?.metrics ?? {};
    await requireInProgress(ctx, arn);
    await ctx.resources.update<VersionDoc>(arn, {
      attrs: { metrics: { ...metrics } } satisfies VersionAttrs,
    });
    return { solutionVersionArn: arn };
  }
  // The test cases, one shard of the snapshot at a time.
  const { test, catalogSize } = await storedTestCases(await storedSnapshot(ctx, arn), METRICS_SPLIT);
  // Shared, so that Evaluate's threads read the model without a copy of their own.
  const modelBytes = await getObject(ctx, modelKey(arn), true);
  const options = { catalogSize, maxUsers: MAX_EVALUATED_USERS };
  const metrics = await evaluateOnThreads(modelBytes, test, options, defaultWorkers());
  await requireInProgress(ctx, arn);
  await ctx.resources.update<VersionDoc>(arn, {
    attrs: { metrics: { ...metrics } } satisfies VersionAttrs,
  });
  return { solutionVersionArn: arn };
}

export async function publishVersion(ctx: ServiceContext, arn: string): Promise<StepEvent> {
  const version = await requireInProgress(ctx, arn);
  const trainSeconds = (version.attrs as VersionAttrs).trainSeconds ?? 0;
  // Serving reads no more of a history than the model does (MAX_HISTORY). The tails are written in two passes over
  // the snapshot's shards, so one shard's columns are in memory at a time (one shard is read once).
  const stored = await storedSnapshot(ctx, arn);
  const only = stored.shards === 1 ? (await stored.shard(0)).columns : undefined;
  const part = async (shard: number) => only ?? (await stored.shard(shard)).columns;
  const tails = new HistoryTailsBuilder(MAX_HISTORY);
  for (let shard = 0; shard < stored.shards; shard++) tails.scan(await part(shard));
  for (let shard = 0; shard < stored.shards; shard++) tails.fill(await part(shard));
  await putObject(ctx, historyTailsKey(arn), tails.chunks());
  await deleteArtifactsUnder(ctx.s3, ctx.dataBucket, trainingWorkPrefix(arn));
  await moveStatus(ctx, arn, [VERSION_STATUS.inProgress], VERSION_STATUS.active, {
    trainingHours: trainSeconds / 3600,
  });
  return { solutionVersionArn: arn };
}

/**
 * Turns a caught error into a `failureReason`. Step Functions on AWS passes a Lambda error's `Cause` as the JSON
 * Lambda reports (`{"errorType","errorMessage","stackTrace"}`); the local runner passes `"<errorType>: <message>"`.
 * The stack trace is never shown.
 */
export function failureReasonOf(error: FailEvent['error']): string {
  const name = error?.Error ?? 'Unknown';
  const raw = error?.Cause ?? '';
  let type = name;
  let message: string | undefined;
  try {
    const cause = JSON.parse(raw) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof cause.errorType === 'string') type = cause.errorType;
    if (typeof cause.errorMessage === 'string') message = cause.errorMessage;
  } catch {
    message = raw.startsWith(`${name}: `) ? raw.slice(name.length + 2) : raw;
  }
  if (READABLE_ERRORS.has(type) && message !== undefined) return message;
  if (name === 'States.Timeout') return 'Create failed. A training step exceeded its time limit.';
  // A Distributed Map reports that its child executions failed, not why (their errors are in their executions).
  if (name === 'States.ExceedToleratedFailureThreshold')
    return 'Create failed. A shard of the distributed training failed.';
  const detail = message === undefined || message === '' ? '' : ` (${type}: ${message.split('\n')[0]})`;
  return `Create failed. An internal error occurred during training${detail}.`;
}

/** Records a failure unless the version has already left training (stopped or deleted), which is not a failure. */
export async function failVersion(
  ctx: ServiceContext,
  arn: string,
  error: FailEvent['error'],
): Promise<StepEvent> {
  try {
    await moveStatus(ctx, arn, [VERSION_STATUS.pending, VERSION_STATUS.inProgress], VERSION_STATUS.failed, {
      failureReason: failureReasonOf(error),
    });
  } catch (err) {
    if (!(err instanceof TrainingStoppedError) && !(err instanceof PersonalizeError)) throw err;
  }
  return { solutionVersionArn: arn };
}

/** The model of an ACTIVE version, for the services that serve it. */
export async function loadModel(ctx: ServiceContext, versionArn: string): Promise<Model> {
  return Model.load(await getObject(ctx, modelKey(versionArn)));
}

/** The version ARN of a step's event; anything else is a wiring mistake. */
export function stepArn(event: { readonly solutionVersionArn?: unknown }): string {
  if (typeof event.solutionVersionArn !== 'string') {
    throw new Error('Expected an event of the form {"solutionVersionArn": "..."}');
  }
  return event.solutionVersionArn;
}

/** Runs a step and logs its outcome and wall time as one JSON line (CloudWatch on AWS, the console locally). */
export async function timedStep<T extends StepEvent>(
  step: string,
  arn: string,
  run: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  let ok = false;
  try {
    const out = await run();
    ok = true;
    return out;
  } finally {
    const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    logger.info('training step', { step, ok, seconds, solutionVersionArn: arn });
  }
}
