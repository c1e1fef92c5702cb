/**
 * The seed workflow through the official SDK clients against the local runtime: import a small data set, train a
 * FULL version on the local Step Functions runner, read its metrics, deploy it in a campaign with an exploration
 * configuration, get recommendations, send PutEvents with an impression and the recommendationId and see the next
 * recommendations change, train an UPDATE version and move the campaign to it. Then the failure paths: a campaign on
 * a version that did not become ACTIVE, deleting a solution a campaign uses, numResults out of range, an unknown
 * campaign.
 *
 * The data set is built so the right answer is known without the model: users walk the catalog in a cycle, item
 * i<k> always followed by i<k+1>, so after a history ending in i<k> the best next item is i<k+1>.
 */
import {
  CreateCampaignCommand,
  CreateEventTrackerCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DeleteCampaignCommand,
  DeleteSolutionCommand,
  DescribeCampaignCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
  ListCampaignsCommand,
  ResourceInUseException,
  UpdateCampaignCommand,
} from '@aws-sdk/client-personalize';
import { PutEventsCommand } from '@aws-sdk/client-personalize-events';
import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
  InvalidInputException,
  ResourceNotFoundException,
} from '@aws-sdk/client-personalize-runtime';
import { startTestRuntime, type TestRuntime } from './harness';
import { groupWithInteractions, RECIPE, trainedVersion } from './workflow';

let t: TestRuntime;
const CATALOG = 40;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
});
afterAll(() => t?.stop());

const item = (k: number) => `i${((k % CATALOG) + CATALOG) % CATALOG}`;
/** Three consecutive steps of the cycle ending at item k. */
const walk = (k: number) => [item(k - 2), item(k - 1), item(k)];

/** `users` users, `steps` interactions each, walking the cycle from different starting points. */
function cycleCsv(users: number, steps: number): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  let time = 1_700_000_000;
  for (let u = 0; u < users; u++) {
    for (let s = 0; s < steps; s++) lines.push(`u${u},${item(u * 7 + s)},${time++},click`);
  }
  return `${lines.join('\n')}\n`;
}

async function groupWithData(name: string, csv: string): Promise<{ group: string; trackingId: string }> {
  const group = await groupWithInteractions(t, name, csv);
  const { trackingId } = await t.personalize.send(
    new CreateEventTrackerCommand({ name: `${name}-tracker`, datasetGroupArn: group }),
  );
  return { group, trackingId: trackingId as string };
}

let clock = 1_800_000_000;
async function clicks(
  trackingId: string,
  userId: string,
  itemIds: string[],
  extra: object = {},
): Promise<void> {
  await t.events.send(
    new PutEventsCommand({
      trackingId,
      userId,
      sessionId: `s-${userId}`,
      eventList: itemIds.map((itemId) => ({
        eventType: 'click',
        itemId,
        sentAt: new Date(clock++ * 1000),
        ...extra,
      })),
    }),
  );
}

