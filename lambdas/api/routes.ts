/**
 * The route table: every API operation, the service it belongs to, the handler file that serves it
 * (`lambdas/handlers/<handler>.ts`) and the data it may touch. CDK builds one function per entry with exactly these
 * grants; the local runtime loads the same handler files. Plain data: no imports of handlers.
 */
import type { ServiceName } from '../errors';

export type Access = 'read' | 'write';

export interface Grants {
  readonly resources?: Access;
  readonly events?: Access;
  readonly records?: Access;
  readonly bucket?: Access;
  /** Starts the dataset import function asynchronously. */
  readonly invokeImport?: boolean;
  /** Starts executions of the training state machine (`states:StartExecution`, its ARN in the env). */
  readonly startTraining?: boolean;
  /** Stops executions of the training state machine (`states:StopExecution`). */
  readonly stopTraining?: boolean;
  /** Reads the state of training executions (`states:DescribeExecution`). */
  readonly describeTraining?: boolean;
  /** Starts executions of the batch inference state machine (`states:StartExecution`, its ARN in the env). */
  readonly startBatchInference?: boolean;
}

export interface Route {
  readonly operation: string;
  readonly service: ServiceName;
  /** Kebab-case handler file name, without extension. */
  readonly handler: string;
  /** REST path for runtime and events operations; control-plane operations all arrive at `POST /`. */
  readonly path?: string;
  readonly grants: Grants;
  /** The function loads models: its memory follows the served catalog (`lib/serving-memory.ts`). */
  readonly holdsModel?: true;
}

const R: Grants = { resources: 'read' };
const W: Grants = { resources: 'write' };

