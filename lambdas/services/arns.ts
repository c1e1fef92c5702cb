/**
 * ARN builders and parsers (spec §4). Partition is always `aws`: the SDKs only check the model pattern
 * `arn:([a-z\d-]+):personalize:.*:.*:.+`, and `aws` keeps ARNs identical to the ones AWS documents.
 */
import { randomBytes } from 'node:crypto';

export const PARTITION = 'aws';

export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

export interface ParsedArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The resource-type segment, e.g. `dataset-group`. */
  readonly resourceType: string;
  /** Everything after `<resourceType>/`, e.g. `MyGroup/INTERACTIONS`. */
  readonly resourceId: string;
}

const base = (scope: ArnScope, type: string, id: string) =>
  `arn:${PARTITION}:personalize:${scope.region}:${scope.accountId}:${type}/${id}`;

export const datasetGroupArn = (scope: ArnScope, name: string) => base(scope, 'dataset-group', name);
export const schemaArn = (scope: ArnScope, name: string) => base(scope, 'schema', name);
/** `dataset/<groupName>/<TYPE>`: the type in upper case, so at most one dataset per type and group. */
export const datasetArn = (scope: ArnScope, groupName: string, datasetType: string) =>
  base(scope, 'dataset', `${groupName}/${datasetType.toUpperCase()}`);
export const eventTrackerArn = (scope: ArnScope, id: string = hexId()) => base(scope, 'event-tracker', id);
export const datasetImportJobArn = (scope: ArnScope, name: string) => base(scope, 'dataset-import-job', name);
export const solutionArn = (scope: ArnScope, name: string) => base(scope, 'solution', name);
/** `solution/<solutionName>/<8 hex>`. */
export const solutionVersionArn = (scope: ArnScope, solutionName: string, id: string = hexId()) =>
  base(scope, 'solution', `${solutionName}/${id}`);
export const campaignArn = (scope: ArnScope, name: string) => base(scope, 'campaign', name);
export const filterArn = (scope: ArnScope, name: string) => base(scope, 'filter', name);

/** An 8-hex-character id, as AWS uses for event trackers and solution versions. */
export function hexId(): string {
  return randomBytes(4).toString('hex');
}

const ARN_RE = /^arn:([a-z\d-]+):personalize:([^:]*):([^:]*):([a-z-]+)\/(.+)$/;

/** Parses a Personalize ARN; `undefined` when it is not one. */
export function parseArn(arn: string): ParsedArn | undefined {
  const m = ARN_RE.exec(arn);
  if (m === null) return undefined;
  const [, partition, region, accountId, resourceType, resourceId] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { partition, region, accountId, resourceType, resourceId };
}

/** The last path segment of an ARN's resource id (the name for most resource types). */
export function arnName(arn: string): string | undefined {
  const parsed = parseArn(arn);
  if (parsed === undefined) return undefined;
  const parts = parsed.resourceId.split('/');
  return parts[parts.length - 1];
}
