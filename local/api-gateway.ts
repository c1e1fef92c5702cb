/**
 * The local API Gateway: turns each HTTP request into an API Gateway REST (v1) proxy event, calls the same handler
 * module that the deployed function runs, and writes the proxy result back. Routes mirror the deployed API exactly:
 * `POST /` (control plane) goes to the router, which verifies SigV4 and invokes the operation's function through the
 * local Lambda API; each runtime and events path goes straight to its handler.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TextDecoder } from 'node:util';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ROUTES, UNSUPPORTED_REST_ROUTES } from '../lambdas/api/routes';
import { type FunctionRegistry, HandlerNotFoundError } from './functions';
import { BodyTooLargeError, readBody, sendJson } from './http-util';

/** Handler file of the control-plane router. */
export const ROUTER_HANDLER = 'router';
export const STAGE = 'local';
/** Handler file that serves the web console's static files (`GET /console`, `GET /console/{file+}`). */
export const CONSOLE_HANDLER = 'console-assets';

/** `METHOD path` → handler file. */
export function routeTable(): ReadonlyMap<string, string> {
  const table = new Map<string, string>([['POST /', ROUTER_HANDLER]]);
  for (const route of ROUTES) {
    if (route.path !== undefined) table.set(`POST ${route.path}`, route.handler);
  }
  for (const route of UNSUPPORTED_REST_ROUTES) table.set(`POST ${route.path}`, ROUTER_HANDLER);
  table.set('GET /console', CONSOLE_HANDLER);
  return table;
}

/** `GET /console/<file>` → the `{file+}` proxy resource, as the deployed API routes it. */
function consoleFile(method: string, path: string): string | undefined {
  return method === 'GET' && path.startsWith('/console/') ? path.slice('/console/'.length) : undefined;
}

// ignoreBOM keeps a leading byte order mark: the body must reach the handler exactly as the client signed it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** API Gateway passes text bodies as strings and anything else base64-encoded. */
function encodeBody(body: Buffer): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  try {
    return { body: strictUtf8.decode(body), isBase64Encoded: false };
  } catch {
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
}

function singleValues(multi: Record<string, string[]>): Record<string, string> | null {
  const entries = Object.entries(multi);
  if (entries.length === 0) return null;
  // API Gateway's single-value maps keep the last value of a repeated key.
  return Object.fromEntries(entries.map(([k, v]) => [k, v[v.length - 1] ?? '']));
}

export interface RequestInfo {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string[]>;
  readonly sourceIp: string;
  readonly body: Buffer;
}

/** Builds the proxy event API Gateway would send for this request. */
export function toProxyEvent(
  req: RequestInfo,
  resource: string,
  requestId: string,
  now = new Date(),
): APIGatewayProxyEvent {
  const url = new URL(req.url, 'http://localhost');
  const query: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) query[key] = [...(query[key] ?? []), value];
  const headers = singleValues(req.headers) ?? {};
  const { body, isBase64Encoded } = encodeBody(req.body);
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method,
    headers,
    multiValueHeaders: req.headers,
    queryStringParameters: singleValues(query),
    multiValueQueryStringParameters: Object.keys(query).length > 0 ? query : null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      domainName: headers.host ?? 'localhost',
      httpMethod: req.method,
      // The path the client signed: with no stage prefix locally it is the request path itself.
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: now.toISOString(),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: resource,
      stage: STAGE,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { statusCode?: unknown }).statusCode === 'number'
  );
}

function internalFailure(res: ServerResponse, requestId: string): void {
  sendJson(
    res,
    500,
    { __type: 'InternalFailure', message: 'An internal error occurred.' },
    { 'x-amzn-errortype': 'InternalFailure', 'x-amzn-requestid': requestId },
  );
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const headers: Record<string, string | string[]> = {};
  const seen = new Set<string>();
  const put = (key: string, value: string | string[]) => {
    headers[key] = value;
    seen.add(key.toLowerCase());
  };
  for (const [key, value] of Object.entries(result.multiValueHeaders ?? {})) put(key, value.map(String));
  for (const [key, value] of Object.entries(result.headers ?? {})) {
    if (!seen.has(key.toLowerCase())) put(key, String(value));
  }
  // API Gateway always answers with its request id; a handler's own takes precedence.
  if (!seen.has('x-amzn-requestid')) headers['x-amzn-RequestId'] = requestId;
  const body =
    result.body === undefined || result.body === ''
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

async function handle(
  routes: ReadonlyMap<string, string>,
  registry: FunctionRegistry,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = randomUUID();
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const proxyFile = consoleFile(method, path);
  const file = proxyFile !== undefined ? CONSOLE_HANDLER : routes.get(`${method} ${path}`);
  if (file === undefined) {
    // Drain the unread body so the keep-alive connection stays usable for the client's next request.
    req.resume();
    sendJson(
      res,
      404,
      { message: `No route for ${method} ${path}` },
      { 'x-amzn-errortype': 'NotFoundException', 'x-amzn-requestid': requestId },
    );
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    sendJson(res, 413, { message: 'Request Too Long' }, { 'x-amzn-requestid': requestId });
    return;
  }
  const event = toProxyEvent(
    {
      method,
      url: req.url ?? '/',
      headers: req.headersDistinct as Record<string, string[]>,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      body,
    },
    proxyFile === undefined ? path : '/console/{file+}',
    requestId,
  );
  if (proxyFile !== undefined && proxyFile !== '') event.pathParameters = { file: proxyFile };
  let result: unknown;
  try {
    result = await registry.handlerFor(file)(event);
  } catch (err) {
    console.error(
      `[api] ${method} ${path} (${file}) failed:`,
      err instanceof HandlerNotFoundError ? err.message : err,
    );
    internalFailure(res, requestId);
    return;
  }
  if (!isProxyResult(result)) {
    console.error(`[api] ${method} ${path} (${file}) returned no proxy result:`, result);
    internalFailure(res, requestId);
    return;
  }
  writeResult(res, result, requestId);
}

export function createApiServer(registry: FunctionRegistry): Server {
  const routes = routeTable();
  return createServer((req, res) => {
    handle(routes, registry, req, res).catch((err: unknown) => {
      console.error('[api] request failed:', err);
      if (!res.headersSent) internalFailure(res, 'unknown');
      else res.destroy();
    });
  });
}
