/**
 * Exploration simulation (issue: automatic item exploration): a population with known preferences uses a campaign
 * through the local runtime for several simulated days, and the campaign's `explorationWeight` settings are compared.
 *
 * The world: users and items have latent vectors in K dimensions; an item's genre (its one metadata column) is its
 * strongest dimension. A user examines a list top-down, position p (0-based) with probability 1/(p+1), and clicks an
 * examined item with probability σ(u·v/√K + freshness − 3.5), stopping at the first click (cascade model).
 * With churn, new items arrive every day (PutItems with CREATION_TIMESTAMP) and freshness is 2·exp(−age/2 days),
 * so new items are worth showing; without churn the catalog is fixed, everything is older than the cut-off and
 * freshness is 0. A click is sent with PutEvents carrying the `impression` and the `recommendationId`. The runtime's
 * automatic update runs every `--update-hours` simulated hours (on demand, not on the wall-clock timer).
 *
 * Reported per weight, as mean and 95 % t-interval over seeds: cumulative clicks, clicks on items younger than the
 * age cut-off, the share of new items shown at least once within a simulated day of arriving, and the last day's
 * click-through rate (clicks per list); and the per-seed difference in clicks from the first weight given. For one
 * seed every weight starts from the same data and sees the same users at the same times (paired comparison).
 *
 * Each run is a child process with its own runtime (the handlers' clients and environment are per process).
 *
 * usage: node --import tsx bench/exploration-simulation.ts [--days 7] [--seeds 3] [--users 100] [--items 200]
 *        [--new-per-day 20] [--weights 0,0.3,1] [--update-hours 2] [--no-churn] [--json]
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateCampaignCommand,
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeSolutionVersionCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import {
  PersonalizeEventsClient,
  PutEventsCommand,
  PutItemsCommand,
} from '@aws-sdk/client-personalize-events';
import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Random } from '../lambdas/engine/random';
import { startRuntime } from '../local/runtime';
import { quietRequestLogs } from './lib/quiet';
import { RECIPE, ROLE } from './lib/setup';

const K = 4;
const DAY = 86_400;
const HOUR = 3_600;
const START = 1_700_000_000;
const AGE_CUT_OFF_DAYS = 30;
const LIST_SIZE = 10;
/** Share of users who ask for a list in each two-hour step. */
const ACTIVE_SHARE = 0.25;
const HISTORY_PER_USER = 20;
const BUCKET = 'simulation';

interface Options {
  readonly days: number;
  readonly seeds: number;
  readonly users: number;
  readonly items: number;
  readonly newPerDay: number;
  readonly weights: readonly number[];
  readonly updateHours: number;
  readonly churn: boolean;
  readonly json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string, fallback: string): string => {
    const at = argv.indexOf(flag);
    return at >= 0 && argv[at + 1] !== undefined ? (argv[at + 1] as string) : fallback;
  };
  const options: Options = {
    days: Number(value('--days', '7')),
    seeds: Number(value('--seeds', '3')),
    users: Number(value('--users', '100')),
    items: Number(value('--items', '200')),
    newPerDay: Number(value('--new-per-day', '20')),
    weights: value('--weights', '0,0.3,1').split(',').map(Number),
    updateHours: Number(value('--update-hours', '2')),
    churn: !argv.includes('--no-churn'),
    json: argv.includes('--json'),
  };
  for (const [name, v] of Object.entries(options)) {
    if (typeof v === 'number' && !(v > 0)) throw new Error(`--${name} must be positive`);
  }
  if (options.weights.some((w) => !(w >= 0 && w <= 1))) throw new Error('--weights must be in [0, 1]');
  return options;
}

interface SimItem {
  readonly id: string;
  readonly vector: Float64Array;
  readonly genre: string;
  /** Epoch seconds. */
  readonly created: number;
}

class World {
  readonly users: Float64Array[];
  readonly items: SimItem[] = [];
  private readonly random: Random;

  constructor(
    seed: number,
    users: number,
    readonly churn: boolean,
  ) {
    this.random = new Random(seed);
    this.users = Array.from({ length: users }, () => this.vector());
  }

  private vector(): Float64Array {
    return Float64Array.from({ length: K }, () => this.random.nextNormal());
  }

