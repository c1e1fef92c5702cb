/**
 * Solutions (spec §2.7, §3): the `aws-user-personalization` recipe plus its training configuration. A solution has
 * no asynchronous creation work here, so it is stored `ACTIVE` at once; UpdateSolution likewise completes at once
 * (`latestSolutionUpdate.status` `ACTIVE`).
 *
 * Not supported, refused with InvalidInputException rather than silently ignored: AutoML, HPO, the v2 recipe,
 * `eventsConfig`, `optimizationObjective`, `trainingDataConfig` and incremental updates (Semantic-Similarity only).
 *
 * `performAutoTraining` (default true) and `autoTrainingConfig.schedulingExpression` (default `rate(7 days)`) drive
 * automatic training (`automatic-training.ts`): the solution's private `attrs` hold when the next automatic training
 * is due ({@link AutoTrainingAttrs}). A new solution is due at once (the first automatic training starts within the
 * hour, spec §2.7); UpdateSolution that switches automatic training on or changes its rate makes it due again.
 */
import type {
  CreateSolutionRequest,
  CreateSolutionResponse,
  DeleteSolutionRequest,
  DescribeSolutionRequest,
  DescribeSolutionResponse,
  ListSolutionsRequest,
  ListSolutionsResponse,
  Solution,
  SolutionConfig,
  SolutionSummary,
  SolutionUpdateSummary,
  SolutionVersion,
  SolutionVersionSummary,
  UpdateSolutionRequest,
  UpdateSolutionResponse,
} from '@aws-sdk/client-personalize';
import { HyperParameterError, type HyperParameters, parseHyperParameters } from '../engine';
import type { Interaction } from '../engine/types';
import { inUse, invalidInput, limitExceeded, PersonalizeError } from '../errors';
import { deleteArtifactsUnder, solutionPrefix } from '../store/artifacts';
import { quotaKey, resourceKey } from '../store/members';
import type { ResourceRecord } from '../store/resources';
import { parseArn, solutionArn } from './arns';
import type { ServiceContext } from './context';
import {
  ACTIVE,
  confirmGroupStillActive,
  existsOrYoung,
  GROUP_SOLUTIONS,
  joinParent,
  leaveParent,
  MEMBER_GRACE_MS,
  markDeletePending,
  requireActiveGroup,
} from './dataset-groups';
import { hpoSearchOf } from './hpo-config';
import { listPage, nextTokenOf, pick } from './pagination';
import { USER_PERSONALIZATION_RECIPE_ARN, USER_PERSONALIZATION_V2_RECIPE_ARN } from './recipes';
import { tagsToMap } from './tags';

export const SOLUTION = 'solution';
export const SOLUTION_VERSION = 'solution-version';
/** Campaigns name their solution as parent (the campaign service's contract with this one). */
export const CAMPAIGN = 'campaign';

/** Solution version statuses (spec §3.1), shared by the version and training services. */
export const VERSION_STATUS = {
  pending: 'CREATE PENDING',
  inProgress: 'CREATE IN_PROGRESS',
  active: 'ACTIVE',
  failed: 'CREATE FAILED',
  stopping: 'CREATE STOPPING',
  stopped: 'CREATE STOPPED',
} as const;

/** A version in one of these states is still training (or being stopped): its solution cannot be deleted. */
export const VERSION_BUSY: readonly string[] = [
  VERSION_STATUS.pending,
  VERSION_STATUS.inProgress,
  VERSION_STATUS.stopping,
];

/** Active solutions per dataset group (spec §5). */
export const MAX_ACTIVE_SOLUTIONS_PER_GROUP = 10;

/** Membership sets of a solution item (see `store/members.ts`): versions still training, and its campaigns. */
export const SOLUTION_TRAINING = 'training';
export const SOLUTION_CAMPAIGNS = 'campaigns';
/** The region-wide quota of versions in training: a membership set on one quota item. */
const TRAINING_QUOTA = quotaKey('training-versions');
const QUOTA_SET = 'running';

/** Liveness of a training member: its version is still busy, or its create may still be writing it. */
export async function versionStillTraining(
  ctx: ServiceContext,
  arn: string,
  addedAt: number,
): Promise<boolean> {
  const version = await ctx.resources.get(arn, SOLUTION_VERSION);
  if (version === undefined) return ctx.now().getTime() - addedAt < MEMBER_GRACE_MS;
  return VERSION_BUSY.includes(version.status ?? '');
}

