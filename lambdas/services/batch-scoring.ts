/**
 * One chunk of a batch inference job (spec FILTERS.md §3): reads the chunk's lines from the customer's bucket,
 * recommends for each and writes one output line per input line, in Personalize's shape:
 *
 *   {"input": {"userId": "4638"}, "output": {"recommendedItems": ["63992", …], "scores": [0.0152, …]}, "error": null}
 *
 * A line that cannot be served gets `"output": null` and an `"error"` message (the job still succeeds): text that
 * is not a JSON object (its `"input"` is then the raw text), a missing or empty `userId`, `filterValues` that are
 * not a map of strings or that the filter refuses. Blank lines are skipped.
 *
 * - History: the user's interactions in the version's training data (Personalize uses real-time events in batch
 *   jobs only after retraining); unknown users get the model's popular items.
 * - Filters: the job's filter with each line's `filterValues`, over the same data as GetRecommendations (bulk
 *   imports, PutItems / PutUsers, and for interaction filters the group's recorded events, read once per job and
 *   process). A filter that reads neither the user's interactions nor their Users row is evaluated once per distinct
 *   `filterValues`.
 * - Exploration: the job's `itemExplorationConfig`, drawn from a generator seeded with the job ARN and line number,
 *   so a job's output is reproducible.
 */
import type { BatchInferenceJob } from '@aws-sdk/client-personalize';
import { explore, isPlainRanking, sparseExplorationScores } from '../engine/exploration';
import { Random } from '../engine/random';
import { BatchParts, parseS3Uri } from '../store/batch-io';
import {
  BATCH_INFERENCE_JOB,
  BATCH_STATUS,
  type BatchAttrs,
  type Chunk,
  type FilesFor,
  jobId,
} from './batch-inference-jobs';
import type { ServiceContext } from './context';
import { groupDatasetArn, groupUserAttributes } from './dataset-data';
import type { RecentEvent } from './events';
import { checkRequiredParameters, resolveParameters, type SchemaFields } from './filters/compile';
import { FilterDataCache, userInteractions } from './filters/data';
import { evaluateFilter, type FilterCatalog, type FilterData, filterNeeds } from './filters/evaluate';
import { type ActiveFilter, loadFilter } from './filters/filters';
import type { CatalogMask } from './filters/mask';
import { ExplorationCache } from './item-stats';
import { ModelCache } from './model-cache';
import { seedOf } from './serving';

/** Per-process state of the chunk worker: models, exploration state, filter data, each job's recorded events. */
export interface BatchState {
  readonly models: ModelCache;
  readonly exploration: ExplorationCache;
  readonly filters: FilterDataCache;
  /** Job ARN → user id → recorded events, oldest first. */
  readonly events: Map<string, Promise<ReadonlyMap<string, RecentEvent[]>>>;
}

export function createBatchState(): BatchState {
  return {
    models: new ModelCache(),
    exploration: new ExplorationCache(),
    filters: new FilterDataCache(),
    events: new Map(),
  };
}

let processState: BatchState | undefined;

function defaultBatchState(): BatchState {
  processState ??= createBatchState();
  return processState;
}

/** A job stopped being IN_PROGRESS (failed elsewhere): the chunk's work is void. */
export class BatchStoppedError extends Error {
  override readonly name = 'BatchStoppedError';
}

const MAX_FILTER_VALUES = 25;
const MAX_USER_ID = 256;

async function groupEventsByUser(
  ctx: ServiceContext,
  groupArn: string,
  since: number,
): Promise<ReadonlyMap<string, RecentEvent[]>> {
  const links = await ctx.events.links(groupArn, since);
  const out = new Map<string, RecentEvent[]>();
  for await (const page of ctx.events.groupEvents(groupArn, since)) {
    for (const e of page) {
      if (e.itemId === undefined) continue;
      const user = e.userId ?? links.get(e.sessionId) ?? e.sessionId;
      let list = out.get(user);
      if (list === undefined) {
        list = [];
        out.set(user, list);
      }
      list.push({ itemId: e.itemId, eventType: e.eventType, timestamp: e.timestamp });
    }
  }
  return out;
}

