import type { Model } from '../../../lambdas/engine';
import { decodeHistoryTails } from '../../../lambdas/engine/history-tails';
import { MAX_HISTORY } from '../../../lambdas/engine/history-weights';
import { decodeSnapshot } from '../../../lambdas/engine/snapshot';
import { PersonalizeError } from '../../../lambdas/errors';
import { createDatasetImportJob, runDatasetImportJob } from '../../../lambdas/services/dataset-import-jobs';
import { describeAlgorithm, describeRecipe, listRecipes } from '../../../lambdas/services/recipes';
import {
  createSolutionVersion,
  describeSolutionVersion,
  getSolutionMetrics,
  listSolutionVersions,
  MAX_TRAINING_VERSIONS,
  type StartTraining,
  stopSolutionVersionCreation,
} from '../../../lambdas/services/solution-versions';
import {
  createSolution,
  deleteSolution,
  describeSolution,
  listSolutions,
  MAX_ACTIVE_SOLUTIONS_PER_GROUP,
  updateSolution,
} from '../../../lambdas/services/solutions';
import {
  evaluateVersion,
  failureReasonOf,
  failVersion,
  loadModel,
  planTraining,
  prepareTraining,
  publishVersion,
  reduceShards,
  SHARD_CONCURRENCY,
  trainVersion,
} from '../../../lambdas/services/training';
import {
  getArtifact,
  historyTailsKey,
  snapshotKey,
  trainingPlanKey,
  trainingWorkPrefix,
} from '../../../lambdas/store/artifacts';
import { type DataEnv, interactionsCsv, ROLE_ARN, startDataEnv } from './data-env';

const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';

let env: DataEnv;
beforeAll(async () => {
  env = await startDataEnv();
});
afterAll(async () => {
  await env.close();
});

/** Records the executions a CreateSolutionVersion would start, without Step Functions. */
function recorder(): { start: StartTraining; started: string[] } {
  const started: string[] = [];
  return {
    started,
    start: async (_ctx, arn, name) => {
      started.push(arn);
      return `arn:aws:states:us-east-1:000000000000:execution:training:${name}`;
    },
  };
}

async function expectError(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PersonalizeError);
  expect((err as PersonalizeError).errorName).toBe(name);
  if (message !== undefined) expect((err as Error).message).toMatch(message);
}

/** A group with `csv` imported into its Interactions dataset. */
async function groupWithData(name: string, csv: string): Promise<string> {
  const g = await env.group(name);
  const { datasetImportJobArn } = await createDatasetImportJob(
    env.ctx,
    {
      jobName: `${name}-import`,
      datasetArn: g.interactions,
      dataSource: { dataLocation: await env.upload(`${name}.csv`, csv) },
      roleArn: ROLE_ARN,
    },
    async () => undefined,
  );
  await runDatasetImportJob(env.ctx, datasetImportJobArn as string);
  return g.group;
}

/** Describes a version as if its execution were still running (these tests start no real executions). */
const status = async (arn: string) =>
  (await describeSolutionVersion(env.ctx, { solutionVersionArn: arn }, async () => true)).solutionVersion;

let trainedGroup: string;
beforeAll(async () => {
  trainedGroup = await groupWithData('trained', interactionsCsv(1500));
});

