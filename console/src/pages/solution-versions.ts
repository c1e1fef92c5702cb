/**
 * Solution versions: train one, watch its status and training time live, read its metrics as a chart, and compare
 * two versions side by side (metrics and the hyperparameters that produced them).
 */
import {
  CreateSolutionVersionCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
  ListSolutionsCommand,
  ListSolutionVersionsCommand,
  type Solution,
  type SolutionVersion,
} from '@aws-sdk/client-personalize';
import type { Chart } from 'chart.js';
import { type App, isTerminal, poll, statusStep } from '../app';
import { barChart, chartBox } from '../charts';
import { describeError } from '../clients';
import { field, h, replace, seconds, select, shortArn, table, when } from '../dom';

function trainingTime(v: SolutionVersion): string {
  if (v.status === 'ACTIVE' && v.trainingHours !== undefined) return seconds(v.trainingHours * 3_600_000);
  const start = v.creationDateTime?.getTime() ?? Date.now();
  const end = isTerminal(v.status) ? (v.lastUpdatedDateTime?.getTime() ?? Date.now()) : Date.now();
  return `${seconds(end - start)}${isTerminal(v.status) ? '' : ' so far'}`;
}

function params(v: SolutionVersion | undefined): Record<string, string> {
  return {
    ...v?.solutionConfig?.algorithmHyperParameters,
    ...v?.solutionConfig?.featureTransformationParameters,
  };
}

