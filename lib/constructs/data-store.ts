import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Access, Grants } from '../../lambdas/api/routes';
import {
  DATA_BUCKET,
  EVENTS_TABLE,
  RECORDS_TABLE,
  RESOURCES_TABLE,
  TABLES,
  type TableDef,
} from '../../lambdas/store/tables';
import type { PersonalizeFunction } from './personalize-function';

export interface DataStoreProps {
  /**
   * What happens to the tables and the bucket when they leave the stack. `DESTROY` suits throw-away dev stacks.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Empty the bucket on stack deletion so that `DESTROY` can delete it; only allowed with `DESTROY`.
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
  /**
   * Keep old versions of overwritten or deleted objects in the data bucket.
   * @default false
   */
  readonly versioned?: boolean;
}

/**
 * The tables of `TABLES` and the data bucket, with the project's storage defaults in one place: on-demand
 * capacity, AWS-managed encryption and point-in-time recovery for tables; no public access, TLS only and S3-managed
 * encryption for the bucket. The key schema comes from `lambdas/store/tables.ts`, which the local runtime uses too.
 */
export class DataStore extends Construct {
  /** Tables by their `TABLES` id. */
  readonly tables: Readonly<Record<string, Table>>;
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: DataStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const autoDeleteObjects = props.autoDeleteObjects ?? false;
    if (autoDeleteObjects && removalPolicy !== RemovalPolicy.DESTROY) {
      throw new Error(`${this.node.path}: autoDeleteObjects requires removalPolicy DESTROY`);
    }

    const tables: Record<string, Table> = {};
    for (const def of TABLES) {
      const table = new Table(this, def.id, {
        partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
        sortKey: def.sortKey === undefined ? undefined : { name: def.sortKey, type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: def.timeToLiveAttribute,
        removalPolicy,
      });
      for (const index of def.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey:
            index.sortKey === undefined ? undefined : { name: index.sortKey, type: AttributeType.STRING },
          ...(index.include === undefined
            ? { projectionType: ProjectionType.ALL }
            : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }),
        });
      }
      tables[def.id] = table;
    }
    this.tables = tables;

    this.bucket = new Bucket(this, DATA_BUCKET.id, {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      removalPolicy,
      autoDeleteObjects,
    });
  }

  table(id: string): ITable {
    const table = this.tables[id];
    if (table === undefined) throw new Error(`${this.node.path}: no table ${id}`);
    return table;
  }

  /** Applies a route's data grants (tables and bucket) to a function, each with its env variable. */
  bindGrants(fn: PersonalizeFunction, grants: Grants): void {
    const tableGrants: ReadonlyArray<[TableDef, Access | undefined]> = [
      [RESOURCES_TABLE, grants.resources],
      [EVENTS_TABLE, grants.events],
      [RECORDS_TABLE, grants.records],
    ];
    for (const [def, access] of tableGrants) {
      if (access !== undefined) fn.bindTable(this.table(def.id), def.envKey, access);
    }
    if (grants.bucket !== undefined) fn.bindBucket(this.bucket, DATA_BUCKET.envKey, grants.bucket);
  }
}
