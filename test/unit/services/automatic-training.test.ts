/**
 * The automatic-training check against the emulators, with the context's clock moved by hand: when a solution is
 * due, what counts as new data, and what keeps a version from being created (a version in training, automatic
 * training switched off, a deleted solution, a start that fails). Trainings are not run: the prepare step records
 * the data's fingerprint and the version is published without a model, which is all the check reads.
 */
import { createHash } from 'node:crypto';
import type { SolutionConfig } from '@aws-sdk/client-personalize';
import {
  type AutoTrainingOutcome,
  nextDueAt,
  runAutomaticTraining,
} from '../../../lambdas/services/automatic-training';
import { DataFingerprint } from '../../../lambdas/services/data-fingerprint';
import { createDatasetImportJob, runDatasetImportJob } from '../../../lambdas/services/dataset-import-jobs';
import {
  createSolutionVersion,
  describeSolutionVersion,
  listSolutionVersions,
  type StartTraining,
} from '../../../lambdas/services/solution-versions';
import {
  type AutoTrainingAttrs,
  createSolution,
  deleteSolution,
  SOLUTION,
  updateSolution,
} from '../../../lambdas/services/solutions';
import { prepareTraining, publishVersion } from '../../../lambdas/services/training';
import { type DataEnv, interactionsCsv, ROLE_ARN, startDataEnv } from './data-env';

const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';
const DAY = 86_400_000;

let env: DataEnv;
let group: string;
let interactionsDataset: string;
let imports = 0;

/** Imports `csv` into the group's Interactions dataset (the first import FULL, later ones INCREMENTAL). */
async function importInteractions(csv: string): Promise<void> {
  imports++;
  const { datasetImportJobArn } = await createDatasetImportJob(
    env.ctx,
    {
      jobName: `auto-import-${imports}`,
      datasetArn: interactionsDataset,
      dataSource: { dataLocation: await env.upload(`auto-${imports}.csv`, csv) },
      roleArn: ROLE_ARN,
      importMode: imports === 1 ? 'FULL' : 'INCREMENTAL',
    },
    async () => undefined,
  );
  await runDatasetImportJob(env.ctx, datasetImportJobArn as string);
}

beforeAll(async () => {
  env = await startDataEnv();
  const g = await env.group('auto');
  group = g.group;
  interactionsDataset = g.interactions;
  await importInteractions(interactionsCsv(1500));
});
afterAll(async () => {
  await env.close();
});

/** Records the executions the check starts, without Step Functions. */
const started: string[] = [];
const start: StartTraining = async (_ctx, arn, name) => {
  started.push(arn);
  return `arn:aws:states:us-east-1:000000000000:execution:training:${name}`;
};

/** Runs the check and returns its decision for `solutionArn` (undefined: the solution was not due). */
async function check(solutionArn: string, startWith: StartTraining = start) {
  const report = await runAutomaticTraining(env.ctx, { start: startWith });
  return report.outcomes.find((o: AutoTrainingOutcome) => o.solutionArn === solutionArn);
}

async function schedule(solutionArn: string): Promise<AutoTrainingAttrs> {
  return (await env.ctx.resources.require(solutionArn, SOLUTION)).attrs as AutoTrainingAttrs;
}

/** What the training workflow does as far as the check can see: the prepare step, then ACTIVE. */
async function finishTraining(versionArn: string): Promise<void> {
  await prepareTraining(env.ctx, versionArn);
  await publishVersion(env.ctx, versionArn);
}

async function solution(
  name: string,
  more: { performAutoTraining?: boolean; solutionConfig?: SolutionConfig } = {},
) {
  const { solutionArn } = await createSolution(env.ctx, {
    name,
    datasetGroupArn: group,
    recipeArn: RECIPE,
    ...more,
  });
  return solutionArn as string;
}

describe('DataFingerprint', () => {
  it('digests the interactions, a separator, then the items, as automatic updates always have', () => {
    const f = new DataFingerprint();
    f.interaction({ userId: 'u1', itemId: 'i1', timestamp: 5, eventType: 'click' });
    f.interaction({ userId: 'u2', itemId: 'i2', timestamp: 6, impression: ['i2', 'i3'] });
    f.startItems();
    f.item({ itemId: 'i1', categorical: { GENRES: ['a'] } });
    const expected = createHash('sha256')
      .update('["u1","i1",5,null]')
      .update('["u2","i2",6,["i2","i3"]]')
      .update('\u0000items')
      .update('{"itemId":"i1","categorical":{"GENRES":["a"]}}')
      .digest('hex');
    expect(f.digest()).toBe(expected);
  });
});