describe('recipes', () => {
  it('lists both User-Personalization recipes, pages them and describes recipe and algorithm', async () => {
    const all = await listRecipes({});
    expect(all.recipes?.map((r) => r.name)).toEqual([
      'aws-user-personalization',
      'aws-user-personalization-v2',
    ]);
    const first = await listRecipes({ maxResults: 1 });
    expect(first.recipes).toHaveLength(1);
    const second = await listRecipes({ maxResults: 1, nextToken: first.nextToken });
    expect(second.recipes?.[0]?.name).toBe('aws-user-personalization-v2');
    expect(second.nextToken).toBeUndefined();
    expect((await listRecipes({ domain: 'ECOMMERCE' })).recipes).toEqual([]);
    await expectError(listRecipes({ nextToken: 'bogus' }), 'InvalidNextTokenException');

    const { recipe } = await describeRecipe({ recipeArn: RECIPE });
    expect(recipe).toMatchObject({ recipeType: 'USER_PERSONALIZATION', status: 'ACTIVE' });
    const { algorithm } = await describeAlgorithm({ algorithmArn: recipe?.algorithmArn });
    expect(algorithm?.defaultHyperParameters).toEqual({
      hidden_dimension: '149',
      bptt: '32',
      recency_mask: 'true',
    });
    expect(algorithm?.defaultHyperParameterRanges?.integerHyperParameterRanges).toContainEqual({
      name: 'bptt',
      minValue: 2,
      maxValue: 32,
      isTunable: true,
    });
    await expectError(describeRecipe({ recipeArn: `${RECIPE}-x` }), 'ResourceNotFoundException');
  });
});

describe('CreateSolution', () => {
  it('stores an ACTIVE solution with automatic training on by default', async () => {
    const { solutionArn } = await createSolution(env.ctx, {
      name: 'defaults',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
      solutionConfig: { algorithmHyperParameters: { hidden_dimension: '64' }, eventValueThreshold: '1.5' },
    });
    expect(solutionArn).toBe('arn:aws:personalize:us-east-1:000000000000:solution/defaults');
    const { solution } = await describeSolution(env.ctx, { solutionArn });
    expect(solution).toMatchObject({
      status: 'ACTIVE',
      performAutoTraining: true,
      performHPO: false,
      recipeArn: RECIPE,
      datasetGroupArn: trainedGroup,
    });
    expect(solution?.latestSolutionVersion).toBeUndefined();
    const listed = await listSolutions(env.ctx, { datasetGroupArn: trainedGroup });
    expect(listed.solutions?.map((s) => s.solutionArn)).toContain(solutionArn);
  });

  it.each([
    [{ recipeArn: 'arn:aws:personalize:::recipe/aws-similar-items' }, /not supported/],
    [{ recipeArn: 'arn:aws:personalize:::recipe/aws-user-personalization-v2' }, /not supported/],
    [
      {
        recipeArn: RECIPE,
        performHPO: true,
        solutionConfig: { hpoConfig: { hpoResourceConfig: { maxNumberOfTrainingJobs: '41' } } },
      },
      /maxNumberOfTrainingJobs must be an integer from 1 to 40/,
    ],
    [
      {
        recipeArn: RECIPE,
        performHPO: true,
        solutionConfig: {
          hpoConfig: {
            algorithmHyperParameterRanges: {
              integerHyperParameterRanges: [{ name: 'bptt', minValue: 1, maxValue: 8 }],
            },
          },
        },
      },
      /range of bptt must lie within \[2, 32\]/,
    ],
    [
      {
        recipeArn: RECIPE,
        performHPO: true,
        solutionConfig: {
          hpoConfig: {
            algorithmHyperParameterRanges: {
              categoricalHyperParameterRanges: [{ name: 'learning_rate', values: ['0.1'] }],
            },
          },
        },
      },
      /learning_rate is not a categorical hyperparameter/,
    ],
    [
      {
        recipeArn: RECIPE,
        performHPO: true,
        solutionConfig: { hpoConfig: { hpoObjective: { type: 'Maximize' } } },
      },
      /hpoObjective is not supported/,
    ],
    [{ performAutoML: true }, /performAutoML is not supported/],
    [{ recipeArn: RECIPE, solutionConfig: { algorithmHyperParameters: { bptt: '64' } } }, /bptt.*\[2, 32\]/],
    [
      { recipeArn: RECIPE, solutionConfig: { algorithmHyperParameters: { hidden_dimension: 'big' } } },
      /hidden_dimension must be an integer/,
    ],
    [
      {
        recipeArn: RECIPE,
        solutionConfig: { featureTransformationParameters: { max_user_history_length_percentile: '2' } },
      },
      /max_user_history_length_percentile must be in \[0, 1\]/,
    ],
    [{ recipeArn: RECIPE, solutionConfig: { algorithmHyperParameters: { depth: '3' } } }, /Unknown.*depth/],
    [
      { recipeArn: RECIPE, solutionConfig: { eventValueThreshold: 'high' } },
      /eventValueThreshold must be a number/,
    ],
    [
      {
        recipeArn: RECIPE,
        solutionConfig: { autoTrainingConfig: { schedulingExpression: 'rate(31 days)' } },
      },
      /schedulingExpression/,
    ],
    [
      {
        recipeArn: RECIPE,
        solutionConfig: { hpoConfig: { hpoResourceConfig: { maxNumberOfTrainingJobs: '4' } } },
      },
      /hpoConfig requires performHPO/,
    ],
  ])('refuses %j', async (input, message) => {
    await expectError(
      createSolution(env.ctx, { name: 'refused', datasetGroupArn: trainedGroup, ...input }),
      'InvalidInputException',
      message,
    );
  });

  it(`allows ${MAX_ACTIVE_SOLUTIONS_PER_GROUP} active solutions per group`, async () => {
    const g = await env.group('crowded');
    for (let i = 0; i < MAX_ACTIVE_SOLUTIONS_PER_GROUP; i++) {
      await createSolution(env.ctx, { name: `crowded-${i}`, datasetGroupArn: g.group, recipeArn: RECIPE });
    }
    await expectError(
      createSolution(env.ctx, { name: 'crowded-extra', datasetGroupArn: g.group, recipeArn: RECIPE }),
      'LimitExceededException',
    );
    await expectError(
      createSolution(env.ctx, { name: 'crowded-0', datasetGroupArn: trainedGroup, recipeArn: RECIPE }),
      'ResourceAlreadyExistsException',
    );
  });
});

