/**
 * PutItems / PutUsers (spec §2.6): validate each record's `properties` against the dataset's schema and upsert it
 * by id. The dataset must exist (`ResourceNotFoundException`, 404), be of the operation's type
 * (`InvalidInputException`) and be ACTIVE (`ResourceInUseException`, 409).
 */
import type { PutItemsRequest, PutUsersRequest } from '@aws-sdk/client-personalize-events';
import { inUse, invalidInput } from '../errors';
import type { StoredRecord } from '../store/records';
import { resourceNotFound } from '../store/resources';
import type { ServiceContext } from './context';
import { findDataset } from './dataset-data';
import { ImportValidationError, parseProperties } from './row-validation';

interface Incoming {
  readonly id: string;
  readonly properties?: string;
}

async function putRecords(
  ctx: ServiceContext,
  datasetArn: string,
  kind: 'Items' | 'Users',
  member: 'items' | 'users',
  incoming: readonly Incoming[],
): Promise<Record<string, never>> {
  const dataset = await findDataset(ctx, datasetArn);
  if (dataset === undefined) throw resourceNotFound(datasetArn);
  if (dataset.kind !== kind) {
    throw invalidInput(
      `Dataset ${datasetArn} has type ${dataset.kind}; ${member} belong in a dataset of type ${kind}.`,
    );
  }
  if (dataset.record.status !== 'ACTIVE') {
    throw inUse(
      `Dataset ${datasetArn} is in state ${dataset.record.status ?? 'unknown'}; it must be ACTIVE.`,
    );
  }
  const idField = kind === 'Items' ? 'ITEM_ID' : 'USER_ID';
  const required = dataset.fields.filter((f) => !f.nullable && f.name !== idField);
  const updatedAt = ctx.now().getTime();
  const records: StoredRecord[] = incoming.map((record, i) => {
    const where = `${member}.${i + 1}.member`;
    let values: Map<string, string | number | boolean | null>;
    try {
      values = parseProperties(record.properties, dataset.fields, where, new Set([idField]));
    } catch (err) {
      if (err instanceof ImportValidationError) throw invalidInput(err.message);
      throw err;
    }
    const missing = required.filter((f) => values.get(f.name) === undefined || values.get(f.name) === null);
    if (missing.length > 0) {
      throw invalidInput(
        `${where}.properties must set ${missing.map((f) => f.name).join(', ')} (required by the schema).`,
      );
    }
    return { id: record.id, values: Object.fromEntries(values), updatedAt };
  });
  await ctx.records.put(datasetArn, records);
  return {};
}

export function putItems(ctx: ServiceContext, input: PutItemsRequest): Promise<Record<string, never>> {
  return putRecords(
    ctx,
    input.datasetArn as string,
    'Items',
    'items',
    (input.items ?? []).map((item) => ({ id: item.itemId as string, properties: item.properties })),
  );
}

export function putUsers(ctx: ServiceContext, input: PutUsersRequest): Promise<Record<string, never>> {
  return putRecords(
    ctx,
    input.datasetArn as string,
    'Users',
    'users',
    (input.users ?? []).map((user) => ({ id: user.userId as string, properties: user.properties })),
  );
}