export async function solutionVersionsPage(app: App): Promise<HTMLElement> {
  const c = app.clients.control;
  const { solutions = [] } = await c.send(
    new ListSolutionsCommand({ datasetGroupArn: app.group, maxResults: 100 }),
  );
  if (solutions.length === 0) {
    return h(
      'section',
      {},
      h('h2', {}, 'Solution versions'),
      h('p', {}, 'No solutions yet. ', h('a', { href: '#/solutions' }, 'Create a solution')),
    );
  }
  const chosen = field(
    'Solution',
    select(
      solutions.map((s) => [s.solutionArn ?? '', s.name ?? '']),
      { name: 'solution' },
    ),
  );
  const mode = field(
    'Training mode',
    select(
      [
        ['FULL', 'FULL'],
        ['UPDATE', 'UPDATE'],
      ],
      { name: 'trainingMode' },
    ),
  );
  const listBox = h('div', { id: 'versions' });
  const compareBox = h('section', { class: 'card', 'aria-labelledby': 'metrics-title' });
  const result = h('p', { role: 'alert', class: 'error', hidden: true });
  let versions: SolutionVersion[] = [];
  let solution: Solution | undefined;
  const selected: string[] = [];
  /** Until the user ticks a box, the newest two ACTIVE versions are compared. */
  let userChose = false;
  let chart: Chart<'bar'> | undefined;

  const showMetrics = async () => {
    const active = selected
      .map((arn) => versions.find((v) => v.solutionVersionArn === arn))
      .filter((v): v is SolutionVersion => v?.status === 'ACTIVE');
    chart?.destroy();
    if (active.length === 0) {
      replace(
        compareBox,
        h('h3', { id: 'metrics-title' }, 'Metrics'),
        h('p', {}, 'Tick one ACTIVE version to see its metrics, two to compare them.'),
      );
      return;
    }
    const metrics = await Promise.all(
      active.map((v) =>
        c
          .send(new GetSolutionMetricsCommand({ solutionVersionArn: v.solutionVersionArn }))
          .then((r) => r.metrics ?? {}),
      ),
    );
    const names = [...new Set(metrics.flatMap((m) => Object.keys(m)))].sort();
    const labels = active.map((v) => shortArn(v.solutionVersionArn));
    const { box, canvas } = chartBox(`Metrics of ${labels.join(' and ')}`);
    const rows = names.map((n) => [
      h('th', { scope: 'row' }, n),
      ...metrics.map((m) => (m[n] === undefined ? '—' : (m[n] as number).toFixed(4))),
      ...(metrics.length === 2 ? [((metrics[1]?.[n] ?? 0) - (metrics[0]?.[n] ?? 0)).toFixed(4)] : []),
    ]);
    const keys = [...new Set(active.flatMap((v) => Object.keys(params(v))))].sort();
    replace(
      compareBox,
      h('h3', { id: 'metrics-title' }, active.length === 2 ? 'Two versions compared' : 'Metrics'),
      box,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'metrics' },
          h('caption', {}, 'Offline metrics (held-out newest events of test users)'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Metric'),
              ...labels.map((l) => h('th', { scope: 'col' }, l)),
              metrics.length === 2 ? h('th', { scope: 'col' }, 'Difference') : null,
            ),
          ),
          h(
            'tbody',
            {},
            ...rows.map((r) => h('tr', {}, ...r.map((x) => (x instanceof Node ? x : h('td', {}, x))))),
          ),
        ),
      ),
      keys.length > 0
        ? table(
            'Hyperparameters',
            ['Parameter', ...labels],
            keys.map((k) => [k, ...active.map((v) => params(v)[k] ?? 'default')]),
          )
        : h('p', {}, 'Both trained with the default hyperparameters.'),
      h(
        'p',
        {},
        `Training time: ${active.map((v) => `${shortArn(v.solutionVersionArn)} ${trainingTime(v)}`).join(' · ')}`,
      ),
    );
    chart = barChart(canvas, {
      labels: names,
      series: metrics.map((m, i) => ({ label: labels[i] ?? '', values: names.map((n) => m[n] ?? 0) })),
      yTitle: 'value',
    });
  };

  const renderList = () => {
    replace(
      listBox,
      table(
        `Versions of ${solution?.name ?? ''}`,
        ['Compare', 'Version', 'Mode', 'Status and progress', 'Training time', 'Created (UTC)'],
        versions.map((v) => {
          const arn = v.solutionVersionArn ?? '';
          const step = statusStep(v.status);
          const box = h('input', {
            type: 'checkbox',
            id: `cmp-${shortArn(arn)}`,
            checked: selected.includes(arn),
            disabled: v.status !== 'ACTIVE',
            'aria-label': `Compare ${shortArn(arn)}`,
            onchange: (e: Event) => {
              userChose = true;
              const on = (e.target as HTMLInputElement).checked;
              const at = selected.indexOf(arn);
              if (on && at < 0) {
                selected.push(arn);
                if (selected.length > 2) selected.shift();
              } else if (!on && at >= 0) selected.splice(at, 1);
              renderList();
              void showMetrics();
            },
          });
          return [
            box,
            h('code', {}, shortArn(arn)),
            v.trainingMode ?? '',
            h(
              'div',
              { class: 'progress-cell' },
              h('progress', { max: step.max, value: step.value, 'aria-label': `${shortArn(arn)} progress` }),
              ' ',
              h(
                'span',
                {
                  class: `badge ${v.status === 'ACTIVE' ? 'ok' : step.failed ? 'bad' : ''}`,
                  'data-testid': 'version-status',
                },
                v.status ?? '',
              ),
              v.failureReason ? h('div', { class: 'failure' }, v.failureReason) : null,
            ),
            trainingTime(v),
            when(v.creationDateTime),
          ];
        }),
      ),
    );
  };

  const load = () =>
    poll(app, 1000, async () => {
      const solutionArn = chosen.control.value;
      solution = (await c.send(new DescribeSolutionCommand({ solutionArn }))).solution;
      const { solutionVersions = [] } = await c.send(
        new ListSolutionVersionsCommand({ solutionArn, maxResults: 100 }),
      );
      versions = await Promise.all(
        solutionVersions.map((s) =>
          c
            .send(new DescribeSolutionVersionCommand({ solutionVersionArn: s.solutionVersionArn }))
            .then((r) => r.solutionVersion!),
        ),
      );
      versions.sort((a, b) => (b.creationDateTime?.getTime() ?? 0) - (a.creationDateTime?.getTime() ?? 0));
      if (!userChose) {
        selected.length = 0;
        for (const v of versions.filter((x) => x.status === 'ACTIVE').slice(0, 2))
          selected.push(v.solutionVersionArn ?? '');
      }
      renderList();
      const done = versions.every((v) => isTerminal(v.status));
      if (done) await showMetrics();
      return done;
    });
  chosen.control.addEventListener('change', () => {
    selected.length = 0;
    userChose = false;
    load();
  });

  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'train-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        result.hidden = true;
        try {
          await c.send(
            new CreateSolutionVersionCommand({
              solutionArn: chosen.control.value,
              trainingMode: mode.control.value as 'FULL' | 'UPDATE',
            }),
          );
          app.notify('Training started.');
          load();
        } catch (err) {
          result.hidden = false;
          result.textContent = describeError(err);
        }
      },
    },
    h('h3', { id: 'train-title' }, 'Train a solution version'),
    h('div', { class: 'row' }, chosen.wrap, mode.wrap),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Train')),
    result,
  );
  load();
  return h('section', {}, h('h2', {}, 'Solution versions'), form, listBox, compareBox);
}