describe('UpdateSolution', () => {
  it('stores the automatic-training settings and an ACTIVE latestSolutionUpdate', async () => {
    const { solutionArn } = await createSolution(env.ctx, {
      name: 'updated',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
    });
    await updateSolution(env.ctx, {
      solutionArn,
      performAutoTraining: false,
      solutionUpdateConfig: { autoTrainingConfig: { schedulingExpression: 'rate(3 days)' } },
    });
    const { solution } = await describeSolution(env.ctx, { solutionArn });
    expect(solution?.performAutoTraining).toBe(false);
    expect(solution?.solutionConfig?.autoTrainingConfig).toEqual({ schedulingExpression: 'rate(3 days)' });
    expect(solution?.latestSolutionUpdate).toMatchObject({ status: 'ACTIVE', performAutoTraining: false });
    await expectError(
      updateSolution(env.ctx, {
        solutionArn,
        solutionUpdateConfig: { autoTrainingConfig: { schedulingExpression: 'rate(1 week)' } },
      }),
      'InvalidInputException',
    );
  });
});

describe('training a version through the workflow steps', () => {
  let solutionArn: string;
  let versionArn: string;

  beforeAll(async () => {
    ({ solutionArn } = (await createSolution(env.ctx, {
      name: 'steps',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
      solutionConfig: { algorithmHyperParameters: { hidden_dimension: '32', bptt: '4' } },
    })) as { solutionArn: string });
  });

  it('refuses UPDATE before a FULL version exists, and AUTOTRAIN', async () => {
    const { start, started } = recorder();
    await expectError(
      createSolutionVersion(env.ctx, { solutionArn, trainingMode: 'UPDATE' }, start),
      'InvalidInputException',
      /FULL/,
    );
    await expectError(
      createSolutionVersion(env.ctx, { solutionArn, trainingMode: 'AUTOTRAIN' }, start),
      'InvalidInputException',
    );
    expect(started).toEqual([]);
  });

  it('creates the version CREATE PENDING and starts one execution named after it', async () => {
    const { start, started } = recorder();
    const out = await createSolutionVersion(env.ctx, { solutionArn, name: 'first' }, start);
    versionArn = out.solutionVersionArn as string;
    expect(versionArn).toMatch(/^arn:aws:personalize:us-east-1:000000000000:solution\/steps\/[0-9a-f]{8}$/);
    expect(started).toEqual([versionArn]);
    expect(await status(versionArn)).toMatchObject({
      status: 'CREATE PENDING',
      trainingMode: 'FULL',
      trainingType: 'MANUAL',
      solutionArn,
      name: 'first',
    });
    await expectError(
      getSolutionMetrics(env.ctx, { solutionVersionArn: versionArn }),
      'ResourceInUseException',
    );
    // A version training blocks UPDATE (its FULL version is not ACTIVE yet) and deleting the solution.
    await expectError(
      createSolutionVersion(env.ctx, { solutionArn, trainingMode: 'UPDATE' }, start),
      'ResourceInUseException',
    );
    await expectError(
      deleteSolution(env.ctx, { solutionArn }),
      'ResourceInUseException',
      /is CREATE PENDING/,
    );
    expect((await describeSolution(env.ctx, { solutionArn })).solution?.status).toBe('ACTIVE');
  });

  it('prepares, trains, evaluates and publishes: ACTIVE with trainingHours, metrics and a loadable model', async () => {
    await prepareTraining(env.ctx, versionArn);
    expect((await status(versionArn))?.status).toBe('CREATE IN_PROGRESS');
    // A retried prepare (its first Lambda call failed after running) carries on.
    await prepareTraining(env.ctx, versionArn);
    expect((await status(versionArn))?.status).toBe('CREATE IN_PROGRESS');
    expect(await env.dataKeys(snapshotKey(versionArn))).toEqual([snapshotKey(versionArn)]);
    // One shard at this size: nothing for the workflow's Map to run, and the train step sums itself.
    const plan = await planTraining(env.ctx, versionArn);
    expect(plan).toEqual({ solutionVersionArn: versionArn, shards: [], concurrency: SHARD_CONCURRENCY });
    await reduceShards(env.ctx, versionArn);
    expect(await env.dataKeys(trainingWorkPrefix(versionArn))).toEqual([trainingPlanKey(versionArn)]);
    await trainVersion(env.ctx, versionArn);
    await evaluateVersion(env.ctx, versionArn);
    await publishVersion(env.ctx, versionArn);
    // Publishing deletes the training's intermediate objects.
    expect(await env.dataKeys(trainingWorkPrefix(versionArn))).toEqual([]);
    // And writes each training user's last MAX_HISTORY items, as the snapshot has them, for serving.
    const read = async (key: string) =>
      (await getArtifact(env.ctx.s3, env.ctx.dataBucket, key)) as Uint8Array;
    const tails = decodeHistoryTails(await read(historyTailsKey(versionArn)));
    const { columns: c } = decodeSnapshot(await read(snapshotKey(versionArn)));
    expect(tails.size).toBe(c.userIds.length);
    for (const [u, userId] of c.userIds.entries()) {
      const to = c.userOffsets[u + 1] as number;
      const from = Math.max(c.userOffsets[u] as number, to - MAX_HISTORY);
      expect(tails.get(userId)?.itemIds).toEqual(
        Array.from(c.item.subarray(from, to), (i) => c.itemIds[i] as string),
      );
      expect(tails.get(userId)?.lastTimestamp).toBe(c.time[to - 1]);
    }
    const version = await status(versionArn);
    expect(version?.status).toBe('ACTIVE');
    expect(version?.trainingHours).toBeGreaterThan(0);
    const { metrics } = await getSolutionMetrics(env.ctx, { solutionVersionArn: versionArn });
    expect(Object.keys(metrics ?? {}).sort()).toEqual([
      'coverage',
      'mean_reciprocal_rank_at_25',
      'normalized_discounted_cumulative_gain_at_10',
      'normalized_discounted_cumulative_gain_at_25',
      'normalized_discounted_cumulative_gain_at_5',
      'precision_at_10',
      'precision_at_25',
      'precision_at_5',
    ]);
    for (const value of Object.values(metrics ?? {})) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    const model: Model = await loadModel(env.ctx, versionArn);
    // interactionsCsv has 200 items; the served model knows all of them.
    expect(model.itemCount).toBe(200);
    expect(model.recommend({ history: ['i1', 'i2'], numResults: 5 })).toHaveLength(5);
    const { solution } = await describeSolution(env.ctx, { solutionArn });
    expect(solution?.latestSolutionVersion).toMatchObject({
      solutionVersionArn: versionArn,
      status: 'ACTIVE',
    });
    const listed = await listSolutionVersions(env.ctx, { solutionArn });
    expect(listed.solutionVersions?.map((v) => v.solutionVersionArn)).toEqual([versionArn]);
  });

  it('creates an UPDATE version once a FULL version is ACTIVE', async () => {
    const { start } = recorder();
    const out = await createSolutionVersion(env.ctx, { solutionArn, trainingMode: 'UPDATE' }, start);
    expect((await status(out.solutionVersionArn as string))?.trainingMode).toBe('UPDATE');
    await stopSolutionVersionCreation(
      env.ctx,
      { solutionVersionArn: out.solutionVersionArn },
      async () => {},
    );
  });

  it('finishes a delete that died midway (the solution left DELETE PENDING)', async () => {
    const { solutionArn: stuck } = await createSolution(env.ctx, {
      name: 'half-deleted',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
    });
    await env.ctx.resources.update(stuck as string, {
      status: 'DELETE PENDING',
      doc: { status: 'DELETE PENDING' },
    });
    await deleteSolution(env.ctx, { solutionArn: stuck });
    await expectError(describeSolution(env.ctx, { solutionArn: stuck }), 'ResourceNotFoundException');
  });

  it('deletes the solution with its versions and their artifacts once nothing trains', async () => {
    await deleteSolution(env.ctx, { solutionArn });
    await expectError(describeSolution(env.ctx, { solutionArn }), 'ResourceNotFoundException');
    await expectError(
      describeSolutionVersion(env.ctx, { solutionVersionArn: versionArn }),
      'ResourceNotFoundException',
    );
    expect(await env.dataKeys('models/steps/')).toEqual([]);
  });
});

