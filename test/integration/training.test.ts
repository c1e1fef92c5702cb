/**
 * Training through the official SDK client against the local runtime, where CreateSolutionVersion starts the
 * training state machine on the local Step Functions runner: a version trains to ACTIVE with metrics; too little
 * data ends CREATE FAILED with the documented reason; a stopped version ends CREATE STOPPED; the operations that
 * need another state are refused; hyperparameter strings are validated; an Interactions dataset's categorical
 * column is learned as context and a request's `context` uses it.
 */
import {
  CreateCampaignCommand,
  CreateDatasetGroupCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DeleteDatasetGroupCommand,
  DeleteSolutionCommand,
  DescribeAlgorithmCommand,
  DescribeRecipeCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
  InvalidInputException,
  ListRecipesCommand,
  ListSolutionVersionsCommand,
  ResourceInUseException,
  StopSolutionVersionCreationCommand,
} from '@aws-sdk/client-personalize';
import { GetRecommendationsCommand } from '@aws-sdk/client-personalize-runtime';
import { Random } from '../../lambdas/engine/random';
import { startTestRuntime, type TestRuntime } from './harness';
import {
  chainInteractionsCsv,
  createDataset,
  groupWithInteractions,
  INTERACTION_FIELDS,
  importAndWait,
  RECIPE,
  smallSolution,
  trainedVersion,
} from './workflow';

let t: TestRuntime;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
});
afterAll(() => t?.stop());

const solution = (name: string, datasetGroupArn: string): Promise<string> =>
  smallSolution(t, name, datasetGroupArn);

const describe_ = async (solutionVersionArn: string) =>
  (await t.personalize.send(new DescribeSolutionVersionCommand({ solutionVersionArn }))).solutionVersion;

let group: string;
beforeAll(async () => {
  // 120 users × 25 = 3,000 interactions.
  group = await groupWithInteractions(t, 'training', chainInteractionsCsv(120, 25));
});

it('serves the recipe catalog', async () => {
  const { recipes } = await t.personalize.send(new ListRecipesCommand({ recipeProvider: 'SERVICE' }));
  expect(recipes?.map((r) => r.recipeArn)).toContain(RECIPE);
  const { recipe } = await t.personalize.send(new DescribeRecipeCommand({ recipeArn: RECIPE }));
  const { algorithm } = await t.personalize.send(
    new DescribeAlgorithmCommand({ algorithmArn: recipe?.algorithmArn }),
  );
  expect(algorithm?.defaultHyperParameters?.hidden_dimension).toBe('149');
});

it('trains a FULL version to ACTIVE on the workflow and reports its metrics', async () => {
  const solutionArn = await solution('full', group);
  const p = t.personalize;
  await expect(
    p.send(new CreateSolutionVersionCommand({ solutionArn, trainingMode: 'UPDATE' })),
  ).rejects.toThrow(InvalidInputException);
  const { solutionVersionArn } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
  expect((await describe_(solutionVersionArn as string))?.status).toMatch(
    /^(CREATE PENDING|CREATE IN_PROGRESS)$/,
  );
  await expect(p.send(new GetSolutionMetricsCommand({ solutionVersionArn }))).rejects.toThrow(
    ResourceInUseException,
  );
  await expect(p.send(new DeleteSolutionCommand({ solutionArn }))).rejects.toThrow(ResourceInUseException);
  await t.idle();

  const version = await describe_(solutionVersionArn as string);
  expect(version).toMatchObject({ status: 'ACTIVE', trainingMode: 'FULL', trainingType: 'MANUAL' });
  expect(version?.trainingHours).toBeGreaterThan(0);
  expect(version?.failureReason).toBeUndefined();
  const { metrics } = await p.send(new GetSolutionMetricsCommand({ solutionVersionArn }));
  expect(Object.keys(metrics ?? {})).toEqual(
    expect.arrayContaining([
      'coverage',
      'mean_reciprocal_rank_at_25',
      'normalized_discounted_cumulative_gain_at_5',
      'normalized_discounted_cumulative_gain_at_10',
      'normalized_discounted_cumulative_gain_at_25',
      'precision_at_5',
      'precision_at_10',
      'precision_at_25',
    ]),
  );
  const { solution: described } = await p.send(new DescribeSolutionCommand({ solutionArn }));
  expect(described?.latestSolutionVersion).toMatchObject({ solutionVersionArn, status: 'ACTIVE' });

  // With an ACTIVE FULL version, UPDATE is accepted.
  const update = await p.send(new CreateSolutionVersionCommand({ solutionArn, trainingMode: 'UPDATE' }));
  await t.idle();
  expect((await describe_(update.solutionVersionArn as string))?.status).toBe('ACTIVE');
  const { solutionVersions } = await p.send(new ListSolutionVersionsCommand({ solutionArn }));
  expect(solutionVersions?.map((v) => v.trainingMode)).toEqual(['UPDATE', 'FULL']);
});

