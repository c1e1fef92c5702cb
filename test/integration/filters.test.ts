/**
 * Filters and promotions through the official SDK clients against the local runtime: CreateFilter, DescribeFilter,
 * ListFilters and DeleteFilter with their errors; `filterArn` + `filterValues` on GetRecommendations and
 * GetPersonalizedRanking, seeing PutEvents and PutItems at once; promotions.
 *
 * The data set is the serving tests' cycle (item i<k> is always followed by i<k+1>) with an Items dataset whose
 * GENRE is Comedy, Drama or Horror by k mod 3 and whose PRICE is k, so each filter's right answer is known.
 */
import {
  CreateCampaignCommand,
  CreateDatasetGroupCommand,
  CreateEventTrackerCommand,
  CreateFilterCommand,
  DeleteDatasetGroupCommand,
  DeleteFilterCommand,
  DescribeFilterCommand,
  ListFiltersCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-personalize';
import { PutEventsCommand, PutItemsCommand } from '@aws-sdk/client-personalize-events';
import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
  type GetRecommendationsCommandInput,
  type PredictedItem,
} from '@aws-sdk/client-personalize-runtime';
import { promotionPositions } from '../../lambdas/services/promotions';
import { seedOf } from '../../lambdas/services/serving';
import { startTestRuntime, type TestRuntime } from './harness';
import {
  createDataset,
  groupWithInteractions,
  importAndWait,
  smallSolution,
  trainedVersion,
} from './workflow';

let t: TestRuntime;
const CATALOG = 40;
const GENRES = ['Comedy', 'Drama', 'Horror'];

const item = (k: number) => `i${((k % CATALOG) + CATALOG) % CATALOG}`;
const k = (id: string) => Number(id.slice(1));
const genreOf = (id: string) => GENRES[k(id) % 3] as string;

function cycleCsv(users: number, steps: number): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  let time = 1_700_000_000;
  for (let u = 0; u < users; u++) {
    for (let s = 0; s < steps; s++) lines.push(`u${u},${item(u * 7 + s)},${time++},click`);
  }
  return `${lines.join('\n')}\n`;
}

function itemsCsv(): string {
  const lines = ['ITEM_ID,GENRE,PRICE'];
  for (let i = 0; i < CATALOG; i++) lines.push(`${item(i)},${genreOf(item(i))},${i}`);
  return `${lines.join('\n')}\n`;
}

interface Setup {
  readonly group: string;
  readonly items: string;
  readonly trackingId: string;
  /** No exploration: plain ranking. */
  readonly plain: string;
  /** With exploration. */
  readonly exploring: string;
}

let s: Setup;
let clock = 1_800_000_000;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
  const group = await groupWithInteractions(t, 'filters', cycleCsv(60, 20));
  const items = await createDataset(t, {
    datasetGroupArn: group,
    datasetType: 'Items',
    fields: [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'GENRE', type: ['null', 'string'], categorical: true },
      { name: 'PRICE', type: ['null', 'float'] },
      { name: 'BLURB', type: ['null', 'string'], textual: true },
    ],
    schemaName: 'filters-items',
  });
  const job = await importAndWait(t, {
    datasetArn: items,
    jobName: 'filters-items',
    key: 'filters/items.csv',
    csv: itemsCsv(),
  });
  expect(job.status).toBe('ACTIVE');
  const { trackingId } = await t.personalize.send(
    new CreateEventTrackerCommand({ name: 'filters-tracker', datasetGroupArn: group }),
  );
  const solutionArn = await smallSolution(t, 'filters-solution', group, { performAutoTraining: false });
  const version = await trainedVersion(t, solutionArn, 'FULL');
  const campaign = async (name: string, explorationWeight: string) =>
    (
      await t.personalize.send(
        new CreateCampaignCommand({
          name,
          solutionVersionArn: version,
          campaignConfig: {
            itemExplorationConfig: { explorationWeight, explorationItemAgeCutOff: '100000' },
          },
        }),
      )
    ).campaignArn as string;
  s = {
    group,
    items,
    trackingId: trackingId as string,
    plain: await campaign('filters-plain', '0'),
    exploring: await campaign('filters-exploring', '0.9'),
  };
}, 300_000);
afterAll(() => t?.stop());