describe('stopping', () => {
  let solutionArn: string;
  beforeAll(async () => {
    ({ solutionArn } = (await createSolution(env.ctx, {
      name: 'stops',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
    })) as { solutionArn: string });
  });

  it('stops a pending version at once and its late steps change nothing', async () => {
    const { start } = recorder();
    const arn = (await createSolutionVersion(env.ctx, { solutionArn }, start)).solutionVersionArn as string;
    const stopped: string[] = [];
    await stopSolutionVersionCreation(env.ctx, { solutionVersionArn: arn }, async (_ctx, executionArn) => {
      stopped.push(executionArn);
    });
    expect(stopped).toEqual([
      `arn:aws:states:us-east-1:000000000000:execution:training:stops-${arn.slice(-8)}`,
    ]);
    expect((await status(arn))?.status).toBe('CREATE STOPPED');
    await expect(prepareTraining(env.ctx, arn)).rejects.toThrow(/CREATE STOPPED/);
    await failVersion(env.ctx, arn, { Error: 'TrainingStoppedError', Cause: 'stopped' });
    expect((await status(arn))?.status).toBe('CREATE STOPPED');
    await expectError(
      stopSolutionVersionCreation(env.ctx, { solutionVersionArn: arn }, async () => {}),
      'ResourceInUseException',
      /CREATE STOPPED/,
    );
  });

  it('stops a version in progress through CREATE STOPPING; a step finishing later cannot publish it', async () => {
    const { start } = recorder();
    const arn = (await createSolutionVersion(env.ctx, { solutionArn }, start)).solutionVersionArn as string;
    await prepareTraining(env.ctx, arn);
    const seen: (string | undefined)[] = [];
    await stopSolutionVersionCreation(env.ctx, { solutionVersionArn: arn }, async () => {
      seen.push((await status(arn))?.status);
    });
    expect(seen).toEqual(['CREATE STOPPING']);
    expect((await status(arn))?.status).toBe('CREATE STOPPED');
    await expect(trainVersion(env.ctx, arn)).rejects.toThrow(/CREATE STOPPED/);
    await expect(publishVersion(env.ctx, arn)).rejects.toThrow(/CREATE STOPPED/);
    expect((await status(arn))?.status).toBe('CREATE STOPPED');
    // A stopped version does not block deleting its solution.
    await deleteSolution(env.ctx, { solutionArn });
  });
});