describe('nextDueAt', () => {
  it('keeps the phase of the schedule and lands after now', () => {
    expect(nextDueAt(0, 7, 10)).toBe(7 * DAY);
    expect(nextDueAt(0, 7, 7 * DAY)).toBe(14 * DAY);
    expect(nextDueAt(0, 1, 3.5 * DAY)).toBe(4 * DAY);
    expect(nextDueAt(5, 2, 5)).toBe(5 + 2 * DAY);
  });
});

describe('a solution with automatic training', () => {
  let solutionArn: string;
  let first: string;

  it('gets a FULL AUTOMATIC version at the first check', async () => {
    solutionArn = await solution('auto-weekly');
    const created = env.ctx.now().getTime();
    const outcome = await check(solutionArn);
    expect(outcome).toMatchObject({ status: 'CREATED' });
    first = outcome?.solutionVersionArn as string;
    expect(started).toContain(first);
    const { solutionVersion } = await describeSolutionVersion(
      env.ctx,
      { solutionVersionArn: first },
      async () => true,
    );
    expect(solutionVersion).toMatchObject({ trainingMode: 'FULL', trainingType: 'AUTOMATIC' });
    const { solutionVersions } = await listSolutionVersions(env.ctx, { solutionArn });
    expect(solutionVersions?.map((v) => [v.solutionVersionArn, v.trainingType])).toEqual([
      [first, 'AUTOMATIC'],
    ]);
    const attrs = await schedule(solutionArn);
    expect(attrs.autoTrainingLastRun).toMatchObject({ status: 'CREATED', solutionVersionArn: first });
    // The default rate(7 days), counted from the solution's creation.
    expect(attrs.autoTrainingDueAt).toBeGreaterThan(created + 7 * DAY - 1000);
    expect(attrs.autoTrainingDueAt).toBeLessThanOrEqual(created + 7 * DAY);
  });

  it('is not checked again before it is due', async () => {
    env.advance(6 * DAY);
    expect(await check(solutionArn)).toBeUndefined();
  });

  it('skips while its version trains and stays due', async () => {
    env.advance(1 * DAY);
    const due = (await schedule(solutionArn)).autoTrainingDueAt;
    const outcome = await check(solutionArn);
    expect(outcome).toMatchObject({ status: 'SKIPPED' });
    expect(outcome?.reason).toContain(`${first} is CREATE PENDING`);
    expect((await schedule(solutionArn)).autoTrainingDueAt).toBe(due);
    expect((await listSolutionVersions(env.ctx, { solutionArn })).solutionVersions).toHaveLength(1);
  });

  it('creates nothing when no data arrived since its last training, and moves on a week', async () => {
    await finishTraining(first);
    const due = (await schedule(solutionArn)).autoTrainingDueAt as number;
    const outcome = await check(solutionArn);
    expect(outcome).toEqual({
      solutionArn,
      status: 'SKIPPED',
      reason: `no new data since ${first} was trained`,
    });
    expect((await schedule(solutionArn)).autoTrainingDueAt).toBe(due + 7 * DAY);
    expect((await listSolutionVersions(env.ctx, { solutionArn })).solutionVersions).toHaveLength(1);
  });

  it('trains again once new interactions arrived and the next due date came', async () => {
    await importInteractions(
      interactionsCsv(1000, (line) => `u${line % 60},i${line % 220},${1_800_000_000 + line},click,1`),
    );
    env.advance(7 * DAY);
    const outcome = await check(solutionArn);
    expect(outcome).toMatchObject({ status: 'CREATED' });
    expect(outcome?.solutionVersionArn).not.toBe(first);
  });

  it('stops being scheduled once deleted', async () => {
    const second = (await schedule(solutionArn)).autoTrainingLastRun?.solutionVersionArn as string;
    await finishTraining(second);
    await deleteSolution(env.ctx, { solutionArn });
    env.advance(30 * DAY);
    expect(await check(solutionArn)).toBeUndefined();
  });
});

