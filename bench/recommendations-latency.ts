/**
 * GetRecommendations latency through the local HTTP server: the whole request path (SigV4 check, the cached
 * campaign, the events Query, scoring a 10,000-item catalog, the deferred recommendationId write) on the embedded
 * emulators.
 *
 * Set-up: a dataset group, an Interactions dataset and an event tracker through the API; a solution version whose
 * model has seeded Gaussian factors (10,000 items, hidden dimension 149, bptt 32 — the scoring cost does not
 * depend on the values, and training a 10,000-item model is not what this measures) stored where the training
 * workflow stores artifacts; a campaign through the API; 32 PutEvents for the benchmark user so the events Query
 * returns a full window.
 *
 * The load tool sends one request signed once by the official runtime client (the server accepts a signature for
 * 15 minutes, and an identical body keeps it valid), at 1 and then 16 concurrent connections.
 *
 * With `--filters 1` it also gives the catalog an Items dataset (a GENRE of 20 values, imported) and measures the
 * same request with an "exclude what the user saw" filter (`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN
 * ("*")`), with a genre-parameter filter (`INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, one genre: 500 of the
 * 10,000 items pass) and with a filter that does both.
 *
 * Every row is compared, in the same run, with the same signed request sent by the same load tool to a plain Node
 * HTTP echo server in a child process (the ceiling: HTTP alone), at 1 and 16 connections. With `--workers N` the
 * API is served by N cluster workers (as `npm start -- --workers N`), and the echo server gets as many; the load
 * tool and the emulators stay in this process.
 *
 * The campaign explores with Personalize's default weight (0.3) unless `--exploration-weight` says otherwise; at 0
 * the list is the SIMD kernel's top k, otherwise the kernel's top 2k and the exploration candidates (the model's new
 * items: 1 % of the catalog) are scored exactly for the exploration draw.
 *
 * Each target gets one unmeasured second at 16 connections first, so every worker has loaded the model.
 *
 * CPU per request is reported twice: this process's (the load tool and, with workers, the emulators; the whole
 * server without them) and, read from /proc on Linux, that of the server's other processes (the API workers, or
 * the echo server's processes).
 *
 * Usage: node --import tsx bench/recommendations-latency.ts [--items 10000] [--seconds 10] [--dimension 149]
 *        [--filters 1] [--workers 0] [--exploration-weight 0.3]
 */
import { cpus, loadavg } from 'node:os';
import {
  CreateCampaignCommand,
  CreateDatasetCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateFilterCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  DescribeDatasetImportJobCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import {
  GetRecommendationsCommand,
  type GetRecommendationsCommandInput,
  PersonalizeRuntimeClient,
} from '@aws-sdk/client-personalize-runtime';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Random } from '../lambdas/engine/random';
import { createServiceContext } from '../lambdas/services/context';
import { startRuntime } from '../local/runtime';
import { startEchoServer } from './lib/echo-server';
import { storeModelVersion } from './lib/model-version';
import { processCpuMs, processTree } from './lib/process-cpu';
import { quietRequestLogs } from './lib/quiet';
import { randomModel } from './lib/random-model';
import { createInteractionsDataset } from './lib/setup';

interface AutocannonResult {
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number };
  readonly requests: { readonly average: number; readonly total: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}
type Autocannon = (options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
}) => Promise<AutocannonResult>;
// autocannon ships no type declarations; the one call used is typed above.
const autocannon = require('autocannon') as Autocannon;

interface Args {
  items: number;
  seconds: number;
  dimension: number;
  filters: boolean;
  workers: number;
  explorationWeight: number | undefined;
}

const GENRES = 20;