describe('minimum data and failures', () => {
  async function versionFor(name: string, group: string, threshold?: string): Promise<string> {
    const { solutionArn } = await createSolution(env.ctx, {
      name,
      datasetGroupArn: group,
      recipeArn: RECIPE,
      ...(threshold !== undefined ? { solutionConfig: { eventValueThreshold: threshold } } : {}),
    });
    const { start } = recorder();
    return (await createSolutionVersion(env.ctx, { solutionArn }, start)).solutionVersionArn as string;
  }

  /** Runs prepare and, as the workflow's Catch does, hands its error to the failure step in AWS's Cause format. */
  async function prepareOrFail(arn: string): Promise<void> {
    try {
      await prepareTraining(env.ctx, arn);
    } catch (err) {
      const e = err as Error;
      await failVersion(env.ctx, arn, {
        Error: e.name,
        Cause: JSON.stringify({
          errorType: e.name,
          errorMessage: e.message,
          stackTrace: ['at x (y.js:1:1)'],
        }),
      });
    }
  }

  it('fails with fewer than 1000 interactions after the event value threshold', async () => {
    // interactionsCsv's event values cycle 0..4: a threshold of 4 keeps 1500 / 5 = 300.
    const arn = await versionFor('threshold', trainedGroup, '4');
    await prepareOrFail(arn);
    expect(await status(arn)).toMatchObject({
      status: 'CREATE FAILED',
      failureReason:
        'Create failed. Dataset has fewer than 1000 interactions after filtering by event type and event value ' +
        'threshold (found 300).',
    });
  });

  it('trains only on the solution eventType', async () => {
    const { solutionArn } = await createSolution(env.ctx, {
      name: 'purchases',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
      eventType: 'purchase',
    });
    const { start } = recorder();
    const arn = (await createSolutionVersion(env.ctx, { solutionArn }, start)).solutionVersionArn as string;
    expect((await status(arn))?.eventType).toBe('purchase');
    // interactionsCsv has only clicks.
    await prepareOrFail(arn);
    expect((await status(arn))?.failureReason).toMatch(/fewer than 1000 interactions .*\(found 0\)/);
  });

  it('fails with fewer than 25 users having at least 2 interactions', async () => {
    const csv = interactionsCsv(
      1200,
      (line) => `u${line % 20},i${line % 90},${1_700_000_000 + line},click,1`,
    );
    const group = await groupWithData('few-users', csv);
    const arn = await versionFor('few-users', group);
    await prepareOrFail(arn);
    expect((await status(arn))?.failureReason).toBe(
      'Create failed. Dataset has fewer than 25 users with at least 2 interactions each.',
    );
  });
});

