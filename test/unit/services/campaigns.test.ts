import type { Campaign } from '@aws-sdk/client-personalize';
import {
  CAMPAIGN,
  createCampaign,
  deleteCampaign,
  describeCampaign,
  listCampaigns,
  MAX_CAMPAIGNS_PER_GROUP,
  updateCampaign,
} from '../../../lambdas/services/campaigns';
import { deleteSolution } from '../../../lambdas/services/solutions';
import { type DataEnv, startDataEnv } from './data-env';
import { addVersion, cycleModel, newSolution, type Trained } from './serving-env';

let env: DataEnv;
let model: Trained;
beforeAll(async () => {
  env = await startDataEnv();
  model = await cycleModel(1);
});
afterAll(async () => {
  await env.close();
});

async function deployable(name: string): Promise<{ group: string; solution: string; version: string }> {
  const { group } = await env.group(name);
  const solution = await newSolution(env, group, `${name}-solution`);
  const version = await addVersion(env, solution, group, model);
  return { group, solution, version };
}

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: Error) => err.name,
  );

describe('createCampaign', () => {
  let badCase = 0;
  it('stores an ACTIVE campaign with the documented defaults filled in', async () => {
    const { version } = await deployable('cc-defaults');
    const { campaignArn } = await createCampaign(env.ctx, {
      name: 'cc-defaults',
      solutionVersionArn: version,
    });
    expect(campaignArn).toBe('arn:aws:personalize:us-east-1:000000000000:campaign/cc-defaults');
    const { campaign } = await describeCampaign(env.ctx, { campaignArn });
    expect(campaign).toMatchObject({
      name: 'cc-defaults',
      campaignArn,
      solutionVersionArn: version,
      minProvisionedTPS: 1,
      status: 'ACTIVE',
      campaignConfig: { itemExplorationConfig: { explorationWeight: '0.3', explorationItemAgeCutOff: '30' } },
    });
    expect(campaign?.latestCampaignUpdate).toBeUndefined();
    expect(campaign?.creationDateTime).toBeInstanceOf(Date);
  });

  it('returns the exploration settings as given and keeps enableMetadataWithRecommendations', async () => {
    const { version } = await deployable('cc-given');
    const { campaignArn } = await createCampaign(env.ctx, {
      name: 'cc-given',
      solutionVersionArn: version,
      minProvisionedTPS: 3,
      campaignConfig: {
        itemExplorationConfig: { explorationWeight: '0.90', explorationItemAgeCutOff: '7.5' },
        enableMetadataWithRecommendations: true,
      },
    });
    const { campaign } = await describeCampaign(env.ctx, { campaignArn });
    expect(campaign?.minProvisionedTPS).toBe(3);
    expect(campaign?.campaignConfig).toEqual({
      itemExplorationConfig: { explorationWeight: '0.90', explorationItemAgeCutOff: '7.5' },
      enableMetadataWithRecommendations: true,
    });
  });

  it.each([
    [{ itemExplorationConfig: { explorationWeight: '1.5' } }],
    [{ itemExplorationConfig: { explorationWeight: 'lots' } }],
    [{ itemExplorationConfig: { explorationWeight: '' } }],
    [{ itemExplorationConfig: { explorationItemAgeCutOff: '0.5' } }],
    [{ itemExplorationConfig: { exploration_weight: '0.5' } }],
    [{ rankingInfluence: { POPULARITY: 0.5 } }],
    [{ syncWithLatestSolutionVersion: true }],
  ])('refuses campaignConfig %j', async (campaignConfig) => {
    const { version } = await deployable(`cc-bad-${++badCase}`);
    await expect(
      createCampaign(env.ctx, { name: 'cc-bad', solutionVersionArn: version, campaignConfig }),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });
  });

  it('refuses minProvisionedTPS below 1', async () => {
    const { version } = await deployable('cc-tps');
    expect(
      await errorName(
        createCampaign(env.ctx, { name: 'cc-tps', solutionVersionArn: version, minProvisionedTPS: 0 }),
      ),
    ).toBe('InvalidInputException');
  });

  it('needs an existing, ACTIVE version', async () => {
    const { group, solution } = await deployable('cc-state');
    const training = await addVersion(env, solution, group, model, 'CREATE IN_PROGRESS');
    expect(await errorName(createCampaign(env.ctx, { name: 'cc-state', solutionVersionArn: training }))).toBe(
      'ResourceInUseException',
    );
    expect(
      await errorName(
        createCampaign(env.ctx, { name: 'cc-state', solutionVersionArn: `${solution}/deadbeef` }),
      ),
    ).toBe('ResourceNotFoundException');
    expect(
      await errorName(
        createCampaign(env.ctx, {
          name: 'cc-state',
          solutionVersionArn: 'arn:aws:personalize:us-east-1:000000000000:dataset-group/x',
        }),
      ),
    ).toBe('InvalidInputException');
  });

  it('resolves <solution>/$LATEST to the newest ACTIVE version', async () => {
    const { group, solution, version } = await deployable('cc-latest');
    const newer = await addVersion(env, solution, group, model);
    await addVersion(env, solution, group, model, 'CREATE IN_PROGRESS');
    const { campaignArn } = await createCampaign(env.ctx, {
      name: 'cc-latest',
      solutionVersionArn: `${solution}/$LATEST`,
      campaignConfig: { syncWithLatestSolutionVersion: true },
    });
    const record = await env.ctx.resources.require<Campaign>(campaignArn as string, CAMPAIGN);
    expect(record.doc.solutionVersionArn).toBe(`${solution}/$LATEST`);
    expect(record.attrs).toMatchObject({ servingVersionArn: newer, syncWithLatest: true });
    expect(record.attrs.servingVersionArn).not.toBe(version);
    expect(record.parentArn).toBe(solution);
  });

  it('refuses a second campaign with the same name', async () => {
    const { version } = await deployable('cc-dup');
    await createCampaign(env.ctx, { name: 'cc-dup', solutionVersionArn: version });
    expect(await errorName(createCampaign(env.ctx, { name: 'cc-dup', solutionVersionArn: version }))).toBe(
      'ResourceAlreadyExistsException',
    );
  });

  it('allows five campaigns per dataset group, even when creates race', async () => {
    const { version } = await deployable('cc-quota');
    const results = await Promise.all(
      Array.from({ length: MAX_CAMPAIGNS_PER_GROUP + 2 }, (_, i) =>
        errorName(createCampaign(env.ctx, { name: `cc-quota-${i}`, solutionVersionArn: version })),
      ),
    );
    expect(results.filter((r) => r === 'resolved')).toHaveLength(MAX_CAMPAIGNS_PER_GROUP);
    expect(results.filter((r) => r === 'LimitExceededException')).toHaveLength(2);
    const winner = results.indexOf('resolved');
    await deleteCampaign(env.ctx, {
      campaignArn: `arn:aws:personalize:us-east-1:000000000000:campaign/cc-quota-${winner}`,
    });
    await createCampaign(env.ctx, { name: 'cc-quota-again', solutionVersionArn: version });
  });
});