async function filter(name: string, filterExpression: string): Promise<string> {
  const { filterArn } = await t.personalize.send(
    new CreateFilterCommand({ name, datasetGroupArn: s.group, filterExpression }),
  );
  return filterArn as string;
}

async function recommend(
  input: Omit<GetRecommendationsCommandInput, 'campaignArn'> & { campaignArn?: string },
) {
  const out = await t.personalizeRuntime.send(
    new GetRecommendationsCommand({ campaignArn: s.plain, ...input }),
  );
  return out.itemList ?? [];
}

const ids = (list: readonly PredictedItem[]) => list.map((i) => i.itemId as string);

async function clicks(userId: string, itemIds: string[], eventType = 'click'): Promise<void> {
  await t.events.send(
    new PutEventsCommand({
      trackingId: s.trackingId,
      userId,
      sessionId: `s-${userId}`,
      eventList: itemIds.map((itemId) => ({ eventType, itemId, sentAt: new Date(clock++ * 1000) })),
    }),
  );
}

describe('filter resources', () => {
  it('creates, describes, lists, tags and deletes filters', async () => {
    const p = t.personalize;
    const { filterArn } = await p.send(
      new CreateFilterCommand({
        name: 'crud',
        datasetGroupArn: s.group,
        filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")',
        tags: [{ tagKey: 'team', tagValue: 'growth' }],
      }),
    );
    expect(filterArn).toMatch(/:filter\/crud$/);
    const { filter: described } = await p.send(new DescribeFilterCommand({ filterArn }));
    expect(described).toMatchObject({
      name: 'crud',
      filterArn,
      datasetGroupArn: s.group,
      filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")',
      status: 'ACTIVE',
    });
    expect(described?.creationDateTime).toBeInstanceOf(Date);
    const listed = await p.send(new ListFiltersCommand({ datasetGroupArn: s.group }));
    expect(listed.Filters?.map((f) => f.filterArn)).toContain(filterArn);
    expect(listed.Filters?.find((f) => f.filterArn === filterArn)).not.toHaveProperty('filterExpression');
    expect((await p.send(new ListTagsForResourceCommand({ resourceArn: filterArn }))).tags).toEqual([
      { tagKey: 'team', tagValue: 'growth' },
    ]);
    await expect(
      p.send(
        new CreateFilterCommand({
          name: 'crud',
          datasetGroupArn: s.group,
          filterExpression: 'EXCLUDE ItemID WHERE Items.PRICE > 3',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceAlreadyExistsException' });
    await expect(p.send(new DeleteDatasetGroupCommand({ datasetGroupArn: s.group }))).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });

    await p.send(new DeleteFilterCommand({ filterArn }));
    await expect(p.send(new DescribeFilterCommand({ filterArn }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(recommend({ userId: 'u1', filterArn })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(p.send(new DeleteFilterCommand({ filterArn }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses bad expressions, saying where, and unknown groups', async () => {
    const create = (filterExpression: string, datasetGroupArn = s.group) =>
      t.personalize.send(new CreateFilterCommand({ name: 'bad', datasetGroupArn, filterExpression }));
    await expect(create('INCLUDE ItemID WHERE Items.GENRE IN "Comedy"')).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/at position 37/),
    });
    await expect(create('INCLUDE ItemID WHERE Items.COLOUR IN ("red")')).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/no field COLOUR/),
    });
    await expect(create('INCLUDE ItemID WHERE Items.BLURB IN ("x")')).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/textual/),
    });
    await expect(create('INCLUDE ItemID WHERE Users.AGE > 3')).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/needs a Users dataset/),
    });
    await expect(create('EXCLUDE ItemID WHERE Items.PRICE > 3', `${s.group}-missing`)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('holds at most 100 filters per dataset group', async () => {
    const { datasetGroupArn } = await t.personalize.send(
      new CreateDatasetGroupCommand({ name: 'many-filters' }),
    );
    await createDataset(t, {
      datasetGroupArn: datasetGroupArn as string,
      datasetType: 'Items',
      fields: [
        { name: 'ITEM_ID', type: 'string' },
        { name: 'PRICE', type: 'float' },
      ],
      schemaName: 'many-filters-items',
    });
    for (let i = 0; i < 100; i++) {
      await t.personalize.send(
        new CreateFilterCommand({
          name: `f${i}`,
          datasetGroupArn,
          filterExpression: `EXCLUDE ItemID WHERE Items.PRICE > ${i}`,
        }),
      );
    }
    const over = new CreateFilterCommand({
      name: 'f100',
      datasetGroupArn,
      filterExpression: 'EXCLUDE ItemID WHERE Items.PRICE > 100',
    });
    await expect(t.personalize.send(over)).rejects.toMatchObject({ name: 'LimitExceededException' });
    const first = (await t.personalize.send(new ListFiltersCommand({ datasetGroupArn, maxResults: 1 })))
      .Filters?.[0];
    await t.personalize.send(new DeleteFilterCommand({ filterArn: first?.filterArn }));
    await expect(t.personalize.send(over)).resolves.toMatchObject({
      filterArn: expect.stringMatching(/f100$/),
    });
  });
});