  addItem(created: number): SimItem {
    const vector = this.vector();
    let best = 0;
    for (let c = 1; c < K; c++) if ((vector[c] as number) > (vector[best] as number)) best = c;
    const item = { id: `item${this.items.length}`, vector, genre: `g${best}`, created };
    this.items.push(item);
    return item;
  }

  /** P(click | examined) of user u for item j at time `now`. */
  appeal(u: number, item: SimItem, now: number): number {
    const user = this.users[u] as Float64Array;
    let dot = 0;
    for (let c = 0; c < K; c++) dot += (user[c] as number) * (item.vector[c] as number);
    const fresh = this.churn ? 2 * Math.exp(-(now - item.created) / (2 * DAY)) : 0;
    return 1 / (1 + Math.exp(-(dot / Math.sqrt(K) + fresh - 3.5)));
  }

  /** The clicked position under the cascade model, or −1. */
  click(u: number, list: readonly SimItem[], now: number, random: Random): number {
    for (let p = 0; p < list.length; p++) {
      if (random.next() >= 1 / (p + 1)) continue;
      if (random.next() < this.appeal(u, list[p] as SimItem, now)) return p;
    }
    return -1;
  }

  /** Initial history: each user's items drawn ∝ exp(u·v), at random times in the day before `end`. */
  history(end: number): string {
    const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
    this.users.forEach((user, u) => {
      const weights = this.items.map((item) => Math.exp(dot(user, item.vector)));
      const total = weights.reduce((a, b) => a + b, 0);
      for (let h = 0; h < HISTORY_PER_USER; h++) {
        let target = this.random.next() * total;
        let j = 0;
        for (; j < weights.length - 1; j++) {
          target -= weights[j] as number;
          if (target < 0) break;
        }
        const time = end - DAY + Math.floor(this.random.next() * (DAY - 60));
        lines.push(`u${u},${(this.items[j] as SimItem).id},${time},click`);
      }
    });
    return `${lines.join('\n')}\n`;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let c = 0; c < a.length; c++) s += (a[c] as number) * (b[c] as number);
  return s;
}

interface RunResult {
  readonly weight: number;
  readonly seed: number;
  readonly clicks: number;
  readonly youngClicks: number;
  /** Of the items that arrived (and had a whole day to be shown), the share shown within a day. */
  readonly newItemsShownWithinDay: number | null;
  readonly lastDayCtr: number;
  readonly requests: number;
  readonly updates: number;
  readonly seconds: number;
}

