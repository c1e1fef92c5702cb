/**
 * Campaigns (spec §2.9, §3): a campaign deploys one ACTIVE solution version for real-time recommendations. There is
 * no capacity to provision, so a campaign is `ACTIVE` as soon as it is stored, and UpdateCampaign and DeleteCampaign
 * are synchronous.
 *
 * Storage: the campaign's parent is its solution (so DeleteSolution sees it as a child). Besides the wire document,
 * `attrs` holds what serving reads with the campaign's GetItem, cached for {@link CAMPAIGN_TTL_MS}
 * ({@link ServingAttrs}): the dataset group, the version actually served (a `$LATEST` request is resolved) and that
 * version's model artifact key.
 *
 * The "≤5 active campaigns per dataset group" quota is a set of five slot guards per group
 * (`campaign-slot#<group>#<n>`): a create claims a free slot with a single conditional write, a delete frees it, so
 * two concurrent creates can never both take the fifth place.
 */
import type {
  Campaign,
  CampaignConfig,
  CampaignSummary,
  CampaignUpdateSummary,
  CreateCampaignRequest,
  CreateCampaignResponse,
  DeleteCampaignRequest,
  DescribeCampaignRequest,
  DescribeCampaignResponse,
  ListCampaignsRequest,
  ListCampaignsResponse,
  UpdateCampaignRequest,
  UpdateCampaignResponse,
} from '@aws-sdk/client-personalize';
import { alreadyExists, inUse, invalidInput, limitExceeded } from '../errors';
import { logger } from '../observability';
import { modelKey } from '../store/artifacts';
import { type ResourceRecord, resourceNotFound } from '../store/resources';
import { campaignArn, parseArn } from './arns';
import type { ServiceContext } from './context';
import { ACTIVE, CREATE_FAILED, joinParent, leaveParent, markDeletePending } from './dataset-groups';
import { listPage, nextTokenOf, pick } from './pagination';
import { SOLUTION, SOLUTION_CAMPAIGNS, SOLUTION_VERSION } from './solutions';
import { tagsToMap } from './tags';
import { TtlCache } from './ttl-cache';

export const CAMPAIGN = 'campaign';
/** The alias suffix that names "the newest ACTIVE version of this solution". */
export const LATEST_SUFFIX = '/$LATEST';
/** Active campaigns per dataset group (spec §5). */
export const MAX_CAMPAIGNS_PER_GROUP = 5;
export const DEFAULT_MIN_PROVISIONED_TPS = 1;
/** Defaults of `campaignConfig.itemExplorationConfig` (spec §7.2), as the strings DescribeCampaign returns. */
export const DEFAULT_EXPLORATION_WEIGHT = '0.3';
export const DEFAULT_EXPLORATION_ITEM_AGE_CUT_OFF = '30';

const SLOT = 'campaign-slot';
/** A slot whose campaign does not exist and that is older than this was left by a create that died midway. */
const STALE_SLOT_MS = 60_000;

const SUMMARY_KEYS = [
  'name',
  'campaignArn',
  'status',
  'creationDateTime',
  'lastUpdatedDateTime',
  'failureReason',
] as const satisfies readonly (keyof CampaignSummary)[];

/** What serving needs from a campaign item, kept in its `attrs`. */
export interface ServingAttrs {
  readonly datasetGroupArn: string;
  readonly solutionArn: string;
  /** The version whose model answers requests (a `$LATEST` request resolved to a concrete version). */
  readonly servingVersionArn: string;
  /** Key of that version's model artifact in the data bucket. */
  readonly modelKey: string;
  /** Follow every newer ACTIVE version of the solution (`$LATEST` + `syncWithLatestSolutionVersion`). */
  readonly syncWithLatest: boolean;
  /** Index of the dataset-group slot this campaign holds. */
  readonly slot: number;
}

/** The members of a solution version's stored document and attributes this module relies on. */
interface VersionDoc {
  readonly solutionVersionArn?: string;
  readonly solutionArn?: string;
  readonly datasetGroupArn?: string;
  readonly status?: string;
  readonly trainingMode?: string;
}

interface SlotGuard extends Record<string, unknown> {
  readonly campaignArn: string;
  readonly createdAt: number;
}

/** A resolved deployment target: the concrete version, its solution, group and model artifact. */
export interface ResolvedVersion {
  readonly solutionArn: string;
  readonly versionArn: string;
  readonly datasetGroupArn: string;
  readonly modelKey: string;
}

/**
 * The model artifact of a solution version: `attrs.modelKey` when the version names one (a republished artifact),
 * else the key the training workflow writes every version's model to.
 */