describe('the seed workflow through the SDK', () => {
  it('imports, trains, deploys, recommends, reacts to PutEvents, and moves to an UPDATE version', async () => {
    const { group, trackingId } = await groupWithData('serve', cycleCsv(60, 20));
    const p = t.personalize;
    const { solutionArn } = await p.send(
      new CreateSolutionCommand({
        name: 'serve-solution',
        datasetGroupArn: group,
        recipeArn: RECIPE,
        performAutoTraining: false,
        solutionConfig: { algorithmHyperParameters: { hidden_dimension: '32' } },
      }),
    );
    const full = await trainedVersion(t, solutionArn as string, 'FULL');
    const { metrics } = await p.send(new GetSolutionMetricsCommand({ solutionVersionArn: full }));
    expect(Object.keys(metrics ?? {})).toEqual(expect.arrayContaining(['coverage', 'precision_at_25']));

    const { campaignArn } = await p.send(
      new CreateCampaignCommand({
        name: 'serve-campaign',
        solutionVersionArn: full,
        campaignConfig: {
          itemExplorationConfig: { explorationWeight: '0.5', explorationItemAgeCutOff: '10' },
        },
      }),
    );
    const { campaign } = await p.send(new DescribeCampaignCommand({ campaignArn }));
    expect(campaign).toMatchObject({
      status: 'ACTIVE',
      solutionVersionArn: full,
      minProvisionedTPS: 1,
      campaignConfig: { itemExplorationConfig: { explorationWeight: '0.5', explorationItemAgeCutOff: '10' } },
    });

    const r = t.personalizeRuntime;
    await clicks(trackingId, 'viewer', walk(10));
    const first = await r.send(
      new GetRecommendationsCommand({ campaignArn, userId: 'viewer', numResults: 10 }),
    );
    expect(first.itemList).toHaveLength(10);
    expect(first.itemList?.[0]?.itemId).toBe(item(11));
    expect(first.recommendationId).toMatch(/^RID-/);

    // The user clicks a shown item far from the cycle position, reporting the impression and the recommendationId.
    const shown = (first.itemList ?? []).map((i) => i.itemId as string);
    await clicks(trackingId, 'viewer', walk(30), {
      impression: shown,
      recommendationId: first.recommendationId,
    });
    const after = await r.send(
      new GetRecommendationsCommand({ campaignArn, userId: 'viewer', numResults: 10 }),
    );
    expect(after.itemList?.[0]?.itemId).toBe(item(31));
    expect(after.recommendationId).not.toBe(first.recommendationId);

    const ranked = await r.send(
      new GetPersonalizedRankingCommand({
        campaignArn,
        userId: 'viewer',
        inputList: ['unknown', item(5), item(31)],
      }),
    );
    expect(ranked.personalizedRanking?.map((i) => i.itemId)).toEqual([item(31), item(5), 'unknown']);
    expect(ranked.personalizedRanking?.[2]?.score).toBeUndefined();

    const update = await trainedVersion(t, solutionArn as string, 'UPDATE');
    await p.send(new UpdateCampaignCommand({ campaignArn, solutionVersionArn: update }));
    const updated = (await p.send(new DescribeCampaignCommand({ campaignArn }))).campaign;
    expect(updated).toMatchObject({
      solutionVersionArn: update,
      latestCampaignUpdate: { solutionVersionArn: update, status: 'ACTIVE' },
    });
    const served = await r.send(
      new GetRecommendationsCommand({ campaignArn, userId: 'viewer', numResults: 10 }),
    );
    expect(served.itemList?.[0]?.itemId).toBe(item(31));

    const listed = await p.send(new ListCampaignsCommand({ solutionArn }));
    expect(listed.campaigns?.map((c) => c.campaignArn)).toEqual([campaignArn]);

    // Failure paths on the same deployment.
    await expect(p.send(new DeleteSolutionCommand({ solutionArn }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    await expect(
      r.send(new GetRecommendationsCommand({ campaignArn, userId: 'viewer', numResults: 501 })),
    ).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      r.send(new GetRecommendationsCommand({ campaignArn: `${campaignArn}-missing`, userId: 'viewer' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(r.send(new GetRecommendationsCommand({ userId: 'viewer' }))).rejects.toBeInstanceOf(
      InvalidInputException,
    );
    await p.send(new DeleteCampaignCommand({ campaignArn }));
    await expect(
      r.send(new GetRecommendationsCommand({ campaignArn, userId: 'viewer' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await p.send(new DeleteSolutionCommand({ solutionArn }));
  });

  it('refuses a campaign on a version that did not become ACTIVE', async () => {
    const { group } = await groupWithData('too-small', cycleCsv(10, 100));
    const { solutionArn } = await t.personalize.send(
      new CreateSolutionCommand({ name: 'too-small-solution', datasetGroupArn: group, recipeArn: RECIPE }),
    );
    const { solutionVersionArn } = await t.personalize.send(
      new CreateSolutionVersionCommand({ solutionArn }),
    );
    await t.idle();
    const { solutionVersion } = await t.personalize.send(
      new DescribeSolutionVersionCommand({ solutionVersionArn }),
    );
    expect(solutionVersion?.status).toBe('CREATE FAILED');
    await expect(
      t.personalize.send(new CreateCampaignCommand({ name: 'too-small-campaign', solutionVersionArn })),
    ).rejects.toBeInstanceOf(ResourceInUseException);
  });
});
