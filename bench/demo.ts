/**
 * A guided end-to-end run through the public API on the synthetic data set, against an in-memory local runtime:
 * dataset group, schemas and datasets; bulk imports of interactions, items and users; an event tracker; a solution
 * and a FULL solution version trained on the local Step Functions runner; its metrics; a campaign; a few users'
 * recommendations (with an Items column); one PutEvents and the changed recommendations. It reports the time from
 * the empty store to the first recommendation.
 *
 * Usage: npm run demo -- [--size tiny|small] [--seed 1]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateCampaignCommand,
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
} from '@aws-sdk/client-personalize';
import { PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { GetRecommendationsCommand, type PredictedItem } from '@aws-sdk/client-personalize-runtime';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SYNTHETIC_PRESETS, SyntheticGenerator, type SyntheticPreset } from '../lambdas/engine/synthetic';
import { startRuntime } from '../local/runtime';
import { writeInteractionsCsv, writeItemsCsv, writeUsersCsv } from './datasets/csv';
import { runtimeClients } from './lib/clients';
import { quietRequestLogs } from './lib/quiet';
import { avroSchemaJson } from './lib/setup';

const RECIPE = 'arn:aws:personalize:::recipe/aws-user-personalization';
const ROLE = 'arn:aws:iam::000000000000:role/PersonalizeDemo';
const UPLOAD_BUCKET = 'demo-uploads';
const POLL_MS = 250;
const BAR_WIDTH = 30;

interface Args {
  size: SyntheticPreset;
  seed: number;
}

function parse(argv: readonly string[]): Args {
  const args: Args = { size: 'tiny', seed: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value for ${flag}`);
    if (flag === '--size') {
      if (!(value in SYNTHETIC_PRESETS))
        throw new Error(`--size must be one of ${Object.keys(SYNTHETIC_PRESETS)}`);
      args.size = value as SyntheticPreset;
    } else if (flag === '--seed') args.seed = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One status line, redrawn in place on a terminal and printed on change otherwise. */
class StatusLine {
  private last = '';
  update(text: string): void {
    if (process.stdout.isTTY) process.stdout.write(`\r${text.padEnd(this.last.length)}`);
    else if (text.replace(/[\d.]+ s/g, '') !== this.last.replace(/[\d.]+ s/g, ''))
      process.stdout.write(`${text}\n`);
    this.last = text;
  }
  done(text: string): void {
    if (process.stdout.isTTY) process.stdout.write(`\r${text.padEnd(this.last.length)}\n`);
    else process.stdout.write(`${text}\n`);
    this.last = '';
  }
}

const bar = (done: number, total: number) => {
  const filled = Math.round((done / total) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
};

/** An Avro schema for a CSV whose header is `header`: ids and timestamps typed, the rest from `kinds`. */
function schemaFor(name: string, header: string, kinds: Record<string, object>): string {
  const fields = header.split(',').map((column) => ({
    name: column,
    ...(kinds[column] ?? { type: ['null', 'string'], categorical: true }),
  }));
  return avroSchemaJson(name, fields);
}

async function firstLine(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).split('\n', 1)[0] as string;
}

function show(items: readonly PredictedItem[] | undefined): string {
  return (items ?? [])
    .map(
      (i) => `${i.itemId} (${(i.score ?? 0).toFixed(4)}${i.metadata?.GENRE ? `, ${i.metadata.GENRE}` : ''})`,
    )
    .join(', ');
}

