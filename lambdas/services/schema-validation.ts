/**
 * Dataset schema validation (spec §2.3, §5): parses the Avro record definition a caller passes to CreateSchema and
 * checks it against Personalize's rules for its dataset type. Pure: no I/O. Every problem is an
 * `InvalidInputException` whose message names the field and the rule, so a caller can fix the schema from the
 * message alone.
 */
import { invalidInput, type PersonalizeError } from '../errors';
import type { DatasetKind, FieldDef, FieldType } from './row-validation';

/** A validated schema: the dataset type its record name selects and its fields in CSV column order. */
export interface DatasetSchemaInfo {
  readonly datasetType: DatasetKind;
  readonly fields: readonly FieldDef[];
}

const PRIMITIVES: ReadonlySet<string> = new Set<FieldType>([
  'string',
  'int',
  'long',
  'float',
  'double',
  'boolean',
]);
const COMPLEX = new Set(['record', 'array', 'map', 'enum', 'fixed', 'bytes']);
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How a reserved field must be declared. */
interface ReservedRule {
  /** Accepted primitive types. */
  readonly types: readonly FieldType[];
  readonly required: boolean;
  /** Whether a `["null", T]` union is accepted. */
  readonly nullable: boolean;
}

const ID: ReservedRule = { types: ['string'], required: true, nullable: false };
const OPTIONAL_STRING: ReservedRule = { types: ['string'], required: false, nullable: true };

/**
 * Reserved fields per dataset type. None of them may be categorical or textual: ids, event types, impressions and
 * recommendation ids have their own meaning in training and must not be treated as metadata.
 */
const RESERVED: Readonly<Record<DatasetKind, Readonly<Record<string, ReservedRule>>>> = {
  Interactions: {
    USER_ID: ID,
    ITEM_ID: ID,
    TIMESTAMP: { types: ['long'], required: true, nullable: false },
    EVENT_TYPE: OPTIONAL_STRING,
    EVENT_VALUE: { types: ['float', 'double'], required: false, nullable: true },
    IMPRESSION: OPTIONAL_STRING,
    RECOMMENDATION_ID: OPTIONAL_STRING,
    EVENT_ATTRIBUTION_SOURCE: OPTIONAL_STRING,
  },
  Items: {
    ITEM_ID: ID,
    CREATION_TIMESTAMP: { types: ['long'], required: false, nullable: true },
  },
  Users: {
    USER_ID: ID,
  },
};

/** Metadata (non-reserved) field bounds per dataset type, from the current quotas (spec §5). */
export const METADATA_LIMITS: Readonly<Record<DatasetKind, { readonly min: number; readonly max: number }>> =
  {
    Interactions: { min: 0, max: 5 },
    Items: { min: 1, max: 100 },
    Users: { min: 1, max: 25 },
  };
const MAX_TEXTUAL_FIELDS = 1;

const DATASET_TYPES: readonly DatasetKind[] = ['Interactions', 'Items', 'Users'];
const UNSUPPORTED_TYPES = ['actions', 'action_interactions'];

function bad(message: string): PersonalizeError {
  return invalidInput(`Invalid schema: ${message}`);
}

/**
 * Resolves a `datasetType` or record name case-insensitively to Interactions, Items or Users. Actions and
 * Action_Interactions (Next-Best-Action) are valid Personalize types that this service does not implement.
 */
export function resolveDatasetType(value: string, what = 'Dataset type'): DatasetKind {
  const lower = value.toLowerCase();
  const kind = DATASET_TYPES.find((t) => t.toLowerCase() === lower);
  if (kind !== undefined) return kind;
  if (UNSUPPORTED_TYPES.includes(lower)) {
    throw invalidInput(
      `${what} ${value} is not supported by this service; use Interactions, Items or Users.`,
    );
  }
  throw invalidInput(`${what} ${value} is not valid; use Interactions, Items or Users.`);
}

/**
 * Parses and validates an Avro schema string. The record `name` decides the dataset type; the result carries the
 * fields in declaration order (which is the CSV column order).
 */
export function parseDatasetSchema(schema: string): DatasetSchemaInfo {
  let root: unknown;
  try {
    root = JSON.parse(schema);
  } catch (err) {
    throw bad(`the schema is not valid JSON (${err instanceof Error ? err.message : String(err)}).`);
  }
  if (!isObject(root)) throw bad('the schema must be a JSON object describing an Avro record.');
  if (root.type !== 'record') throw bad('the top-level "type" must be "record".');
  if (typeof root.name !== 'string') {
    throw bad('the record "name" must be a string naming the dataset type (Interactions, Items or Users).');
  }
  const datasetType = resolveRecordName(root.name);
  if (root.namespace !== undefined && typeof root.namespace !== 'string') {
    throw bad('"namespace" must be a string.');
  }
  if (root.version !== undefined && typeof root.version !== 'string')
    throw bad('"version" must be a string.');
  if (!Array.isArray(root.fields) || root.fields.length === 0) {
    throw bad('"fields" must be a non-empty array of field definitions.');
  }

  const fields = root.fields.map((raw, index) => parseField(raw, index, datasetType));
  checkUniqueNames(fields);
  checkReserved(fields, datasetType);
  checkMetadata(fields, datasetType);
  return { datasetType, fields };
}

/**
 * Validates a schema for a given dataset type (CreateDataset, UpdateDataset): the schema must be valid and its
 * record name must be that type.
 */
export function validateSchemaForType(schema: string, datasetType: DatasetKind): DatasetSchemaInfo {
  const info = parseDatasetSchema(schema);
  if (info.datasetType !== datasetType) {
    throw invalidInput(
      `The schema is for dataset type ${info.datasetType} (its record name), but the dataset type is ${datasetType}.`,
    );
  }
  return info;
}

