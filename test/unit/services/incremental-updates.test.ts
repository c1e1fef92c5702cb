/**
 * Automatic updates read incrementally: a trained version's snapshot plus the events written since its data mark.
 * The Events table's reads are counted through a wrapped client: with nothing new an update reads no event, with
 * k new events it reads those k, and what it publishes is byte for byte what a full read of the data gives.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeSnapshot, interactionRows } from '../../../lambdas/engine/snapshot';
import type { Interaction } from '../../../lambdas/engine/types';
import { updateModel } from '../../../lambdas/engine/update';
import { runAutomaticTraining } from '../../../lambdas/services/automatic-training';
import { applyUpdate } from '../../../lambdas/services/automatic-updates';
import { CAMPAIGN, createCampaign } from '../../../lambdas/services/campaigns';
import { changedSince, INDEX_LAG_MS } from '../../../lambdas/services/data-marks';
import { groupInteractions, groupItems } from '../../../lambdas/services/dataset-data';
import { createDatasetImportJob, runDatasetImportJob } from '../../../lambdas/services/dataset-import-jobs';
import { createSolutionVersion } from '../../../lambdas/services/solution-versions';
import { createSolution, isTrainingInteraction } from '../../../lambdas/services/solutions';
import {
  evaluateVersion,
  loadModel,
  planTraining,
  prepareTraining,
  publishVersion,
  trainVersion,
} from '../../../lambdas/services/training';
import { getArtifact, snapshotKey } from '../../../lambdas/store/artifacts';
import type { StoredEvent } from '../../../lambdas/store/event-items';
import { MARK_BUCKET_MS } from '../../../lambdas/store/event-marks';
import { DATA_BUCKET, type DataEnv, interactionsCsv, ROLE_ARN, startDataEnv } from './data-env';

const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';
/** Long enough for a mark to leave earlier writes behind: the index lag and a write bucket. */
const QUIET = INDEX_LAG_MS + MARK_BUCKET_MS;

/** Items the Events table's index Queries returned or filtered out (DynamoDB's ScannedCount). */
let indexItemsRead = 0;

function counting(ddb: DynamoDBDocumentClient): DynamoDBDocumentClient {
  const send = ddb.send.bind(ddb) as (command: unknown) => Promise<unknown>;
  return new Proxy(ddb, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        const out = (await send(command)) as { ScannedCount?: number; Items?: unknown[] };
        if (command instanceof QueryCommand && command.input.IndexName === 'byGroup')
          indexItemsRead += out.ScannedCount ?? out.Items?.length ?? 0;
        return out;
      };
    },
  });
}

let env: DataEnv;
let group: string;
let solutionArn: string;
let versionArn: string;
let campaignArn: string;
let eventCount = 0;

/** `n` click events on `items`, written now, with event times from `time` (epoch seconds). */
async function putClicks(n: number, time: number, items: (k: number) => string): Promise<void> {
  const events: StoredEvent[] = [];
  for (let k = 0; k < n; k++) {
    const id = eventCount++;
    // The very first event is anonymous: its session is tied to a user only after training.
    const actor = id === 0 ? { actorId: 'anon-0' } : { actorId: `u${id % 50}`, userId: `u${id % 50}` };
    events.push({
      datasetGroupArn: group,
      ...actor,
      sessionId: id === 0 ? 'anon-0' : `s${id % 50}`,
      eventId: `e${id}`,
      eventType: 'click',
      itemId: items(k),
      timestamp: time + k,
      eventValue: 3,
      writtenAt: env.ctx.now().getTime(),
    });
  }
  for (let i = 0; i < events.length; i += 10) await env.ctx.events.put(events.slice(i, i + 10));
}

/** The model a full read of the data gives: what the update must publish. */
async function fullReadModel(): Promise<Uint8Array> {
  const interactions: Interaction[] = [];
  for await (const batch of groupInteractions(env.ctx, group))
    for (const x of batch) if (isTrainingInteraction(x, {})) interactions.push(x);
  const items = [];
  for await (const batch of groupItems(env.ctx, group)) items.push(...batch);
  const { model } = await updateModel(await loadModel(env.ctx, versionArn), { interactions, items });
  return model.serialize();
}

async function servedBytes(): Promise<Uint8Array> {
  const campaign = await env.ctx.resources.require(campaignArn, CAMPAIGN);
  return (await getArtifact(env.s3, DATA_BUCKET, campaign.attrs.modelKey as string)) as Uint8Array;
}

/** Runs an update and returns its outcome with the index items it read. */
async function update(options: { fullRead?: boolean } = {}) {
  indexItemsRead = 0;
  const outcome = await applyUpdate(env.ctx, campaignArn, options);
  return { outcome, read: indexItemsRead };
}

