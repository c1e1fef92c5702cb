/**
 * One API worker of `npm start -- --workers N`: serves the API (the same local API Gateway over the same handler
 * modules) on the port the primary names, against the primary's embedded DynamoDB, S3, Lambda and Step Functions,
 * whose endpoints it inherits in its environment. Control-plane operations still run in the primary: the router
 * invokes them through the local Lambda API, as it does on AWS.
 *
 * Messages: the primary sends `{ type: 'stop' }`; the worker stops accepting requests, answers those in flight,
 * finishes its deferred writes and exits. It reports `{ type: 'listening', port }` once bound. Each worker reports
 * the actors whose events it stored (`events-written`), which the primary relays to the other workers so none keeps
 * serving a user's recent events from before them.
 */
import type { Socket } from 'node:net';
import { deferredWrites } from '../lambdas/services/deferred-writes';
import { recentEventsCache } from '../lambdas/services/recent-events-cache';
import { createApiServer } from './api-gateway';
import { FunctionRegistry } from './functions';
import { close, listen } from './http-util';

/** Environment variables through which the primary tells a worker where to listen. */
export const WORKER_PORT_ENV = 'OP_WORKER_PORT';
export const WORKER_HOST_ENV = 'OP_WORKER_HOST';

/**
 * Requests a worker answers on one connection before closing it (`Connection: close` on the last answer). Each
 * reconnect costs the client a new connection through the primary, so rarely enough that it does not show in
 * latency; often enough that a burst of connections evens out across workers within seconds.
 */
export const MAX_REQUESTS_PER_SOCKET = 1000;

export type WorkerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'stop' }
  /** Both ways: a worker stored events of this actor (the primary relays it to the other workers). */
  | { readonly type: 'events-written'; readonly datasetGroupArn: string; readonly actorId: string };

async function main(): Promise<void> {
  const port = Number(process.env[WORKER_PORT_ENV]);
  const host = process.env[WORKER_HOST_ENV] ?? '127.0.0.1';
  const registry = new FunctionRegistry();
  const server = createApiServer(registry);
  // The primary hands each new connection to a worker that is free at that moment, so a burst of connections
  // (clients starting together) can land mostly on one worker, and keep-alive keeps them there. Closing each
  // connection after this many requests lets clients reconnect, and the connections even out across workers. The
  // last answer says `Connection: close` and Node then closes the socket (Node's own maxRequestsPerSocket leaves it
  // open and answers 503 to whatever the client sends next, which clients that keep sending take as failures).
  const served = new WeakMap<Socket, number>();
  server.prependListener('request', (req, res) => {
    const count = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, count);
    if (count >= MAX_REQUESTS_PER_SOCKET) res.setHeader('Connection', 'close');
  });
  // In a cluster worker the primary owns the socket: every worker listening on the same port shares it.
  const bound = await listen(server, port, host);
  let stopping = false;
  // Users' recent events cached here are forgotten whichever worker stores new ones.
  const recent = recentEventsCache();
  recent.onWritten((datasetGroupArn, actorId) =>
    process.send?.({ type: 'events-written', datasetGroupArn, actorId } satisfies WorkerMessage),
  );
  process.on('message', (message: WorkerMessage) => {
    if (message.type === 'events-written') {
      recent.forget(message.datasetGroupArn, message.actorId);
      return;
    }
    if (message.type !== 'stop' || stopping) return;
    stopping = true;
    close(server)
      .then(() => registry.idle())
      .then(() => deferredWrites.settled())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error('[worker] shutdown failed:', err);
          process.exit(1);
        },
      );
  });
  // The primary's signals end the workers through `stop`; a terminal's Ctrl-C reaches every process of the group.
  process.on('SIGINT', () => undefined);
  process.on('unhandledRejection', (reason) =>
    console.error('[worker] unhandled promise rejection:', reason),
  );
  process.send?.({ type: 'listening', port: bound } satisfies WorkerMessage);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('[worker] failed to start:', err);
    process.exit(1);
  });
}
