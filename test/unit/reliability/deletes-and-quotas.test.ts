/**
 * Delete checks and quotas under an eventually consistent index: the fault-injecting client hides, from every index
 * query, items written in the last minute — as DynamoDB's global secondary indexes may. A child created a moment
 * before its parent's delete must still block it, and quotas must hold.
 */
import { PersonalizeError } from '../../../lambdas/errors';
import { deleteDatasetGroup } from '../../../lambdas/services/dataset-groups';
import { createDatasetImportJob } from '../../../lambdas/services/dataset-import-jobs';
import { deleteDataset } from '../../../lambdas/services/datasets';
import { createFilter, deleteFilter } from '../../../lambdas/services/filters/filters';
import { createSolutionVersion } from '../../../lambdas/services/solution-versions';
import {
  createSolution,
  deleteSolution,
  MAX_ACTIVE_SOLUTIONS_PER_GROUP,
} from '../../../lambdas/services/solutions';
import { faultyDocumentClient } from '../../fault/faults';
import { type DataEnv, interactionsCsv, ROLE_ARN, startDataEnv } from '../services/data-env';

const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';
let env: DataEnv;

beforeAll(async () => {
  env = await startDataEnv({ wrapDdb: (ddb) => faultyDocumentClient(ddb, { staleIndexMs: 60_000 }) });
});
afterAll(async () => {
  await env.close();
});

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PersonalizeError) return err.errorName;
    throw err;
  }
  return 'no error';
}

describe('with a stale index', () => {
  it('DeleteDatasetGroup is refused while a dataset created a moment ago exists', async () => {
    const g = await env.group('stale-group');
    expect(await errorOf(deleteDatasetGroup(env.ctx, { datasetGroupArn: g.group }))).toBe(
      'ResourceInUseException',
    );
    expect(await env.ctx.resources.get(g.group)).toMatchObject({ status: 'ACTIVE' });
    // Once the children are gone, the group goes too.
    for (const arn of [g.interactions, g.items, g.users]) await deleteDataset(env.ctx, { datasetArn: arn });
    await deleteDatasetGroup(env.ctx, { datasetGroupArn: g.group });
    expect(await env.ctx.resources.get(g.group)).toBeUndefined();
  });

  it('DeleteDatasetGroup is refused while a filter created a moment ago exists', async () => {
    const g = await env.group('stale-filter');
    const { filterArn } = await createFilter(env.ctx, {
      name: 'stale-filter',
      datasetGroupArn: g.group,
      filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
    });
    // The filter is the group's last child.
    for (const arn of [g.interactions, g.items, g.users]) await deleteDataset(env.ctx, { datasetArn: arn });
    expect(await errorOf(deleteDatasetGroup(env.ctx, { datasetGroupArn: g.group }))).toBe(
      'ResourceInUseException',
    );
    await deleteFilter(env.ctx, { filterArn: filterArn as string });
    await deleteDatasetGroup(env.ctx, { datasetGroupArn: g.group });
    expect(await env.ctx.resources.get(g.group)).toBeUndefined();
  });

  it('DeleteSolution is refused while a version created a moment ago trains', async () => {
    const g = await env.group('stale-solution');
    const { solutionArn } = await createSolution(env.ctx, {
      name: 'stale-solution',
      datasetGroupArn: g.group,
      recipeArn: RECIPE,
    });
    await createSolutionVersion(env.ctx, { solutionArn }, async () => 'arn:aws:states:::execution:none');
    expect(await errorOf(deleteSolution(env.ctx, { solutionArn }))).toBe('ResourceInUseException');
    expect(await env.ctx.resources.get(solutionArn as string)).toMatchObject({ status: 'ACTIVE' });
  });

  it('DeleteDataset is refused while an import job created a moment ago is pending', async () => {
    const g = await env.group('stale-dataset');
    const location = await env.upload('stale-dataset.csv', interactionsCsv(1000));
    await createDatasetImportJob(
      env.ctx,
      {
        jobName: 'stale-dataset-job',
        datasetArn: g.interactions,
        dataSource: { dataLocation: location },
        roleArn: ROLE_ARN,
      },
      async () => undefined,
    );
    expect(await errorOf(deleteDataset(env.ctx, { datasetArn: g.interactions }))).toBe(
      'ResourceInUseException',
    );
    expect(await env.ctx.resources.get(g.interactions)).toMatchObject({ status: 'ACTIVE' });
  });

  it('the active-solutions quota holds for solutions created a moment ago', async () => {
    const g = await env.group('stale-quota');
    const outcomes: string[] = [];
    for (let i = 0; i <= MAX_ACTIVE_SOLUTIONS_PER_GROUP; i++) {
      outcomes.push(
        await errorOf(
          createSolution(env.ctx, { name: `quota-${i}`, datasetGroupArn: g.group, recipeArn: RECIPE }),
        ),
      );
    }
    expect(outcomes.slice(0, MAX_ACTIVE_SOLUTIONS_PER_GROUP)).toEqual(
      Array(MAX_ACTIVE_SOLUTIONS_PER_GROUP).fill('no error'),
    );
    expect(outcomes[MAX_ACTIVE_SOLUTIONS_PER_GROUP]).toBe('LimitExceededException');
  });

  it('the running-imports quota holds for jobs created a moment ago', async () => {
    const g = await env.group('stale-imports');
    const location = await env.upload('stale-imports.csv', interactionsCsv(1000));
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await errorOf(
          createDatasetImportJob(
            env.ctx,
            {
              jobName: `stale-imports-${i}`,
              datasetArn: g.interactions,
              dataSource: { dataLocation: location },
              roleArn: ROLE_ARN,
            },
            async () => undefined,
          ),
        ),
      );
    }
    // One job of the DeleteDataset test above is still pending: four more fit under the quota of five.
    expect(outcomes).toEqual([
      'no error',
      'no error',
      'no error',
      'no error',
      'LimitExceededException',
      'LimitExceededException',
    ]);
  });
});