describe('updateCampaign', () => {
  it('deploys another version, keeps what is not given and records latestCampaignUpdate', async () => {
    const { group, solution, version } = await deployable('cu-version');
    const { campaignArn } = await createCampaign(env.ctx, {
      name: 'cu-version',
      solutionVersionArn: version,
      minProvisionedTPS: 2,
      campaignConfig: { itemExplorationConfig: { explorationWeight: '0.1' } },
    });
    const retrained = await addVersion(env, solution, group, model);
    await updateCampaign(env.ctx, { campaignArn, solutionVersionArn: retrained });
    const record = await env.ctx.resources.require<Campaign>(campaignArn as string, CAMPAIGN);
    expect(record.doc).toMatchObject({
      solutionVersionArn: retrained,
      minProvisionedTPS: 2,
      status: 'ACTIVE',
      campaignConfig: { itemExplorationConfig: { explorationWeight: '0.1', explorationItemAgeCutOff: '30' } },
      latestCampaignUpdate: { solutionVersionArn: retrained, minProvisionedTPS: 2, status: 'ACTIVE' },
    });
    expect(record.attrs.servingVersionArn).toBe(retrained);
  });

  it('keeps configuration members the update leaves out and stops following $LATEST for a concrete version', async () => {
    const { group, solution } = await deployable('cu-config');
    const { campaignArn } = await createCampaign(env.ctx, {
      name: 'cu-config',
      solutionVersionArn: `${solution}/$LATEST`,
      campaignConfig: {
        enableMetadataWithRecommendations: true,
        syncWithLatestSolutionVersion: true,
        itemExplorationConfig: { explorationWeight: '0.2' },
      },
    });
    await updateCampaign(env.ctx, {
      campaignArn,
      campaignConfig: { itemExplorationConfig: { explorationItemAgeCutOff: '3' } },
    });
    let record = await env.ctx.resources.require<Campaign>(campaignArn as string, CAMPAIGN);
    expect(record.doc.campaignConfig).toEqual({
      enableMetadataWithRecommendations: true,
      syncWithLatestSolutionVersion: true,
      itemExplorationConfig: { explorationWeight: '0.3', explorationItemAgeCutOff: '3' },
    });
    const pinned = await addVersion(env, solution, group, model);
    await updateCampaign(env.ctx, { campaignArn, solutionVersionArn: pinned });
    record = await env.ctx.resources.require<Campaign>(campaignArn as string, CAMPAIGN);
    expect(record.doc.campaignConfig?.syncWithLatestSolutionVersion).toBeUndefined();
    expect(record.attrs).toMatchObject({ servingVersionArn: pinned, syncWithLatest: false });
  });

  it('refuses a version of another solution, a version that is not ACTIVE and a campaign being deleted', async () => {
    const { group, solution, version } = await deployable('cu-refuse');
    const { campaignArn } = await createCampaign(env.ctx, { name: 'cu-refuse', solutionVersionArn: version });
    const other = await addVersion(env, await newSolution(env, group, 'cu-refuse-other'), group, model);
    expect(await errorName(updateCampaign(env.ctx, { campaignArn, solutionVersionArn: other }))).toBe(
      'InvalidInputException',
    );
    const failed = await addVersion(env, solution, group, model, 'CREATE FAILED');
    expect(await errorName(updateCampaign(env.ctx, { campaignArn, solutionVersionArn: failed }))).toBe(
      'ResourceInUseException',
    );
    await env.ctx.resources.update(campaignArn as string, { status: 'DELETE PENDING' });
    expect(await errorName(updateCampaign(env.ctx, { campaignArn, minProvisionedTPS: 4 }))).toBe(
      'ResourceInUseException',
    );
  });
});