export const ROUTES: readonly Route[] = [
  { operation: 'CreateDatasetGroup', service: 'control', handler: 'create-dataset-group', grants: W },
  { operation: 'DescribeDatasetGroup', service: 'control', handler: 'describe-dataset-group', grants: R },
  { operation: 'ListDatasetGroups', service: 'control', handler: 'list-dataset-groups', grants: R },
  { operation: 'DeleteDatasetGroup', service: 'control', handler: 'delete-dataset-group', grants: W },
  { operation: 'CreateSchema', service: 'control', handler: 'create-schema', grants: W },
  { operation: 'DescribeSchema', service: 'control', handler: 'describe-schema', grants: R },
  { operation: 'ListSchemas', service: 'control', handler: 'list-schemas', grants: R },
  { operation: 'DeleteSchema', service: 'control', handler: 'delete-schema', grants: W },
  { operation: 'CreateDataset', service: 'control', handler: 'create-dataset', grants: W },
  { operation: 'DescribeDataset', service: 'control', handler: 'describe-dataset', grants: R },
  { operation: 'ListDatasets', service: 'control', handler: 'list-datasets', grants: R },
  { operation: 'UpdateDataset', service: 'control', handler: 'update-dataset', grants: W },
  { operation: 'DeleteDataset', service: 'control', handler: 'delete-dataset', grants: W },
  {
    operation: 'CreateDatasetImportJob',
    service: 'control',
    handler: 'create-dataset-import-job',
    grants: { resources: 'write', invokeImport: true },
  },
  {
    operation: 'DescribeDatasetImportJob',
    service: 'control',
    handler: 'describe-dataset-import-job',
    grants: R,
  },
  { operation: 'ListDatasetImportJobs', service: 'control', handler: 'list-dataset-import-jobs', grants: R },
  { operation: 'CreateEventTracker', service: 'control', handler: 'create-event-tracker', grants: W },
  { operation: 'DescribeEventTracker', service: 'control', handler: 'describe-event-tracker', grants: R },
  { operation: 'ListEventTrackers', service: 'control', handler: 'list-event-trackers', grants: R },
  { operation: 'DeleteEventTracker', service: 'control', handler: 'delete-event-tracker', grants: W },
  { operation: 'TagResource', service: 'control', handler: 'tag-resource', grants: W },
  { operation: 'UntagResource', service: 'control', handler: 'untag-resource', grants: W },
  { operation: 'ListTagsForResource', service: 'control', handler: 'list-tags-for-resource', grants: R },
  // The recipe catalog is constant: no data access at all.
  { operation: 'ListRecipes', service: 'control', handler: 'list-recipes', grants: {} },
  { operation: 'DescribeRecipe', service: 'control', handler: 'describe-recipe', grants: {} },
  { operation: 'DescribeAlgorithm', service: 'control', handler: 'describe-algorithm', grants: {} },
  { operation: 'CreateSolution', service: 'control', handler: 'create-solution', grants: W },
  { operation: 'DescribeSolution', service: 'control', handler: 'describe-solution', grants: R },
  { operation: 'ListSolutions', service: 'control', handler: 'list-solutions', grants: R },
  { operation: 'UpdateSolution', service: 'control', handler: 'update-solution', grants: W },
  // Deleting a solution removes its versions' training data and models from the bucket.
  {
    operation: 'DeleteSolution',
    service: 'control',
    handler: 'delete-solution',
    grants: { resources: 'write', bucket: 'write' },
  },
  {
    operation: 'CreateSolutionVersion',
    service: 'control',
    handler: 'create-solution-version',
    grants: { resources: 'write', startTraining: true },
  },
  // Describe records a version whose execution ended without reaching the failure step as CREATE FAILED.
  {
    operation: 'DescribeSolutionVersion',
    service: 'control',
    handler: 'describe-solution-version',
    grants: { resources: 'write', describeTraining: true },
  },
  { operation: 'ListSolutionVersions', service: 'control', handler: 'list-solution-versions', grants: R },
  {
    operation: 'StopSolutionVersionCreation',
    service: 'control',
    handler: 'stop-solution-version-creation',
    grants: { resources: 'write', stopTraining: true },
  },
  { operation: 'GetSolutionMetrics', service: 'control', handler: 'get-solution-metrics', grants: R },
  { operation: 'CreateCampaign', service: 'control', handler: 'create-campaign', grants: W },
  { operation: 'DescribeCampaign', service: 'control', handler: 'describe-campaign', grants: R },
  { operation: 'ListCampaigns', service: 'control', handler: 'list-campaigns', grants: R },
  { operation: 'UpdateCampaign', service: 'control', handler: 'update-campaign', grants: W },
  { operation: 'DeleteCampaign', service: 'control', handler: 'delete-campaign', grants: W },
  {
    operation: 'CreateBatchInferenceJob',
    service: 'control',
    handler: 'create-batch-inference-job',
    grants: { resources: 'write', startBatchInference: true },
  },
  {
    operation: 'DescribeBatchInferenceJob',
    service: 'control',
    handler: 'describe-batch-inference-job',
    grants: R,
  },
  {
    operation: 'ListBatchInferenceJobs',
    service: 'control',
    handler: 'list-batch-inference-jobs',
    grants: R,
  },
  { operation: 'CreateFilter', service: 'control', handler: 'create-filter', grants: W },
  { operation: 'DescribeFilter', service: 'control', handler: 'describe-filter', grants: R },
  { operation: 'ListFilters', service: 'control', handler: 'list-filters', grants: R },
  { operation: 'DeleteFilter', service: 'control', handler: 'delete-filter', grants: W },
  {
    operation: 'PutEvents',
    service: 'events',
    handler: 'put-events',
    path: '/events',
    grants: { resources: 'read', events: 'write' },
  },
  {
    operation: 'PutItems',
    service: 'events',
    handler: 'put-items',
    path: '/items',
    grants: { resources: 'read', records: 'write' },
  },
  {
    operation: 'PutUsers',
    service: 'events',
    handler: 'put-users',
    path: '/users',
    grants: { resources: 'read', records: 'write' },
  },
  // Serving: the campaign (and, for `$LATEST` sync, its attributes), the user's events and the recommendationId
  // record in the Events table, the model artifact and, for metadataColumns and filters, the Items and Users data
  // (bulk generations in the bucket, PutItems / PutUsers records).
  {
    operation: 'GetRecommendations',
    service: 'runtime',
    handler: 'get-recommendations',
    path: '/recommendations',
    grants: { resources: 'write', events: 'write', records: 'read', bucket: 'read' },
    holdsModel: true,
  },
  {
    operation: 'GetPersonalizedRanking',
    service: 'runtime',
    handler: 'get-personalized-ranking',
    path: '/personalize-ranking',
    grants: { resources: 'write', events: 'write', records: 'read', bucket: 'read' },
    holdsModel: true,
  },
];

/** A runtime or events operation of the service models that this service does not implement. */
export interface UnsupportedRoute {
  readonly operation: string;
  readonly service: ServiceName;
  readonly path: string;
}

/**
 * Their paths lead to the router, which answers a signed call with UnknownOperationException framed for the
 * service, as it answers an unknown control-plane target, instead of API Gateway's bare 404.
 */
export const UNSUPPORTED_REST_ROUTES: readonly UnsupportedRoute[] = [
  { operation: 'GetActionRecommendations', service: 'runtime', path: '/action-recommendations' },
  { operation: 'PutActionInteractions', service: 'events', path: '/action-interactions' },
  { operation: 'PutActions', service: 'events', path: '/actions' },
];