export function modelKeyOf(version: ResourceRecord): string {
  const key = version.attrs.modelKey;
  return typeof key === 'string' && key !== '' ? key : modelKey(version.arn);
}

/** Splits `<solutionArn>/$LATEST`; `undefined` for a plain version ARN. */
export function latestAlias(arn: string): string | undefined {
  return arn.endsWith(LATEST_SUFFIX) ? arn.slice(0, -LATEST_SUFFIX.length) : undefined;
}

/**
 * Resolves a `solutionVersionArn` request member: a concrete version must exist and be ACTIVE; `<solution>/$LATEST`
 * names the solution's newest ACTIVE version. Unknown → ResourceNotFoundException; not ACTIVE →
 * ResourceInUseException.
 */
export async function resolveVersion(ctx: ServiceContext, requested: string): Promise<ResolvedVersion> {
  const aliasOf = latestAlias(requested);
  let version: ResourceRecord<VersionDoc>;
  if (aliasOf !== undefined) {
    const solution = await ctx.resources.get(aliasOf, SOLUTION);
    if (solution === undefined) throw resourceNotFound(aliasOf);
    const latest = await ctx.resources.findChild(aliasOf, SOLUTION_VERSION, [ACTIVE]);
    if (latest === undefined) {
      throw inUse(`Solution ${aliasOf} has no ACTIVE solution version to deploy yet.`);
    }
    version = latest as ResourceRecord<VersionDoc>;
  } else {
    if (parseArn(requested)?.resourceType !== SOLUTION)
      throw invalidInput(`${requested} is not a solution version ARN.`);
    const found = await ctx.resources.get<VersionDoc>(requested, SOLUTION_VERSION);
    if (found === undefined) throw resourceNotFound(requested);
    if (found.status !== ACTIVE) {
      throw inUse(
        `Solution version ${requested} is ${found.status ?? 'not ready'}; wait until it is ACTIVE before deploying it.`,
      );
    }
    version = found;
  }
  const solutionArn = version.parentArn ?? version.doc.solutionArn;
  const datasetGroupArn = version.doc.datasetGroupArn ?? (await solutionGroup(ctx, solutionArn));
  if (solutionArn === undefined || datasetGroupArn === undefined) {
    throw new Error(`Solution version ${version.arn} names no solution or dataset group`);
  }
  return { solutionArn, versionArn: version.arn, datasetGroupArn, modelKey: modelKeyOf(version) };
}

async function solutionGroup(
  ctx: ServiceContext,
  solutionArn: string | undefined,
): Promise<string | undefined> {
  if (solutionArn === undefined) return undefined;
  const solution = await ctx.resources.get<{ datasetGroupArn?: string }>(solutionArn, SOLUTION);
  return solution?.doc.datasetGroupArn;
}

/** A number given as a string (exploration settings are strings on the wire, spec §1.4). */
function numberString(value: string, what: string, min: number, max: number): void {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    const range = max === Number.POSITIVE_INFINITY ? `at least ${min}` : `between ${min} and ${max}`;
    throw invalidInput(`${what} must be a number ${range} given as a string; got "${value}".`);
  }
}

/**
 * Validates a `campaignConfig` and fills the exploration defaults, so DescribeCampaign shows what serving uses.
 * `rankingInfluence` is refused: this recipe has no popularity/freshness re-ranking to apply it to.
 */
export function normaliseCampaignConfig(
  config: CampaignConfig | undefined,
  solutionVersionArn: string,
): CampaignConfig {
  const given = config ?? {};
  if (given.rankingInfluence !== undefined) {
    throw invalidInput(
      'campaignConfig.rankingInfluence is not supported by the aws-user-personalization recipe.',
    );
  }
  const exploration = { ...(given.itemExplorationConfig ?? {}) };
  for (const key of Object.keys(exploration)) {
    if (key !== 'explorationWeight' && key !== 'explorationItemAgeCutOff') {
      throw invalidInput(
        `campaignConfig.itemExplorationConfig key ${key} is not valid; use explorationWeight and explorationItemAgeCutOff.`,
      );
    }
  }
  exploration.explorationWeight ??= DEFAULT_EXPLORATION_WEIGHT;
  exploration.explorationItemAgeCutOff ??= DEFAULT_EXPLORATION_ITEM_AGE_CUT_OFF;
  numberString(exploration.explorationWeight, 'campaignConfig.itemExplorationConfig.explorationWeight', 0, 1);
  numberString(
    exploration.explorationItemAgeCutOff,
    'campaignConfig.itemExplorationConfig.explorationItemAgeCutOff',
    1,
    Number.POSITIVE_INFINITY,
  );
  if (given.syncWithLatestSolutionVersion === true && latestAlias(solutionVersionArn) === undefined) {
    throw invalidInput(
      'campaignConfig.syncWithLatestSolutionVersion requires solutionVersionArn in the form <solutionArn>/$LATEST.',
    );
  }
  return { ...given, itemExplorationConfig: exploration };
}

