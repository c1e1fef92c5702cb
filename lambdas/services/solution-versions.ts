/**
 * Solution versions (spec §2.8, §3): CreateSolutionVersion writes the version `CREATE PENDING` and starts one
 * execution of the training state machine (see `lambdas/workflows/training-definition.ts` and `training.ts`);
 * StopSolutionVersionCreation stops it; GetSolutionMetrics returns what the evaluate step measured.
 *
 * `trainingMode` `UPDATE` needs an ACTIVE `FULL` version of the solution. An UPDATE version does what an automatic
 * update does (spec §7.5): the newest ACTIVE FULL version's model takes in the items and item statistics of the
 * current data, without retraining (`engine/update.ts`), and the metrics are that FULL version's. Automatic updates
 * leave UPDATE versions alone.
 */
import type {
  CreateSolutionVersionRequest,
  CreateSolutionVersionResponse,
  DescribeSolutionVersionRequest,
  DescribeSolutionVersionResponse,
  GetSolutionMetricsRequest,
  GetSolutionMetricsResponse,
  ListSolutionVersionsRequest,
  ListSolutionVersionsResponse,
  StopSolutionVersionCreationRequest,
  TrainingMode,
  TrainingType,
} from '@aws-sdk/client-personalize';
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { inUse, invalidInput, PersonalizeError } from '../errors';
import type { ResourceRecord } from '../store/resources';
import { arnName, hexId, parseArn, solutionVersionArn } from './arns';
import type { ServiceContext } from './context';
import { ACTIVE } from './dataset-groups';
import { listPage, pick } from './pagination';
import {
  allVersions,
  joinTraining,
  leaveTraining,
  SOLUTION,
  SOLUTION_VERSION,
  type SolutionDoc,
  VERSION_STATUS,
  VERSION_SUMMARY_KEYS,
  type VersionDoc,
} from './solutions';
import { tagsToMap } from './tags';

/** Versions waiting or training per region (spec §5). */
export const MAX_TRAINING_VERSIONS = 20;

/** Members of a version's private `attrs`. */
export interface VersionAttrs extends Record<string, unknown> {
  /** The training execution. */
  readonly executionArn?: string;
  /** For UPDATE versions: the FULL version they follow. */
  readonly baseSolutionVersionArn?: string;
  /** Seconds of the training: the plan and train steps' wall time plus the shards' (`trainingHours`). */
  readonly trainSeconds?: number;
  /** GetSolutionMetrics' map, written by the evaluate step. */
  readonly metrics?: Record<string, number>;
  /** Digest of the data the prepare step read (`data-fingerprint.ts`); automatic training compares it. */
  readonly dataFingerprint?: string;
}

/** Starts the training workflow for a version and returns the execution ARN; the default uses Step Functions. */
export type StartTraining = (
  ctx: ServiceContext,
  versionArn: string,
  executionName: string,
) => Promise<string>;

export const startTrainingExecution: StartTraining = async (ctx, versionArn, executionName) => {
  const out = await ctx.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: ctx.trainingStateMachineArn,
      name: executionName,
      input: JSON.stringify({ solutionVersionArn: versionArn }),
    }),
  );
  if (out.executionArn === undefined) throw new Error('StartExecution returned no executionArn');
  return out.executionArn;
};

/** Stops a training execution; one that already ended or never existed needs no stopping. */
export type StopTraining = (ctx: ServiceContext, executionArn: string) => Promise<void>;

export const stopTrainingExecution: StopTraining = async (ctx, executionArn) => {
  try {
    await ctx.sfn.send(
      new StopExecutionCommand({ executionArn, cause: 'StopSolutionVersionCreation was called.' }),
    );
  } catch (err) {
    if (err instanceof Error && err.name === 'ExecutionDoesNotExist') return;
    throw err;
  }
};