async function run(options: Options, weight: number, seed: number): Promise<RunResult> {
  const started = performance.now();
  const runtime = await startRuntime({ port: 0, s3Port: 0, updateIntervalMs: 0 });
  const common = { endpoint: runtime.endpoint, region: runtime.region, credentials: runtime.apiCredentials };
  const personalize = new PersonalizeClient(common);
  const events = new PersonalizeEventsClient(common);
  const recommendations = new PersonalizeRuntimeClient(common);
  const s3 = new S3Client({
    endpoint: runtime.s3Endpoint,
    region: runtime.region,
    credentials: runtime.s3Credentials,
    forcePathStyle: true,
  });
  try {
    const world = new World(seed, options.users, options.churn);
    for (let j = 0; j < options.items; j++) world.addItem(START - 60 * DAY);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const { datasetGroupArn } = await personalize.send(new CreateDatasetGroupCommand({ name: 'sim' }));
    const group = datasetGroupArn as string;
    const dataset = async (type: 'Interactions' | 'Items', fields: object[]): Promise<string> => {
      const { schemaArn } = await personalize.send(
        new CreateSchemaCommand({
          name: `sim-${type}`,
          schema: JSON.stringify({
            type: 'record',
            name: type,
            namespace: 'com.amazonaws.personalize.schema',
            fields,
            version: '1.0',
          }),
        }),
      );
      const { datasetArn } = await personalize.send(
        new CreateDatasetCommand({
          name: `sim-${type}`,
          datasetGroupArn: group,
          datasetType: type,
          schemaArn,
        }),
      );
      return datasetArn as string;
    };
    const interactionsArn = await dataset('Interactions', [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      { name: 'EVENT_TYPE', type: 'string' },
    ]);
    const itemsArn = await dataset('Items', [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'GENRE', type: 'string', categorical: true },
      { name: 'CREATION_TIMESTAMP', type: 'long' },
    ]);
    const upload = async (name: string, datasetArn: string, body: string) => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: name, Body: body }));
      await personalize.send(
        new CreateDatasetImportJobCommand({
          jobName: name.replace('.csv', ''),
          datasetArn,
          dataSource: { dataLocation: `s3://${BUCKET}/${name}` },
          roleArn: ROLE,
        }),
      );
    };
    await upload('interactions.csv', interactionsArn, world.history(START));
    await upload(
      'items.csv',
      itemsArn,
      `ITEM_ID,GENRE,CREATION_TIMESTAMP\n${world.items.map((i) => `${i.id},${i.genre},${i.created}`).join('\n')}\n`,
    );
    await runtime.idle();
    const { trackingId } = await personalize.send(
      new CreateEventTrackerCommand({ name: 'sim-tracker', datasetGroupArn: group }),
    );
    const { solutionArn } = await personalize.send(
      new CreateSolutionCommand({
        name: 'sim',
        datasetGroupArn: group,
        recipeArn: RECIPE,
        performAutoTraining: false,
      }),
    );
    const { solutionVersionArn } = await personalize.send(new CreateSolutionVersionCommand({ solutionArn }));
    await runtime.idle();
    const { solutionVersion } = await personalize.send(
      new DescribeSolutionVersionCommand({ solutionVersionArn }),
    );
    if (solutionVersion?.status !== 'ACTIVE') throw new Error(`training ended ${solutionVersion?.status}`);
    const { campaignArn } = await personalize.send(
      new CreateCampaignCommand({
        name: 'sim',
        solutionVersionArn,
        campaignConfig: {
          itemExplorationConfig: {
            explorationWeight: String(weight),
            explorationItemAgeCutOff: String(AGE_CUT_OFF_DAYS),
          },
        },
      }),
    );

    // Separate streams, so that for one seed every weight sees the same users arriving at the same times.
    const activity = new Random(seed * 7919 + 1);
    const random = new Random(seed * 7919 + 2);
    const byId = new Map(world.items.map((i) => [i.id, i]));
    const firstShown = new Map<string, number>();
    let clicks = 0;
    let youngClicks = 0;
    let requests = 0;
    let updates = 0;
    let lastDayClicks = 0;
    let lastDayRequests = 0;
    const steps = Math.round(24 / options.updateHours);
    for (let day = 0; day < options.days; day++) {
      const dayStart = START + day * DAY;
      if (options.churn) {
        const fresh = Array.from({ length: options.newPerDay }, () => world.addItem(dayStart));
        for (const item of fresh) byId.set(item.id, item);
        for (let at = 0; at < fresh.length; at += 10) {
          await events.send(
            new PutItemsCommand({
              datasetArn: itemsArn,
              items: fresh.slice(at, at + 10).map((i) => ({
                itemId: i.id,
                properties: JSON.stringify({ genre: i.genre, creationTimestamp: i.created }),
              })),
            }),
          );
        }
      }
      for (let step = 0; step < steps; step++) {
        const now = dayStart + step * options.updateHours * HOUR;
        if (day > 0 || step > 0) {
          await runtime.automaticUpdate();
          updates++;
        }
        for (let u = 0; u < options.users; u++) {
          if (activity.next() >= ACTIVE_SHARE) continue;
          const at = now + 1 + Math.floor(activity.next() * (options.updateHours * HOUR - 2));
          const out = await recommendations.send(
            new GetRecommendationsCommand({ campaignArn, userId: `u${u}`, numResults: LIST_SIZE }),
          );
          requests++;
          const shown = (out.itemList ?? []).map((i) => byId.get(i.itemId as string) as SimItem);
          for (const item of shown) if (!firstShown.has(item.id)) firstShown.set(item.id, at);
          const p = world.click(u, shown, at, random);
          if (day === options.days - 1) lastDayRequests++;
          if (p < 0) continue;
          const item = shown[p] as SimItem;
          clicks++;
          if (at - item.created <= AGE_CUT_OFF_DAYS * DAY) youngClicks++;
          if (day === options.days - 1) lastDayClicks++;
          await events.send(
            new PutEventsCommand({
              trackingId,
              userId: `u${u}`,
              sessionId: `s${u}`,
              eventList: [
                {
                  eventType: 'click',
                  itemId: item.id,
                  sentAt: new Date(at * 1000),
                  recommendationId: out.recommendationId,
                  impression: shown.map((i) => i.id),
                },
              ],
            }),
          );
        }
      }
    }
    // Items that arrived on a day followed by a whole simulated day of requests.
    const arrived = world.items.filter(
      (i) => i.created >= START && i.created + DAY <= START + options.days * DAY,
    );
    const shownInDay = arrived.filter((i) => {
      const first = firstShown.get(i.id);
      return first !== undefined && first - i.created <= DAY;
    });
    return {
      weight,
      seed,
      clicks,
      youngClicks,
      newItemsShownWithinDay: arrived.length === 0 ? null : shownInDay.length / arrived.length,
      lastDayCtr: lastDayRequests === 0 ? 0 : lastDayClicks / lastDayRequests,
      requests,
      updates,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const client of [personalize, events, recommendations, s3]) client.destroy();
    await runtime.stop();
  }
}