/**
 * Registers a version about to train: in its solution's `training` set (only while the solution is `ACTIVE`, so
 * DeleteSolution never misses it; with `alone`, only while no other version of the solution trains) and in the
 * region-wide quota (fewer than `max` in training, else `LimitExceededException`).
 */
export async function joinTraining(
  ctx: ServiceContext,
  solutionArn: string,
  versionArn: string,
  max: number,
  alone = false,
): Promise<void> {
  const live = (member: string, at: number) => versionStillTraining(ctx, member, at);
  let refusal = await ctx.members.add(TRAINING_QUOTA, QUOTA_SET, versionArn, { max });
  if (refusal === 'full') {
    await ctx.members.heal(TRAINING_QUOTA, QUOTA_SET, live);
    refusal = await ctx.members.add(TRAINING_QUOTA, QUOTA_SET, versionArn, { max });
  }
  if (refusal !== undefined) {
    throw limitExceeded(
      `More than ${max} resources with PENDING or IN_PROGRESS status. Wait for some to finish.`,
    );
  }
  try {
    await joinParent(ctx, solutionArn, SOLUTION_TRAINING, versionArn, {
      statusIn: [ACTIVE],
      ...(alone
        ? { max: 1, isLive: live, limitMessage: `Another version of ${solutionArn} is training.` }
        : {}),
    });
  } catch (err) {
    await ctx.members.remove(TRAINING_QUOTA, QUOTA_SET, versionArn);
    throw err;
  }
}

/** Unregisters a version that stopped training (idempotent). */
export async function leaveTraining(
  ctx: ServiceContext,
  solutionArn: string,
  versionArn: string,
): Promise<void> {
  await ctx.members.remove(TRAINING_QUOTA, QUOTA_SET, versionArn);
  await leaveParent(ctx, solutionArn, SOLUTION_TRAINING, versionArn);
}

export type SolutionDoc = Solution & Record<string, unknown>;
export type VersionDoc = SolutionVersion & Record<string, unknown>;

const SUMMARY_KEYS = [
  'name',
  'solutionArn',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
  'recipeArn',
] as const satisfies readonly (keyof SolutionSummary)[];

export const VERSION_SUMMARY_KEYS = [
  'solutionVersionArn',
  'status',
  'trainingMode',
  'trainingType',
  'creationDateTime',
  'lastUpdatedDateTime',
  'failureReason',
] as const satisfies readonly (keyof SolutionVersionSummary)[];

const AUTO_TRAINING_RATE = /^rate\((\d+) days?\)$/;
/** Days between automatic trainings when `autoTrainingConfig` is absent (spec §2.7). */
export const DEFAULT_AUTO_TRAINING_DAYS = 7;

/** What a solution's `attrs` hold about its automatic training. */
export interface AutoTrainingAttrs {
  /** When the next automatic training is due (epoch ms). */
  readonly autoTrainingDueAt?: number;
  /** The last decision of the automatic-training check for this solution. */
  readonly autoTrainingLastRun?: AutoTrainingRun;
}

/** One decision of the automatic-training check, kept on the solution and logged. */
export interface AutoTrainingRun {
  /** When the check decided (epoch ms). */
  readonly at: number;
  readonly status: 'CREATED' | 'SKIPPED';
  readonly reason?: string;
  readonly solutionVersionArn?: string;
}

/** What training needs from a solution's configuration, validated and typed. */
export interface TrainingConfig {
  readonly hyperParameters: HyperParameters;
  readonly eventType?: string;
  readonly eventValueThreshold?: number;
}

/** Whether an interaction is training data under a solution's `eventType` and `eventValueThreshold`. */
export function isTrainingInteraction(
  x: Interaction,
  config: Pick<TrainingConfig, 'eventType' | 'eventValueThreshold'>,
): boolean {
  if (config.eventType !== undefined && x.eventType !== config.eventType) return false;
  if (config.eventValueThreshold === undefined) return true;
  return x.eventValue !== undefined && x.eventValue >= config.eventValueThreshold;
}

/**
 * Validates a solution configuration and returns what training uses. Hyperparameter values are strings on the
 * wire; a malformed or out-of-range one is refused naming the key and its range.
 */
