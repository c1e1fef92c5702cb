/**
 * The fuzz world: a small set of live resources made through the official SDK before fuzzing — a dataset group with
 * Interactions and Items datasets imported from tiny CSVs, a solution with a trained version, a campaign, an event
 * tracker, filters and a batch inference job — plus resources created and deleted again, so requests can carry
 * ARNs of live, wrong-type and deleted resources. Also checks afterwards that the live resources are intact.
 */
import {
  CreateBatchInferenceJobCommand,
  CreateCampaignCommand,
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateFilterCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DeleteDatasetGroupCommand,
  DeleteEventTrackerCommand,
  DeleteFilterCommand,
  DeleteSchemaCommand,
  DescribeBatchInferenceJobCommand,
  DescribeCampaignCommand,
  DescribeDatasetCommand,
  DescribeDatasetGroupCommand,
  DescribeDatasetImportJobCommand,
  DescribeEventTrackerCommand,
  DescribeFilterCommand,
  DescribeSchemaCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  type PersonalizeClient,
} from '@aws-sdk/client-personalize';
import {
  GetRecommendationsCommand,
  type PersonalizeRuntimeClient,
} from '@aws-sdk/client-personalize-runtime';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Random } from '../../lambdas/engine/random';
import type { FuzzWorld } from './fuzz-requests';
import { avroSchemaJson, RECIPE, ROLE } from './setup';

const BUCKET = 'fuzz-uploads';
const POLL_MS = 200;
const WAIT_MS = 300_000;
const USERS = 60;
const ITEMS = 80;
const EVENTS_PER_USER = 20;
const GENRES = ['g1', 'g2', 'g3'];

export interface WorldClients {
  readonly personalize: PersonalizeClient;
  readonly personalizeRuntime: PersonalizeRuntimeClient;
  readonly s3: S3Client;
}

const INTERACTIONS_SCHEMA = avroSchemaJson('Interactions', [
  { name: 'USER_ID', type: 'string' },
  { name: 'ITEM_ID', type: 'string' },
  { name: 'TIMESTAMP', type: 'long' },
  { name: 'EVENT_TYPE', type: 'string' },
]);
const ITEMS_SCHEMA = avroSchemaJson('Items', [
  { name: 'ITEM_ID', type: 'string' },
  { name: 'GENRE', type: 'string', categorical: true },
]);

const USERS_SCHEMA = avroSchemaJson('Users', [
  { name: 'USER_ID', type: 'string' },
  { name: 'TIER', type: 'string', categorical: true },
]);