/** UPDATE needs a FULL version that is ACTIVE; one still training is a state problem, none at all an input one. */
async function requireFullVersion(ctx: ServiceContext, solutionArn: string): Promise<string> {
  const full = (await allVersions(ctx, solutionArn)).filter((v) => v.doc.trainingMode === 'FULL');
  const active = full.find((v) => v.status === VERSION_STATUS.active);
  if (active !== undefined) return active.arn;
  if (full.some((v) => v.status === VERSION_STATUS.pending || v.status === VERSION_STATUS.inProgress)) {
    throw inUse(
      `trainingMode UPDATE needs an ACTIVE FULL solution version of ${solutionArn}; wait until its FULL ` +
        'version is ACTIVE.',
    );
  }
  throw invalidInput(
    `trainingMode UPDATE needs an ACTIVE solution version of ${solutionArn} trained with trainingMode FULL; ` +
      'create one first.',
  );
}

/** Execution names allow 80 characters of `[A-Za-z0-9-_]`; solution names (≤63) fit with the version id. */
export function executionNameOf(versionArn: string): string {
  const parsed = parseArn(versionArn);
  if (parsed === undefined) throw new Error(`Not a solution version ARN: ${versionArn}`);
  return parsed.resourceId.replace('/', '-');
}

/**
 * Creates a version and starts its training. `trainingType` is `MANUAL` for CreateSolutionVersion and `AUTOMATIC`
 * for the versions automatic training creates (`automatic-training.ts`).
 */
export async function createSolutionVersion(
  ctx: ServiceContext,
  input: CreateSolutionVersionRequest,
  start: StartTraining = startTrainingExecution,
  trainingType: TrainingType = 'MANUAL',
): Promise<CreateSolutionVersionResponse> {
  const solutionArn = input.solutionArn!;
  const mode: TrainingMode = input.trainingMode ?? 'FULL';
  if (mode === 'AUTOTRAIN') {
    throw invalidInput('trainingMode AUTOTRAIN is reserved for automatic training; use FULL or UPDATE.');
  }
  const tags = tagsToMap(input.tags);
  const solution = await ctx.resources.require<SolutionDoc>(solutionArn, SOLUTION);
  if (solution.status !== ACTIVE) {
    throw inUse(`Solution ${solutionArn} is ${solution.status ?? 'not ready'}; it must be ACTIVE.`);
  }
  const baseSolutionVersionArn = mode === 'UPDATE' ? await requireFullVersion(ctx, solutionArn) : undefined;
  const scope = parseArn(solutionArn) ?? { region: ctx.region, accountId: ctx.accountId };
  const arn = solutionVersionArn(scope, arnName(solutionArn)!, hexId());
  // An automatic version never trains beside another version of its solution (spec §2.7).
  await joinTraining(ctx, solutionArn, arn, MAX_TRAINING_VERSIONS, trainingType === 'AUTOMATIC');
  const now = ctx.now();
  const s = solution.doc;
  const doc: VersionDoc = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    solutionVersionArn: arn,
    solutionArn,
    performHPO: s.performHPO === true,
    performAutoML: false,
    performIncrementalUpdate: false,
    recipeArn: s.recipeArn,
    ...(s.eventType !== undefined ? { eventType: s.eventType } : {}),
    datasetGroupArn: s.datasetGroupArn,
    solutionConfig: s.solutionConfig ?? {},
    trainingMode: mode,
    trainingType,
    status: VERSION_STATUS.pending,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  const created = ctx.resources.create({
    arn,
    type: SOLUTION_VERSION,
    parentArn: solutionArn,
    status: VERSION_STATUS.pending,
    doc,
    attrs: baseSolutionVersionArn !== undefined ? { baseSolutionVersionArn } : {},
    tags,
    createdAt: now.getTime(),
  });
  await created.catch(async (err: unknown) => {
    await leaveTraining(ctx, solutionArn, arn);
    throw err;
  });
  // A DeleteSolution that started meanwhile has moved the solution out of ACTIVE: withdraw this version.
  const after = await ctx.resources.get<SolutionDoc>(solutionArn, SOLUTION);
  if (after?.status !== ACTIVE) {
    await ctx.resources.delete(arn).catch(() => undefined);
    await leaveTraining(ctx, solutionArn, arn);
    throw inUse(`Solution ${solutionArn} is being deleted.`);
  }
  let executionArn: string;
  try {
    executionArn = await start(ctx, arn, executionNameOf(arn));
  } catch (err) {
    await ctx.resources
      .update<VersionDoc>(
        arn,
        {
          status: VERSION_STATUS.failed,
          doc: {
            status: VERSION_STATUS.failed,
            failureReason: 'Create failed. Training could not be started.',
            lastUpdatedDateTime: ctx.now(),
          },
        },
        { statusIn: [VERSION_STATUS.pending] },
      )
      .catch(() => undefined);
    await leaveTraining(ctx, solutionArn, arn);
    throw err;
  }
  await ctx.resources.update<VersionDoc>(arn, { attrs: { executionArn } });
  return { solutionVersionArn: arn };
}