describe('an execution that ended without the failure step', () => {
  it('fails a version still training on Describe; running executions and finished versions are left alone', async () => {
    const { solutionArn } = await createSolution(env.ctx, {
      name: 'orphaned',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
    });
    const { start } = recorder();
    const arn = (await createSolutionVersion(env.ctx, { solutionArn }, start)).solutionVersionArn as string;
    const asked: string[] = [];
    const running = async (_ctx: unknown, executionArn: string) => {
      asked.push(executionArn);
      return true as const;
    };
    expect(
      (await describeSolutionVersion(env.ctx, { solutionVersionArn: arn }, running)).solutionVersion?.status,
    ).toBe('CREATE PENDING');
    expect(asked).toHaveLength(1);
    const aborted = async () => 'ABORTED';
    const { solutionVersion } = await describeSolutionVersion(env.ctx, { solutionVersionArn: arn }, aborted);
    expect(solutionVersion).toMatchObject({
      status: 'CREATE FAILED',
      failureReason: 'Create failed. The training workflow ended unexpectedly (execution ABORTED).',
    });
    // Settled versions are not looked up again.
    await describeSolutionVersion(env.ctx, { solutionVersionArn: arn }, running);
    expect(asked).toHaveLength(1);
    await deleteSolution(env.ctx, { solutionArn });
  });
});

