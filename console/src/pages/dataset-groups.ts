/** Dataset groups: list, create, and choose the one the other pages work in. */
import {
  CreateDatasetGroupCommand,
  DescribeDatasetGroupCommand,
  ListDatasetGroupsCommand,
} from '@aws-sdk/client-personalize';
import { type App, isTerminal, poll } from '../app';
import { describeError } from '../clients';
import { field, h, input, table, when } from '../dom';

export async function datasetGroupsPage(app: App): Promise<HTMLElement> {
  const { datasetGroups = [] } = await app.clients.control.send(
    new ListDatasetGroupsCommand({ maxResults: 100 }),
  );
  const name = field(
    'Name',
    input({
      name: 'datasetGroupName',
      required: true,
      maxlength: 63,
      pattern: '[a-zA-Z0-9][a-zA-Z0-9\\-_]*',
    }),
    'Letters, digits, - and _; at most 63.',
  );
  const create = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'create-group-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        name.setError();
        try {
          const { datasetGroupArn } = await app.clients.control.send(
            new CreateDatasetGroupCommand({ name: name.control.value.trim() }),
          );
          app.notify(`Dataset group ${name.control.value} created.`);
          poll(app, 500, async () => {
            const { datasetGroup } = await app.clients.control.send(
              new DescribeDatasetGroupCommand({ datasetGroupArn }),
            );
            if (!isTerminal(datasetGroup?.status)) return false;
            app.setGroup(datasetGroupArn!);
            app.navigate('datasets');
            return true;
          });
        } catch (err) {
          name.setError(describeError(err));
        }
      },
    },
    h('h3', { id: 'create-group-title' }, 'Create a dataset group'),
    name.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create dataset group')),
  );
  const rows = datasetGroups.map((g) => [
    h('strong', {}, g.name ?? ''),
    h('span', { class: `badge ${g.status === 'ACTIVE' ? 'ok' : ''}` }, g.status ?? ''),
    when(g.creationDateTime),
    g.datasetGroupArn === app.group
      ? h('span', { class: 'badge ok' }, 'current')
      : h(
          'button',
          {
            type: 'button',
            'aria-label': `Open ${g.name}`,
            onclick: () => {
              app.setGroup(g.datasetGroupArn!);
              app.navigate('datasets');
            },
          },
          'Open',
        ),
  ]);
  return h(
    'section',
    {},
    h('h2', {}, 'Dataset groups'),
    table('Dataset groups', ['Name', 'Status', 'Created (UTC)', ''], rows),
    create,
  );
}