describe('what keeps a version from being created', () => {
  it('never checks a solution with automatic training off', async () => {
    const solutionArn = await solution('auto-off', { performAutoTraining: false });
    expect(await check(solutionArn)).toBeUndefined();
    env.advance(31 * DAY);
    expect(await check(solutionArn)).toBeUndefined();
    expect((await listSolutionVersions(env.ctx, { solutionArn })).solutionVersions).toEqual([]);
  });

  it('a manual version trained on the same data makes the first check skip', async () => {
    const solutionArn = await solution('auto-manual');
    const { solutionVersionArn } = await createSolutionVersion(env.ctx, { solutionArn }, start);
    const { solutionVersion } = await describeSolutionVersion(
      env.ctx,
      { solutionVersionArn },
      async () => true,
    );
    expect(solutionVersion?.trainingType).toBe('MANUAL');
    await finishTraining(solutionVersionArn as string);
    expect(await check(solutionArn)).toMatchObject({
      status: 'SKIPPED',
      reason: `no new data since ${solutionVersionArn} was trained`,
    });
  });

  it('an automatic version is refused while another version of the solution trains', async () => {
    const solutionArn = await solution('auto-alone', { performAutoTraining: false });
    const { solutionVersionArn } = await createSolutionVersion(env.ctx, { solutionArn }, start);
    await expect(createSolutionVersion(env.ctx, { solutionArn }, start, 'AUTOMATIC')).rejects.toMatchObject({
      name: 'LimitExceededException',
      message: /Another version of .* is training/,
    });
    // Manual versions are not held back by it.
    const second = await createSolutionVersion(env.ctx, { solutionArn }, start);
    await finishTraining(solutionVersionArn as string);
    await finishTraining(second.solutionVersionArn as string);
    expect((await listSolutionVersions(env.ctx, { solutionArn })).solutionVersions).toHaveLength(2);
  });

  it('waits for interactions: a group without any stays due', async () => {
    const empty = await env.group('auto-empty');
    const { solutionArn } = await createSolution(env.ctx, {
      name: 'auto-no-data',
      datasetGroupArn: empty.group,
      recipeArn: RECIPE,
    });
    const due = (await schedule(solutionArn as string)).autoTrainingDueAt;
    expect(await check(solutionArn as string)).toMatchObject({
      status: 'SKIPPED',
      reason: 'the dataset group has no interactions to train on yet; retrying at the next check',
    });
    expect((await schedule(solutionArn as string)).autoTrainingDueAt).toBe(due);
    await deleteSolution(env.ctx, { solutionArn });
  });

  it('leaves due solutions to the next check once the deadline has passed', async () => {
    const solutionArn = await solution('auto-deadline');
    const report = await runAutomaticTraining(env.ctx, { start, deadline: env.ctx.now().getTime() });
    expect(report.deferred).toContain(solutionArn);
    expect(report.outcomes).toEqual([]);
    expect((await listSolutionVersions(env.ctx, { solutionArn })).solutionVersions).toEqual([]);
    await deleteSolution(env.ctx, { solutionArn });
  });

  it('a start that fails leaves the solution due for the next check', async () => {
    const solutionArn = await solution('auto-start-fails');
    const due = (await schedule(solutionArn)).autoTrainingDueAt;
    const outcome = await check(solutionArn, async () => {
      throw new Error('Step Functions is unreachable');
    });
    expect(outcome).toMatchObject({ status: 'SKIPPED' });
    expect(outcome?.reason).toMatch(/could not be created .*Step Functions is unreachable.*next check/);
    expect((await schedule(solutionArn)).autoTrainingDueAt).toBe(due);
    // The failed version never read the data, so the next check trains.
    expect(await check(solutionArn)).toMatchObject({ status: 'CREATED' });
  });
});

describe('UpdateSolution', () => {
  it('switching automatic training off stops it; switching it on makes it due at once', async () => {
    const solutionArn = await solution('auto-toggle');
    await updateSolution(env.ctx, { solutionArn, performAutoTraining: false });
    expect(await check(solutionArn)).toBeUndefined();
    env.advance(10 * DAY);
    expect(await check(solutionArn)).toBeUndefined();

    await updateSolution(env.ctx, { solutionArn, performAutoTraining: true });
    const outcome = await check(solutionArn);
    expect(outcome).toMatchObject({ status: 'CREATED' });
    await finishTraining(outcome?.solutionVersionArn as string);
  });

  it('a new rate makes the solution due at once and sets the next due date by it', async () => {
    const solutionArn = await solution('auto-rate');
    const { solutionVersionArn } = (await check(solutionArn)) ?? {};
    await finishTraining(solutionVersionArn as string);
    // An unchanged rate leaves the schedule alone.
    await updateSolution(env.ctx, {
      solutionArn,
      solutionUpdateConfig: { autoTrainingConfig: { schedulingExpression: 'rate(7 days)' } },
    });
    expect(await check(solutionArn)).toBeUndefined();

    await updateSolution(env.ctx, {
      solutionArn,
      solutionUpdateConfig: { autoTrainingConfig: { schedulingExpression: 'rate(2 days)' } },
    });
    const at = env.ctx.now().getTime();
    expect(await check(solutionArn)).toMatchObject({ status: 'SKIPPED', reason: /no new data/ });
    const due = (await schedule(solutionArn)).autoTrainingDueAt as number;
    expect(due).toBeGreaterThan(at + 2 * DAY - 1000);
    expect(due).toBeLessThanOrEqual(at + 2 * DAY + 1000);
  });
});