function parse(argv: readonly string[]): Args {
  const args: Args = {
    items: 10_000,
    seconds: 10,
    dimension: 149,
    filters: false,
    workers: 0,
    explorationWeight: undefined,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (!Number.isFinite(value)) throw new Error(`missing or bad value for ${flag}`);
    if (flag === '--items') args.items = value;
    else if (flag === '--seconds') args.seconds = value;
    else if (flag === '--dimension') args.dimension = value;
    else if (flag === '--filters') args.filters = value !== 0;
    else if (flag === '--workers' && Number.isInteger(value) && value >= 0) args.workers = value;
    else if (flag === '--exploration-weight' && value >= 0 && value <= 1) args.explorationWeight = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

/** Signs the request exactly as the runtime client sends it, and returns its headers and body unsent. */
async function presign(
  client: PersonalizeRuntimeClient,
  input: GetRecommendationsCommandInput,
): Promise<{ headers: Record<string, string>; body: string; path: string }> {
  class Captured extends Error {
    constructor(readonly request: { headers: Record<string, string>; body: string; path: string }) {
      super('captured');
    }
  }
  client.middlewareStack.add(
    () => async (args) => {
      const request = args.request as { headers: Record<string, string>; body: unknown; path: string };
      const body =
        request.body instanceof Uint8Array
          ? Buffer.from(request.body).toString('utf8')
          : typeof request.body === 'string'
            ? request.body
            : '';
      throw new Captured({ headers: { ...request.headers }, body, path: request.path });
    },
    { step: 'deserialize', name: 'capturePresigned' },
  );
  try {
    await client.send(new GetRecommendationsCommand(input));
  } catch (err) {
    if (err instanceof Captured) return err.request;
    throw err;
  } finally {
    client.middlewareStack.remove('capturePresigned');
  }
  throw new Error('the request was sent instead of captured');
}

async function main(): Promise<void> {
  quietRequestLogs();
  const args = parse(process.argv.slice(2));
  const runtime = await startRuntime({ port: 0, s3Port: 0, workers: args.workers });
  try {
    const common = {
      endpoint: runtime.endpoint,
      region: runtime.region,
      credentials: runtime.apiCredentials,
      maxAttempts: 1,
    };
    const p = new PersonalizeClient(common);
    const events = new PersonalizeEventsClient(common);
    const rt = new PersonalizeRuntimeClient(common);

    const { datasetGroupArn } = await createInteractionsDataset(p, 'latency');
    const { trackingId } = await p.send(new CreateEventTrackerCommand({ name: 'latency', datasetGroupArn }));
    const { solutionArn } = await p.send(
      new CreateSolutionCommand({
        name: 'latency',
        datasetGroupArn,
        recipeArn: 'arn:aws:personalize:::recipe/aws-user-personalization',
        performAutoTraining: false,
      }),
    );

    // The version as the training workflow leaves it, written through the same stores the handlers use.
    const versionArn = await storeModelVersion(
      solutionArn as string,
      datasetGroupArn,
      randomModel(args.items, args.dimension, new Random(1)),
    );
    const { campaignArn } = await p.send(
      new CreateCampaignCommand({
        name: 'latency',
        solutionVersionArn: versionArn,
        ...(args.explorationWeight === undefined
          ? {}
          : {
              campaignConfig: {
                itemExplorationConfig: { explorationWeight: String(args.explorationWeight) },
              },
            }),
      }),
    );
    const start = Math.floor(Date.now() / 1000) - 100;
    // PutEvents takes at most 10 events per call.
    for (let first = 0; first < 32; first += 10) {
      await events.send(
        new PutEventsCommand({
          trackingId,
          userId: 'bench-user',
          sessionId: 'bench-session',
          eventList: Array.from({ length: Math.min(10, 32 - first) }, (_, j) => ({
            eventType: 'click',
            itemId: `item-${((first + j) * 997) % args.items}`,
            sentAt: new Date((start + first + j) * 1000),
          })),
        }),
      );
    }
    const input = { campaignArn: campaignArn as string, userId: 'bench-user', numResults: 25 };
    const warm = await rt.send(new GetRecommendationsCommand(input));
    if (warm.itemList?.length !== 25) throw new Error('warm-up request returned no recommendations');
    const variants: { name: string; input: GetRecommendationsCommandInput }[] = [
      { name: 'no filter', input },
    ];
    if (args.filters) {
      const filterArn = async (name: string, filterExpression: string) =>
        (await p.send(new CreateFilterCommand({ name, datasetGroupArn, filterExpression })))
          .filterArn as string;
      await importGenres(p, createServiceContext(), datasetGroupArn, args.items);
      const seen = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")';
      const genre = 'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)';
      const filterValues = { GENRE: '"g7"' };
      variants.push(
        { name: 'exclude seen', input: { ...input, filterArn: await filterArn('seen', seen) } },
        {
          name: 'genre parameter',
          input: { ...input, filterArn: await filterArn('genre', genre), filterValues },
        },
        {
          name: 'both',
          input: { ...input, filterArn: await filterArn('both', `${genre} | ${seen}`), filterValues },
        },
      );
      for (const v of variants) {
        const out = await rt.send(new GetRecommendationsCommand(v.input));
        if (out.itemList?.length !== 25)
          throw new Error(`${v.name}: the warm-up returned ${out.itemList?.length}`);
      }
    }

    const rows: string[] = [];
    const echo = await startEchoServer(args.workers);
    const measure = async (
      name: string,
      base: string,
      server: () => readonly number[],
      signed: { headers: Record<string, string>; body: string; path: string },
    ) => {
      const url = `${base}${signed.path}`;
      // autocannon writes its own Content-Length for the body; a second one makes the request malformed.
      const { 'content-length': _length, ...headers } = signed.headers;
      // Unmeasured: every worker loads the model and warms its caches and connections before the rows.
      await autocannon({ url, method: 'POST', headers, body: signed.body, connections: 16, duration: 1 });
      for (const connections of [1, 16]) {
        const cpuBefore = process.cpuUsage();
        const serverPids = server();
        const serverBefore = processCpuMs(serverPids);
        const result = await autocannon({
          url,
          method: 'POST',
          headers,
          body: signed.body,
          connections,
          duration: args.seconds,
        });
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.requests.total === 0) {
          throw new Error(
            `${name}: ${result.requests.total} requests with ${result.non2xx} non-2xx responses, ${result.errors} errors ` +
              `and ${result.timeouts} timeouts at concurrency ${connections}`,
          );
        }
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / result.requests.total;
        const serverAfter = processCpuMs(serverPids);
        const serverMsPerRequest =
          serverBefore === undefined || serverAfter === undefined || serverPids.length === 0
            ? 'n/a'
            : ((serverAfter - serverBefore) / result.requests.total).toFixed(2);
        rows.push(
          `| ${name} | ${connections} | ${result.latency.p50} | ${result.latency.p99} | ` +
            `${result.latency.average.toFixed(2)} | ${result.requests.average.toFixed(0)} | ${result.requests.total} | ` +
            `${cpuMsPerRequest.toFixed(2)} | ${serverMsPerRequest} |`,
        );
      }
    };
    try {
      for (const variant of variants) {
        const signed = await presign(rt, variant.input);
        await measure(variant.name, runtime.endpoint, runtime.workerPids, signed);
        if (variant === variants[0])
          await measure('echo server (ceiling)', echo.url, () => processTree(echo.pid), signed);
      }
    } finally {
      await echo.stop();
    }
    // autocannon stops at the deadline without waiting for the responses still in flight.
    await runtime.idle();
    await new Promise((r) => setTimeout(r, 2000));
    for (const c of [p, events, rt]) c.destroy();
    console.log(
      `GetRecommendations over the local HTTP server: ${args.items} items, hidden dimension ${args.dimension}, ` +
        `32-event history, numResults 25, exploration weight ${args.explorationWeight ?? '0.3 (default)'}, ` +
        `${args.seconds} s per row`,
    );
    console.log(
      `command: node --import tsx bench/recommendations-latency.ts ${process.argv.slice(2).join(' ')}`,
    );
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average after the run ` +
        `${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    console.log(
      args.workers > 0
        ? `API: ${args.workers} cluster workers; echo server: a child process with ${args.workers} cluster workers`
        : 'API: this process; echo server: one child process',
    );
    console.log(
      `| filter | connections | p50 ms | p99 ms | mean ms | requests/s | requests | CPU ms per request (${args.workers > 0 ? 'this process: load tool and emulators' : 'server and load tool'}) | CPU ms per request (server processes besides this one) |`,
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    await runtime.stop();
  }
}

/** An Items dataset whose GENRE is g0…g19 by item number, imported from a CSV in the data bucket. */
async function importGenres(
  p: PersonalizeClient,
  ctx: ReturnType<typeof createServiceContext>,
  datasetGroupArn: string,
  items: number,
): Promise<void> {
  const { schemaArn } = await p.send(
    new CreateSchemaCommand({
      name: 'latency-items',
      schema: JSON.stringify({
        type: 'record',
        name: 'Items',
        namespace: 'com.amazonaws.personalize.schema',
        fields: [
          { name: 'ITEM_ID', type: 'string' },
          { name: 'GENRE', type: 'string', categorical: true },
        ],
        version: '1.0',
      }),
    }),
  );
  const { datasetArn } = await p.send(
    new CreateDatasetCommand({ name: 'latency-items', datasetGroupArn, datasetType: 'Items', schemaArn }),
  );
  const lines = ['ITEM_ID,GENRE'];
  for (let i = 0; i < items; i++) lines.push(`item-${i},g${i % GENRES}`);
  const key = 'bench-input/items.csv';
  await ctx.s3.send(
    new PutObjectCommand({ Bucket: ctx.dataBucket, Key: key, Body: `${lines.join('\n')}\n` }),
  );
  const { datasetImportJobArn } = await p.send(
    new CreateDatasetImportJobCommand({
      jobName: 'latency-items',
      datasetArn,
      dataSource: { dataLocation: `s3://${ctx.dataBucket}/${key}` },
      roleArn: 'arn:aws:iam::000000000000:role/bench',
    }),
  );
  for (;;) {
    const { datasetImportJob } = await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn }));
    if (datasetImportJob?.status === 'ACTIVE') return;
    if (datasetImportJob?.status === 'CREATE FAILED')
      throw new Error(`items import: ${datasetImportJob.failureReason}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