/** Two-sided 95 % Student t quantiles by degrees of freedom (1–10); the normal quantile beyond. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

function interval(values: readonly number[]): { mean: number; half: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, half: Number.NaN };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, half: (T95[n - 2] ?? 1.96) * Math.sqrt(variance / n) };
}

const execFileAsync = promisify(execFile);

/** One run in a child process; it prints its {@link RunResult} as the last line of its output. */
async function runInChild(weight: number, seed: number): Promise<RunResult> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [...process.execArgv, __filename, ...process.argv.slice(2), '--child', String(weight), String(seed)],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as RunResult;
}

async function main(): Promise<void> {
  quietRequestLogs();
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  const child = argv.indexOf('--child');
  if (child >= 0) {
    // Handlers log to stdout; the result is the last line.
    const result = await run(options, Number(argv[child + 1]), Number(argv[child + 2]));
    console.log(JSON.stringify(result));
    return;
  }
  const results: RunResult[] = [];
  for (let seed = 1; seed <= options.seeds; seed++) {
    for (const weight of options.weights) {
      const result = await runInChild(weight, seed);
      results.push(result);
      if (!options.json) {
        console.error(
          `seed ${seed} weight ${weight}: ${result.clicks} clicks in ${result.requests} lists, ` +
            `${result.updates} updates, ${result.seconds.toFixed(1)} s`,
        );
      }
    }
  }
  const summary = options.weights.map((weight) => {
    const mine = results.filter((r) => r.weight === weight);
    const shown = mine.map((r) => r.newItemsShownWithinDay).filter((v): v is number => v !== null);
    return {
      weight,
      clicks: interval(mine.map((r) => r.clicks)),
      youngClicks: interval(mine.map((r) => r.youngClicks)),
      newItemsShownWithinDay: shown.length === 0 ? null : interval(shown),
      lastDayCtr: interval(mine.map((r) => r.lastDayCtr)),
      clicksMinusFirstWeight: interval(
        mine.map((r) => {
          const base = results.find((b) => b.seed === r.seed && b.weight === options.weights[0]);
          return r.clicks - (base?.clicks ?? Number.NaN);
        }),
      ),
    };
  });
  if (options.json) {
    console.log(JSON.stringify({ options, results, summary }, null, 2));
    return;
  }
  const fmt = (x: { mean: number; half: number } | null, digits = 1) =>
    x === null ? 'n/a' : `${x.mean.toFixed(digits)} ± ${Number.isNaN(x.half) ? '?' : x.half.toFixed(digits)}`;
  console.log(
    `${options.days} days, ${options.users} users, ${options.items} items` +
      `${options.churn ? ` + ${options.newPerDay} new a day` : ', no churn'}, ${options.seeds} seeds (mean ± 95 % CI)`,
  );
  console.log(
    `weight | clicks | clicks − clicks at ${options.weights[0]} | clicks on items ≤ cut-off | ` +
      'new items shown within a day | last-day CTR',
  );
  for (const s of summary) {
    console.log(
      `${String(s.weight).padEnd(6)} | ${fmt(s.clicks)} | ${fmt(s.clicksMinusFirstWeight)} | ${fmt(s.youngClicks)} | ${fmt(s.newItemsShownWithinDay, 3)} | ${fmt(s.lastDayCtr, 3)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