it('stops a version: CREATE STOPPED, and stopping again is refused', async () => {
  const solutionArn = await solution('stopped', group);
  const p = t.personalize;
  const { solutionVersionArn } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
  await p.send(new StopSolutionVersionCreationCommand({ solutionVersionArn }));
  await t.idle();
  expect((await describe_(solutionVersionArn as string))?.status).toBe('CREATE STOPPED');
  await expect(p.send(new StopSolutionVersionCreationCommand({ solutionVersionArn }))).rejects.toThrow(
    ResourceInUseException,
  );
  await expect(p.send(new GetSolutionMetricsCommand({ solutionVersionArn }))).rejects.toThrow(
    ResourceInUseException,
  );
  await p.send(new DeleteSolutionCommand({ solutionArn }));
});

it('fails a version on too little data with the documented reason', async () => {
  // 20 users × 60 = 1,200 interactions, but only 20 users with 2 or more.
  const small = await groupWithInteractions(t, 'too-few-users', chainInteractionsCsv(20, 60));
  const solutionArn = await solution('too-few-users', small);
  const { solutionVersionArn } = await t.personalize.send(new CreateSolutionVersionCommand({ solutionArn }));
  await t.idle();
  expect(await describe_(solutionVersionArn as string)).toMatchObject({
    status: 'CREATE FAILED',
    failureReason: 'Create failed. Dataset has fewer than 25 users with at least 2 interactions each.',
  });
  // The group cannot go while its solution exists; the failed version does not keep the solution.
  await expect(t.personalize.send(new DeleteDatasetGroupCommand({ datasetGroupArn: small }))).rejects.toThrow(
    ResourceInUseException,
  );
  await t.personalize.send(new DeleteSolutionCommand({ solutionArn }));
});

it('validates hyperparameter strings, naming the key and its range', async () => {
  const err = await t.personalize
    .send(
      new CreateSolutionCommand({
        name: 'bad-bptt',
        datasetGroupArn: group,
        recipeArn: RECIPE,
        solutionConfig: { algorithmHyperParameters: { bptt: '64' } },
      }),
    )
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidInputException);
  expect((err as Error).message).toMatch(/bptt must be an integer in \[2, 32\], got 64/);
});

it("learns a categorical Interactions column as context: tunedHPOParams reports it and a request's context leads", async () => {
  // 600 users of 2–6 events: half from 40 common items, half from the pool the event's DEVICE names (tv → a, phone → b).
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,DEVICE'];
  let time = 1_700_000_000;
  const r = new Random(7);
  for (let u = 0; u < 600; u++) {
    for (let e = 2 + r.nextInt(5); e > 0; e--) {
      const tv = r.nextInt(2) === 0;
      const item = r.nextInt(2) === 0 ? `c${r.nextInt(40)}` : `${tv ? 'a' : 'b'}${r.nextInt(20)}`;
      lines.push(`u${u},${item},${time++},click,${tv ? 'tv' : 'phone'}`);
    }
  }
  const p = t.personalize;
  const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: 'context' }));
  const datasetArn = await createDataset(t, {
    datasetGroupArn: datasetGroupArn as string,
    datasetType: 'Interactions',
    fields: [...INTERACTION_FIELDS, { name: 'DEVICE', type: ['null', 'string'], categorical: true }],
    schemaName: 'context-interactions',
  });
  const job = await importAndWait(t, {
    datasetArn,
    jobName: 'context-import',
    key: 'context/interactions.csv',
    csv: `${lines.join('\n')}\n`,
  });
  expect(job.status).toBe('ACTIVE');
  const solutionVersionArn = await trainedVersion(t, await solution('context', datasetGroupArn as string));
  const tuned = (await describe_(solutionVersionArn))?.tunedHPOParams?.algorithmHyperParameters;
  expect(Number(tuned?.context_weight)).toBeGreaterThan(0);
  const { campaignArn } = await p.send(new CreateCampaignCommand({ name: 'context', solutionVersionArn }));
  // A new user's top 10: mostly from the pool of the request's device.
  const pools = async (context?: Record<string, string>) => {
    const { itemList } = await t.personalizeRuntime.send(
      new GetRecommendationsCommand({
        campaignArn,
        userId: 'newcomer',
        numResults: 10,
        ...(context ? { context } : {}),
      }),
    );
    const ids = (itemList ?? []).map((i) => i.itemId as string);
    return {
      a: ids.filter((id) => id.startsWith('a')).length,
      b: ids.filter((id) => id.startsWith('b')).length,
    };
  };
  const tv = await pools({ DEVICE: 'tv' });
  const phone = await pools({ DEVICE: 'phone' });
  expect(tv.a).toBeGreaterThan(tv.b);
  expect(phone.b).toBeGreaterThan(phone.a);
  expect(tv.b).toBe(0);
  expect(phone.a).toBe(0);
}, 120_000);
