/**
 * Exploration and impressions through the SDK clients against the local runtime.
 *
 * The catalog: 30 old items that users walk in a cycle (40 interactions each, created 100 days before the newest
 * interaction), four items created 2 days before it and one created 20 days before it, none of those five with any
 * interaction. With weight 0 the lists are the model's and repeat exactly; with weight 1 and a 10-day cut-off only
 * the four 2-day-old items are explored, with a 30-day cut-off the 20-day-old one too. Then an item that cold users
 * are shown next to the one they pick — 15 times reported through the recommendationId, 15 times through an explicit
 * impression — loses its place after the next training, although the model's relevance alone still ranks it high.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateCampaignCommand,
  CreateDatasetGroupCommand,
  CreateEventTrackerCommand,
  CreateSolutionCommand,
  UpdateCampaignCommand,
} from '@aws-sdk/client-personalize';
import { PutEventsCommand } from '@aws-sdk/client-personalize-events';
import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
  type GetRecommendationsResponse,
} from '@aws-sdk/client-personalize-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type RecommendationRecord, RecommendationStore } from '../../lambdas/store/recommendations';
import { EVENTS_TABLE } from '../../lambdas/store/tables';
import { startTestRuntime, type TestRuntime } from './harness';
import { createDataset, INTERACTION_FIELDS, RECIPE, startImport, trainedVersion } from './workflow';

let t: TestRuntime;
let records: RecommendationStore;
const CATALOG = 30;
const DAY = 86_400;
const START = 1_700_000_000;
const YOUNG = ['new0', 'new1', 'new2', 'new3'];
const MIDDLE = 'mid0';

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: t.runtime.internalEndpoints.dynamodb,
      region: t.runtime.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );
  records = new RecommendationStore(ddb, EVENTS_TABLE.id);
});
afterAll(() => t?.stop());

const item = (k: number) => `i${((k % CATALOG) + CATALOG) % CATALOG}`;

/** 60 users × 20 steps of the cycle, one second apart; returns the CSV and the newest timestamp. */
function interactionsCsv(): { csv: string; latest: number } {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  let time = START;
  for (let u = 0; u < 60; u++) {
    for (let s = 0; s < 20; s++) lines.push(`u${u},${item(u * 7 + s)},${time++},click`);
  }
  return { csv: `${lines.join('\n')}\n`, latest: time - 1 };
}

function itemsCsv(latest: number): string {
  const lines = ['ITEM_ID,GENRE,CREATION_TIMESTAMP'];
  for (let k = 0; k < CATALOG; k++) lines.push(`${item(k)},g${k % 3},${latest - 100 * DAY}`);
  YOUNG.forEach((id, k) => {
    lines.push(`${id},g${k % 3},${latest - 2 * DAY}`);
  });
  lines.push(`${MIDDLE},g1,${latest - 20 * DAY}`);
  return `${lines.join('\n')}\n`;
}

const ids = (r: GetRecommendationsResponse) => (r.itemList ?? []).map((i) => i.itemId as string);

/** The response's record, read from the table: the runtime writes it shortly after answering. */
async function record(r: GetRecommendationsResponse): Promise<RecommendationRecord> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = await records.get(r.recommendationId as string);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no record for the recommendationId');
}

