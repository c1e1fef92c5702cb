/** The setup every end-to-end benchmark starts with, through the official control-plane client. */
import {
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateSchemaCommand,
  type PersonalizeClient,
} from '@aws-sdk/client-personalize';

export { USER_PERSONALIZATION_RECIPE_ARN as RECIPE } from '../../lambdas/services/recipes';
/** The role the benchmarks' import jobs name. */
export const ROLE = 'arn:aws:iam::000000000000:role/PersonalizeS3';

/** USER_ID, ITEM_ID, TIMESTAMP and EVENT_TYPE: what the synthetic interaction CSVs carry. */
export const BASIC_INTERACTION_FIELDS: readonly object[] = [
  { name: 'USER_ID', type: 'string' },
  { name: 'ITEM_ID', type: 'string' },
  { name: 'TIMESTAMP', type: 'long' },
  { name: 'EVENT_TYPE', type: 'string' },
];

/** The Avro record schema document CreateSchema takes, for a dataset type's `name` and its fields. */
export const avroSchemaJson = (name: string, fields: readonly object[]): string =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'com.amazonaws.personalize.schema',
    fields,
    version: '1.0',
  });

/** Dataset group `<prefix>` → schema and Interactions dataset `<prefix>-interactions`. */
export async function createInteractionsDataset(
  personalize: PersonalizeClient,
  prefix: string,
  fields: readonly object[] = BASIC_INTERACTION_FIELDS,
): Promise<{ datasetGroupArn: string; datasetArn: string }> {
  const { datasetGroupArn } = await personalize.send(new CreateDatasetGroupCommand({ name: prefix }));
  const { schemaArn } = await personalize.send(
    new CreateSchemaCommand({
      name: `${prefix}-interactions`,
      schema: avroSchemaJson('Interactions', fields),
    }),
  );
  const { datasetArn } = await personalize.send(
    new CreateDatasetCommand({
      name: `${prefix}-interactions`,
      datasetGroupArn,
      datasetType: 'Interactions',
      schemaArn,
    }),
  );
  return { datasetGroupArn: datasetGroupArn as string, datasetArn: datasetArn as string };
}