async function main(): Promise<void> {
  quietRequestLogs();
  const args = parse(process.argv.slice(2));
  const status = new StatusLine();
  const dir = await mkdtemp(join(tmpdir(), 'open-personalize-demo-'));
  const runtime = await startRuntime({ port: 0, s3Port: 0 });
  const clients = runtimeClients(runtime);
  const { personalize: p, events, personalizeRuntime: rt, s3 } = clients;
  try {
    console.log(
      `open-personalize demo: local runtime at ${runtime.endpoint}, synthetic data set "${args.size}"`,
    );

    let started = performance.now();
    const generator = new SyntheticGenerator({ ...SYNTHETIC_PRESETS[args.size], seed: args.seed });
    let interactionCount = 0;
    function* counted() {
      for (const x of generator.interactions()) {
        interactionCount++;
        yield x;
      }
    }
    const files = {
      Interactions: join(dir, 'interactions.csv'),
      Items: join(dir, 'items.csv'),
      Users: join(dir, 'users.csv'),
    };
    await writeInteractionsCsv(files.Interactions, counted());
    await writeItemsCsv(files.Items, generator.items);
    await writeUsersCsv(files.Users, generator.users);
    console.log(
      `1. data: ${interactionCount} interactions, ${generator.items.length} items, ${generator.users.length} users ` +
        `written as import CSVs in ${seconds(performance.now() - started)}`,
    );
    await s3.send(new CreateBucketCommand({ Bucket: UPLOAD_BUCKET }));
    const locations: Record<string, string> = {};
    for (const [type, path] of Object.entries(files)) {
      const key = `${args.size}/${type.toLowerCase()}.csv`;
      await s3.send(new PutObjectCommand({ Bucket: UPLOAD_BUCKET, Key: key, Body: await readFile(path) }));
      locations[type] = `s3://${UPLOAD_BUCKET}/${key}`;
    }

    // The clock for "empty store to first recommendation" starts at the first API call.
    const fromEmpty = performance.now();
    const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: 'demo' }));
    const kinds: Record<string, Record<string, object>> = {
      Interactions: {
        USER_ID: { type: 'string' },
        ITEM_ID: { type: 'string' },
        TIMESTAMP: { type: 'long' },
        EVENT_TYPE: { type: 'string' },
        EVENT_VALUE: { type: ['null', 'float'] },
      },
      Items: {
        ITEM_ID: { type: 'string' },
        CREATION_TIMESTAMP: { type: ['null', 'long'] },
        PRICE: { type: ['null', 'double'] },
        DESCRIPTION: { type: ['null', 'string'], textual: true },
      },
      Users: { USER_ID: { type: 'string' } },
    };
    const jobs: string[] = [];
    for (const [type, path] of Object.entries(files)) {
      const { schemaArn } = await p.send(
        new CreateSchemaCommand({
          name: `demo-${type.toLowerCase()}`,
          schema: schemaFor(type, await firstLine(path), kinds[type] ?? {}),
        }),
      );
      const { datasetArn } = await p.send(
        new CreateDatasetCommand({
          name: `demo-${type.toLowerCase()}`,
          datasetGroupArn,
          datasetType: type,
          schemaArn,
        }),
      );
      const { datasetImportJobArn } = await p.send(
        new CreateDatasetImportJobCommand({
          jobName: `demo-${type.toLowerCase()}`,
          datasetArn,
          dataSource: { dataLocation: locations[type] },
          roleArn: ROLE,
        }),
      );
      jobs.push(datasetImportJobArn as string);
    }
    started = performance.now();
    for (;;) {
      const states = await Promise.all(
        jobs.map(
          async (arn) =>
            (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn: arn })))
              .datasetImportJob,
        ),
      );
      const failed = states.find((j) => j?.status === 'CREATE FAILED');
      if (failed) throw new Error(`import ${failed.jobName} failed: ${failed.failureReason}`);
      const done = states.filter((j) => j?.status === 'ACTIVE').length;
      const line = `2. import   ${bar(done, jobs.length)} ${done}/${jobs.length} datasets  ${seconds(performance.now() - started)}`;
      if (done === jobs.length) {
        status.done(line);
        break;
      }
      status.update(line);
      await sleep(POLL_MS);
    }
    const { trackingId } = await p.send(new CreateEventTrackerCommand({ name: 'demo', datasetGroupArn }));

    const { solutionArn } = await p.send(
      new CreateSolutionCommand({
        name: 'demo',
        datasetGroupArn,
        recipeArn: RECIPE,
        performAutoTraining: false,
      }),
    );
    const { solutionVersionArn } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
    started = performance.now();
    const steps = ['CREATE PENDING', 'CREATE IN_PROGRESS', 'ACTIVE'];
    for (;;) {
      const { solutionVersion } = await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn }));
      const state = solutionVersion?.status ?? 'unknown';
      if (state === 'CREATE FAILED') throw new Error(`training failed: ${solutionVersion?.failureReason}`);
      const at = Math.max(0, steps.indexOf(state)) + (state === 'ACTIVE' ? 1 : 0);
      const line = `3. training ${bar(at, steps.length)} ${state.padEnd(18)}  ${seconds(performance.now() - started)}`;
      if (state === 'ACTIVE') {
        status.done(line);
        break;
      }
      status.update(line);
      await sleep(POLL_MS);
    }
    const { metrics } = await p.send(new GetSolutionMetricsCommand({ solutionVersionArn }));
    console.log('4. metrics (90/10 user split, newest 10 % of each test user held out):');
    for (const [name, value] of Object.entries(metrics ?? {}).sort())
      console.log(`     ${name.padEnd(44)} ${value.toFixed(4)}`);

    const { campaignArn } = await p.send(
      new CreateCampaignCommand({
        name: 'demo',
        solutionVersionArn,
        campaignConfig: { enableMetadataWithRecommendations: true },
      }),
    );
    const users = generator.users.slice(0, 3).map((u) => u.userId);
    const request = (userId: string) =>
      rt.send(
        new GetRecommendationsCommand({
          campaignArn,
          userId,
          numResults: 5,
          metadataColumns: { ITEMS: ['GENRE'] },
        }),
      );
    const first = await request(users[0] as string);
    const toFirst = performance.now() - fromEmpty;
    console.log('5. recommendations (top 5: item, score, GENRE):');
    console.log(`     ${users[0]}: ${show(first.itemList)}`);
    for (const userId of users.slice(1))
      console.log(`     ${userId}: ${show((await request(userId)).itemList)}`);
    const cold = await request('someone-new');
    console.log(`     someone-new (no history, popular items): ${show(cold.itemList)}`);

    const clicked = cold.itemList?.[4]?.itemId ?? generator.items[0]?.itemId;
    await events.send(
      new PutEventsCommand({
        trackingId,
        userId: 'someone-new',
        sessionId: 'demo-session',
        eventList: [
          {
            eventType: 'click',
            itemId: clicked,
            sentAt: new Date(),
            recommendationId: cold.recommendationId,
            impression: (cold.itemList ?? []).map((i) => i.itemId as string),
          },
        ],
      }),
    );
    console.log(`6. PutEvents: someone-new clicks ${clicked} (with the impression and recommendationId)`);
    console.log(`     someone-new, next request: ${show((await request('someone-new')).itemList)}`);
    console.log(`\nTime from an empty store to the first recommendation: ${seconds(toFirst)}`);
  } finally {
    clients.destroy();
    await runtime.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