export function trainingConfigOf(config: SolutionConfig | undefined, eventType?: string): TrainingConfig {
  let hyperParameters: HyperParameters;
  try {
    hyperParameters = parseHyperParameters(
      config?.algorithmHyperParameters ?? {},
      config?.featureTransformationParameters ?? {},
    );
  } catch (err) {
    if (err instanceof HyperParameterError) throw invalidInput(err.message);
    throw err;
  }
  let eventValueThreshold: number | undefined;
  const threshold = config?.eventValueThreshold;
  if (threshold !== undefined) {
    eventValueThreshold = Number(threshold.trim());
    if (threshold.trim() === '' || !Number.isFinite(eventValueThreshold)) {
      throw invalidInput(`solutionConfig.eventValueThreshold must be a number, got "${threshold}"`);
    }
  }
  return {
    hyperParameters,
    ...(eventType !== undefined ? { eventType } : {}),
    ...(eventValueThreshold !== undefined ? { eventValueThreshold } : {}),
  };
}

/**
 * Days between automatic trainings for a `schedulingExpression` (absent: the default); anything but `rate(N day)` /
 * `rate(N days)` with N from 1 to 30 is refused.
 */
export function autoTrainingDays(expression: string | undefined): number {
  if (expression === undefined) return DEFAULT_AUTO_TRAINING_DAYS;
  const m = AUTO_TRAINING_RATE.exec(expression);
  const days = m === null ? Number.NaN : Number(m[1]);
  if (!(days >= 1 && days <= 30)) {
    throw invalidInput(
      `autoTrainingConfig.schedulingExpression must be rate(N day) or rate(N days) with N from 1 to 30, got "${expression}"`,
    );
  }
  return days;
}

function unsupported(what: string): never {
  throw invalidInput(`${what} is not supported by this service, which trains aws-user-personalization only.`);
}

function checkSolutionConfig(config: SolutionConfig | undefined): void {
  if (config === undefined) return;
  if (config.autoMLConfig !== undefined) unsupported('solutionConfig.autoMLConfig (AutoML)');
  if (config.eventsConfig !== undefined) unsupported('solutionConfig.eventsConfig');
  if (config.optimizationObjective !== undefined) unsupported('solutionConfig.optimizationObjective');
  if (config.trainingDataConfig !== undefined) unsupported('solutionConfig.trainingDataConfig');
  autoTrainingDays(config.autoTrainingConfig?.schedulingExpression);
}

