/**
 * PutEvents under load, with an exact ledger (`npm run bench:put-events-load`): 16 concurrent clients for 60 s
 * against a local runtime started here; reports events/s, counted-in (acknowledged distinct events) and
 * counted-stored, and fails if any acknowledged event is missing or stored twice, or the table holds any event
 * besides the acknowledged events and the re-used eventIds it sent (which reads drop). The same clients then send the
 * same load to a plain Node HTTP echo server with as many processes (the ceiling: SDK client and HTTP, no API).
 *
 * The API is served from `--workers N` node:cluster workers (as `npm start -- --workers N`; default: one per core)
 * against dynalite, s3rver, Lambda and Step Functions in this process (`--workers 0`: this process serves the API
 * too). The load clients run in a child process of their own, as an application's would.
 *
 *   npm run bench:put-events-load -- [--seconds 60] [--clients 16] [--workers N] [--echo-seconds 20]
 */
import { availableParallelism } from 'node:os';
import { CreateEventTrackerCommand, PersonalizeClient } from '@aws-sdk/client-personalize';
import { EVENTS_TABLE } from '../lambdas/store/tables';
import { DEFAULT_API_CREDENTIALS, DEFAULT_REGION } from '../local/runtime';
import { startEchoServer } from './lib/echo-server';
import { echoLine, runtimeLine, startBenchRuntime } from './lib/local-runtime';
import { processCpuMs } from './lib/process-cpu';
import {
  type ChildLoadResult,
  countStored,
  type LoadOptions,
  runPutEventsLoadInChild,
} from './lib/put-events-load';
import { quietRequestLogs } from './lib/quiet';
import { createInteractionsDataset } from './lib/setup';
import { environmentLines, formatLoad } from './lib/throughput';

const BATCH = 10;
/** Every n-th call is re-sent unchanged, then followed by a call re-using one of its eventIds. */
const RETRY_EVERY = 20;

