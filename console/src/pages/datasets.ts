/**
 * Datasets of the current group: the schema editor (validated as you type with the service's own rules), dataset
 * creation, import jobs from S3 with live status and the failing line and column, and event trackers.
 */
import {
  CreateDatasetCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateSchemaCommand,
  type DatasetImportJob,
  DescribeDatasetCommand,
  DescribeDatasetImportJobCommand,
  DescribeEventTrackerCommand,
  ListDatasetImportJobsCommand,
  ListDatasetsCommand,
  ListEventTrackersCommand,
} from '@aws-sdk/client-personalize';
import { validateSchemaForType } from '../../../lambdas/services/schema-validation';
import { type App, isTerminal, poll, statusStep } from '../app';
import { describeError } from '../clients';
import { type Child, field, h, input, replace, seconds, select, shortArn, table, when } from '../dom';

type Kind = 'Interactions' | 'Items' | 'Users';

/** A starting point per dataset type: the reserved fields and one metadata field of each kind. */
const TEMPLATES: Record<Kind, object> = {
  Interactions: {
    type: 'record',
    name: 'Interactions',
    namespace: 'com.amazonaws.personalize.schema',
    fields: [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      { name: 'EVENT_TYPE', type: 'string' },
      { name: 'EVENT_VALUE', type: ['null', 'float'] },
    ],
    version: '1.0',
  },
  Items: {
    type: 'record',
    name: 'Items',
    namespace: 'com.amazonaws.personalize.schema',
    fields: [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'GENRE', type: ['null', 'string'], categorical: true },
      { name: 'CREATION_TIMESTAMP', type: ['null', 'long'] },
    ],
    version: '1.0',
  },
  Users: {
    type: 'record',
    name: 'Users',
    namespace: 'com.amazonaws.personalize.schema',
    fields: [
      { name: 'USER_ID', type: 'string' },
      { name: 'SEGMENT', type: ['null', 'string'], categorical: true },
    ],
    version: '1.0',
  },
};

/** `Line 12: column PRICE: ...` → line 12, column PRICE; import failures are phrased that way. */
export function failingLocation(reason: string | undefined): { line?: number; column?: string } {
  const m = /Line (\d+)(?:[:,]\s*column ([^:,.\s]+))?/i.exec(reason ?? '');
  if (m === null) return {};
  return { line: Number(m[1]), ...(m[2] !== undefined ? { column: m[2] } : {}) };
}

function jobProgress(job: DatasetImportJob): Child[] {
  const step = statusStep(job.status);
  const started = job.creationDateTime?.getTime() ?? Date.now();
  const ended = isTerminal(job.status) ? (job.lastUpdatedDateTime?.getTime() ?? Date.now()) : Date.now();
  const where = failingLocation(job.failureReason);
  return [
    h('progress', { max: step.max, value: step.value, 'aria-label': `${job.jobName} progress` }),
    ' ',
    h(
      'span',
      { class: `badge ${job.status === 'ACTIVE' ? 'ok' : step.failed ? 'bad' : ''}` },
      job.status ?? '',
    ),
    ' ',
    seconds(ended - started),
    job.failureReason
      ? h(
          'div',
          { class: 'failure' },
          where.line !== undefined
            ? h(
                'strong',
                { 'data-testid': 'failing-location' },
                `Fails at line ${where.line}${where.column ? `, column ${where.column}` : ''}`,
              )
            : null,
          h('div', {}, job.failureReason),
        )
      : null,
  ];
}