/** Whether a training execution is still running: `true`, or how it ended. */
export type TrainingExecutionState = (ctx: ServiceContext, executionArn: string) => Promise<true | string>;

export const describeTrainingExecution: TrainingExecutionState = async (ctx, executionArn) => {
  try {
    const out = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE' ? true : (out.status ?? 'UNKNOWN');
  } catch (err) {
    // A local runtime that restarted has forgotten its executions.
    if (err instanceof Error && err.name === 'ExecutionDoesNotExist') return 'DOES NOT EXIST';
    throw err;
  }
};

/**
 * A version still `CREATE PENDING` / `CREATE IN_PROGRESS` whose execution has ended never reached the failure step
 * (the execution was stopped from outside, or the local runtime was killed): record it as failed, so it does not
 * hold a quota slot or block DeleteSolution forever. The write is conditional, so a step finishing meanwhile wins.
 */
async function reconcile(
  ctx: ServiceContext,
  record: ResourceRecord<VersionDoc>,
  executionState: TrainingExecutionState,
): Promise<ResourceRecord<VersionDoc>> {
  const busy: readonly string[] = [VERSION_STATUS.pending, VERSION_STATUS.inProgress];
  const executionArn = (record.attrs as VersionAttrs).executionArn;
  if (!busy.includes(record.status ?? '') || executionArn === undefined) return record;
  const state = await executionState(ctx, executionArn);
  if (state === true) return record;
  if (record.parentArn !== undefined) await leaveTraining(ctx, record.parentArn, record.arn);
  try {
    return await ctx.resources.update<VersionDoc>(
      record.arn,
      {
        status: VERSION_STATUS.failed,
        doc: {
          status: VERSION_STATUS.failed,
          failureReason: `Create failed. The training workflow ended unexpectedly (execution ${state}).`,
          lastUpdatedDateTime: ctx.now(),
        },
      },
      { statusIn: busy },
    );
  } catch (err) {
    if (!(err instanceof PersonalizeError)) throw err;
    return ctx.resources.require<VersionDoc>(record.arn, SOLUTION_VERSION);
  }
}

export async function describeSolutionVersion(
  ctx: ServiceContext,
  input: DescribeSolutionVersionRequest,
  executionState: TrainingExecutionState = describeTrainingExecution,
): Promise<DescribeSolutionVersionResponse> {
  const record = await ctx.resources.require<VersionDoc>(input.solutionVersionArn!, SOLUTION_VERSION);
  return { solutionVersion: (await reconcile(ctx, record, executionState)).doc };
}

