/**
 * PutEvents load with an exact ledger: concurrent clients send batches of events with unique `eventId`s, re-send
 * some acknowledged batches unchanged (a client retry) and send some events that reuse an acknowledged `eventId`
 * with other content (which reads must drop). Every acknowledged original is counted in; the group's stored
 * events are then counted and checked one by one, so a lost or duplicated event shows, and so is every event the
 * table holds: the originals once each (a re-send overwrites itself) plus one event per re-used id, nothing else.
 */

import { fork } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Event, PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventStore } from '../../lambdas/store/events';

export interface LoadOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly trackingId: string;
  readonly clients: number;
  /** Stop each client after this many calls… */
  readonly callsPerClient?: number;
  /** …or after this many milliseconds. */
  readonly durationMs?: number;
  /** Events per PutEvents call (1–10). */
  readonly batch: number;
  /** Every n-th call is sent twice. */
  readonly retryEvery: number;
}

export interface LoadResult {
  /** Distinct events acknowledged (counted in). */
  readonly acknowledged: Set<string>;
  readonly calls: number;
  readonly retries: number;
  /** Events sent with an already used eventId and different content. */
  readonly conflicting: number;
  readonly failedCalls: number;
  readonly seconds: number;
  /** Distinct events acknowledged in each 10 s of the run (the last slice may be shorter). */
  readonly perTenSeconds: number[];
}

/** Runs the load; resolves when every client has stopped. */
export async function runPutEventsLoad(options: LoadOptions): Promise<LoadResult> {
  const acknowledged = new Set<string>();
  let calls = 0;
  let retries = 0;
  let conflicting = 0;
  let failedCalls = 0;
  const perTenSeconds: number[] = [];
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const loop = async (client: number) => {
    const events = new PersonalizeEventsClient({
      endpoint: options.endpoint,
      region: options.region,
      credentials: options.credentials,
      maxAttempts: 1,
    });
    try {
      for (let call = 0; call < (options.callsPerClient ?? Number.POSITIVE_INFINITY); call++) {
        if (performance.now() >= deadline) break;
        const user = `c${client}-u${call % 50}`;
        const sentAt = new Date(1_700_000_000_000 + call * 1000 + client);
        const eventList: Event[] = Array.from({ length: options.batch }, (_, e) => ({
          eventId: `c${client}-${call}-${e}`,
          eventType: 'click',
          itemId: `i${(call * 7 + e) % 500}`,
          sentAt,
        }));
        const send = () =>
          events.send(
            new PutEventsCommand({
              trackingId: options.trackingId,
              userId: user,
              sessionId: `s-${user}`,
              eventList,
            }),
          );
        try {
          await send();
          calls++;
          for (const e of eventList) acknowledged.add(e.eventId as string);
          const slice = Math.floor((performance.now() - started) / 10_000);
          while (perTenSeconds.length <= slice) perTenSeconds.push(0);
          perTenSeconds[slice] = (perTenSeconds[slice] ?? 0) + eventList.length;
          if (call % options.retryEvery === 0) {
            await send();
            calls++;
            retries++;
            // The same id on another item: Personalize ignores it, so must we.
            const first = eventList[0] as Event;
            await events.send(
              new PutEventsCommand({
                trackingId: options.trackingId,
                userId: user,
                sessionId: `s-${user}`,
                eventList: [{ ...first, itemId: 'conflicting-item', sentAt: new Date(sentAt.getTime() + 1) }],
              }),
            );
            calls++;
            conflicting++;
          }
        } catch {
          failedCalls++;
        }
      }
    } finally {
      events.destroy();
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, c) => loop(c)));
  return {
    acknowledged,
    calls,
    retries,
    conflicting,
    failedCalls,
    seconds: (performance.now() - started) / 1000,
    perTenSeconds,
  };
}

/** A load run in a child process, and the CPU seconds (user + system) that process spent on it. */
export interface ChildLoadResult extends LoadResult {
  readonly cpuSeconds: number;
}

type ChildMessage = Omit<ChildLoadResult, 'acknowledged'> & { readonly acknowledged: string[] };

/**
 * Runs the load from a child process, so the clients' CPU (SDK, signing, HTTP) neither shares an event loop with
 * the server under test nor counts as its CPU.
 */
export function runPutEventsLoadInChild(options: LoadOptions): Promise<ChildLoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ChildLoadResult | undefined;
    child.on('message', (message: ChildMessage) => {
      result = { ...message, acknowledged: new Set(message.acknowledged) };
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`load client process exited with ${signal ?? `code ${code}`}`));
    });
    child.send(options);
  });
}

if (require.main === module) {
  process.once('message', (options: LoadOptions) => {
    const before = process.cpuUsage();
    runPutEventsLoad(options).then(
      (load) => {
        const { user, system } = process.cpuUsage(before);
        const message: ChildMessage = {
          ...load,
          acknowledged: [...load.acknowledged],
          cpuSeconds: (user + system) / 1e6,
        };
        process.send?.(message, () => process.disconnect());
      },
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
      },
    );
  });
}

export interface StoredCount {
  /** Events as reads see them (training, recent events): each eventId once. */
  readonly stored: number;
  /** Acknowledged events not stored. */
  readonly missing: number;
  /** Event ids stored more than once. */
  readonly duplicated: number;
  /** Stored events that were not acknowledged originals (e.g. a conflicting re-use of an id). */
  readonly unexpected: number;
  /** Events in the group's part of the table: those reads see, and those they drop as re-used ids. */
  readonly items: number;
  /** Events re-using an acknowledged eventId (which reads drop). */
  readonly reuses: number;
}

/**
 * Counts a group's stored events against the acknowledged ids, reading the Events table directly: once as every
 * reader does (each eventId once), and once event by event, so the events reads drop show too.
 */
export async function countStored(
  dynamodbEndpoint: string,
  region: string,
  eventsTable: string,
  datasetGroupArn: string,
  acknowledged: ReadonlySet<string>,
): Promise<StoredCount> {
  const client = new DynamoDBClient({
    endpoint: dynamodbEndpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const store = new EventStore(DynamoDBDocumentClient.from(client), eventsTable);
    const seen = new Map<string, number>();
    let unexpected = 0;
    for await (const page of store.groupEvents(datasetGroupArn, 0)) {
      for (const e of page) {
        seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1);
        if (!acknowledged.has(e.eventId) || e.itemId === 'conflicting-item') unexpected++;
      }
    }
    let missing = 0;
    for (const id of acknowledged) if (!seen.has(id)) missing++;
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    const stored = [...seen.values()].reduce((a, b) => a + b, 0);
    let items = 0;
    let reuses = 0;
    for await (const page of store.groupEvents(datasetGroupArn, 0, { repeats: true })) {
      items += page.length;
      for (const e of page) if (e.itemId === 'conflicting-item') reuses++;
    }
    return { stored, missing, duplicated, unexpected, items, reuses };
  } finally {
    client.destroy();
  }
}