function checkTps(tps: number | undefined): number {
  const value = tps ?? DEFAULT_MIN_PROVISIONED_TPS;
  if (!Number.isInteger(value) || value < 1)
    throw invalidInput(`minProvisionedTPS must be an integer ≥ 1; got ${value}.`);
  return value;
}

export async function createCampaign(
  ctx: ServiceContext,
  input: CreateCampaignRequest,
): Promise<CreateCampaignResponse> {
  const requested = input.solutionVersionArn!;
  const minProvisionedTPS = checkTps(input.minProvisionedTPS);
  const campaignConfig = normaliseCampaignConfig(input.campaignConfig, requested);
  const tags = tagsToMap(input.tags);
  const target = await resolveVersion(ctx, requested);
  const arn = campaignArn(ctx, input.name!);
  if ((await ctx.resources.get(arn)) !== undefined) {
    throw alreadyExists(arn);
  }
  const now = ctx.now();
  const slot = await claimSlot(ctx, target.datasetGroupArn, arn, now.getTime());
  try {
    // Only while the solution is ACTIVE, so DeleteSolution (which reads this set) never misses the campaign.
    await joinParent(ctx, target.solutionArn, SOLUTION_CAMPAIGNS, arn, { statusIn: [ACTIVE] });
  } catch (err) {
    await releaseSlot(ctx, target.datasetGroupArn, slot, arn);
    throw err;
  }
  const doc: Campaign = {
    name: input.name!,
    campaignArn: arn,
    solutionVersionArn: requested,
    minProvisionedTPS,
    campaignConfig,
    status: ACTIVE,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  const attrs: ServingAttrs = {
    datasetGroupArn: target.datasetGroupArn,
    solutionArn: target.solutionArn,
    servingVersionArn: target.versionArn,
    modelKey: target.modelKey,
    syncWithLatest: campaignConfig.syncWithLatestSolutionVersion === true,
    slot,
  };
  try {
    await ctx.resources.create({
      arn,
      type: CAMPAIGN,
      parentArn: target.solutionArn,
      status: ACTIVE,
      doc,
      attrs: { ...attrs },
      tags,
      createdAt: now.getTime(),
    });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'ResourceAlreadyExistsException'))
      await leaveParent(ctx, target.solutionArn, SOLUTION_CAMPAIGNS, arn);
    await releaseSlot(ctx, target.datasetGroupArn, slot, arn);
    throw err;
  }
  return { campaignArn: arn };
}

/** Takes a free slot of the group's five, reclaiming slots whose create died before the campaign was stored. */
async function claimSlot(ctx: ServiceContext, groupArn: string, arn: string, nowMs: number): Promise<number> {
  const guard: SlotGuard = { campaignArn: arn, createdAt: nowMs };
  for (let n = 0; n < MAX_CAMPAIGNS_PER_GROUP; n++) {
    if (await ctx.resources.putGuard(SLOT, slotKey(groupArn, n), guard)) return n;
  }
  for (let n = 0; n < MAX_CAMPAIGNS_PER_GROUP; n++) {
    const held = await ctx.resources.getGuard<SlotGuard>(SLOT, slotKey(groupArn, n));
    if (
      held !== undefined &&
      nowMs - held.createdAt > STALE_SLOT_MS &&
      (await ctx.resources.get(held.campaignArn, CAMPAIGN)) === undefined
    ) {
      await ctx.resources.deleteGuard(SLOT, slotKey(groupArn, n));
      if (await ctx.resources.putGuard(SLOT, slotKey(groupArn, n), guard)) return n;
    }
  }
  throw limitExceeded(
    `Cannot create a campaign. More than ${MAX_CAMPAIGNS_PER_GROUP} resources in ACTIVE state. Please delete some and try again.`,
  );
}

async function releaseSlot(ctx: ServiceContext, groupArn: string, slot: number, arn: string): Promise<void> {
  const held = await ctx.resources.getGuard<SlotGuard>(SLOT, slotKey(groupArn, slot));
  if (held?.campaignArn === arn) await ctx.resources.deleteGuard(SLOT, slotKey(groupArn, slot));
}