export async function listSolutionVersions(
  ctx: ServiceContext,
  input: ListSolutionVersionsRequest,
): Promise<ListSolutionVersionsResponse> {
  if (input.solutionArn !== undefined) await ctx.resources.require(input.solutionArn, SOLUTION);
  const page = await listPage(
    ctx.resources,
    SOLUTION_VERSION,
    input,
    (r: ResourceRecord<VersionDoc>) => pick(r.doc, VERSION_SUMMARY_KEYS),
    input.solutionArn,
  );
  return {
    solutionVersions: page.items,
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

function notStoppable(arn: string, status: string | undefined): PersonalizeError {
  return inUse(
    `Solution version ${arn} is ${status ?? 'unknown'}; only a version in CREATE PENDING or CREATE IN_PROGRESS ` +
      'can be stopped.',
  );
}

/**
 * Stops training: `CREATE PENDING` → `CREATE STOPPED`, `CREATE IN_PROGRESS` → `CREATE STOPPING` → `CREATE STOPPED`.
 * The status moves first, with a condition on the old status, so a step that finishes meanwhile cannot publish the
 * version (every step's write is conditional on `CREATE IN_PROGRESS`); then the execution is stopped.
 */
export async function stopSolutionVersionCreation(
  ctx: ServiceContext,
  input: StopSolutionVersionCreationRequest,
  stop: StopTraining = stopTrainingExecution,
): Promise<object> {
  const arn = input.solutionVersionArn!;
  const version = await ctx.resources.require<VersionDoc>(arn, SOLUTION_VERSION);
  const move = (from: string, to: string) =>
    ctx.resources.update<VersionDoc>(
      arn,
      { status: to, doc: { status: to, lastUpdatedDateTime: ctx.now() } },
      { statusIn: [from] },
      (current) => notStoppable(arn, current.status),
    );
  let stopping: boolean;
  if (version.status === VERSION_STATUS.pending) {
    try {
      await move(VERSION_STATUS.pending, VERSION_STATUS.stopped);
      stopping = false;
    } catch (err) {
      // The prepare step moved it to CREATE IN_PROGRESS in between.
      if (!(err instanceof PersonalizeError)) throw err;
      await move(VERSION_STATUS.inProgress, VERSION_STATUS.stopping);
      stopping = true;
    }
  } else if (version.status === VERSION_STATUS.inProgress) {
    await move(VERSION_STATUS.inProgress, VERSION_STATUS.stopping);
    stopping = true;
  } else {
    throw notStoppable(arn, version.status);
  }
  const executionArn = (version.attrs as VersionAttrs).executionArn;
  if (executionArn !== undefined) await stop(ctx, executionArn);
  if (stopping) await move(VERSION_STATUS.stopping, VERSION_STATUS.stopped);
  if (version.parentArn !== undefined) await leaveTraining(ctx, version.parentArn, arn);
  return {};
}

export async function getSolutionMetrics(
  ctx: ServiceContext,
  input: GetSolutionMetricsRequest,
): Promise<GetSolutionMetricsResponse> {
  const arn = input.solutionVersionArn!;
  const record = await ctx.resources.require<VersionDoc>(arn, SOLUTION_VERSION);
  if (record.status !== VERSION_STATUS.active) {
    throw inUse(
      `Solution version ${arn} is ${record.status ?? 'not ready'}; metrics exist once it is ACTIVE.`,
    );
  }
  return { solutionVersionArn: arn, metrics: (record.attrs as VersionAttrs).metrics ?? {} };
}

/**
 * After a restart of a single-process runtime, whose training executions do not survive: every version created
 * before `startedAt` that is still training is failed (`CREATE STOPPING` ones end `CREATE STOPPED`). Returns them.
 */
export async function settleInterruptedTraining(ctx: ServiceContext, startedAt: number): Promise<string[]> {
  const settled: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.resources.list<VersionDoc>({
      type: SOLUTION_VERSION,
      limit: 100,
      nextToken,
      statusIn: [VERSION_STATUS.pending, VERSION_STATUS.inProgress, VERSION_STATUS.stopping],
    });
    for (const version of page.items) {
      if (version.createdAt >= startedAt) continue;
      const stopping = version.status === VERSION_STATUS.stopping;
      const to = stopping ? VERSION_STATUS.stopped : VERSION_STATUS.failed;
      try {
        await ctx.resources.update<VersionDoc>(
          version.arn,
          {
            status: to,
            doc: {
              status: to,
              lastUpdatedDateTime: ctx.now(),
              ...(stopping
                ? {}
                : { failureReason: 'Create failed. The service restarted while the version was training.' }),
            },
          },
          { statusIn: [version.status ?? ''] },
        );
        settled.push(version.arn);
      } catch (err) {
        if (!(err instanceof PersonalizeError)) throw err;
      }
      if (version.parentArn !== undefined) await leaveTraining(ctx, version.parentArn, version.arn);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return settled;
}
