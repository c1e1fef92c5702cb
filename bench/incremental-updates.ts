/**
 * The cost of an automatic update's check and of an update, read incrementally (the version's training snapshot
 * plus the events written since its data mark) beside the full read every update did before (every interaction of
 * the group), on the same data in the same run. The group holds bulk-imported interactions and PutEvents events;
 * a FULL version is prepared from them (the prepare step's full read is timed too) and given a seeded random model
 * with the catalog's ids (training is not what this measures), and two campaigns serve it: one updated with
 * `fullRead` (the reference), one incrementally.
 *
 *   node --import tsx bench/incremental-updates.ts [--bulk 800000] [--events 200000] [--new 1000] [--items 20000]
 *
 * Prints the command, the load average, and per step the wall time and the index items read from the Events table
 * (DynamoDB's ScannedCount: items read, whether a filter then dropped them or not), the mark writes PutEvents made
 * while loading the events, and whether both paths published the same model bytes. The reference's first update
 * publishes a generation even with nothing new: the random model records no training statistics to compare with.
 */
import { loadavg } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Random } from '../lambdas/engine/random';
import { applyUpdate, type UpdateOutcome } from '../lambdas/services/automatic-updates';
import { CAMPAIGN, createCampaign } from '../lambdas/services/campaigns';
import { createServiceContext } from '../lambdas/services/context';
import { INDEX_LAG_MS } from '../lambdas/services/data-marks';
import { createDatasetGroup } from '../lambdas/services/dataset-groups';
import { createDatasetImportJob, runDatasetImportJob } from '../lambdas/services/dataset-import-jobs';
import { createDataset } from '../lambdas/services/datasets';
import { createSchema } from '../lambdas/services/schemas';
import { createSolutionVersion } from '../lambdas/services/solution-versions';
import { createSolution } from '../lambdas/services/solutions';
import { prepareTraining } from '../lambdas/services/training';
import { getArtifact, modelKey, putArtifact } from '../lambdas/store/artifacts';
import type { StoredEvent } from '../lambdas/store/event-items';
import { MARK_BUCKET_MS } from '../lambdas/store/event-marks';
import { TABLES } from '../lambdas/store/tables';
import { S3_CREDENTIALS, startEmulators } from '../local/emulators';
import { randomModel } from './lib/random-model';
import { avroSchemaJson, BASIC_INTERACTION_FIELDS, RECIPE } from './lib/setup';

const DATA_BUCKET = 'bench-data';
const UPLOAD_BUCKET = 'bench-uploads';
const REGION = 'us-east-1';
const EVENTS_PER_USER = 25;
/** Events per `EventStore.put` while loading, and puts in flight. */
const LOAD_BATCH = 250;
const LOAD_CONCURRENCY = 4;

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
}

