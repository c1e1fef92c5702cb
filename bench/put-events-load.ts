/**
 * PutEvents under load, with an exact ledger (`npm run bench:put-events-load`): 16 concurrent clients for 60 s
 * against an in-process local runtime; reports events/s, counted-in (acknowledged distinct events) and
 * counted-stored, and fails if any acknowledged event is missing or stored twice.
 *
 *   npm run bench:put-events-load -- [--seconds 60] [--clients 16]
 */
import { CreateEventTrackerCommand, PersonalizeClient } from '@aws-sdk/client-personalize';
import { EVENTS_TABLE } from '../lambdas/store/tables';
import { startRuntime } from '../local/runtime';
import { countStored, runPutEventsLoad } from './lib/put-events-load';
import { quietRequestLogs } from './lib/quiet';
import { createInteractionsDataset } from './lib/setup';
import { environmentLines } from './lib/throughput';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main(): Promise<void> {
  quietRequestLogs();
  const seconds = flag('seconds', 60);
  const clients = flag('clients', 16);
  const runtime = await startRuntime({ port: 0, s3Port: 0, updateIntervalMs: 0 });
  const config = { endpoint: runtime.endpoint, region: runtime.region, credentials: runtime.apiCredentials };
  const personalize = new PersonalizeClient(config);
  try {
    const { datasetGroupArn } = await createInteractionsDataset(personalize, `load-${Date.now()}`);
    const { trackingId } = await personalize.send(
      new CreateEventTrackerCommand({ name: 'load', datasetGroupArn }),
    );
    const load = await runPutEventsLoad({
      ...config,
      trackingId: trackingId as string,
      clients,
      durationMs: seconds * 1000,
      batch: 10,
      retryEvery: 20,
    });
    const count = await countStored(
      runtime.internalEndpoints.dynamodb,
      runtime.region,
      EVENTS_TABLE.id,
      datasetGroupArn,
      load.acknowledged,
    );
    const rate = load.acknowledged.size / load.seconds;
    console.log(
      [
        `PutEvents load: ${clients} clients, ${load.seconds.toFixed(1)} s, batches of 10`,
        `  calls ${load.calls} (${load.retries} exact re-sends, ${load.conflicting} re-used eventIds), failed calls ${load.failedCalls}`,
        `  counted in (acknowledged distinct events): ${load.acknowledged.size}  ->  ${rate.toFixed(0)} events/s`,
        `  counted stored: ${count.stored}  missing ${count.missing}  duplicated ${count.duplicated}  unexpected ${count.unexpected}`,
        ...environmentLines(),
      ].join('\n'),
    );
    if (
      count.missing > 0 ||
      count.duplicated > 0 ||
      count.unexpected > 0 ||
      count.stored !== load.acknowledged.size
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