function flag(name: string, fallback: number, min = 1): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min}`);
  return value;
}

interface Measured {
  readonly load: ChildLoadResult;
  /** CPU seconds of this process during the load (the emulators, and the API with `--workers 0`). */
  readonly ownCpu: number;
  /** CPU seconds of the server's other processes (API workers), when /proc tells. */
  readonly serverCpu: number | undefined;
  /** The same, per worker: how evenly the load spread. */
  readonly workerCpu: readonly number[];
}

async function measure(options: LoadOptions, serverPids: () => number[]): Promise<Measured> {
  const pids = serverPids();
  const serverBefore = pids.length === 0 ? undefined : processCpuMs(pids);
  const eachBefore = pids.map((pid) => processCpuMs([pid]));
  const before = process.cpuUsage();
  const load = await runPutEventsLoadInChild(options);
  const { user, system } = process.cpuUsage(before);
  const serverAfter = processCpuMs(pids);
  const workerCpu = pids.flatMap((pid, i) => {
    const [from, to] = [eachBefore[i], processCpuMs([pid])];
    return from === undefined || to === undefined ? [] : [(to - from) / 1000];
  });
  return {
    load,
    workerCpu,
    ownCpu: (user + system) / 1e6,
    serverCpu:
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : (serverAfter - serverBefore) / 1000,
  };
}

function rateLine(label: string, m: Measured, server: boolean): string {
  const events = m.load.acknowledged.size;
  const perEvent = (s: number) => `${((s * 1e6) / events).toFixed(0)} µs`;
  return (
    `  ${label.padEnd(5)} ${(events / m.load.seconds).toFixed(0).padStart(6)} events/s` +
    `  (${events} acknowledged distinct events in ${m.load.seconds.toFixed(1)} s, ${m.load.calls} calls, ${m.load.failedCalls} failed)` +
    `  CPU per event: load clients ${perEvent(m.load.cpuSeconds)}` +
    (server ? `, emulators (this process) ${perEvent(m.ownCpu)}` : '') +
    (m.serverCpu === undefined
      ? ''
      : `, API workers ${perEvent(m.serverCpu)} (CPU s per worker: ${m.workerCpu.map((s) => s.toFixed(1)).join(' / ')})`) +
    `  (load ${formatLoad()})`
  );
}

/** Events/s in each 10 s slice of a run; a last slice under 1 s is left out. */
function sliceRates(load: ChildLoadResult): string[] {
  return load.perTenSeconds.flatMap((n, i) => {
    const seconds = Math.min(10, load.seconds - 10 * i);
    return seconds < 1 ? [] : [(n / seconds).toFixed(0)];
  });
}

async function main(): Promise<void> {
  quietRequestLogs();
  const seconds = flag('seconds', 60);
  const echoSeconds = flag('echo-seconds', Math.min(20, seconds));
  const clients = flag('clients', 16);
  const workers = flag('workers', availableParallelism(), 0);
  const clientsLine = `clients     ${clients} SDK clients in a child process`;
  process.stdout.write(
    `${[...environmentLines(), runtimeLine(workers), clientsLine, echoLine(workers)].join('\n')}\n\n`,
  );
  const runtime = await startBenchRuntime({ workers, updateIntervalMs: 0 });
  const config = { endpoint: runtime.endpoint, region: runtime.region, credentials: runtime.apiCredentials };
  const personalize = new PersonalizeClient(config);
  try {
    const { datasetGroupArn } = await createInteractionsDataset(personalize, `load-${Date.now()}`);
    const { trackingId } = await personalize.send(
      new CreateEventTrackerCommand({ name: 'load', datasetGroupArn }),
    );
    const workload = { trackingId: trackingId as string, clients, batch: BATCH, retryEvery: RETRY_EVERY };
    const api = await measure({ ...config, ...workload, durationMs: seconds * 1000 }, runtime.workerPids);
    const count = await countStored(
      runtime.internalEndpoints.dynamodb,
      runtime.region,
      EVENTS_TABLE.id,
      datasetGroupArn,
      api.load.acknowledged,
    );
    const echo = await startEchoServer(workers);
    let ceiling: Measured;
    try {
      ceiling = await measure(
        {
          endpoint: echo.url,
          region: DEFAULT_REGION,
          credentials: DEFAULT_API_CREDENTIALS,
          ...workload,
          durationMs: echoSeconds * 1000,
        },
        // The echo server's workers are not this process's children's to name; its CPU is not reported.
        () => [],
      );
    } finally {
      await echo.stop();
    }
    const apiRate = api.load.acknowledged.size / api.load.seconds;
    const echoRate = ceiling.load.acknowledged.size / ceiling.load.seconds;
    console.log(
      [
        `PutEvents load: ${clients} clients, batches of ${BATCH}, each with caller-chosen eventIds; every ${RETRY_EVERY}th call re-sent unchanged, then one of its eventIds re-used for another item`,
        rateLine('api', api, true),
        rateLine('echo', ceiling, false),
        `  api ÷ echo: ${((100 * apiRate) / echoRate).toFixed(1)} %`,
        `  api calls ${api.load.calls} (${api.load.retries} exact re-sends, ${api.load.conflicting} re-used eventIds), failed calls ${api.load.failedCalls}`,
        `  counted in (acknowledged distinct events): ${api.load.acknowledged.size}  ->  ${apiRate.toFixed(0)} events/s over ${api.load.seconds.toFixed(1)} s`,
        `  api events/s in each 10 s: ${sliceRates(api.load).join(' ')} (the first 10 s include the workers compiling and warming up)`,
        `  counted stored (as training reads them, each eventId once): ${count.stored}  missing ${count.missing}  duplicated ${count.duplicated}  unexpected ${count.unexpected}`,
        `  events in the table: ${count.items} = ${count.items - count.reuses} events + ${count.reuses} re-used eventIds (dropped by reads; ${api.load.conflicting} sent)`,
        `load avg    ${formatLoad()} (1, 5, 15 min) at the end`,
      ].join('\n'),
    );
    if (
      api.load.failedCalls > 0 ||
      count.missing > 0 ||
      count.duplicated > 0 ||
      count.unexpected > 0 ||
      count.stored !== api.load.acknowledged.size ||
      count.reuses !== api.load.conflicting ||
      count.items !== count.stored + count.reuses
    ) {
      process.exitCode = 1;
    }
  } finally {
    personalize.destroy();
    await runtime.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
