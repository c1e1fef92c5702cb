/**
 * The subset of the Lambda API that the handlers call: `Invoke`
 * (`POST /2015-03-31/functions/{FunctionName}/invocations`). The router and the import starter use the ordinary
 * `LambdaClient` with `AWS_ENDPOINT_URL_LAMBDA` pointing here, so they run unmodified. Loopback only and
 * unauthenticated: it is internal plumbing, like the Lambda service behind the function's execution role.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FunctionRegistry } from './functions';
import { BodyTooLargeError, readBody, sendJson } from './http-util';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** Lambda's synchronous payload limit. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The name part of a function name, partial ARN or full ARN (`...:function:NAME[:QUALIFIER]`). */
export function functionNameOf(raw: string): string {
  const name = decodeURIComponent(raw);
  const parts = name.split(':');
  const at = parts.indexOf('function');
  return at >= 0 && parts[at + 1] !== undefined ? parts[at + 1]! : name;
}

function lambdaError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { Type: 'User', Message: message, message }, { 'x-amzn-errortype': type });
}

async function handle(registry: FunctionRegistry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://lambda.local');
  const match = INVOKE_PATH.exec(url.pathname);
  if (req.method !== 'POST' || match === null) {
    lambdaError(res, 404, 'UnknownOperationException', `Unsupported: ${req.method} ${url.pathname}`);
    return;
  }
  const name = functionNameOf(match[1]!);
  if (!registry.has(name)) {
    lambdaError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, MAX_PAYLOAD_BYTES);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    lambdaError(res, 413, 'RequestTooLargeException', err.message);
    return;
  }
  let event: unknown = {};
  if (body.length > 0) {
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      lambdaError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      return;
    }
  }
  const requestId = randomUUID();
  const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (invocationType === 'Event') {
    registry.invokeAsync(name, event);
    res.writeHead(202, { 'x-amzn-requestid': requestId, 'content-length': 0 });
    res.end();
    return;
  }
  if (invocationType === 'DryRun') {
    res.writeHead(204, { 'x-amzn-requestid': requestId });
    res.end();
    return;
  }
  if (invocationType !== 'RequestResponse') {
    lambdaError(res, 400, 'InvalidParameterValueException', `Invalid InvocationType: ${invocationType}`);
    return;
  }
  const outcome = await registry.invoke(name, event);
  const headers = { 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' };
  if (outcome.ok) {
    // A handler that returns nothing yields the JSON `null`, as in Lambda.
    sendJson(res, 200, outcome.result ?? null, headers);
  } else {
    sendJson(res, 200, outcome.error, { ...headers, 'x-amz-function-error': 'Unhandled' });
  }
}

export function createLambdaServer(registry: FunctionRegistry): Server {
  return createServer((req, res) => {
    handle(registry, req, res).catch((err: unknown) => {
      console.error('[lambda] invoke API failed:', err);
      if (!res.headersSent) lambdaError(res, 500, 'ServiceException', 'Internal error');
      else res.destroy();
    });
  });
}