/** Functions that are not API operations: the control-plane router and asynchronous workers. */
export interface WorkerDef {
  readonly name: string;
  readonly handler: string;
  readonly grants: Grants;
  /** Holds a whole dataset or model in memory: gets the training memory size instead of the worker default. */
  readonly largeMemory?: boolean;
  /**
   * Holds the CPU for seconds at a time (parses or scores a whole dataset or model): the local runtime runs it in a
   * child process (`local/child-functions.ts`) so the emulators and the API it shares a process with stay
   * responsive. No effect on AWS, where every function has its own process.
   */
  readonly cpuBound?: boolean;
  /** Reads or writes the customer's buckets with the job's `roleArn` assumed (`sts:AssumeRole`). */
  readonly assumesCustomerRole?: boolean;
}

/** The worker that runs the automatic-training check. */
export const AUTO_TRAINING_WORKER = 'AutomaticTraining';
/** How often the automatic-training check runs: hourly, so a due solution starts training within the hour (spec §2.7). */
export const AUTO_TRAINING_CHECK_HOURS = 1;

export const WORKERS: readonly WorkerDef[] = [
  {
    name: 'DatasetImport',
    handler: 'dataset-import-worker',
    grants: { resources: 'write', bucket: 'write' },
    cpuBound: true,
    assumesCustomerRole: true,
  },
  // The training workflow's steps (`lambdas/workflows/training-definition.ts`), started by Step Functions only.
  {
    name: 'TrainingPrepare',
    handler: 'training-prepare',
    grants: { resources: 'write', events: 'read', records: 'read', bucket: 'write' },
    cpuBound: true,
    largeMemory: true,
  },
  {
    name: 'TrainingPlan',
    handler: 'training-plan',
    grants: { resources: 'read', bucket: 'write' },
    cpuBound: true,
    largeMemory: true,
  },
  {
    name: 'TrainingShardSums',
    handler: 'training-shard-sums',
    grants: { resources: 'read', bucket: 'write' },
    cpuBound: true,
    largeMemory: true,
  },
  {
    name: 'TrainingReduce',
    handler: 'training-reduce',
    grants: { resources: 'read', bucket: 'write' },
    cpuBound: true,
    largeMemory: true,
  },
  {
    name: 'TrainingTrain',
    handler: 'training-train',
    grants: { resources: 'write', bucket: 'write' },
    cpuBound: true,
    largeMemory: true,
  },
  {
    name: 'TrainingEvaluate',
    handler: 'training-evaluate',
    grants: { resources: 'write', bucket: 'read' },
    cpuBound: true,
    largeMemory: true,
  },
  { name: 'TrainingPublish', handler: 'training-publish', grants: { resources: 'write', bucket: 'write' } },
  { name: 'TrainingFail', handler: 'training-fail', grants: { resources: 'write' } },
  // The automatic-update workflow's steps (`lambdas/workflows/update-definition.ts`), started by Step Functions
  // only: the scan lists campaigns and versions; the apply step reads a group's data, writes a model generation and
  // points the campaign at it.
  { name: 'AutomaticUpdateScan', handler: 'automatic-update-scan', grants: { resources: 'read' } },
  {
    name: 'AutomaticUpdateApply',
    handler: 'automatic-update-apply',
    grants: { resources: 'write', events: 'read', records: 'read', bucket: 'write' },
    cpuBound: true,
    largeMemory: true,
  },
  // The automatic-training check, invoked hourly: reads the due solutions' data to fingerprint it and starts the
  // training workflow for those with new data.
  {
    name: AUTO_TRAINING_WORKER,
    handler: 'automatic-training',
    grants: { resources: 'write', events: 'read', records: 'read', bucket: 'read', startTraining: true },
    cpuBound: true,
    largeMemory: true,
  },
  // The batch inference workflow's steps (`lambdas/workflows/batch-inference-definition.ts`), started by Step
  // Functions only. They read the job's input and write its output in the customer's buckets with its role; chunk
  // results go through the data bucket; the chunk step reads the model, the filter's data and recorded events.
  {
    name: 'BatchInferencePrepare',
    handler: 'batch-inference-prepare',
    grants: { resources: 'write' },
    assumesCustomerRole: true,
  },
  {
    name: 'BatchInferenceChunk',
    handler: 'batch-inference-chunk',
    grants: { resources: 'write', events: 'read', records: 'read', bucket: 'write' },
    cpuBound: true,
    largeMemory: true,
    assumesCustomerRole: true,
  },
  {
    name: 'BatchInferenceFinish',
    handler: 'batch-inference-finish',
    grants: { resources: 'write', bucket: 'write' },
    assumesCustomerRole: true,
  },
  {
    name: 'BatchInferenceFail',
    handler: 'batch-inference-fail',
    grants: { resources: 'write', bucket: 'write' },
  },
];