describe('exploration and impressions through the SDK', () => {
  it('follows the weight and the age cut-off, and demotes an item shown often without a click', async () => {
    const p = t.personalize;
    const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: 'explore' }));
    const group = datasetGroupArn as string;
    const interactions = await createDataset(t, {
      datasetGroupArn: group,
      datasetType: 'Interactions',
      fields: INTERACTION_FIELDS,
      schemaName: 'explore-Interactions',
    });
    const items = await createDataset(t, {
      datasetGroupArn: group,
      datasetType: 'Items',
      fields: [
        { name: 'ITEM_ID', type: 'string' },
        { name: 'GENRE', type: 'string', categorical: true },
        { name: 'CREATION_TIMESTAMP', type: 'long' },
      ],
      schemaName: 'explore-Items',
    });
    const { csv, latest } = interactionsCsv();
    const importCsv = (name: string, datasetArn: string, body: string) =>
      startImport(t, { datasetArn, jobName: name, key: `${name}.csv`, csv: body });
    await importCsv('explore-interactions', interactions, csv);
    await importCsv('explore-items', items, itemsCsv(latest));
    await t.idle();
    const { trackingId } = await p.send(
      new CreateEventTrackerCommand({ name: 'explore-tracker', datasetGroupArn: group }),
    );
    const { solutionArn } = await p.send(
      new CreateSolutionCommand({
        name: 'explore-solution',
        datasetGroupArn: group,
        recipeArn: RECIPE,
        performAutoTraining: false,
        solutionConfig: { algorithmHyperParameters: { hidden_dimension: '32' } },
      }),
    );
    const first = await trainedVersion(t, solutionArn as string);
    const { campaignArn } = await p.send(
      new CreateCampaignCommand({
        name: 'explore-campaign',
        solutionVersionArn: first,
        campaignConfig: { itemExplorationConfig: { explorationWeight: '0', explorationItemAgeCutOff: '30' } },
      }),
    );
    const r = t.personalizeRuntime;
    const ask = (userId: string, numResults: number) =>
      r.send(new GetRecommendationsCommand({ campaignArn, userId, numResults }));

    // Weight 0: identical requests, identical lists; nothing explored, every slot certain.
    const a = await ask('u3', 10);
    const b = await ask('u3', 10);
    expect(ids(b)).toEqual(ids(a));
    expect(b.itemList).toEqual(a.itemList);
    const plain = await record(a);
    expect(plain.explored).toEqual(new Array(10).fill(false));
    expect(plain.probabilities).toEqual(new Array(10).fill(1));
    expect(plain.explorationWeight).toBe(0);

    const exploredWith = async (cutOff: string): Promise<Set<string>> => {
      await p.send(
        new UpdateCampaignCommand({
          campaignArn,
          campaignConfig: {
            itemExplorationConfig: { explorationWeight: '1', explorationItemAgeCutOff: cutOff },
          },
        }),
      );
      const seen = new Set<string>();
      for (let n = 0; n < 12; n++) {
        const out = await ask(`u${n}`, 10);
        const rec = await record(out);
        expect(rec.itemIds).toEqual(ids(out));
        expect(rec.explorationItemAgeCutOff).toBe(Number(cutOff));
        // Explored slots say so in Personalize's words; the others carry no reason.
        expect((out.itemList ?? []).map((i) => i.reason)).toEqual(
          (rec.explored ?? []).map((e) => (e ? ['Exploration'] : undefined)),
        );
        rec.itemIds.forEach((id, slot) => {
          const probability = rec.probabilities?.[slot] as number;
          expect(probability).toBeGreaterThan(0);
          expect(probability).toBeLessThanOrEqual(1);
          if (rec.explored?.[slot] === true) seen.add(id);
        });
      }
      return seen;
    };
    expect([...(await exploredWith('10'))].sort()).toEqual(YOUNG);
    expect([...(await exploredWith('30'))].sort()).toEqual([MIDDLE, ...YOUNG]);

    // Cold users are shown [A, X] and pick A: half report it by recommendationId, half by an explicit impression.
    await p.send(
      new UpdateCampaignCommand({
        campaignArn,
        campaignConfig: { itemExplorationConfig: { explorationWeight: '0', explorationItemAgeCutOff: '30' } },
      }),
    );
    const before = ids(await ask('cold-before', 5));
    const [picked, ignored] = before as [string, string];
    let clock = latest + 60;
    for (let n = 0; n < 30; n++) {
      const userId = `viewer${n}`;
      const shown = await ask(userId, 2);
      expect(ids(shown)).toEqual([picked, ignored]);
      await t.events.send(
        new PutEventsCommand({
          trackingId,
          userId,
          sessionId: `s-${userId}`,
          eventList: [
            {
              eventType: 'click',
              itemId: picked,
              sentAt: new Date(clock++ * 1000),
              ...(n % 2 === 0
                ? { recommendationId: shown.recommendationId }
                : { impression: [picked, ignored] }),
            },
          ],
        }),
      );
    }
    // An automatic update takes in the impressions and keeps every known item's embeddings bit for bit.
    const update = await t.runtime.automaticUpdate();
    expect(update.output).toMatchObject({
      results: [expect.objectContaining({ campaignArn, status: 'UPDATED' })],
    });
    const after = ids(await ask('cold-after', 5));
    expect(after[0]).toBe(picked);
    expect(after.indexOf(ignored)).not.toBe(1);
    // The model alone scores the ignored item at least as high as the item that took its place: the impressions
    // moved it.
    const { personalizedRanking } = await r.send(
      new GetPersonalizedRankingCommand({
        campaignArn,
        userId: 'cold-after',
        inputList: [ignored, after[1] as string],
      }),
    );
    const score = (id: string) => personalizedRanking?.find((x) => x.itemId === id)?.score as number;
    expect(score(ignored)).toBeGreaterThanOrEqual(score(after[1] as string));
  }, 60_000);
});