type LineResult =
  | { readonly ok: true; readonly input: unknown; readonly items: string[]; readonly scores: number[] }
  | { readonly ok: false; readonly input: unknown; readonly error: string };

/** Output line for a result, in Personalize's shape. */
function outputLine(r: LineResult): string {
  return JSON.stringify(
    r.ok
      ? { input: r.input, output: { recommendedItems: r.items, scores: r.scores }, error: null }
      : { input: r.input, output: null, error: r.error },
  );
}

/** Runs one chunk; returns how many lines it answered and how many of those are errors. */
export async function inferChunk(
  ctx: ServiceContext,
  arn: string,
  chunk: Chunk,
  filesFor: FilesFor,
  state: BatchState = defaultBatchState(),
): Promise<{ lines: number; failed: number }> {
  const record = await ctx.resources.require<BatchInferenceJob>(arn, BATCH_INFERENCE_JOB);
  if (record.status !== BATCH_STATUS.inProgress)
    throw new BatchStoppedError(`Job ${arn} is ${record.status}.`);
  const attrs = record.attrs as BatchAttrs;
  const doc = record.doc;
  const input = (attrs.inputs ?? [])[chunk.file];
  const from = parseS3Uri(doc.jobInput?.s3DataSource?.path ?? '');
  if (input === undefined || from === undefined)
    throw new Error(`Chunk ${chunk.index} names no input object`);

  const [{ model, histories }, filter, files] = await Promise.all([
    state.models.model(ctx, arn, { versionArn: attrs.versionArn, modelKey: attrs.modelKey }),
    doc.filterArn === undefined ? undefined : loadFilter(ctx, doc.filterArn),
    filesFor(doc.roleArn as string),
  ]);
  const catalog: FilterCatalog = { ids: model.itemIds, indexOf: (id) => model.itemIndex(id) };
  const explorationCatalog = await state.exploration.get(ctx, attrs.modelKey, model);
  const settings = {
    weight: Number(doc.batchInferenceJobConfig?.itemExplorationConfig?.explorationWeight ?? 0),
    ageCutOffDays: Number(doc.batchInferenceJobConfig?.itemExplorationConfig?.explorationItemAgeCutOff ?? 30),
  };
  const plain = isPlainRanking(explorationCatalog, settings);
  const users = model.usesUserAttributes ? await groupUserAttributes(ctx, attrs.datasetGroupArn) : undefined;
  const numResults = doc.numResults ?? 25;
  const masks =
    filter === undefined
      ? undefined
      : await filterEvaluator(ctx, state, arn, attrs.datasetGroupArn, filter, catalog);

  const parts: Buffer[] = [];
  for await (const part of await files.read(from.bucket, input.key, chunk.start, chunk.end)) {
    parts.push(Buffer.from(part as Uint8Array));
  }
  // Decoded whole: a multi-byte character may straddle two parts.
  const text = Buffer.concat(parts).toString('utf8');
  const out: string[] = [];
  let failed = 0;
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    lineNo++;
    if (line.trim() === '') continue;
    const result = ((): LineResult => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return { ok: false, input: line, error: 'The line is not valid JSON.' };
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return { ok: false, input: parsed, error: 'The line must be a JSON object with a userId.' };
      }
      const { userId, filterValues } = parsed as { userId?: unknown; filterValues?: unknown };
      if (typeof userId !== 'string' || userId === '' || userId.length > MAX_USER_ID) {
        return {
          ok: false,
          input: parsed,
          error: `userId must be a string of 1 to ${MAX_USER_ID} characters.`,
        };
      }
      if (
        filterValues !== undefined &&
        (typeof filterValues !== 'object' ||
          filterValues === null ||
          Array.isArray(filterValues) ||
          Object.values(filterValues).some((v) => typeof v !== 'string') ||
          Object.keys(filterValues).length > MAX_FILTER_VALUES)
      ) {
        return {
          ok: false,
          input: parsed,
          error: `filterValues must map at most ${MAX_FILTER_VALUES} parameter names to strings.`,
        };
      }
      try {
        const mask = masks?.(userId, filterValues as Record<string, string> | undefined);
        const history = histories.get(userId)?.itemIds ?? [];
        const userAttributes = users?.get(userId);
        const about = { history, ...(userAttributes === undefined ? {} : { userAttributes }) };
        if (plain) {
          const top = model.recommend({
            ...about,
            numResults,
            ...(mask === undefined ? {} : { exclude: mask.ids(model.itemIds, (i) => model.itemIndex(i)) }),
          });
          return {
            ok: true,
            input: parsed,
            items: top.map((t) => t.itemId),
            scores: top.map((t) => t.score),
          };
        }
        const sparse = sparseExplorationScores(model, explorationCatalog, settings, numResults, {
          ...about,
          ...(mask === undefined ? {} : { blocked: mask.blocked }),
        });
        const shown = explore(explorationCatalog, {
          ...(sparse ?? { scores: model.scoreAll(history, undefined, userAttributes) }),
          numResults,
          settings,
          ...(mask === undefined ? {} : { exclude: mask.indices() }),
          ...(settings.weight > 0 ? { random: new Random(seedOf(`${arn}#${chunk.index}#${lineNo}`)) } : {}),
        });
        return {
          ok: true,
          input: parsed,
          items: shown.map((s) => model.itemIds[s.index] as string),
          scores: shown.map((s) => s.score),
        };
      } catch (err) {
        if (err instanceof Error && err.name === 'InvalidInputException') {
          return { ok: false, input: parsed, error: err.message };
        }
        throw err;
      }
    })();
    if (!result.ok) failed++;
    out.push(outputLine(result));
  }
  await new BatchParts(ctx.s3, ctx.dataBucket).put(
    jobId(arn),
    chunk.index,
    out.length === 0 ? '' : `${out.join('\n')}\n`,
  );
  await Promise.all([
    ctx.resources.addCounter(arn, 'lines', out.length),
    ctx.resources.addCounter(arn, 'linesFailed', failed),
    ctx.resources.addCounter(arn, 'chunksDone', 1),
  ]);
  return { lines: out.length, failed };
}