function slotKey(groupArn: string, n: number): string {
  return `${groupArn}#${n}`;
}

export async function describeCampaign(
  ctx: ServiceContext,
  input: DescribeCampaignRequest,
): Promise<DescribeCampaignResponse> {
  const record = await ctx.resources.require<Campaign>(input.campaignArn!, CAMPAIGN);
  return { campaign: record.doc };
}

export async function listCampaigns(
  ctx: ServiceContext,
  input: ListCampaignsRequest,
): Promise<ListCampaignsResponse> {
  const page = await listPage(
    ctx.resources,
    CAMPAIGN,
    input,
    (r: ResourceRecord<Campaign>) => pick(r.doc, SUMMARY_KEYS),
    input.solutionArn,
  );
  return {
    campaigns: page.items,
    ...nextTokenOf(page),
  };
}

/**
 * Deploys another version and/or changes the TPS floor or configuration. Members left out keep their values; the
 * new version must be ACTIVE and belong to the campaign's solution (the campaign is that solution's child, which is
 * what DeleteSolution checks). Synchronous: `latestCampaignUpdate` is ACTIVE when the call returns, and the next
 * request is served by the new version.
 */
export async function updateCampaign(
  ctx: ServiceContext,
  input: UpdateCampaignRequest,
): Promise<UpdateCampaignResponse> {
  const arn = input.campaignArn!;
  const current = await ctx.resources.require<Campaign>(arn, CAMPAIGN);
  if (current.status !== ACTIVE && current.status !== CREATE_FAILED) {
    throw inUse(
      `Campaign ${arn} is ${current.status ?? 'busy'}; it can be updated only when ACTIVE or CREATE FAILED.`,
    );
  }
  const serving = current.attrs as unknown as ServingAttrs;
  const requested = input.solutionVersionArn ?? current.doc.solutionVersionArn!;
  const minProvisionedTPS = checkTps(input.minProvisionedTPS ?? current.doc.minProvisionedTPS);
  const merged: CampaignConfig = { ...current.doc.campaignConfig, ...input.campaignConfig };
  // Following `$LATEST` only makes sense for the alias; moving to a concrete version ends it unless asked again.
  if (
    input.campaignConfig?.syncWithLatestSolutionVersion === undefined &&
    latestAlias(requested) === undefined
  ) {
    delete merged.syncWithLatestSolutionVersion;
  }
  const campaignConfig = normaliseCampaignConfig(merged, requested);
  const target = await resolveVersion(ctx, requested);
  if (target.solutionArn !== serving.solutionArn) {
    throw invalidInput(
      `Solution version ${target.versionArn} belongs to ${target.solutionArn}, not to the campaign's solution ${serving.solutionArn}.`,
    );
  }
  const now = ctx.now();
  const update: CampaignUpdateSummary = {
    solutionVersionArn: requested,
    minProvisionedTPS,
    campaignConfig,
    status: ACTIVE,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  await ctx.resources.update<Campaign>(
    arn,
    {
      status: ACTIVE,
      doc: {
        solutionVersionArn: requested,
        minProvisionedTPS,
        campaignConfig,
        status: ACTIVE,
        failureReason: undefined,
        lastUpdatedDateTime: now,
        latestCampaignUpdate: update,
      },
      attrs: {
        servingVersionArn: target.versionArn,
        modelKey: target.modelKey,
        syncWithLatest: campaignConfig.syncWithLatestSolutionVersion === true,
      },
    },
    { statusIn: [ACTIVE, CREATE_FAILED] },
    (latest) => inUse(`Campaign ${arn} is ${latest.status ?? 'busy'} and cannot be updated now.`),
  );
  forgetCampaign(arn);
  return { campaignArn: arn };
}

export async function deleteCampaign(ctx: ServiceContext, input: DeleteCampaignRequest): Promise<object> {
  const arn = input.campaignArn!;
  const campaign = await ctx.resources.require<Campaign>(arn, CAMPAIGN);
  await markDeletePending(ctx, arn, 'Campaign');
  forgetCampaign(arn);
  await ctx.resources.delete(arn);
  forgetCampaign(arn);
  const serving = campaign.attrs as Partial<ServingAttrs>;
  if (serving.datasetGroupArn !== undefined && typeof serving.slot === 'number') {
    await releaseSlot(ctx, serving.datasetGroupArn, serving.slot, arn);
  }
  if (serving.solutionArn !== undefined) await leaveParent(ctx, serving.solutionArn, SOLUTION_CAMPAIGNS, arn);
  return {};
}

/**
 * With `syncWithLatestSolutionVersion`, what the campaign should serve: its solution's newest ACTIVE version if that
 * is newer than the one it serves. A read only; {@link followLatest} records the switch.
 */
export async function latestServing(ctx: ServiceContext, campaign: ResourceRecord): Promise<ServingAttrs> {
  const serving = campaign.attrs as unknown as ServingAttrs;
  if (!serving.syncWithLatest) return serving;
  const latest = await ctx.resources.findChild(serving.solutionArn, SOLUTION_VERSION, [ACTIVE]);
  if (latest === undefined || latest.arn === serving.servingVersionArn) return serving;
  return { ...serving, servingVersionArn: latest.arn, modelKey: modelKeyOf(latest) };
}

/**
 * Points a `$LATEST` campaign at its solution's newest ACTIVE version if that is newer than the one it serves;
 * returns the (possibly new) serving attributes. The control plane's part: serving only reads
 * ({@link latestServing}).
 */
export async function followLatest(ctx: ServiceContext, campaign: ResourceRecord): Promise<ServingAttrs> {
  const serving = campaign.attrs as unknown as ServingAttrs;
  const next = await latestServing(ctx, campaign);
  if (next === serving) return serving;
  try {
    // Only over the model that was read, so a concurrent switch (another request, an automatic update) is not lost.
    await ctx.resources.update(
      campaign.arn,
      { attrs: { servingVersionArn: next.servingVersionArn, modelKey: next.modelKey } },
      { attrsEquals: { servingVersionArn: serving.servingVersionArn, modelKey: serving.modelKey } },
    );
  } catch (err) {
    if (!(err instanceof Error && err.name === 'ResourceInUseException')) throw err;
    const current = await ctx.resources.get(campaign.arn, CAMPAIGN);
    return (current?.attrs ?? serving) as unknown as ServingAttrs;
  }
  forgetCampaign(campaign.arn);
  return next;
}

/** Moves every `$LATEST` campaign of a solution to its newest ACTIVE version (after a version is published). */
export async function followLatestOfSolution(ctx: ServiceContext, solutionArn: string): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await ctx.resources.list({ type: CAMPAIGN, parentArn: solutionArn, limit: 100, nextToken });
    for (const campaign of page.items) {
      if (campaign.status === ACTIVE) await followLatest(ctx, campaign);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
}

/**
 * After a version of a solution was published: its `$LATEST` campaigns are moved to it. Best effort, since serving
 * resolves `$LATEST` itself within {@link SYNC_CHECK_MS}: a failure is logged, never fails the publish.
 */
export async function followLatestOfVersion(ctx: ServiceContext, versionArn: string): Promise<void> {
  try {
    const version = await ctx.resources.get(versionArn, SOLUTION_VERSION);
    if (version?.parentArn !== undefined) await followLatestOfSolution(ctx, version.parentArn);
  } catch (err) {
    logger.error('Could not move $LATEST campaigns', { versionArn, error: err as Error });
  }
}

/** How often the serving path looks for a newer ACTIVE version of a `$LATEST` campaign. */
export const SYNC_CHECK_MS = 5_000;

/**
 * How long the serving path reuses an ACTIVE campaign's record. UpdateCampaign and DeleteCampaign in another
 * process are seen this much later (this process forgets the campaign at once).
 */
export const CAMPAIGN_TTL_MS = 2_000;

const campaignCache = new TtlCache<string, ResourceRecord | undefined>(CAMPAIGN_TTL_MS);

const forgetListeners = new Set<(arn: string) => void>();

/** Drops this process's cached record of a campaign that was just changed, so its next request reads it anew. */
export function forgetCampaign(arn: string): void {
  campaignCache.delete(arn);
  for (const listener of forgetListeners) listener(arn);
}

/**
 * Calls `listener` after each {@link forgetCampaign} here, so a process that changes campaigns on behalf of one that
 * serves them can tell it; returns what removes the listener.
 */
export function onCampaignForgotten(listener: (arn: string) => void): () => void {
  forgetListeners.add(listener);
  return () => forgetListeners.delete(listener);
}

/** The campaign's record, reused for {@link CAMPAIGN_TTL_MS} while it is ACTIVE; a missing one is read again. */
export function cachedCampaign<D extends object>(
  ctx: ServiceContext,
  arn: string,
): Promise<ResourceRecord<D> | undefined> {
  return campaignCache.get(
    arn,
    () => ctx.resources.get(arn, CAMPAIGN),
    (c) => c?.status === ACTIVE,
  ) as Promise<ResourceRecord<D> | undefined>;
}