describe('filtered recommendations', () => {
  it("excludes the user's imported and recorded interactions at once, returning fewer items when few pass", async () => {
    const seen = await filter('seen', 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")');
    // u0 imported 20 distinct items of the 40.
    const imported = new Set(Array.from({ length: 20 }, (_, s) => item(s)));
    const list = ids(await recommend({ userId: 'u0', filterArn: seen, numResults: 40 }));
    expect(list).toHaveLength(20);
    expect(list.filter((i) => imported.has(i))).toEqual([]);

    await clicks('viewer', [item(8), item(9), item(10)]);
    const before = ids(await recommend({ userId: 'viewer', filterArn: seen, numResults: 40 }));
    expect(before).toHaveLength(37);
    expect(before.filter((i) => [8, 9, 10].includes(k(i)))).toEqual([]);
    expect(before[0]).toBe(item(11));
    await clicks('viewer', [item(11)], 'Purchase');
    const after = ids(await recommend({ userId: 'viewer', filterArn: seen, numResults: 40 }));
    expect(after).toHaveLength(36);
    expect(after).not.toContain(item(11));
    // Without the filter the model still ranks the next item first.
    expect(ids(await recommend({ userId: 'viewer', numResults: 3 }))[0]).toBe(item(12));

    const purchases = await filter(
      'purchased',
      'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
    );
    const p = ids(await recommend({ userId: 'viewer', filterArn: purchases, numResults: 40 }));
    expect(p).toHaveLength(39);
    expect(p).not.toContain(item(11));
    expect(p).toContain(item(10));

    const explored = ids(
      await recommend({ campaignArn: s.exploring, userId: 'viewer', filterArn: seen, numResults: 30 }),
    );
    expect(explored.filter((i) => [8, 9, 10, 11].includes(k(i)))).toEqual([]);
  });

  it('keeps a genre given by a parameter and sees PutItems at once', async () => {
    const genre = await filter('genre', 'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)');
    const drama = ids(
      await recommend({ userId: 'u3', filterArn: genre, filterValues: { GENRE: '"Drama"' } }),
    );
    expect(drama.length).toBe(13);
    expect(new Set(drama.map(genreOf))).toEqual(new Set(['Drama']));
    const two = ids(
      await recommend({
        userId: 'u3',
        filterArn: genre,
        filterValues: { GENRE: '"Drama","Horror"' },
        numResults: 40,
      }),
    );
    expect(two).toHaveLength(26);
    await expect(recommend({ userId: 'u3', filterArn: genre })).rejects.toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringMatching(/\$GENRE/),
    });
    await expect(
      recommend({ userId: 'u3', filterArn: genre, filterValues: { GENRE: 'Drama' } }),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });

    // i0 is Comedy; after PutItems it is Drama|Western, and the next request sees it.
    expect(drama).not.toContain(item(0));
    await t.events.send(
      new PutItemsCommand({
        datasetArn: s.items,
        items: [{ itemId: item(0), properties: JSON.stringify({ genre: ['Drama', 'Western'], price: 0 }) }],
      }),
    );
    const now = ids(
      await recommend({ userId: 'u3', filterArn: genre, filterValues: { GENRE: '"Western"' } }),
    );
    expect(now).toEqual([item(0)]);

    const cheap = await filter(
      'cheap',
      'INCLUDE ItemID WHERE Items.PRICE <= $PRICE | EXCLUDE ItemID WHERE Items.GENRE IN ("Horror")',
    );
    const under = ids(
      await recommend({ userId: 'u3', filterArn: cheap, filterValues: { PRICE: '10' }, numResults: 40 }),
    );
    expect(under.sort()).toEqual(
      Array.from({ length: 11 }, (_, i) => item(i))
        .filter((i) => genreOf(i) !== 'Horror')
        .sort(),
    );
  });

  it('filters GetPersonalizedRanking', async () => {
    const genre = await filter('rank-genre', 'EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)');
    const out = await t.personalizeRuntime.send(
      new GetPersonalizedRankingCommand({
        campaignArn: s.plain,
        userId: 'u1',
        inputList: [item(1), item(2), item(3), item(4), 'unknown'],
        filterArn: genre,
        filterValues: { GENRE: '"Drama"' },
      }),
    );
    expect(ids(out.personalizedRanking ?? []).sort()).toEqual([item(2), item(3), 'unknown'].sort());
    // An EXCLUDE filter without its parameter removes nothing.
    const all = await t.personalizeRuntime.send(
      new GetPersonalizedRankingCommand({
        campaignArn: s.plain,
        userId: 'u1',
        inputList: [item(1), item(2)],
        filterArn: genre,
      }),
    );
    expect(all.personalizedRanking).toHaveLength(2);
  });
});

