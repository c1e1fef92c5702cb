/**
 * Automatic training (spec §2.7; FILTERS.md §5): a periodic check (hourly, from an EventBridge rule on AWS and the
 * local runtime's timer) creates a FULL solution version with `trainingType` `AUTOMATIC` for every ACTIVE solution
 * with `performAutoTraining` whose schedule is due, when new data arrived since its last training.
 *
 * - **Due.** A solution's `attrs.autoTrainingDueAt` (set by CreateSolution and by an UpdateSolution that switches
 *   automatic training on or changes its rate) says when; each decision moves it on by the solution's
 *   `rate(N days)`, keeping its phase.
 * - **New data.** Compared with the data the solution's newest FULL version that ended `ACTIVE` or `CREATE FAILED`
 *   was prepared from. Training is deterministic, so the same data would give the same model (or the same failure).
 *   The version's data mark (`data-marks.ts`) tells what arrived since without reading the group's older events;
 *   when it cannot (no mark, or an Interactions import since), the data is read in full and fingerprinted
 *   (`data-fingerprint.ts`) against the fingerprint the prepare step recorded. Versions from before fingerprints
 *   were recorded count as trained on unknown data.
 * - **Busy.** While a version of the solution trains (or is being stopped) the check skips it and the schedule stays
 *   due, so the next check tries again. A solution being deleted is not ACTIVE and is never scheduled.
 *
 * Each decision is recorded in the solution's `attrs.autoTrainingLastRun` and logged as one JSON line. Decisions are
 * claimed with a conditional write on `autoTrainingDueAt`, so two checks running at once (or an UpdateSolution
 * meanwhile) never create two versions for one due date.
 */
import { PersonalizeError } from '../errors';
import { logger } from '../observability';
import type { ResourceRecord } from '../store/resources';
import type { ServiceContext } from './context';
import { trainingDataFingerprint } from './data-fingerprint';
import { changedSince } from './data-marks';
import { ACTIVE } from './dataset-groups';
import {
  createSolutionVersion,
  type StartTraining,
  startTrainingExecution,
  type VersionAttrs,
} from './solution-versions';
import {
  type AutoTrainingAttrs,
  type AutoTrainingRun,
  allVersions,
  autoTrainingDays,
  SOLUTION,
  type SolutionDoc,
  trainingConfigOf,
  VERSION_STATUS,
  versionInTraining,
} from './solutions';

const DAY_MS = 86_400_000;

export interface AutoTrainingOptions {
  /** Starts a version's training workflow. @default startTrainingExecution */
  readonly start?: StartTraining;
  /**
   * No solution is checked after this time (epoch ms); the ones left stay due for the next check.
   * @default no limit
   */
  readonly deadline?: number;
}

/** What the check decided for one due solution. */
export interface AutoTrainingOutcome extends Omit<AutoTrainingRun, 'at'> {
  readonly solutionArn: string;
}

export interface AutoTrainingReport {
  readonly outcomes: AutoTrainingOutcome[];
  /** Due solutions left for the next check because the deadline passed. */
  readonly deferred: string[];
}

type SolutionRecord = ResourceRecord<SolutionDoc>;

function attrsOf(solution: SolutionRecord): AutoTrainingAttrs {
  return solution.attrs as AutoTrainingAttrs;
}

/** When a solution's automatic training is due; solutions from before the schedule was stored count from creation. */
function dueAt(solution: SolutionRecord): number {
  return attrsOf(solution).autoTrainingDueAt ?? solution.createdAt;
}

/** The first due date after `now` on the schedule that had `due` as a due date. */
export function nextDueAt(due: number, days: number, now: number): number {
  const period = days * DAY_MS;
  return due + Math.max(1, Math.floor((now - due) / period) + 1) * period;
}

