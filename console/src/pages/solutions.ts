/**
 * Solutions: the recipe, event type, event value threshold and every hyperparameter with its range and default
 * (from DescribeAlgorithm), and a histogram of user history lengths with the two percentile cuts drawn on it.
 */
import {
  CreateSolutionCommand,
  DescribeAlgorithmCommand,
  DescribeRecipeCommand,
  DescribeSolutionCommand,
  ListRecipesCommand,
  ListSolutionsCommand,
} from '@aws-sdk/client-personalize';
import type { Chart } from 'chart.js';
import { DEFAULT_HYPERPARAMETERS } from '../../../lambdas/engine/hyperparameters';
import type { App } from '../app';
import { barChart, chartBox } from '../charts';
import { describeError } from '../clients';
import { field, h, input, replace, select, shortArn, table, when } from '../dom';
import { edgePosition, histogramBins, historyLengths, percentileCuts, rowsFromCsv } from '../history';

const DEFAULT_RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';

/** Reads a picked file as a byte stream, chunk by chunk, so large files are never held whole. */
async function* fileChunks(file: File): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

interface Param {
  readonly key: string;
  readonly control: HTMLInputElement | HTMLSelectElement;
  readonly feature: boolean;
  readonly fallback: string;
}

export async function solutionsPage(app: App): Promise<HTMLElement> {
  const c = app.clients.control;
  const group = app.group!;
  const { solutions = [] } = await c.send(
    new ListSolutionsCommand({ datasetGroupArn: group, maxResults: 100 }),
  );
  const described = await Promise.all(
    solutions.map((s) =>
      c.send(new DescribeSolutionCommand({ solutionArn: s.solutionArn })).then((r) => r.solution!),
    ),
  );
  const { recipes = [] } = await c.send(new ListRecipesCommand({}));

  const name = field('Solution name', input({ name: 'solutionName', required: true }));
  const recipe = field(
    'Recipe',
    select(
      recipes.map((r) => [r.recipeArn ?? '', r.name ?? '']),
      { name: 'recipeArn', value: DEFAULT_RECIPE },
    ),
  );
  recipe.control.value = DEFAULT_RECIPE;
  const eventType = field(
    'Event type',
    input({ name: 'eventType', placeholder: 'all event types' }),
    'Train only on this EVENT_TYPE; empty uses every event.',
  );
  const threshold = field(
    'Event value threshold',
    input({ name: 'eventValueThreshold', type: 'number', step: 'any', placeholder: 'none' }),
    'Train only on interactions whose EVENT_VALUE is at least this.',
  );
  const autoTrain = h('input', {
    type: 'checkbox',
    id: 'perform-auto-training',
    name: 'performAutoTraining',
  });
  const paramsBox = h('fieldset', { class: 'params' });
  let params: Param[] = [];

  const renderParams = async () => {
    const { recipe: r } = await c.send(new DescribeRecipeCommand({ recipeArn: recipe.control.value }));
    const { algorithm } = await c.send(new DescribeAlgorithmCommand({ algorithmArn: r?.algorithmArn }));
    const defaults = algorithm?.defaultHyperParameters ?? {};
    const ranges = algorithm?.defaultHyperParameterRanges;
    const fields: ReturnType<typeof field>[] = [];
    params = [];
    for (const range of ranges?.integerHyperParameterRanges ?? []) {
      const key = range.name ?? '';
      const f = field(
        `${key} (${range.minValue}–${range.maxValue}, default ${defaults[key] ?? '—'})`,
        input({
          name: key,
          type: 'number',
          min: range.minValue,
          max: range.maxValue,
          step: 1,
          value: defaults[key] ?? '',
        }),
      );
      fields.push(f);
      params.push({ key, control: f.control, feature: false, fallback: defaults[key] ?? '' });
    }
    for (const range of ranges?.continuousHyperParameterRanges ?? []) {
      const key = range.name ?? '';
      const f = field(
        `${key} (${range.minValue}–${range.maxValue}, default ${defaults[key] ?? '—'})`,
        input({
          name: key,
          type: 'number',
          min: range.minValue,
          max: range.maxValue,
          step: 'any',
          value: defaults[key] ?? '',
        }),
      );
      fields.push(f);
      params.push({ key, control: f.control, feature: false, fallback: defaults[key] ?? '' });
    }
    for (const range of ranges?.categoricalHyperParameterRanges ?? []) {
      const key = range.name ?? '';
      const f = field(
        `${key} (${(range.values ?? []).join(' / ')}, default ${defaults[key] ?? '—'})`,
        select(
          (range.values ?? []).map((v) => [v, v]),
          { name: key },
        ),
      );
      f.control.value = defaults[key] ?? range.values?.[0] ?? '';
      fields.push(f);
      params.push({ key, control: f.control, feature: false, fallback: defaults[key] ?? '' });
    }
    if (recipe.control.value === DEFAULT_RECIPE) {
      // Feature transformation parameters: Personalize documents their range and defaults; no API lists them.
      const d = DEFAULT_HYPERPARAMETERS;
      for (const [key, value] of [
        ['min_user_history_length_percentile', d.minUserHistoryLengthPercentile],
        ['max_user_history_length_percentile', d.maxUserHistoryLengthPercentile],
      ] as const) {
        const f = field(
          `${key} (0–1, default ${value})`,
          input({ name: key, type: 'number', min: 0, max: 1, step: 0.01, value }),
        );
        f.control.addEventListener('input', redraw);
        fields.push(f);
        params.push({ key, control: f.control, feature: true, fallback: String(value) });
      }
    }
    replace(paramsBox, h('legend', {}, 'Hyperparameters'), ...fields.map((f) => f.wrap));
    redraw();
  };
  recipe.control.addEventListener('change', () => void renderParams());

  // History-length histogram from a local file.
  const file = field(
    'Interactions file for the histogram',
    h('input', { type: 'file', name: 'historyFile', accept: '.csv,text/csv' }),
    'The interactions CSV you import. It is read in this page only (the API has no per-user counts), filtered by the event type and threshold above.',
  );
  const summary = h('div', { class: 'cuts', 'aria-live': 'polite' });
  const { box, canvas } = chartBox('Histogram of user history lengths with the percentile cuts');
  box.hidden = true;
  let lengths: Int32Array | undefined;
  let chart: Chart<'bar'> | undefined;
  const percentile = (key: string, fallback: number): number => {
    const p = params.find((x) => x.key === key);
    const v = p === undefined || p.control.value === '' ? fallback : Number(p.control.value);
    return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : fallback;
  };
  function redraw(): void {
    if (lengths === undefined) return;
    const min = percentile('min_user_history_length_percentile', 0);
    const max = percentile('max_user_history_length_percentile', 1);
    const cuts = percentileCuts(lengths, min, max);
    const bins = histogramBins(lengths);
    const inside = (b: { from: number; to: number }) =>
      cuts.minLength !== undefined && b.to >= cuts.minLength && b.from <= (cuts.maxLength ?? 0);
    const markers = [];
    if (cuts.minLength !== undefined && min > 0)
      markers.push({
        index: edgePosition(bins, cuts.minLength, 'before'),
        label: `min p${min}: ≥ ${cuts.minLength}`,
        color: '#b91c1c',
      });
    if (cuts.maxLength !== undefined && max < 1)
      markers.push({
        index: edgePosition(bins, cuts.maxLength, 'after'),
        label: `max p${max}: ≤ ${cuts.maxLength}`,
        color: '#7c3aed',
      });
    chart?.destroy();
    box.hidden = false;
    canvas.setAttribute(
      'aria-label',
      `Histogram of ${cuts.total} users' history lengths; the cuts keep lengths ${cuts.minLength ?? '–'} to ${cuts.maxLength ?? '–'}, ${cuts.kept} users.`,
    );
    chart = barChart(canvas, {
      labels: bins.map((b) => (b.from === b.to ? String(b.from) : `${b.from}–${b.to}`)),
      series: [
        {
          label: 'users',
          values: bins.map((b) => b.users),
          colors: bins.map((b) => (inside(b) ? '#2563eb' : '#cbd5e1')),
        },
      ],
      xTitle: 'interactions per user',
      yTitle: 'users',
      markers,
    });
    const pct = (n: number) => (cuts.total === 0 ? '0' : ((100 * n) / cuts.total).toFixed(1));
    replace(
      summary,
      h(
        'dl',
        {},
        h('dt', {}, 'Users in the file'),
        h('dd', { 'data-testid': 'users-total' }, String(cuts.total)),
        h('dt', {}, `min_user_history_length_percentile ${min}`),
        h(
          'dd',
          { 'data-testid': 'kept-by-min' },
          `keeps ${cuts.keptByMin} users (${pct(cuts.keptByMin)} %)${min > 0 && cuts.minLength !== undefined ? `, history ≥ ${cuts.minLength}` : ''}`,
        ),
        h('dt', {}, `max_user_history_length_percentile ${max}`),
        h(
          'dd',
          { 'data-testid': 'kept-by-max' },
          `keeps ${cuts.keptByMax} users (${pct(cuts.keptByMax)} %)${max < 1 && cuts.maxLength !== undefined ? `, history ≤ ${cuts.maxLength}` : ''}`,
        ),
        h('dt', {}, 'Both cuts: users that train'),
        h('dd', { 'data-testid': 'kept' }, `${cuts.kept} (${pct(cuts.kept)} %)`),
      ),
    );
  }
  const recount = async () => {
    const picked = (file.control as HTMLInputElement).files?.[0];
    if (picked === undefined) return;
    file.setError();
    replace(summary, h('p', {}, `Reading ${picked.name}…`));
    try {
      const t = threshold.control.value.trim();
      lengths = await historyLengths(rowsFromCsv(fileChunks(picked)), {
        ...(eventType.control.value.trim() !== '' ? { eventType: eventType.control.value.trim() } : {}),
        ...(t !== '' ? { eventValueThreshold: Number(t) } : {}),
      });
      redraw();
    } catch (err) {
      lengths = undefined;
      replace(summary);
      file.setError(describeError(err));
    }
  };
  file.control.addEventListener('change', () => void recount());
  eventType.control.addEventListener('change', () => void recount());
  threshold.control.addEventListener('change', () => void recount());

  const result = h('p', { role: 'alert', class: 'error', hidden: true });
  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'create-solution-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        result.hidden = true;
        const algorithmHyperParameters: Record<string, string> = {};
        const featureTransformationParameters: Record<string, string> = {};
        for (const p of params) {
          const v = p.control.value.trim();
          if (v === '' || v === p.fallback) continue;
          (p.feature ? featureTransformationParameters : algorithmHyperParameters)[p.key] = v;
        }
        const t = threshold.control.value.trim();
        try {
          await c.send(
            new CreateSolutionCommand({
              name: name.control.value.trim(),
              datasetGroupArn: group,
              recipeArn: recipe.control.value,
              performAutoTraining: autoTrain.checked,
              ...(eventType.control.value.trim() !== '' ? { eventType: eventType.control.value.trim() } : {}),
              solutionConfig: {
                ...(t !== '' ? { eventValueThreshold: t } : {}),
                ...(Object.keys(algorithmHyperParameters).length > 0 ? { algorithmHyperParameters } : {}),
                ...(Object.keys(featureTransformationParameters).length > 0
                  ? { featureTransformationParameters }
                  : {}),
              },
            }),
          );
          app.notify(`Solution ${name.control.value} created.`);
          app.navigate('versions');
        } catch (err) {
          result.hidden = false;
          result.textContent = describeError(err);
        }
      },
    },
    h('h3', { id: 'create-solution-title' }, 'Create a solution'),
    h('div', { class: 'row' }, name.wrap, recipe.wrap),
    h('div', { class: 'row' }, eventType.wrap, threshold.wrap),
    paramsBox,
    h(
      'div',
      { class: 'field checkbox' },
      autoTrain,
      h('label', { for: 'perform-auto-training' }, 'Train new versions automatically (performAutoTraining)'),
    ),
    h(
      'section',
      { class: 'histogram', 'aria-labelledby': 'histogram-title' },
      h('h4', { id: 'histogram-title' }, 'User history lengths'),
      file.wrap,
      box,
      summary,
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create solution')),
    result,
  );
  await renderParams();

  return h(
    'section',
    {},
    h('h2', {}, 'Solutions'),
    table(
      'Solutions',
      ['Name', 'Status', 'Recipe', 'Event type', 'Threshold', 'Hyperparameters', 'Created (UTC)'],
      described.map((s) => [
        h('strong', {}, s.name ?? ''),
        h('span', { class: 'badge' }, s.status ?? ''),
        shortArn(s.recipeArn),
        s.eventType ?? 'all',
        s.solutionConfig?.eventValueThreshold ?? '—',
        h(
          'code',
          {},
          JSON.stringify({
            ...s.solutionConfig?.algorithmHyperParameters,
            ...s.solutionConfig?.featureTransformationParameters,
          }),
        ),
        when(s.creationDateTime),
      ]),
    ),
    form,
  );
}