export async function createSolution(
  ctx: ServiceContext,
  input: CreateSolutionRequest,
): Promise<CreateSolutionResponse> {
  if (input.performAutoML === true) unsupported('performAutoML');
  if (input.performIncrementalUpdate === true) {
    throw invalidInput('performIncrementalUpdate applies to the Semantic-Similarity recipe only.');
  }
  const recipeArn = input.recipeArn;
  if (recipeArn === undefined) throw invalidInput('recipeArn is required unless performAutoML is true.');
  if (recipeArn === USER_PERSONALIZATION_V2_RECIPE_ARN) unsupported(`Recipe ${recipeArn}`);
  if (recipeArn !== USER_PERSONALIZATION_RECIPE_ARN) {
    throw invalidInput(
      `Recipe ${recipeArn} is not supported: this service trains ${USER_PERSONALIZATION_RECIPE_ARN} only.`,
    );
  }
  checkSolutionConfig(input.solutionConfig);
  trainingConfigOf(input.solutionConfig, input.eventType);
  hpoSearchOf(input.performHPO, input.solutionConfig?.hpoConfig);
  const tags = tagsToMap(input.tags);

  const groupArn = input.datasetGroupArn!;
  await requireActiveGroup(ctx, groupArn);
  const scope = parseArn(groupArn) ?? { region: ctx.region, accountId: ctx.accountId };
  const arn = solutionArn(scope, input.name!);
  await joinParent(ctx, groupArn, GROUP_SOLUTIONS, arn, {
    statusIn: [ACTIVE],
    max: MAX_ACTIVE_SOLUTIONS_PER_GROUP,
    limitMessage:
      `Cannot create a solution. More than ${MAX_ACTIVE_SOLUTIONS_PER_GROUP} resources in ACTIVE state. ` +
      'Please delete some and try again.',
  });
  const now = ctx.now();
  const doc: SolutionDoc = {
    name: input.name!,
    solutionArn: arn,
    performHPO: input.performHPO === true,
    performAutoML: false,
    // Personalize's documented default.
    performAutoTraining: input.performAutoTraining ?? true,
    performIncrementalUpdate: false,
    recipeArn,
    datasetGroupArn: groupArn,
    ...(input.eventType !== undefined ? { eventType: input.eventType } : {}),
    solutionConfig: input.solutionConfig ?? {},
    status: ACTIVE,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  try {
    await ctx.resources.create({
      arn,
      type: SOLUTION,
      parentArn: groupArn,
      status: ACTIVE,
      doc,
      // Due at once: the first automatic training starts within the hour (when switched off, nothing reads it).
      attrs: { autoTrainingDueAt: now.getTime() } satisfies AutoTrainingAttrs,
      tags,
      createdAt: now.getTime(),
    });
  } catch (err) {
    // A solution of this name exists: the membership is its own.
    if (!(err instanceof Error && err.name === 'ResourceAlreadyExistsException'))
      await leaveParent(ctx, groupArn, GROUP_SOLUTIONS, arn);
    throw err;
  }
  await confirmGroupStillActive(ctx, groupArn, async () => {
    await ctx.resources.delete(arn);
    await leaveParent(ctx, groupArn, GROUP_SOLUTIONS, arn);
  });
  return { solutionArn: arn };
}

/** The newest version of a solution as a summary, if it has any. */
async function latestVersionSummary(
  ctx: ServiceContext,
  arn: string,
): Promise<SolutionVersionSummary | undefined> {
  const latest = (await ctx.resources.findChild(arn, SOLUTION_VERSION)) as
    | ResourceRecord<VersionDoc>
    | undefined;
  return latest === undefined ? undefined : pick(latest.doc, VERSION_SUMMARY_KEYS);
}

export async function describeSolution(
  ctx: ServiceContext,
  input: DescribeSolutionRequest,
): Promise<DescribeSolutionResponse> {
  const record = await ctx.resources.require<SolutionDoc>(input.solutionArn!, SOLUTION);
  const latestSolutionVersion = await latestVersionSummary(ctx, record.arn);
  return {
    solution: { ...record.doc, ...(latestSolutionVersion !== undefined ? { latestSolutionVersion } : {}) },
  };
}

export async function listSolutions(
  ctx: ServiceContext,
  input: ListSolutionsRequest,
): Promise<ListSolutionsResponse> {
  const page = await listPage(
    ctx.resources,
    SOLUTION,
    input,
    (r: ResourceRecord<SolutionDoc>) => pick(r.doc, SUMMARY_KEYS),
    input.datasetGroupArn,
  );
  return {
    solutions: page.items,
    ...nextTokenOf(page),
  };
}

export async function updateSolution(
  ctx: ServiceContext,
  input: UpdateSolutionRequest,
): Promise<UpdateSolutionResponse> {
  const arn = input.solutionArn!;
  if (input.performIncrementalUpdate === true) {
    throw invalidInput('performIncrementalUpdate applies to the Semantic-Similarity recipe only.');
  }
  const config = input.solutionUpdateConfig;
  if (config?.eventsConfig !== undefined) unsupported('solutionUpdateConfig.eventsConfig');
  const newExpression = config?.autoTrainingConfig?.schedulingExpression;
  const days = autoTrainingDays(newExpression);
  const current = await ctx.resources.require<SolutionDoc>(arn, SOLUTION);
  const now = ctx.now();
  const wasOn = current.doc.performAutoTraining ?? true;
  const performAutoTraining = input.performAutoTraining ?? wasOn;
  const oldDays = autoTrainingDays(current.doc.solutionConfig?.autoTrainingConfig?.schedulingExpression);
  // Switching automatic training on, or changing its rate, restarts the schedule: a training within the hour.
  const restart =
    performAutoTraining && (!wasOn || (config?.autoTrainingConfig !== undefined && days !== oldDays));
  const update: SolutionUpdateSummary = {
    ...(config !== undefined ? { solutionUpdateConfig: config } : {}),
    status: ACTIVE,
    performAutoTraining,
    performIncrementalUpdate: false,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  const solutionConfig: SolutionConfig = {
    ...(current.doc.solutionConfig ?? {}),
    ...(config?.autoTrainingConfig !== undefined ? { autoTrainingConfig: config.autoTrainingConfig } : {}),
  };
  await ctx.resources.update<SolutionDoc>(
    arn,
    {
      doc: { performAutoTraining, solutionConfig, latestSolutionUpdate: update, lastUpdatedDateTime: now },
      ...(restart ? { attrs: { autoTrainingDueAt: now.getTime() } satisfies AutoTrainingAttrs } : {}),
    },
    { statusIn: [ACTIVE] },
    (latest) => inUse(`Solution ${arn} is ${latest.status ?? 'busy'}; it must be ACTIVE to be updated.`),
  );
  return { solutionArn: arn };
}

/** Every version of a solution (all pages). */
export async function allVersions(ctx: ServiceContext, arn: string): Promise<ResourceRecord<VersionDoc>[]> {
  const out: ResourceRecord<VersionDoc>[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.resources.list<VersionDoc>({
      type: SOLUTION_VERSION,
      parentArn: arn,
      limit: 100,
      nextToken,
    });
    out.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return out;
}

/**
 * What keeps a solution from being deleted, or `undefined`. Read from the solution's own membership sets (strongly
 * consistent; nothing joins them once the solution is `DELETE PENDING`), then through the index for versions and
 * campaigns stored before the sets existed.
 */
async function deletionBlocker(ctx: ServiceContext, arn: string): Promise<string | undefined> {
  const training = await versionInTraining(ctx, arn);
  if (training !== undefined) return `its solution version ${training}`;
  const campaigns = await ctx.members.heal(resourceKey(arn), SOLUTION_CAMPAIGNS, (m, at) =>
    existsOrYoung(ctx, m, at),
  );
  if (campaigns[0] !== undefined) return `campaign ${campaigns[0]} uses one of its versions`;
  const campaign = await ctx.resources.findChild(arn, CAMPAIGN);
  if (campaign !== undefined) return `campaign ${campaign.arn} uses one of its versions`;
  return undefined;
}

/**
 * A version of the solution still training (or being stopped), as `"<arn> is <status>"`, or `undefined`. Read from
 * the solution's `training` set (strongly consistent), then through the index for versions stored before the set
 * existed.
 */
export async function versionInTraining(ctx: ServiceContext, arn: string): Promise<string | undefined> {
  const training = await ctx.members.heal(resourceKey(arn), SOLUTION_TRAINING, (m, at) =>
    versionStillTraining(ctx, m, at),
  );
  if (training[0] !== undefined) {
    const status = (await ctx.resources.get(training[0]))?.status ?? VERSION_STATUS.pending;
    return `${training[0]} is ${status}`;
  }
  const busy = await ctx.resources.findChild(arn, SOLUTION_VERSION, VERSION_BUSY);
  return busy === undefined ? undefined : `${busy.arn} is ${busy.status ?? 'training'}`;
}

/** A concurrent delete got there first: the outcome is the same. */
async function ignoreNotFound(deletion: Promise<void>): Promise<void> {
  try {
    await deletion;
  } catch (err) {
    if (!(err instanceof PersonalizeError && err.errorName === 'ResourceNotFoundException')) throw err;
  }
}

/**
 * Deletes a solution with its versions and their artifacts. Refused while a version trains or a campaign uses one
 * of its versions. Like DeleteDatasetGroup, the solution is first moved to `DELETE PENDING` so CreateSolutionVersion
 * (which re-checks the solution after writing a version) cannot slip a version in between the check and the delete.
 */
export async function deleteSolution(ctx: ServiceContext, input: DeleteSolutionRequest): Promise<object> {
  const arn = input.solutionArn!;
  const solution = await ctx.resources.require<SolutionDoc>(arn, SOLUTION);
  const previous = solution.status ?? ACTIVE;
  await markDeletePending(ctx, arn, 'Solution');
  const blocker = await deletionBlocker(ctx, arn);
  if (blocker !== undefined) {
    await ctx.resources.update<SolutionDoc>(arn, { status: previous, doc: { status: previous } });
    throw inUse(`Solution ${arn} cannot be deleted: ${blocker}.`);
  }
  for (const version of await allVersions(ctx, arn)) await ignoreNotFound(ctx.resources.delete(version.arn));
  await deleteArtifactsUnder(ctx.s3, ctx.dataBucket, solutionPrefix(arn));
  await ignoreNotFound(ctx.resources.delete(arn));
  if (solution.doc.datasetGroupArn !== undefined)
    await leaveParent(ctx, solution.doc.datasetGroupArn, GROUP_SOLUTIONS, arn);
  return {};
}