/** The job filter's mask for a line, with the data loaded once per chunk. */
async function filterEvaluator(
  ctx: ServiceContext,
  state: BatchState,
  arn: string,
  groupArn: string,
  filter: ActiveFilter,
  catalog: FilterCatalog,
): Promise<(userId: string, filterValues: Record<string, string> | undefined) => CatalogMask> {
  const needs = filterNeeds(filter.tree);
  const [items, users, index] = await Promise.all([
    needs.items ? state.filters.table(ctx, groupArn, 'Items') : undefined,
    needs.users ? state.filters.table(ctx, groupArn, 'Users') : undefined,
    needs.interactions ? state.filters.interactionIndexOf(ctx, groupArn) : undefined,
  ]);
  let events: ReadonlyMap<string, RecentEvent[]> | undefined;
  if (needs.interactions) {
    let pending = state.events.get(arn);
    if (pending === undefined) {
      const dataset = await ctx.resources.get(groupDatasetArn(groupArn, 'Interactions'), 'dataset');
      pending = groupEventsByUser(ctx, groupArn, dataset?.createdAt ?? 0);
      state.events.set(arn, pending);
      pending.catch(() => state.events.delete(arn));
    }
    events = await pending;
  }
  const schemas: { -readonly [K in keyof SchemaFields]: SchemaFields[K] } = {};
  if (items !== undefined) schemas.Items = items.fields;
  if (users !== undefined) schemas.Users = users.fields;
  const columns = items?.columnsFor(catalog);
  const perUser = needs.interactions || needs.users;
  const shared = new Map<string, CatalogMask>();
  return (userId, filterValues) => {
    const params = resolveParameters(filter.tree, filterValues);
    checkRequiredParameters(filter.tree, params);
    const key = perUser ? undefined : JSON.stringify([...params]);
    const known = key === undefined ? undefined : shared.get(key);
    if (known !== undefined) return known;
    const user = users?.row(userId);
    const data: FilterData = {
      schemas,
      ...(columns === undefined ? {} : { items: columns }),
      ...(user === undefined ? {} : { user }),
      ...(needs.interactions
        ? { interactions: userInteractions(index, userId, events?.get(userId) ?? []) }
        : {}),
    };
    const mask = evaluateFilter(filter.tree, catalog, data, params);
    if (key !== undefined && shared.size < 1000) shared.set(key, mask);
    return mask;
  };
}