const INTERACTIONS_SCHEMA = avroSchemaJson('Interactions', BASIC_INTERACTION_FIELDS);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const bulk = option(argv, 'bulk', 800_000);
  const eventCount = option(argv, 'events', 200_000);
  const fresh = option(argv, 'new', 1000);
  const itemCount = option(argv, 'items', 20_000);
  console.log(`command: node --import tsx bench/incremental-updates.ts ${argv.join(' ')}`.trim());
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `data: ${bulk} bulk interactions + ${eventCount} PutEvents events, ${itemCount} items; ${fresh} new`,
  );

  const emulators = await startEmulators({
    dynamodbPort: 0,
    s3Port: 0,
    tables: TABLES.map((def) => ({ def, name: def.id })),
    bucket: DATA_BUCKET,
    region: REGION,
  });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const raw = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint, region: REGION, credentials }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  let indexRead = 0;
  let markWrites = 0;
  const send = raw.send.bind(raw) as (command: unknown) => Promise<unknown>;
  const ddb = new Proxy(raw, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        if (command instanceof PutCommand && String(command.input.Item?.pk).startsWith('marks|'))
          markWrites++;
        const out = (await send(command)) as { ScannedCount?: number; Items?: unknown[] };
        if (command instanceof QueryCommand && command.input.IndexName === 'byGroup')
          indexRead += out.ScannedCount ?? out.Items?.length ?? 0;
        return out;
      };
    },
  });
  const s3 = new S3Client({
    endpoint: emulators.s3Endpoint,
    region: REGION,
    credentials: S3_CREDENTIALS,
    forcePathStyle: true,
  });
  await s3.send(new CreateBucketCommand({ Bucket: UPLOAD_BUCKET }));
  let offset = 0;
  const ctx = createServiceContext({
    accountId: '000000000000',
    region: REGION,
    ddb,
    s3,
    resourcesTable: 'Resources',
    eventsTable: 'Events',
    recordsTable: 'Records',
    dataBucket: DATA_BUCKET,
    now: () => new Date(Date.now() + offset),
    importFunction: 'unused',
    importAssumeRole: false,
  });
  /** Moves the clock past the index lag and a write bucket: what an update two hours later sees. */
  const later = () => {
    offset += INDEX_LAG_MS + MARK_BUCKET_MS;
  };

  try {
    const random = new Random(1);
    const users = Math.max(1, Math.ceil((bulk + eventCount) / EVENTS_PER_USER));
    const { datasetGroupArn } = await createDatasetGroup(ctx, { name: 'bench-incremental' });
    const group = datasetGroupArn as string;
    const { schemaArn } = await createSchema(ctx, { name: 'bench-incremental', schema: INTERACTIONS_SCHEMA });
    const { datasetArn } = await createDataset(ctx, {
      name: 'bench-incremental-interactions',
      datasetGroupArn: group,
      datasetType: 'Interactions',
      schemaArn: schemaArn as string,
    });

    let t = performance.now();
    const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
    for (let r = 0; r < bulk; r++)
      lines.push(`u${random.nextInt(users)},item-${random.nextInt(itemCount)},${1_600_000_000 + r},click`);
    await s3.send(
      new PutObjectCommand({ Bucket: UPLOAD_BUCKET, Key: 'bulk.csv', Body: `${lines.join('\n')}\n` }),
    );
    lines.length = 0;
    const { datasetImportJobArn } = await createDatasetImportJob(
      ctx,
      {
        jobName: 'bench-incremental',
        datasetArn: datasetArn as string,
        dataSource: { dataLocation: `s3://${UPLOAD_BUCKET}/bulk.csv` },
        roleArn: 'arn:aws:iam::000000000000:role/bench',
      },
      async () => undefined,
    );
    await runDatasetImportJob(ctx, datasetImportJobArn as string);
    console.log(`bulk import: ${((performance.now() - t) / 1000).toFixed(1)} s`);

    let eventId = 0;
    const putEvents = async (n: number, time: number, item: () => string) => {
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const size = Math.min(LOAD_BATCH, n - next);
          const from = next;
          next += size;
          const writtenAt = ctx.now().getTime();
          const batch: StoredEvent[] = Array.from({ length: size }, (_, k) => {
            const user = `u${random.nextInt(users)}`;
            return {
              datasetGroupArn: group,
              actorId: user,
              userId: user,
              sessionId: `s-${user}`,
              eventId: `e${eventId++}`,
              eventType: 'click',
              itemId: item(),
              timestamp: time + from + k,
              writtenAt,
            };
          });
          await ctx.events.put(batch);
        }
      };
      await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
    };
    t = performance.now();
    markWrites = 0;
    await putEvents(eventCount, 1_650_000_000, () => `item-${random.nextInt(itemCount)}`);
    const loadSeconds = (performance.now() - t) / 1000;
    console.log(
      `events: ${eventCount} written in ${loadSeconds.toFixed(1)} s (${Math.round(eventCount / loadSeconds)}/s), ` +
        `${markWrites} mark writes`,
    );

    const { solutionArn } = (await createSolution(ctx, {
      name: 'bench-incremental',
      datasetGroupArn: group,
      recipeArn: RECIPE,
    })) as {
      solutionArn: string;
    };
    const { solutionVersionArn } = (await createSolutionVersion(
      ctx,
      { solutionArn, trainingMode: 'FULL' },
      async () => 'arn:aws:states:us-east-1:000000000000:execution:training:bench',
    )) as { solutionVersionArn: string };
    later();
    indexRead = 0;
    t = performance.now();
    await prepareTraining(ctx, solutionVersionArn);
    const prepare = { seconds: (performance.now() - t) / 1000, read: indexRead };
    await putArtifact(s3, DATA_BUCKET, modelKey(solutionVersionArn), [
      randomModel(itemCount, 32, new Random(2), 0).serialize(),
    ]);
    await ctx.resources.update(solutionVersionArn, { status: 'ACTIVE', doc: { status: 'ACTIVE' } });
    const campaign = async (name: string) =>
      (await createCampaign(ctx, { name, solutionVersionArn })).campaignArn as string;
    const reference = await campaign('bench-full-read');
    const incremental = await campaign('bench-incremental');

    const rows: [string, string, number, number, string][] = [];
    const step = async (label: string, campaignArn: string, fullRead: boolean): Promise<UpdateOutcome> => {
      indexRead = 0;
      const started = performance.now();
      const outcome = await applyUpdate(ctx, campaignArn, { fullRead });
      const ms = performance.now() - started;
      rows.push([label, fullRead ? 'full read' : 'incremental', ms, indexRead, outcome.status]);
      return outcome;
    };
    rows.push(['FULL training: prepare step', 'full read', prepare.seconds * 1000, prepare.read, 'snapshot']);

    later();
    await step('check, nothing new', incremental, false);
    await step('first update, nothing new', reference, true);
    await step('check, nothing new', reference, true);
    await putEvents(fresh, 1_700_000_000, () => `new-${random.nextInt(Math.max(1, fresh / 10))}`);
    later();
    await step(`update, ${fresh} new events`, incremental, false);
    await step(`update, ${fresh} new events`, reference, true);
    later();
    await step('check, nothing new since', incremental, false);

    const served = async (arn: string) => {
      const record = await ctx.resources.require(arn, CAMPAIGN);
      return Buffer.from((await getArtifact(s3, DATA_BUCKET, record.attrs.modelKey as string)) ?? []);
    };
    const same = (await served(incremental)).equals(await served(reference));

    console.log('');
    console.log('step                             path          wall ms   index items read   outcome');
    for (const [label, path, ms, read, outcome] of rows) {
      console.log(
        `${label.padEnd(32)} ${path.padEnd(12)} ${ms.toFixed(0).padStart(9)} ${String(read).padStart(18)}   ${outcome}`,
      );
    }
    console.log('');
    console.log(`same model bytes from both paths after the ${fresh} new events: ${same ? 'yes' : 'NO'}`);
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await emulators.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
