/** Campaigns: create and update, with the exploration weight and the exploration item age cut-off. */
import {
  type Campaign,
  CreateCampaignCommand,
  DescribeCampaignCommand,
  DescribeSolutionVersionCommand,
  ListCampaignsCommand,
  ListSolutionsCommand,
  ListSolutionVersionsCommand,
  UpdateCampaignCommand,
} from '@aws-sdk/client-personalize';
import { type App, isTerminal, poll, statusStep } from '../app';
import { describeError } from '../clients';
import { field, h, input, replace, select, shortArn, table } from '../dom';

/** Personalize's defaults for a campaign of this recipe. */
const DEFAULT_WEIGHT = '0.3';
const DEFAULT_AGE_CUT_OFF = '30';

function exploration(c: Campaign | undefined): { weight: string; ageCutOff: string; metadata: boolean } {
  const x = c?.campaignConfig?.itemExplorationConfig;
  return {
    weight: x?.explorationWeight ?? DEFAULT_WEIGHT,
    ageCutOff: x?.explorationItemAgeCutOff ?? DEFAULT_AGE_CUT_OFF,
    metadata: c?.campaignConfig?.enableMetadataWithRecommendations ?? false,
  };
}

export async function campaignsPage(app: App): Promise<HTMLElement> {
  const c = app.clients.control;
  const { solutions = [] } = await c.send(
    new ListSolutionsCommand({ datasetGroupArn: app.group, maxResults: 100 }),
  );
  const versionArns: string[] = [];
  const campaigns: Campaign[] = [];
  for (const s of solutions) {
    const { solutionVersions = [] } = await c.send(
      new ListSolutionVersionsCommand({ solutionArn: s.solutionArn, maxResults: 100 }),
    );
    for (const v of solutionVersions) if (v.status === 'ACTIVE') versionArns.push(v.solutionVersionArn ?? '');
    const { campaigns: list = [] } = await c.send(
      new ListCampaignsCommand({ solutionArn: s.solutionArn, maxResults: 100 }),
    );
    for (const x of list)
      campaigns.push((await c.send(new DescribeCampaignCommand({ campaignArn: x.campaignArn }))).campaign!);
  }
  const versionOptions = await Promise.all(
    versionArns.map(async (arn) => {
      const { solutionVersion } = await c.send(
        new DescribeSolutionVersionCommand({ solutionVersionArn: arn }),
      );
      return [arn, `${shortArn(solutionVersion?.solutionArn)} / ${shortArn(arn)}`] as const;
    }),
  );

  // One form for both: "new campaign" creates, choosing an existing one updates it.
  const target = field(
    'Campaign',
    select(
      [['', 'New campaign'], ...campaigns.map((x) => [x.campaignArn ?? '', `Update ${x.name}`] as const)],
      { name: 'campaign' },
    ),
  );
  const name = field('Campaign name', input({ name: 'campaignName', required: true }));
  const version = field(
    'Solution version',
    select(versionOptions, { name: 'solutionVersionArn' }),
    'Only ACTIVE versions can be deployed.',
  );
  const tps = field(
    'Minimum provisioned TPS',
    input({ name: 'minProvisionedTPS', type: 'number', min: 1, step: 1, value: 1 }),
  );
  const weight = field(
    'Exploration weight',
    input({ name: 'explorationWeight', type: 'number', min: 0, max: 1, step: 0.05, value: DEFAULT_WEIGHT }),
    '0 = no exploration; 1 = the most slots go to new or rarely seen items. Default 0.3.',
  );
  const ageCutOff = field(
    'Exploration item age cut-off (days)',
    input({ name: 'explorationItemAgeCutOff', type: 'number', min: 1, step: 1, value: DEFAULT_AGE_CUT_OFF }),
    'Only items created within this many days of the newest interaction are explored. Default 30.',
  );
  const metadata = h('input', {
    type: 'checkbox',
    id: 'enable-metadata',
    name: 'enableMetadataWithRecommendations',
    checked: true,
  });
  const submit = h('button', { type: 'submit' }, 'Create campaign');
  const result = h('p', { role: 'alert', class: 'error', hidden: true });
  target.control.addEventListener('change', () => {
    const existing = campaigns.find((x) => x.campaignArn === target.control.value);
    const x = exploration(existing);
    name.control.value = existing?.name ?? '';
    name.control.disabled = existing !== undefined;
    if (existing?.solutionVersionArn) version.control.value = existing.solutionVersionArn;
    tps.control.value = String(existing?.minProvisionedTPS ?? 1);
    weight.control.value = x.weight;
    ageCutOff.control.value = x.ageCutOff;
    metadata.checked = existing === undefined ? true : x.metadata;
    submit.textContent = existing === undefined ? 'Create campaign' : 'Update campaign';
  });
  const listBox = h('div', {});
  const renderList = (list: readonly Campaign[]) =>
    replace(
      listBox,
      table(
        'Campaigns',
        ['Name', 'Status', 'Solution version', 'Exploration weight', 'Item age cut-off (days)', 'Metadata'],
        list.map((x) => {
          const e = exploration(x);
          const step = statusStep(x.status);
          const pending =
            x.latestCampaignUpdate && !isTerminal(x.latestCampaignUpdate.status)
              ? ` (update ${x.latestCampaignUpdate.status})`
              : '';
          return [
            h('strong', {}, x.name ?? ''),
            h(
              'div',
              { class: 'progress-cell' },
              h('progress', { max: step.max, value: step.value, 'aria-label': `${x.name} progress` }),
              ' ',
              h(
                'span',
                { class: `badge ${x.status === 'ACTIVE' ? 'ok' : ''}`, 'data-testid': 'campaign-status' },
                `${x.status}${pending}`,
              ),
            ),
            h('code', {}, shortArn(x.solutionVersionArn)),
            e.weight,
            e.ageCutOff,
            e.metadata ? 'yes' : 'no',
          ];
        }),
      ),
    );
  renderList(campaigns);
  const watch = () =>
    poll(app, 700, async () => {
      const fresh: Campaign[] = [];
      for (const s of solutions) {
        const { campaigns: list = [] } = await c.send(
          new ListCampaignsCommand({ solutionArn: s.solutionArn, maxResults: 100 }),
        );
        for (const x of list)
          fresh.push((await c.send(new DescribeCampaignCommand({ campaignArn: x.campaignArn }))).campaign!);
      }
      renderList(fresh);
      return fresh.every(
        (x) =>
          isTerminal(x.status) &&
          (x.latestCampaignUpdate === undefined || isTerminal(x.latestCampaignUpdate.status)),
      );
    });
  watch();

  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'campaign-form-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        result.hidden = true;
        const campaignConfig = {
          itemExplorationConfig: {
            explorationWeight: weight.control.value.trim(),
            explorationItemAgeCutOff: ageCutOff.control.value.trim(),
          },
          enableMetadataWithRecommendations: metadata.checked,
        };
        try {
          if (target.control.value === '') {
            await c.send(
              new CreateCampaignCommand({
                name: name.control.value.trim(),
                solutionVersionArn: version.control.value,
                minProvisionedTPS: Number(tps.control.value),
                campaignConfig,
              }),
            );
            app.notify(`Campaign ${name.control.value} is being created.`);
          } else {
            await c.send(
              new UpdateCampaignCommand({
                campaignArn: target.control.value,
                solutionVersionArn: version.control.value,
                minProvisionedTPS: Number(tps.control.value),
                campaignConfig,
              }),
            );
            app.notify(`Campaign ${name.control.value} is being updated.`);
          }
          // Reloaded so the new campaign appears among those to update, and its status is watched.
          app.navigate('campaigns');
        } catch (err) {
          result.hidden = false;
          result.textContent = describeError(err);
        }
      },
    },
    h('h3', { id: 'campaign-form-title' }, 'Create or update a campaign'),
    h('div', { class: 'row' }, target.wrap, name.wrap),
    h('div', { class: 'row' }, version.wrap, tps.wrap),
    h('div', { class: 'row' }, weight.wrap, ageCutOff.wrap),
    h(
      'div',
      { class: 'field checkbox' },
      metadata,
      h('label', { for: 'enable-metadata' }, 'Return item metadata with recommendations'),
    ),
    h('div', { class: 'actions' }, submit),
    result,
  );
  return h(
    'section',
    {},
    h('h2', {}, 'Campaigns'),
    listBox,
    versionArns.length === 0 ? h('p', {}, 'No ACTIVE solution version yet: train one first.') : form,
  );
}
