/**
 * Fault injection for storage tests: wrappers around a DynamoDB document client and an S3 client that delay,
 * hold, fail and throttle calls, and serve index queries stale, so races that real DynamoDB and S3 can expose
 * (dynalite and s3rver are strongly consistent and never throttle) become reproducible.
 *
 * - {@link faultyDocumentClient} works at the command level: a hook may delay or hold a command (to interleave two
 *   operations deterministically) or fail it, and Query on a global secondary index omits items written less than
 *   `staleIndexMs` ago, as an eventually consistent index does.
 * - {@link throttlingHandler} works at the HTTP level, under the SDK's retry strategy: it answers a share of
 *   requests with `ProvisionedThroughputExceededException` (DynamoDB) or `SlowDown` (S3), so the test sees what the
 *   configured retries make of throttling.
 */
import { Readable } from 'node:stream';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpResponse } from '@smithy/types';

type HttpHandler = NodeHttpHandler;

export interface CommandCall {
  /** The command class name, e.g. `QueryCommand`. */
  readonly name: string;
  readonly input: Record<string, unknown>;
}

export interface DdbFaults {
  /** Runs before each command; may wait (delay or hold) and may throw to fail the call. */
  before?(call: CommandCall): Promise<void> | void;
  /** Index queries omit items whose last write is younger than this (ms). */
  staleIndexMs?: number;
}

type Item = Record<string, unknown>;

/** A document client that applies `faults` and otherwise forwards to `inner`. */
export function faultyDocumentClient(
  inner: DynamoDBDocumentClient,
  faults: DdbFaults,
): DynamoDBDocumentClient {
  const writtenAt = new Map<string, number>();
  const keyOf = (table: unknown, key: Item) =>
    `${String(table)}\u0000${String(key.pk)}\u0000${String(key.sk)}`;
  const noteWrite = (table: unknown, key: Item | undefined) => {
    if (key !== undefined) writtenAt.set(keyOf(table, key), Date.now());
  };
  const send = async (command: { constructor: { name: string }; input: Item }, ...rest: unknown[]) => {
    const call: CommandCall = { name: command.constructor.name, input: command.input };
    await faults.before?.(call);
    const out = (await (inner.send as (c: unknown, ...r: unknown[]) => Promise<Item>)(
      command,
      ...rest,
    )) as Item;
    const input = command.input;
    switch (call.name) {
      case 'PutCommand':
        noteWrite(input.TableName, input.Item as Item);
        break;
      case 'UpdateCommand':
        noteWrite(input.TableName, input.Key as Item);
        break;
      case 'BatchWriteCommand':
        for (const [table, requests] of Object.entries(input.RequestItems as Record<string, Item[]>)) {
          for (const r of requests) noteWrite(table, (r.PutRequest as { Item?: Item } | undefined)?.Item);
        }
        break;
      case 'QueryCommand':
        if (input.IndexName !== undefined && (faults.staleIndexMs ?? 0) > 0 && Array.isArray(out.Items)) {
          const horizon = Date.now() - (faults.staleIndexMs ?? 0);
          const items = (out.Items as Item[]).filter(
            (item) => (writtenAt.get(keyOf(input.TableName, item)) ?? 0) <= horizon,
          );
          return { ...out, Items: items, Count: items.length };
        }
        break;
    }
    return out;
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'send') return send;
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** A promise-based gate: `wait()` resolves once `open()` is called. */
export class Gate {
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  private arrived!: () => void;
  /** Resolves when the first caller reaches {@link wait}. */
  readonly reached = new Promise<void>((resolve) => {
    this.arrived = resolve;
  });
  wait(): Promise<void> {
    this.arrived();
    return this.opened;
  }
  open(): void {
    this.release();
  }
}

export interface ThrottleOptions {
  /** Which backend's throttling error to answer with. */
  readonly service: 'dynamodb' | 's3';
  /** Each request is throttled this many times before it is let through. */
  readonly timesPerRequest: number;
}

/**
 * An HTTP handler that throttles each distinct request `timesPerRequest` times before passing it to `inner`;
 * counts are kept in `stats`.
 */
export function throttlingHandler(
  inner: HttpHandler,
  options: ThrottleOptions,
): HttpHandler & { readonly stats: { throttled: number; passed: number } } {
  const stats = { throttled: 0, passed: 0 };
  // A retried request is a new object with the same invocation id header.
  const seen = new Map<string, number>();
  const handler = {
    stats,
    metadata: inner.metadata,
    updateHttpClientConfig: (...args: Parameters<HttpHandler['updateHttpClientConfig']>) =>
      inner.updateHttpClientConfig(...args),
    httpHandlerConfigs: () => inner.httpHandlerConfigs(),
    destroy: () => inner.destroy(),
    handle: async (
      request: Parameters<HttpHandler['handle']>[0],
      opts?: Parameters<HttpHandler['handle']>[1],
    ) => {
      const id = String(request.headers['amz-sdk-invocation-id'] ?? Math.random());
      const count = seen.get(id) ?? 0;
      if (count < options.timesPerRequest) {
        seen.set(id, count + 1);
        stats.throttled++;
        return { response: throttled(options.service) };
      }
      seen.delete(id);
      stats.passed++;
      return inner.handle(request, opts);
    },
  };
  return handler as unknown as HttpHandler & { readonly stats: typeof stats };
}

function throttled(service: 'dynamodb' | 's3'): HttpResponse {
  if (service === 'dynamodb') {
    const body = JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    });
    return {
      statusCode: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'throttled' },
      body: Readable.from([Buffer.from(body)]),
    } as unknown as HttpResponse;
  }
  const body =
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
    '<Message>Please reduce your request rate.</Message><RequestId>throttled</RequestId></Error>';
  return {
    statusCode: 503,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'throttled' },
    body: Readable.from([Buffer.from(body)]),
  } as unknown as HttpResponse;
}

export interface S3Faults {
  /** Runs before each command; may wait (delay or hold) and may throw to fail the call. */
  before?(call: CommandCall): Promise<void> | void;
}

/** An S3 client that applies `faults` and otherwise forwards to `inner` (multipart uploads included). */
export function faultyS3Client<C extends { send: (...args: never[]) => unknown }>(
  inner: C,
  faults: S3Faults,
): C {
  const send = async (command: { constructor: { name: string }; input: Item }, ...rest: unknown[]) => {
    await faults.before?.({ name: command.constructor.name, input: command.input });
    return (inner.send as unknown as (c: unknown, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'send') return send;
      return Reflect.get(target, prop, receiver);
    },
  });
}