function resolveRecordName(name: string): DatasetKind {
  const lower = name.toLowerCase();
  const kind = DATASET_TYPES.find((t) => t.toLowerCase() === lower);
  if (kind !== undefined) return kind;
  if (UNSUPPORTED_TYPES.includes(lower)) {
    throw bad(
      `record name "${name}" selects a dataset type this service does not support; use Interactions, Items or Users.`,
    );
  }
  throw bad(`record name "${name}" must be the dataset type: Interactions, Items or Users.`);
}

function parseField(raw: unknown, index: number, datasetType: DatasetKind): FieldDef {
  if (!isObject(raw)) throw bad(`fields[${index}] must be an object with "name" and "type".`);
  const name = raw.name;
  if (typeof name !== 'string' || !AVRO_NAME.test(name)) {
    throw bad(
      `fields[${index}] has an invalid name ${JSON.stringify(name)}; names start with a letter or underscore and contain only letters, digits and underscores.`,
    );
  }
  const { type, nullable } = parseFieldType(raw.type, name);
  const categorical = optionalBoolean(raw.categorical, name, 'categorical');
  const textual = optionalBoolean(raw.textual, name, 'textual');
  if (categorical && type !== 'string') {
    throw bad(`field ${name} is categorical but of type ${type}; only string fields can be categorical.`);
  }
  if (textual && type !== 'string') {
    throw bad(`field ${name} is textual but of type ${type}; only string fields can be textual.`);
  }
  if (textual && datasetType !== 'Items') {
    throw bad(`field ${name} is textual; textual fields are only allowed in an Items schema.`);
  }
  if (textual && categorical) throw bad(`field ${name} cannot be both categorical and textual.`);
  return {
    name,
    type,
    nullable,
    ...(categorical ? { categorical: true } : {}),
    ...(textual ? { textual: true } : {}),
  };
}

function parseFieldType(raw: unknown, name: string): { type: FieldType; nullable: boolean } {
  if (typeof raw === 'string') {
    if (PRIMITIVES.has(raw)) return { type: raw as FieldType, nullable: false };
    if (raw === 'null') {
      throw bad(
        `field ${name} has type "null" alone; use a union such as ["null", "string"] for nullable data.`,
      );
    }
    if (COMPLEX.has(raw))
      throw bad(`field ${name} has type "${raw}"; only flat primitive fields are allowed.`);
    throw bad(`field ${name} has unknown type "${raw}"; use float, double, int, long, string or boolean.`);
  }
  if (Array.isArray(raw)) {
    const nonNull = raw.filter((t) => t !== 'null');
    if (
      raw.length === 2 &&
      nonNull.length === 1 &&
      typeof nonNull[0] === 'string' &&
      PRIMITIVES.has(nonNull[0])
    ) {
      return { type: nonNull[0] as FieldType, nullable: true };
    }
    throw bad(
      `field ${name} has union type ${JSON.stringify(raw)}; a union must be "null" with one primitive type, such as ["null", "string"].`,
    );
  }
  if (isObject(raw)) {
    throw bad(
      `field ${name} has a nested type; only flat primitive fields are allowed (no records, arrays or maps).`,
    );
  }
  throw bad(`field ${name} must have a "type".`);
}

function optionalBoolean(value: unknown, field: string, attribute: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw bad(`field ${field} has "${attribute}" that is not a boolean.`);
  return value;
}

/** Personalize compares field names alphanumerically: `GENRES_FIELD_1` and `GenresField1` collide. */
function checkUniqueNames(fields: readonly FieldDef[]): void {
  const seen = new Map<string, string>();
  for (const field of fields) {
    const key = field.name.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw bad(
        previous === field.name
          ? `field ${field.name} appears more than once.`
          : `fields ${previous} and ${field.name} have the same name when compared alphanumerically.`,
      );
    }
    seen.set(key, field.name);
  }
}

function checkReserved(fields: readonly FieldDef[], datasetType: DatasetKind): void {
  const rules = RESERVED[datasetType];
  for (const [name, rule] of Object.entries(rules)) {
    const field = fields.find((f) => f.name === name);
    if (field === undefined) {
      if (rule.required) throw bad(`the ${datasetType} schema requires the field ${name}.`);
      continue;
    }
    if (!rule.types.includes(field.type)) {
      throw bad(`field ${name} must be of type ${rule.types.join(' or ')}, not ${field.type}.`);
    }
    if (field.nullable && !rule.nullable) throw bad(`field ${name} is required and cannot be nullable.`);
    if (field.categorical === true) throw bad(`reserved field ${name} cannot be categorical.`);
    if (field.textual === true) throw bad(`reserved field ${name} cannot be textual.`);
  }
}

function checkMetadata(fields: readonly FieldDef[], datasetType: DatasetKind): void {
  const reserved = RESERVED[datasetType];
  const metadata = fields.filter((f) => !Object.hasOwn(reserved, f.name));
  const { min, max } = METADATA_LIMITS[datasetType];
  if (metadata.length < min) {
    throw bad(`the ${datasetType} schema needs at least ${min} metadata field besides the reserved fields.`);
  }
  if (metadata.length > max) {
    throw bad(
      `the ${datasetType} schema can have at most ${max} metadata fields; it has ${metadata.length}.`,
    );
  }
  const textual = metadata.filter((f) => f.textual === true);
  if (textual.length > MAX_TEXTUAL_FIELDS) {
    throw bad(
      `an Items schema can have at most ${MAX_TEXTUAL_FIELDS} textual field; it has ${textual.length} (${textual.map((f) => f.name).join(', ')}).`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