describe('promotions', () => {
  it('promotes a share of the slots from its own filter, marked with promotionName', async () => {
    const horror = await filter('promo-horror', 'INCLUDE ItemID WHERE Items.GENRE IN ("Horror")');
    const noHorror = await filter('no-horror', 'EXCLUDE ItemID WHERE Items.GENRE IN ("Horror")');
    const list = await recommend({
      userId: 'u5',
      numResults: 10,
      filterArn: noHorror,
      promotions: [{ name: 'spooky', percentPromotedItems: 30, filterArn: horror }],
    });
    expect(list).toHaveLength(10);
    const promoted = list.filter((i) => i.promotionName === 'spooky');
    expect(promoted).toHaveLength(3);
    expect(promoted.every((i) => genreOf(i.itemId as string) === 'Horror')).toBe(true);
    expect(
      list
        .filter((i) => i.promotionName === undefined)
        .every((i) => genreOf(i.itemId as string) !== 'Horror'),
    ).toBe(true);
    // Promoted items keep their relevance order.
    const scores = promoted.map((i) => i.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // Positions vary between responses and follow from the recommendationId alone.
    const positions = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const again = await t.personalizeRuntime.send(
        new GetRecommendationsCommand({
          campaignArn: s.plain,
          userId: 'u5',
          numResults: 10,
          filterArn: noHorror,
          promotions: [{ name: 'spooky', percentPromotedItems: 30, filterArn: horror }],
        }),
      );
      const at = (again.itemList ?? []).map((x, j) => (x.promotionName ? j : -1)).filter((j) => j >= 0);
      expect(at).toEqual(promotionPositions(seedOf(again.recommendationId as string), 10, 3));
      positions.add(at.join());
    }
    expect(positions.size).toBeGreaterThan(1);
    // Too few matching items: as many as match are promoted, and the rest of the list is filled.
    const one = await filter('promo-one', 'INCLUDE ItemID WHERE Items.PRICE = 2');
    const few = await recommend({
      userId: 'u5',
      numResults: 10,
      promotions: [{ name: 'only', percentPromotedItems: 50, filterArn: one }],
    });
    expect(few).toHaveLength(10);
    expect(few.filter((i) => i.promotionName === 'only').map((i) => i.itemId)).toEqual([item(2)]);
    expect(new Set(ids(few)).size).toBe(10);
    await expect(
      recommend({ userId: 'u5', promotions: [{ name: 'x', percentPromotedItems: 10 }] }),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });
  });
});
