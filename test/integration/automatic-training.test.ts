/**
 * Automatic training through the SDK clients, on the local runtime's automatic-training check: a solution with
 * `performAutoTraining` gets a FULL version with `trainingType` AUTOMATIC at its first check and again once new
 * events arrived and its schedule is due, none while nothing new arrived, and none while automatic training is off;
 * UpdateSolution switches it off and on and changes its rate; manual versions report MANUAL.
 */
import {
  CreateEventTrackerCommand,
  CreateSolutionCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  ListSolutionVersionsCommand,
  UpdateSolutionCommand,
} from '@aws-sdk/client-personalize';
import { PutEventsCommand } from '@aws-sdk/client-personalize-events';
import type { AutoTrainingReport } from '../../lambdas/services/automatic-training';
import { startTestRuntime, type TestRuntime } from './harness';
import { groupWithInteractions, RECIPE, trainedVersion } from './workflow';

let t: TestRuntime;
let trackingId: string;
let auto: string;
let manual: string;

/** 120 users × 12 interactions over 150 items. */
function interactionsCsv(): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  let time = 1_700_000_000;
  for (let u = 0; u < 120; u++)
    for (let s = 0; s < 12; s++) lines.push(`u${u},i${(u * 13 + s) % 150},${time++},click`);
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime({ updateIntervalMs: 0, autoTrainingIntervalMs: 0 });
  const group = await groupWithInteractions(t, 'autotrain', interactionsCsv());
  ({ trackingId } = (await t.personalize.send(
    new CreateEventTrackerCommand({ name: 'autotrain-tracker', datasetGroupArn: group }),
  )) as { trackingId: string });
  const create = async (name: string, performAutoTraining?: boolean) =>
    (
      await t.personalize.send(
        new CreateSolutionCommand({
          name,
          datasetGroupArn: group,
          recipeArn: RECIPE,
          ...(performAutoTraining === undefined ? {} : { performAutoTraining }),
          solutionConfig: {
            algorithmHyperParameters: { hidden_dimension: '32' },
            autoTrainingConfig: { schedulingExpression: 'rate(7 days)' },
          },
        }),
      )
    ).solutionArn as string;
  auto = await create('autotrain-on');
  manual = await create('autotrain-off', false);
}, 60_000);
afterAll(() => t?.stop());

/** Runs the check now, waits for the trainings it started, and returns its decision for `solutionArn`. */
async function check(solutionArn: string) {
  const report: AutoTrainingReport = await t.runtime.automaticTraining();
  await t.idle();
  return report.outcomes.find((o) => o.solutionArn === solutionArn);
}

async function versions(solutionArn: string) {
  return (await t.personalize.send(new ListSolutionVersionsCommand({ solutionArn }))).solutionVersions ?? [];
}

let clock = 1_800_000_000;
async function newEvents(userId: string): Promise<void> {
  await t.events.send(
    new PutEventsCommand({
      trackingId,
      userId,
      sessionId: `s-${userId}`,
      eventList: ['i1', 'i2', 'i3'].map((itemId) => ({
        eventType: 'click',
        itemId,
        sentAt: new Date(clock++ * 1000),
      })),
    }),
  );
}

async function setRate(solutionArn: string, schedulingExpression: string): Promise<void> {
  await t.personalize.send(
    new UpdateSolutionCommand({
      solutionArn,
      solutionUpdateConfig: { autoTrainingConfig: { schedulingExpression } },
    }),
  );
}

it('trains a solution with performAutoTraining at its first check, as a FULL AUTOMATIC version', async () => {
  const outcome = await check(auto);
  expect(outcome).toMatchObject({ status: 'CREATED' });
  const { solutionVersion } = await t.personalize.send(
    new DescribeSolutionVersionCommand({ solutionVersionArn: outcome?.solutionVersionArn }),
  );
  expect(solutionVersion).toMatchObject({
    status: 'ACTIVE',
    trainingMode: 'FULL',
    trainingType: 'AUTOMATIC',
  });
  const listed = await versions(auto);
  expect(listed.map((v) => [v.solutionVersionArn, v.trainingMode, v.trainingType])).toEqual([
    [outcome?.solutionVersionArn, 'FULL', 'AUTOMATIC'],
  ]);
  const { solution } = await t.personalize.send(new DescribeSolutionCommand({ solutionArn: auto }));
  expect(solution?.latestSolutionVersion).toMatchObject({ trainingType: 'AUTOMATIC', status: 'ACTIVE' });
});

it('never trains a solution with performAutoTraining false; its manual versions report MANUAL', async () => {
  expect(await check(manual)).toBeUndefined();
  expect(await versions(manual)).toEqual([]);
  const arn = await trainedVersion(t, manual);
  expect((await versions(manual)).map((v) => [v.solutionVersionArn, v.trainingType])).toEqual([
    [arn, 'MANUAL'],
  ]);
});

it('creates no version when no new data arrived, even when a new rate makes it due', async () => {
  await setRate(auto, 'rate(1 day)');
  const { solution } = await t.personalize.send(new DescribeSolutionCommand({ solutionArn: auto }));
  expect(solution).toMatchObject({
    performAutoTraining: true,
    solutionConfig: { autoTrainingConfig: { schedulingExpression: 'rate(1 day)' } },
  });
  const outcome = await check(auto);
  expect(outcome).toMatchObject({ status: 'SKIPPED', reason: expect.stringMatching(/^no new data since /) });
  expect(await versions(auto)).toHaveLength(1);
  // Checked: not due again until a day later.
  expect(await check(auto)).toBeUndefined();
});

it('creates another AUTOMATIC version once new events arrived and the schedule is due', async () => {
  await newEvents('u1');
  await setRate(auto, 'rate(2 days)');
  const outcome = await check(auto);
  expect(outcome).toMatchObject({ status: 'CREATED' });
  const listed = await versions(auto);
  expect(listed).toHaveLength(2);
  expect(listed[0]).toMatchObject({
    solutionVersionArn: outcome?.solutionVersionArn,
    status: 'ACTIVE',
    trainingType: 'AUTOMATIC',
  });
});

it('UpdateSolution switches automatic training off and on again', async () => {
  await t.personalize.send(new UpdateSolutionCommand({ solutionArn: auto, performAutoTraining: false }));
  const { solution } = await t.personalize.send(new DescribeSolutionCommand({ solutionArn: auto }));
  expect(solution?.performAutoTraining).toBe(false);
  expect(solution?.latestSolutionUpdate).toMatchObject({ performAutoTraining: false, status: 'ACTIVE' });
  await newEvents('u2');
  // Off: not even a new rate makes it due.
  await setRate(auto, 'rate(3 days)');
  expect(await check(auto)).toBeUndefined();
  expect(await versions(auto)).toHaveLength(2);

  await t.personalize.send(new UpdateSolutionCommand({ solutionArn: auto, performAutoTraining: true }));
  expect(await check(auto)).toMatchObject({ status: 'CREATED' });
  expect((await versions(auto)).map((v) => v.trainingType)).toEqual(['AUTOMATIC', 'AUTOMATIC', 'AUTOMATIC']);
});