describe('quota', () => {
  it(`allows ${MAX_TRAINING_VERSIONS} versions pending or in progress per region`, async () => {
    const { solutionArn } = await createSolution(env.ctx, {
      name: 'busy',
      datasetGroupArn: trainedGroup,
      recipeArn: RECIPE,
    });
    const { start } = recorder();
    const created: string[] = [];
    let refused: unknown;
    while (refused === undefined && created.length <= MAX_TRAINING_VERSIONS) {
      try {
        created.push(
          (await createSolutionVersion(env.ctx, { solutionArn }, start)).solutionVersionArn as string,
        );
      } catch (err) {
        refused = err;
      }
    }
    expect((refused as PersonalizeError).errorName).toBe('LimitExceededException');
    const running = await env.ctx.resources.list({
      type: 'solution-version',
      limit: 100,
      statusIn: ['CREATE PENDING', 'CREATE IN_PROGRESS'],
    });
    expect(running.items).toHaveLength(MAX_TRAINING_VERSIONS);
    for (const arn of created) {
      await stopSolutionVersionCreation(env.ctx, { solutionVersionArn: arn }, async () => {});
    }
    await createSolutionVersion(env.ctx, { solutionArn }, start);
  });
});

describe('failureReasonOf', () => {
  it('uses the message of readable errors from either Cause format and never a stack trace', () => {
    const message = 'Create failed. Dataset has fewer than 25 users with at least 2 interactions each.';
    expect(
      failureReasonOf({
        Error: 'InsufficientDataError',
        Cause: JSON.stringify({
          errorType: 'InsufficientDataError',
          errorMessage: message,
          stackTrace: ['at a'],
        }),
      }),
    ).toBe(message);
    expect(
      failureReasonOf({ Error: 'InsufficientDataError', Cause: `InsufficientDataError: ${message}` }),
    ).toBe(message);
    expect(failureReasonOf({ Error: 'States.Timeout', Cause: '' })).toBe(
      'Create failed. A training step exceeded its time limit.',
    );
    // What a Distributed Map on AWS reports when a shard's child execution failed.
    expect(
      failureReasonOf({
        Error: 'States.ExceedToleratedFailureThreshold',
        Cause: 'The specified tolerated failure threshold was exceeded',
      }),
    ).toBe('Create failed. A shard of the distributed training failed.');
    const internal = failureReasonOf({
      Error: 'TypeError',
      Cause: JSON.stringify({
        errorType: 'TypeError',
        errorMessage: 'x is undefined',
        stackTrace: ['at secret'],
      }),
    });
    expect(internal).toBe(
      'Create failed. An internal error occurred during training (TypeError: x is undefined).',
    );
    expect(internal).not.toMatch(/secret/);
  });
});