beforeAll(async () => {
  env = await startDataEnv({ wrapDdb: counting });
  const g = await env.group('incr');
  group = g.group;
  const { datasetImportJobArn } = await createDatasetImportJob(
    env.ctx,
    {
      jobName: 'incr',
      datasetArn: g.interactions,
      dataSource: { dataLocation: await env.upload('incr.csv', interactionsCsv(1200)) },
      roleArn: ROLE_ARN,
    },
    async () => undefined,
  );
  await runDatasetImportJob(env.ctx, datasetImportJobArn as string);
  // Events written just before training: the first update's read looks back over them and must not count them twice.
  await putClicks(300, 1_700_010_000, (k) => `i${k % 200}`);
  ({ solutionArn } = (await createSolution(env.ctx, {
    name: 'incr',
    datasetGroupArn: group,
    recipeArn: RECIPE,
    solutionConfig: { algorithmHyperParameters: { hidden_dimension: '32' } },
  })) as { solutionArn: string });
  ({ solutionVersionArn: versionArn } = (await createSolutionVersion(
    env.ctx,
    { solutionArn, trainingMode: 'FULL' },
    async () => 'arn:aws:states:us-east-1:000000000000:execution:training:incr',
  )) as { solutionVersionArn: string });
  await prepareTraining(env.ctx, versionArn);
  await planTraining(env.ctx, versionArn);
  await trainVersion(env.ctx, versionArn);
  await evaluateVersion(env.ctx, versionArn);
  await publishVersion(env.ctx, versionArn);
  ({ campaignArn } = (await createCampaign(env.ctx, { name: 'incr', solutionVersionArn: versionArn })) as {
    campaignArn: string;
  });
}, 120_000);
afterAll(async () => {
  await env.close();
});

it('reads no event when nothing arrived since training, where a full read reads them all', async () => {
  env.advance(QUIET);
  // The 300 events written just before the training are within the index lag of its mark: looked at once.
  const { outcome, read } = await update();
  expect(outcome).toMatchObject({ status: 'UNCHANGED', reason: expect.stringMatching(/since training/) });
  expect(read).toBe(300);
  env.advance(QUIET);
  const quiet = await update();
  expect(quiet.outcome.status).toBe('UNCHANGED');
  expect(quiet.read).toBe(0);
  const full = await update({ fullRead: true });
  expect(full.outcome.status).toBe('UNCHANGED');
  expect(full.read).toBeGreaterThanOrEqual(300);

  // The automatic-training check, due since the solution was created, finds nothing new the same way.
  indexItemsRead = 0;
  const { outcomes } = await runAutomaticTraining(env.ctx, { start: async () => 'unused' });
  expect(outcomes).toEqual([
    expect.objectContaining({ status: 'SKIPPED', reason: `no new data since ${versionArn} was trained` }),
  ]);
  expect(indexItemsRead).toBe(0);
});

it('reads only the k new events, and publishes what a full read of the data gives', async () => {
  env.advance(QUIET);
  await putClicks(20, 1_800_000_000, (k) => (k < 5 ? `new${k}` : `i${k}`));
  env.advance(QUIET);
  const first = await update();
  expect(first.outcome).toMatchObject({ status: 'UPDATED', generation: 1, addedItems: 5 });
  expect(first.read).toBe(20);
  expect(Buffer.from(await servedBytes()).equals(Buffer.from(await fullReadModel()))).toBe(true);

  // Again: only the next events, on top of the first generation's, with none counted twice.
  env.advance(QUIET);
  await putClicks(7, 1_800_100_000, (k) => `new${k}`);
  env.advance(QUIET);
  const second = await update();
  expect(second.outcome).toMatchObject({ status: 'UPDATED', generation: 2, addedItems: 7 });
  expect(second.read).toBe(7);
  expect(Buffer.from(await servedBytes()).equals(Buffer.from(await fullReadModel()))).toBe(true);

  env.advance(QUIET);
  const idle = await update();
  expect(idle.outcome).toMatchObject({ status: 'UNCHANGED', reason: expect.stringMatching(/last update/) });
  expect(idle.read).toBe(0);
});

it('re-reads events written just before the last update and counts each once', async () => {
  await putClicks(4, 1_800_200_000, (k) => `i${k}`);
  const first = await update();
  expect(first.outcome.status).toBe('UPDATED');
  // Written within the index lag before that update's mark: looked at again, dropped by id.
  const again = await update();
  expect(again.outcome.status).toBe('UNCHANGED');
  expect(again.read).toBe(4);
  expect(Buffer.from(await servedBytes()).equals(Buffer.from(await fullReadModel()))).toBe(true);
});

it('tells automatic training what changed since its last training from the events since alone', async () => {
  indexItemsRead = 0;
  expect(await changedSince(env.ctx, group, versionArn, {})).toEqual({
    changed: true,
    interactions: 1200 + 300 + 31,
  });
  expect(indexItemsRead).toBe(31);
});

it("prepares an UPDATE version from its FULL version's snapshot and the events since, the same data as a full read", async () => {
  env.advance(QUIET);
  const { solutionVersionArn } = (await createSolutionVersion(
    env.ctx,
    { solutionArn, trainingMode: 'UPDATE' },
    async () => 'arn:aws:states:us-east-1:000000000000:execution:training:incr-update',
  )) as { solutionVersionArn: string };
  // The session of an event the training read is tied to a user now: the version sees that event as the user's.
  await env.ctx.events.linkSession(group, 'anon-0', 'u-linked', env.ctx.now().getTime(), 0);
  indexItemsRead = 0;
  await prepareTraining(env.ctx, solutionVersionArn);
  // The 31 events written since the FULL training's mark (the first update check moved it past the 300 before),
  // and the one session link.
  expect(indexItemsRead).toBe(32);
  const snapshot = decodeSnapshot((await getArtifact(env.s3, DATA_BUCKET, snapshotKey(solutionVersionArn)))!);
  const key = (x: Interaction) => `${x.userId} ${x.itemId} ${x.timestamp} ${x.eventType} ${x.eventValue}`;
  const full: string[] = [];
  for await (const batch of groupInteractions(env.ctx, group)) full.push(...batch.map(key));
  expect([...interactionRows(snapshot.columns)].map(key).sort()).toEqual(full.sort());
  expect(full.filter((x) => x.startsWith('u-linked '))).toHaveLength(1);
});
