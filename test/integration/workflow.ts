/**
 * The setup most integration tests share, through the SDK clients of a {@link TestRuntime}: schemas and datasets,
 * imports run to completion, a group filled with interactions, a small solution, a version trained to `ACTIVE`.
 */
import {
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  type DatasetImportJob,
  DescribeDatasetImportJobCommand,
  DescribeSolutionVersionCommand,
  type TrainingMode,
} from '@aws-sdk/client-personalize';
import type { TestRuntime } from './harness';

/** The role imports name; the local runtime does not assume it. */
export const ROLE = 'arn:aws:iam::000000000000:role/PersonalizeS3';
export const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';

/** USER_ID, ITEM_ID, TIMESTAMP and EVENT_TYPE: the interactions schema most tests use. */
export const INTERACTION_FIELDS: readonly object[] = [
  { name: 'USER_ID', type: 'string' },
  { name: 'ITEM_ID', type: 'string' },
  { name: 'TIMESTAMP', type: 'long' },
  { name: 'EVENT_TYPE', type: 'string' },
];

/** An Avro record schema document for CreateSchema. */
export function avroSchema(name: string, fields: readonly object[]): string {
  return JSON.stringify({
    type: 'record',
    name,
    namespace: 'com.amazonaws.personalize.schema',
    fields,
    version: '1.0',
  });
}

export interface DatasetSpec {
  readonly datasetGroupArn: string;
  readonly datasetType: 'Interactions' | 'Items' | 'Users';
  readonly fields: readonly object[];
  readonly schemaName: string;
  /** @default schemaName */
  readonly datasetName?: string;
}

/** Creates a schema of `fields` (record name = `datasetType`) and the group's dataset on it; returns its ARN. */
export async function createDataset(t: TestRuntime, spec: DatasetSpec): Promise<string> {
  const { schemaArn } = await t.personalize.send(
    new CreateSchemaCommand({ name: spec.schemaName, schema: avroSchema(spec.datasetType, spec.fields) }),
  );
  const { datasetArn } = await t.personalize.send(
    new CreateDatasetCommand({
      name: spec.datasetName ?? spec.schemaName,
      datasetGroupArn: spec.datasetGroupArn,
      datasetType: spec.datasetType,
      schemaArn,
    }),
  );
  return datasetArn as string;
}

export interface ImportSpec {
  readonly datasetArn: string;
  readonly jobName: string;
  /** Where the CSV goes in the upload bucket. */
  readonly key: string;
  readonly csv: string;
}

/** Uploads the CSV and starts an import job of it; returns the job's ARN without waiting for it. */
export async function startImport(t: TestRuntime, spec: ImportSpec): Promise<string> {
  const dataLocation = await t.upload(spec.key, spec.csv);
  const { datasetImportJobArn } = await t.personalize.send(
    new CreateDatasetImportJobCommand({
      jobName: spec.jobName,
      datasetArn: spec.datasetArn,
      dataSource: { dataLocation },
      roleArn: ROLE,
    }),
  );
  return datasetImportJobArn as string;
}

/** {@link startImport}, then waits until the runtime is idle and returns the job as DescribeDatasetImportJob has it. */
export async function importAndWait(t: TestRuntime, spec: ImportSpec): Promise<DatasetImportJob> {
  const datasetImportJobArn = await startImport(t, spec);
  await t.idle();
  const { datasetImportJob } = await t.personalize.send(
    new DescribeDatasetImportJobCommand({ datasetImportJobArn }),
  );
  return datasetImportJob as DatasetImportJob;
}

/**
 * A dataset group `name` whose Interactions dataset ({@link INTERACTION_FIELDS}) holds `csv`; the import must end
 * `ACTIVE`. Returns the group's ARN.
 */
export async function groupWithInteractions(t: TestRuntime, name: string, csv: string): Promise<string> {
  const { datasetGroupArn } = await t.personalize.send(new CreateDatasetGroupCommand({ name }));
  const datasetArn = await createDataset(t, {
    datasetGroupArn: datasetGroupArn as string,
    datasetType: 'Interactions',
    fields: INTERACTION_FIELDS,
    schemaName: `${name}-interactions`,
  });
  const job = await importAndWait(t, {
    datasetArn,
    jobName: `${name}-import`,
    key: `${name}/interactions.csv`,
    csv,
  });
  expect(job.status).toBe('ACTIVE');
  return datasetGroupArn as string;
}

/**
 * A User-Personalization solution of `datasetGroupArn` at a small rank (`hidden_dimension` 32), so tests train fast;
 * `performAutoTraining: false` when asked. Returns its ARN.
 */
export async function smallSolution(
  t: TestRuntime,
  name: string,
  datasetGroupArn: string,
  options: { readonly performAutoTraining?: boolean } = {},
): Promise<string> {
  const { solutionArn } = await t.personalize.send(
    new CreateSolutionCommand({
      name,
      datasetGroupArn,
      recipeArn: RECIPE,
      ...options,
      solutionConfig: { algorithmHyperParameters: { hidden_dimension: '32' } },
    }),
  );
  return solutionArn as string;
}

/**
 * Creates a solution version (in `trainingMode` if given), waits until the runtime is idle and expects it `ACTIVE`
 * (and in that mode). Returns its ARN.
 */
export async function trainedVersion(
  t: TestRuntime,
  solutionArn: string,
  trainingMode?: TrainingMode,
): Promise<string> {
  const { solutionVersionArn } = await t.personalize.send(
    new CreateSolutionVersionCommand({
      solutionArn,
      ...(trainingMode !== undefined ? { trainingMode } : {}),
    }),
  );
  await t.idle();
  const { solutionVersion } = await t.personalize.send(
    new DescribeSolutionVersionCommand({ solutionVersionArn }),
  );
  expect(solutionVersion).toMatchObject({
    status: 'ACTIVE',
    ...(trainingMode !== undefined ? { trainingMode } : {}),
  });
  return solutionVersionArn as string;
}

/** `users` users with `each` interactions over `items` items; item k tends to follow item k−1. */
export function chainInteractionsCsv(users: number, each: number, items = 150): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  let time = 1_700_000_000;
  for (let u = 0; u < users; u++) {
    for (let s = 0; s < each; s++) lines.push(`u${u},i${(u * 13 + s) % items},${time++},click`);
  }
  return `${lines.join('\n')}\n`;
}