export async function datasetsPage(app: App): Promise<HTMLElement> {
  const c = app.clients.control;
  const group = app.group!;
  const { datasets = [] } = await c.send(
    new ListDatasetsCommand({ datasetGroupArn: group, maxResults: 100 }),
  );
  const described = await Promise.all(
    datasets.map((d) =>
      c.send(new DescribeDatasetCommand({ datasetArn: d.datasetArn })).then((r) => r.dataset!),
    ),
  );
  const rows = described.map((d) => [
    h('strong', {}, d.name ?? ''),
    d.datasetType ?? '',
    h('span', { class: 'badge' }, d.status ?? ''),
    shortArn(d.schemaArn),
    when(d.creationDateTime),
  ]);

  // Schema editor and dataset creation.
  const kind = field(
    'Dataset type',
    select(
      [
        ['Interactions', 'Interactions'],
        ['Items', 'Items'],
        ['Users', 'Users'],
      ],
      { name: 'datasetType' },
    ),
  );
  const datasetName = field('Dataset name', input({ name: 'datasetName', required: true }));
  const schemaName = field('Schema name', input({ name: 'schemaName', required: true }));
  const schema = field(
    'Schema (Avro JSON)',
    h('textarea', { name: 'schema', rows: 14, spellcheck: 'false', class: 'code' }),
    'Checked as you type with the same rules CreateSchema applies.',
  );
  const schemaOk = h('p', { class: 'ok-text', 'aria-live': 'polite' });
  const validate = (): boolean => {
    try {
      validateSchemaForType(schema.control.value, kind.control.value as Kind);
      schema.setError();
      schemaOk.textContent = 'Schema is valid for this dataset type.';
      return true;
    } catch (err) {
      schema.setError(err instanceof Error ? err.message : String(err));
      schemaOk.textContent = '';
      return false;
    }
  };
  const fillTemplate = () => {
    schema.control.value = JSON.stringify(TEMPLATES[kind.control.value as Kind], null, 2);
    validate();
  };
  kind.control.addEventListener('change', fillTemplate);
  schema.control.addEventListener('input', validate);
  fillTemplate();
  const createResult = h('p', { role: 'alert', class: 'error', hidden: true });
  const createForm = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'create-dataset-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        createResult.hidden = true;
        if (!validate()) {
          schema.control.focus();
          return;
        }
        try {
          const { schemaArn } = await c.send(
            new CreateSchemaCommand({ name: schemaName.control.value.trim(), schema: schema.control.value }),
          );
          await c.send(
            new CreateDatasetCommand({
              name: datasetName.control.value.trim(),
              datasetGroupArn: group,
              datasetType: kind.control.value,
              schemaArn,
            }),
          );
          app.notify(`Dataset ${datasetName.control.value} created.`);
          app.navigate('datasets');
        } catch (err) {
          createResult.hidden = false;
          createResult.textContent = describeError(err);
        }
      },
    },
    h('h3', { id: 'create-dataset-title' }, 'Create a dataset'),
    h('div', { class: 'row' }, kind.wrap, datasetName.wrap, schemaName.wrap),
    schema.wrap,
    schemaOk,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create schema and dataset')),
    createResult,
  );

  // Import jobs.
  const jobsBox = h('div', { id: 'import-jobs' });
  const datasetChoice = field(
    'Dataset',
    select(
      described.map((d) => [d.datasetArn ?? '', `${d.datasetType} · ${d.name}`]),
      { name: 'importDataset' },
    ),
  );
  const jobName = field('Job name', input({ name: 'jobName', required: true }));
  const location = field(
    'Data location',
    input({ name: 'dataLocation', required: true, placeholder: 's3://bucket/interactions.csv' }),
    'An S3 object or a folder (ending in /) of CSV files.',
  );
  const role = field(
    'IAM role ARN',
    input({ name: 'roleArn', value: 'arn:aws:iam::000000000000:role/PersonalizeImport' }),
    'Assumed to read the bucket on AWS; the local runtime reads its own S3.',
  );
  const mode = field(
    'Import mode',
    select(
      [
        ['FULL', 'FULL (replace)'],
        ['INCREMENTAL', 'INCREMENTAL (append)'],
      ],
      { name: 'importMode' },
    ),
  );
  const importResult = h('p', { role: 'alert', class: 'error', hidden: true });
  const importForm = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'import-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        importResult.hidden = true;
        try {
          await c.send(
            new CreateDatasetImportJobCommand({
              jobName: jobName.control.value.trim(),
              datasetArn: datasetChoice.control.value,
              dataSource: { dataLocation: location.control.value.trim() },
              roleArn: role.control.value.trim(),
              importMode: mode.control.value as 'FULL' | 'INCREMENTAL',
            }),
          );
          app.notify(`Import job ${jobName.control.value} started.`);
          jobName.control.value = '';
          location.control.value = '';
          watchJobs();
        } catch (err) {
          importResult.hidden = false;
          importResult.textContent = describeError(err);
        }
      },
    },
    h('h3', { id: 'import-title' }, 'Import from S3'),
    h('div', { class: 'row' }, datasetChoice.wrap, jobName.wrap, mode.wrap),
    h('div', { class: 'row' }, location.wrap, role.wrap),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', disabled: described.length === 0 }, 'Start import'),
    ),
    importResult,
  );
  const watchJobs = () =>
    poll(app, 700, async () => {
      const jobs: DatasetImportJob[] = [];
      for (const d of described) {
        const { datasetImportJobs = [] } = await c.send(
          new ListDatasetImportJobsCommand({ datasetArn: d.datasetArn, maxResults: 100 }),
        );
        for (const s of datasetImportJobs) {
          const { datasetImportJob } = await c.send(
            new DescribeDatasetImportJobCommand({ datasetImportJobArn: s.datasetImportJobArn }),
          );
          if (datasetImportJob) jobs.push(datasetImportJob);
        }
      }
      const datasetName = (arn?: string) => described.find((d) => d.datasetArn === arn)?.name ?? '';
      replace(
        jobsBox,
        table(
          'Import jobs',
          ['Job', 'Dataset', 'Source', 'Mode', 'Status and progress'],
          jobs.map((j) => [
            h('strong', {}, j.jobName ?? ''),
            datasetName(j.datasetArn),
            h('code', {}, j.dataSource?.dataLocation ?? ''),
            j.importMode ?? 'FULL',
            h('div', { class: 'progress-cell' }, ...jobProgress(j)),
          ]),
        ),
      );
      return jobs.every((j) => isTerminal(j.status));
    });
  watchJobs();

  // Event trackers.
  const { eventTrackers = [] } = await c.send(
    new ListEventTrackersCommand({ datasetGroupArn: group, maxResults: 100 }),
  );
  const trackers = await Promise.all(
    eventTrackers.map((t) =>
      c
        .send(new DescribeEventTrackerCommand({ eventTrackerArn: t.eventTrackerArn }))
        .then((r) => r.eventTracker!),
    ),
  );
  const trackerName = field('Tracker name', input({ name: 'trackerName', required: true }));
  const trackerResult = h('p', { role: 'alert', class: 'error', hidden: true });
  const trackerForm = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'tracker-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await c.send(
            new CreateEventTrackerCommand({ name: trackerName.control.value.trim(), datasetGroupArn: group }),
          );
          app.notify(`Event tracker ${trackerName.control.value} created.`);
          app.navigate('datasets');
        } catch (err) {
          trackerResult.hidden = false;
          trackerResult.textContent = describeError(err);
        }
      },
    },
    h('h3', { id: 'tracker-title' }, 'Create an event tracker'),
    trackerName.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create event tracker')),
    trackerResult,
  );

  return h(
    'section',
    {},
    h('h2', {}, 'Datasets'),
    h('p', { class: 'context' }, 'Dataset group ', h('code', {}, shortArn(group))),
    table('Datasets', ['Name', 'Type', 'Status', 'Schema', 'Created (UTC)'], rows),
    createForm,
    h('h2', {}, 'Import jobs'),
    jobsBox,
    importForm,
    h('h2', {}, 'Event trackers'),
    table(
      'Event trackers',
      ['Name', 'Status', 'Tracking id'],
      trackers.map((t) => [
        h('strong', {}, t.name ?? ''),
        h('span', { class: 'badge' }, t.status ?? ''),
        h('code', { class: 'tracking-id' }, t.trackingId ?? ''),
      ]),
    ),
    trackerForm,
  );
}
