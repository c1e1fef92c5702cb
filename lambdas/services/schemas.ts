/**
 * Schemas (spec §2.3): account-level, immutable, synchronous. The Avro definition is validated when created (its
 * record name decides the dataset type) and again against the dataset type when a dataset uses it. Datasets count
 * their uses in the schema's `datasets` counter, so DeleteSchema is one conditional delete.
 */
import type {
  CreateSchemaRequest,
  CreateSchemaResponse,
  DatasetSchema,
  DatasetSchemaSummary,
  DeleteSchemaRequest,
  DescribeSchemaRequest,
  DescribeSchemaResponse,
  ListSchemasRequest,
  ListSchemasResponse,
} from '@aws-sdk/client-personalize';
import { inUse, invalidInput } from '../errors';
import type { ResourceRecord } from '../store/resources';
import { schemaArn } from './arns';
import type { ServiceContext } from './context';
import { listPage, nextTokenOf, pick } from './pagination';
import { parseDatasetSchema } from './schema-validation';

export const SCHEMA = 'schema';
/** Counter on a schema item: how many datasets reference it. */
export const SCHEMA_USES = 'datasets';
/** Schemas have no wire status; this internal state lets datasets pin a schema with a conditional write. */
export const SCHEMA_ACTIVE = 'ACTIVE';

const SUMMARY_KEYS = [
  'name',
  'schemaArn',
  'creationDateTime',
  'lastUpdatedDateTime',
  'domain',
] as const satisfies readonly (keyof DatasetSchemaSummary)[];

/** Validates the Avro definition (record name = dataset type) and stores it; `domain` is refused. */
export async function createSchema(
  ctx: ServiceContext,
  input: CreateSchemaRequest,
): Promise<CreateSchemaResponse> {
  if (input.domain !== undefined) {
    throw invalidInput(
      `Domain schemas (domain ${input.domain}) are not supported by this service, which supports Custom dataset ` +
        'groups only; omit domain.',
    );
  }
  const info = parseDatasetSchema(input.schema!);
  const arn = schemaArn(ctx, input.name!);
  const now = ctx.now();
  const doc: DatasetSchema = {
    name: input.name!,
    schemaArn: arn,
    schema: input.schema!,
    creationDateTime: now,
    lastUpdatedDateTime: now,
  };
  await ctx.resources.create({
    arn,
    type: SCHEMA,
    status: SCHEMA_ACTIVE,
    doc,
    attrs: { datasetType: info.datasetType },
    createdAt: now.getTime(),
  });
  return { schemaArn: arn };
}

/** The stored schema, including the Avro definition string. */
export async function describeSchema(
  ctx: ServiceContext,
  input: DescribeSchemaRequest,
): Promise<DescribeSchemaResponse> {
  const record = await ctx.resources.require<DatasetSchema>(input.schemaArn!, SCHEMA);
  return { schema: record.doc };
}

/** Schema summaries (without the definition), newest first, paged. */
export async function listSchemas(
  ctx: ServiceContext,
  input: ListSchemasRequest,
): Promise<ListSchemasResponse> {
  const page = await listPage(ctx.resources, SCHEMA, input, (r: ResourceRecord<DatasetSchema>) =>
    pick(r.doc, SUMMARY_KEYS),
  );
  return { schemas: page.items, ...nextTokenOf(page) };
}

/** Deletes an unused schema; one still referenced by a dataset → `ResourceInUseException`. */
export async function deleteSchema(ctx: ServiceContext, input: DeleteSchemaRequest): Promise<object> {
  const arn = input.schemaArn!;
  await ctx.resources.require(arn, SCHEMA);
  await ctx.resources.delete(arn, { countersZero: [SCHEMA_USES] }, () =>
    inUse(`Schema ${arn} is used by a dataset; delete the dataset or update it to another schema first.`),
  );
  return {};
}

/** The stored schema record (typed), or `ResourceNotFoundException`. */
export function requireSchema(ctx: ServiceContext, arn: string): Promise<ResourceRecord<DatasetSchema>> {
  return ctx.resources.require<DatasetSchema>(arn, SCHEMA);
}