/** Every ACTIVE solution with automatic training on whose schedule is due at `now`, oldest due first. */
async function dueSolutions(ctx: ServiceContext, now: number): Promise<SolutionRecord[]> {
  const due: SolutionRecord[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.resources.list<SolutionDoc>({
      type: SOLUTION,
      limit: 100,
      nextToken,
      statusIn: [ACTIVE],
    });
    for (const s of page.items) if (s.doc.performAutoTraining !== false && dueAt(s) <= now) due.push(s);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return due.sort((a, b) => dueAt(a) - dueAt(b));
}

/** Runs the check once: every due solution gets a decision unless the deadline passes first. */
export async function runAutomaticTraining(
  ctx: ServiceContext,
  options: AutoTrainingOptions = {},
): Promise<AutoTrainingReport> {
  const due = await dueSolutions(ctx, ctx.now().getTime());
  // Solutions of one group with the same event filter read the same data.
  const fingerprints = new Map<string, ReturnType<typeof trainingDataFingerprint>>();
  const fingerprintOf: FingerprintOf = (groupArn, filter) => {
    const key = JSON.stringify([groupArn, filter.eventType ?? null, filter.eventValueThreshold ?? null]);
    let pending = fingerprints.get(key);
    if (pending === undefined) {
      pending = trainingDataFingerprint(ctx, groupArn, filter);
      fingerprints.set(key, pending);
    }
    return pending;
  };
  const outcomes: AutoTrainingOutcome[] = [];
  const deferred: string[] = [];
  for (const solution of due) {
    if (options.deadline !== undefined && ctx.now().getTime() >= options.deadline) {
      deferred.push(solution.arn);
      continue;
    }
    let outcome: AutoTrainingOutcome;
    try {
      outcome = await checkSolution(ctx, solution, fingerprintOf, options.start ?? startTrainingExecution);
    } catch (err) {
      // The schedule was not claimed, so the solution stays due; the other solutions still get their check.
      logger.error('Automatic-training check failed', { solutionArn: solution.arn, error: err as Error });
      outcome = { solutionArn: solution.arn, status: 'SKIPPED', reason: `the check failed (${String(err)})` };
    }
    logger.info('automatic training', { ...outcome });
    outcomes.push(outcome);
  }
  return { outcomes, deferred };
}

type FingerprintOf = (
  groupArn: string,
  filter: { readonly eventType?: string; readonly eventValueThreshold?: number },
) => ReturnType<typeof trainingDataFingerprint>;

/** The fingerprint of the data the solution's newest finished FULL version was prepared from, if it has one. */
async function lastTraining(
  ctx: ServiceContext,
  solutionArn: string,
): Promise<{ readonly arn: string; readonly fingerprint?: string } | undefined> {
  const finished: readonly string[] = [VERSION_STATUS.active, VERSION_STATUS.failed];
  const last = (await allVersions(ctx, solutionArn))
    .filter((v) => v.doc.trainingMode === 'FULL' && finished.includes(v.status ?? ''))
    .sort((a, b) => b.createdAt - a.createdAt || (a.arn < b.arn ? 1 : -1))[0];
  if (last === undefined) return undefined;
  const fingerprint = (last.attrs as VersionAttrs).dataFingerprint;
  return fingerprint === undefined ? { arn: last.arn } : { arn: last.arn, fingerprint };
}

async function checkSolution(
  ctx: ServiceContext,
  solution: SolutionRecord,
  fingerprintOf: FingerprintOf,
  start: StartTraining,
): Promise<AutoTrainingOutcome> {
  const solutionArn = solution.arn;
  const skipped = (reason: string): AutoTrainingOutcome => ({ solutionArn, status: 'SKIPPED', reason });

  // The schedule stays due: the next check tries again.
  const retryLater = async (why: string) => {
    const reason = `${why}; retrying at the next check`;
    await recordRun(ctx, solutionArn, { at: ctx.now().getTime(), status: 'SKIPPED', reason });
    return skipped(reason);
  };
  const training = await versionInTraining(ctx, solutionArn);
  if (training !== undefined) return retryLater(`solution version ${training}`);

  const groupArn = solution.doc.datasetGroupArn!;
  const config = trainingConfigOf(solution.doc.solutionConfig, solution.doc.eventType);
  const last = await lastTraining(ctx, solutionArn);
  // What arrived since the last training, by its data mark; else a digest of all the data, compared with its.
  const known = last === undefined ? undefined : await changedSince(ctx, groupArn, last.arn, config);
  let same: boolean;
  let interactions: number;
  if (known !== undefined) {
    same = !known.changed;
    interactions = known.interactions;
  } else {
    const data = await fingerprintOf(groupArn, config);
    same = last?.fingerprint === data.fingerprint;
    interactions = data.interactions;
  }
  // Data is usually imported after the solution is created: train within the hour of its arrival.
  if (interactions === 0) return retryLater('the dataset group has no interactions to train on yet');
  const reason = same && last !== undefined ? `no new data since ${last.arn} was trained` : undefined;

  const now = ctx.now().getTime();
  const claimed = await claim(ctx, solution, {
    at: now,
    status: reason === undefined ? 'CREATED' : 'SKIPPED',
    ...(reason === undefined ? {} : { reason }),
  });
  if (claimed === undefined) return skipped('the solution changed during the check');
  if (reason !== undefined) return skipped(reason);

  try {
    const { solutionVersionArn } = await createSolutionVersion(
      ctx,
      { solutionArn, trainingMode: 'FULL' },
      start,
      'AUTOMATIC',
    );
    const run: AutoTrainingRun = { at: now, status: 'CREATED', solutionVersionArn: solutionVersionArn! };
    await recordRun(ctx, solutionArn, run);
    return { solutionArn, status: 'CREATED', solutionVersionArn: solutionVersionArn! };
  } catch (err) {
    // Refused (the region's training quota is full, the solution is being deleted) or the training could not be
    // started: due again at the next check, and the other solutions still get theirs.
    if (!(err instanceof PersonalizeError))
      logger.error('Automatic training failed', { solutionArn, error: err as Error });
    const why = err instanceof PersonalizeError ? `${err.errorName}: ${err.message}` : String(err);
    const failed = `the version could not be created (${why}); retrying at the next check`;
    await release(ctx, solutionArn, claimed, dueAt(solution), { at: now, status: 'SKIPPED', reason: failed });
    return skipped(failed);
  }
}

/**
 * Moves the solution's schedule past this due date and records the decision, only if the schedule is still the one
 * read and automatic training is still on. Returns the new due date, or `undefined` when another check or an
 * UpdateSolution changed the solution meanwhile.
 */
async function claim(
  ctx: ServiceContext,
  solution: SolutionRecord,
  run: AutoTrainingRun,
): Promise<number | undefined> {
  const days = autoTrainingDays(solution.doc.solutionConfig?.autoTrainingConfig?.schedulingExpression);
  const next = nextDueAt(dueAt(solution), days, run.at);
  const stored = attrsOf(solution).autoTrainingDueAt;
  try {
    await ctx.resources.update<SolutionDoc>(
      solution.arn,
      {
        attrs: {
          autoTrainingDueAt: next,
          autoTrainingLastRun: { ...run },
        } satisfies AutoTrainingAttrs,
      },
      {
        statusIn: [ACTIVE],
        docEquals: { performAutoTraining: true },
        ...(stored === undefined
          ? { attrsAbsent: ['autoTrainingDueAt'] }
          : { attrsEquals: { autoTrainingDueAt: stored } }),
      },
    );
    return next;
  } catch (err) {
    if (err instanceof PersonalizeError) return undefined;
    throw err;
  }
}

/** Puts back the due date a claim moved to `claimed` (unless the schedule moved since) and records why. */
async function release(
  ctx: ServiceContext,
  solutionArn: string,
  claimed: number,
  due: number,
  run: AutoTrainingRun,
): Promise<void> {
  await ctx.resources
    .update<SolutionDoc>(
      solutionArn,
      { attrs: { autoTrainingDueAt: due, autoTrainingLastRun: { ...run } } satisfies AutoTrainingAttrs },
      { attrsEquals: { autoTrainingDueAt: claimed } },
    )
    .catch((err: unknown) => {
      if (!(err instanceof PersonalizeError)) throw err;
    });
}

/** Records a decision that leaves the schedule as it is; a solution deleted meanwhile needs no record. */
async function recordRun(ctx: ServiceContext, solutionArn: string, run: AutoTrainingRun): Promise<void> {
  await ctx.resources
    .update<SolutionDoc>(solutionArn, {
      attrs: { autoTrainingLastRun: { ...run } } satisfies AutoTrainingAttrs,
    })
    .catch((err: unknown) => {
      if (!(err instanceof PersonalizeError)) throw err;
    });
}