describe('listCampaigns and deleteCampaign', () => {
  it('lists summaries under a solution, newest first; delete removes and frees the solution', async () => {
    const { solution, version } = await deployable('cl');
    const a = (await createCampaign(env.ctx, { name: 'cl-a', solutionVersionArn: version })).campaignArn;
    const b = (await createCampaign(env.ctx, { name: 'cl-b', solutionVersionArn: version })).campaignArn;
    const listed = await listCampaigns(env.ctx, { solutionArn: solution });
    expect(listed.campaigns?.map((c) => c.campaignArn)).toEqual([b, a]);
    expect(Object.keys(listed.campaigns?.[0] ?? {}).sort()).toEqual(
      ['campaignArn', 'creationDateTime', 'lastUpdatedDateTime', 'name', 'status'].sort(),
    );
    expect(await errorName(deleteSolution(env.ctx, { solutionArn: solution }))).toBe(
      'ResourceInUseException',
    );
    await deleteCampaign(env.ctx, { campaignArn: a });
    await deleteCampaign(env.ctx, { campaignArn: b });
    expect(await errorName(describeCampaign(env.ctx, { campaignArn: a }))).toBe('ResourceNotFoundException');
    expect(await errorName(deleteCampaign(env.ctx, { campaignArn: a }))).toBe('ResourceNotFoundException');
    await deleteSolution(env.ctx, { solutionArn: solution });
  });
});