/** Polls `describe` until it reports ACTIVE; any other final status is an error. */
async function untilActive(what: string, describe: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const status = await describe();
    if (status === 'ACTIVE') return;
    if (status?.includes('FAILED') || status?.includes('STOPPED')) throw new Error(`${what} ended ${status}`);
    if (Date.now() > deadline) throw new Error(`${what} still ${status} after ${WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function interactionsCsv(random: Random): string {
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  const start = Math.floor(Date.now() / 1000) - 30 * 86_400;
  for (let u = 0; u < USERS; u++) {
    // Each user walks a neighbourhood of the catalog, so there is sequence signal to learn.
    let item = random.nextInt(ITEMS);
    for (let e = 0; e < EVENTS_PER_USER; e++) {
      item = (item + 1 + random.nextInt(3)) % ITEMS;
      const type = random.next() < 0.2 ? 'purchase' : 'click';
      lines.push(`u${u},i${item},${start + u * 1000 + e * 60},${type}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function itemsCsv(): string {
  const lines = ['ITEM_ID,GENRE'];
  for (let i = 0; i < ITEMS; i++) lines.push(`i${i},${GENRES[i % GENRES.length]}`);
  return `${lines.join('\n')}\n`;
}

export interface LiveWorld extends FuzzWorld {
  /** Describes every live resource and serves one recommendation; returns what is missing or changed. */
  check(): Promise<string[]>;
}

/** Builds the world; `tag` makes names unique (a persistent server may have seen this seed before). */
export async function createWorld(c: WorldClients, tag: string, seed: number): Promise<LiveWorld> {
  const p = c.personalize;
  const random = new Random(seed);
  try {
    await c.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
  const put = async (key: string, body: string): Promise<string> => {
    await c.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${tag}/${key}`, Body: body }));
    return `s3://${BUCKET}/${tag}/${key}`;
  };
  const importLocation = await put('interactions.csv', interactionsCsv(random));
  const itemsLocation = await put('items.csv', itemsCsv());
  const batchInput = await put(
    'batch-input.json',
    ['u0', 'u1', 'u2', 'stranger'].map((userId) => JSON.stringify({ userId })).join('\n'),
  );
  const batchOutput = `s3://${BUCKET}/${tag}/batch-output/`;
  const n = (s: string) => `fuzz${tag}-${s}`;

  const { datasetGroupArn = '' } = await p.send(new CreateDatasetGroupCommand({ name: n('group') }));
  await untilActive('dataset group', async () => {
    const out = await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }));
    return out.datasetGroup?.status;
  });
  const schema = async (name: string, body: string) =>
    (await p.send(new CreateSchemaCommand({ name: n(name), schema: body }))).schemaArn ?? '';
  const interactionsSchemaArn = await schema('interactions', INTERACTIONS_SCHEMA);
  const itemsSchemaArn = await schema('items', ITEMS_SCHEMA);
  const dataset = async (type: string, schemaArn: string) =>
    (await p.send(new CreateDatasetCommand({ name: n(type), datasetGroupArn, datasetType: type, schemaArn })))
      .datasetArn ?? '';
  // A Users schema without a dataset: a valid CreateDataset may use it.
  const usersSchemaArn = await schema('users', USERS_SCHEMA);
  const interactionsArn = await dataset('Interactions', interactionsSchemaArn);
  const itemsArn = await dataset('Items', itemsSchemaArn);
  const importJob = async (datasetArn: string, dataLocation: string, name: string) => {
    const { datasetImportJobArn = '' } = await p.send(
      new CreateDatasetImportJobCommand({
        jobName: n(name),
        datasetArn,
        dataSource: { dataLocation },
        roleArn: ROLE,
      }),
    );
    await untilActive(`import ${name}`, async () => {
      const out = await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn }));
      return out.datasetImportJob?.status;
    });
    return datasetImportJobArn;
  };
  const importArns = [
    await importJob(interactionsArn, importLocation, 'import-interactions'),
    await importJob(itemsArn, itemsLocation, 'import-items'),
  ];
  const { solutionArn = '' } = await p.send(
    new CreateSolutionCommand({ name: n('solution'), datasetGroupArn, recipeArn: RECIPE }),
  );
  const { solutionVersionArn = '' } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
  await untilActive('solution version', async () => {
    const out = await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn }));
    return out.solutionVersion?.status;
  });
  const { campaignArn = '' } = await p.send(
    new CreateCampaignCommand({ name: n('campaign'), solutionVersionArn, minProvisionedTPS: 1 }),
  );
  await untilActive('campaign', async () => {
    const out = await p.send(new DescribeCampaignCommand({ campaignArn }));
    return out.campaign?.status;
  });
  const { eventTrackerArn = '', trackingId = '' } = await p.send(
    new CreateEventTrackerCommand({ name: n('tracker'), datasetGroupArn }),
  );
  await untilActive('event tracker', async () => {
    const out = await p.send(new DescribeEventTrackerCommand({ eventTrackerArn }));
    return out.eventTracker?.status;
  });
  const filterExpressions = [
    'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
    'INCLUDE ItemID WHERE Items.GENRE IN ($GENRES)',
    'EXCLUDE ItemID WHERE Items.GENRE IN ("g2") | INCLUDE ItemID WHERE Items.GENRE IN ($GENRES)',
  ];
  const filterArns: string[] = [];
  for (const [i, filterExpression] of filterExpressions.slice(0, 2).entries()) {
    const { filterArn = '' } = await p.send(
      new CreateFilterCommand({ name: n(`filter${i}`), datasetGroupArn, filterExpression }),
    );
    await untilActive('filter', async () => {
      const out = await p.send(new DescribeFilterCommand({ filterArn }));
      return out.filter?.status;
    });
    filterArns.push(filterArn);
  }
  const { batchInferenceJobArn = '' } = await p.send(
    new CreateBatchInferenceJobCommand({
      jobName: n('batch'),
      solutionVersionArn,
      numResults: 5,
      jobInput: { s3DataSource: { path: batchInput } },
      jobOutput: { s3DataDestination: { path: batchOutput } },
      roleArn: ROLE,
    }),
  );
  await untilActive('batch inference job', async () => {
    const out = await p.send(new DescribeBatchInferenceJobCommand({ batchInferenceJobArn }));
    return out.batchInferenceJob?.status;
  });

  // Resources that existed once: a group, a schema, a filter and a tracker, deleted again.
  const { datasetGroupArn: goneGroup = '' } = await p.send(
    new CreateDatasetGroupCommand({ name: n('gone-group') }),
  );
  const goneSchema = await schema('gone-schema', INTERACTIONS_SCHEMA);
  const { filterArn: goneFilter = '' } = await p.send(
    new CreateFilterCommand({
      name: n('gone-filter'),
      datasetGroupArn,
      filterExpression: filterExpressions[0],
    }),
  );
  const { eventTrackerArn: goneTracker = '', trackingId: goneTrackingId = '' } = await p.send(
    new CreateEventTrackerCommand({ name: n('gone-tracker'), datasetGroupArn: goneGroup }),
  );
  await p.send(new DeleteFilterCommand({ filterArn: goneFilter }));
  await p.send(new DeleteSchemaCommand({ schemaArn: goneSchema }));
  await p.send(new DeleteEventTrackerCommand({ eventTrackerArn: goneTracker }));
  await p.send(new DeleteDatasetGroupCommand({ datasetGroupArn: goneGroup }));

  const live = {
    datasetGroup: [datasetGroupArn],
    schema: [interactionsSchemaArn, itemsSchemaArn, usersSchemaArn],
    dataset: [interactionsArn, itemsArn],
    datasetImportJob: importArns,
    solution: [solutionArn],
    solutionVersion: [solutionVersionArn],
    campaign: [campaignArn],
    eventTracker: [eventTrackerArn],
    filter: filterArns,
    batchInferenceJob: [batchInferenceJobArn],
  };
  const snapshot = await describeAll(p, live);
  return {
    live,
    deleted: {
      datasetGroup: [goneGroup],
      schema: [goneSchema],
      filter: [goneFilter],
      eventTracker: [goneTracker],
    },
    trackingIds: [trackingId],
    deletedTrackingIds: [goneTrackingId],
    userIds: Array.from({ length: USERS }, (_, u) => `u${u}`),
    itemIds: Array.from({ length: ITEMS }, (_, i) => `i${i}`),
    eventTypes: ['click', 'purchase', 'watch'],
    roleArn: ROLE,
    importLocation,
    batchInput,
    batchOutput,
    schemas: [INTERACTIONS_SCHEMA, ITEMS_SCHEMA, USERS_SCHEMA],
    filterExpressions,
    filterParameters: ['GENRES'],
    itemColumns: ['GENRE'],
    nameTag: tag,
    check: async () => {
      const problems: string[] = [];
      const now = await describeAll(p, live);
      for (const [arn, before] of snapshot) {
        const after = now.get(arn);
        if (after !== before) problems.push(`${arn}: was ${before}, now ${after}`);
      }
      try {
        const out = await c.personalizeRuntime.send(
          new GetRecommendationsCommand({ campaignArn, userId: 'u1', numResults: 5 }),
        );
        if ((out.itemList ?? []).length === 0) problems.push(`${campaignArn} recommends nothing to u1`);
      } catch (err) {
        problems.push(`${campaignArn} GetRecommendations: ${(err as Error).name}: ${(err as Error).message}`);
      }
      return problems;
    },
  };
}

/** ARN → `name status parent` of every live resource, or the error describing it raised. */
async function describeAll(
  p: PersonalizeClient,
  live: Readonly<Record<string, readonly string[]>>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const describers: Record<string, (arn: string) => Promise<unknown>> = {
    datasetGroup: async (arn) =>
      (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: arn }))).datasetGroup,
    schema: async (arn) => (await p.send(new DescribeSchemaCommand({ schemaArn: arn }))).schema,
    dataset: async (arn) => (await p.send(new DescribeDatasetCommand({ datasetArn: arn }))).dataset,
    datasetImportJob: async (arn) =>
      (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn: arn }))).datasetImportJob,
    solution: async (arn) => (await p.send(new DescribeSolutionCommand({ solutionArn: arn }))).solution,
    solutionVersion: async (arn) =>
      (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn: arn }))).solutionVersion,
    campaign: async (arn) => (await p.send(new DescribeCampaignCommand({ campaignArn: arn }))).campaign,
    eventTracker: async (arn) =>
      (await p.send(new DescribeEventTrackerCommand({ eventTrackerArn: arn }))).eventTracker,
    filter: async (arn) => (await p.send(new DescribeFilterCommand({ filterArn: arn }))).filter,
    batchInferenceJob: async (arn) =>
      (await p.send(new DescribeBatchInferenceJobCommand({ batchInferenceJobArn: arn }))).batchInferenceJob,
  };
  for (const [kind, arns] of Object.entries(live)) {
    for (const arn of arns) {
      try {
        const r = (await describers[kind]?.(arn)) as Record<string, unknown> | undefined;
        const name = r?.name ?? r?.jobName ?? '';
        const parent = r?.datasetGroupArn ?? r?.solutionArn ?? '';
        out.set(arn, `${String(name)} ${String(r?.status ?? '')} ${String(parent)}`.trim());
      } catch (err) {
        out.set(arn, `${(err as Error).name}`);
      }
    }
  }
  return out;
}
