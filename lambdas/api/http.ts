/**
 * Wire framing for the three Personalize services on API Gateway REST (v1 proxy) events (spec §1): the control plane
 * speaks AWS JSON 1.1, runtime and events speak REST-JSON. One wrapper turns an operation function into a Lambda
 * handler that verifies SigV4, parses and validates the body, and frames the result or error as the SDKs expect.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PersonalizeError, type ServiceName } from '../errors';
import { recordRequest } from '../observability';
import { secretFor } from './credentials';
import { type SecretLookup, type SignedRequest, type VerifiedIdentity, verifySignature } from './sigv4';
import { hasOperation, validateInput } from './validation';

export interface RequestContext {
  readonly requestId: string;
}
export type OperationFn<I, O> = (input: I, ctx: RequestContext) => Promise<O>;
export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const CONTENT_TYPE: Record<ServiceName, string> = {
  control: 'application/x-amz-json-1.1',
  runtime: 'application/json',
  events: 'application/json',
};

/** API Gateway's request id is a uuid; reusing it ties our logs to API Gateway's. */
export function requestIdOf(event: APIGatewayProxyEvent): string {
  const id = event.requestContext?.requestId;
  return typeof id === 'string' && id !== '' ? id : randomUUID();
}

function bodyBuffer(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The request as the client signed it. API Gateway keeps the stage in `requestContext.path`, not in `path`. */
export function signedRequestOf(event: APIGatewayProxyEvent): SignedRequest {
  const headers: Record<string, string[]> = {};
  // multiValueHeaders holds every value of a repeated header; headers only the last one.
  const source = event.multiValueHeaders ?? {};
  for (const [name, values] of Object.entries(source)) {
    if (values !== undefined) headers[name] = values;
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && !(name in headers)) headers[name] = [value];
  }
  const query: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values !== undefined) query[name] = values;
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !(name in query)) query[name] = [value];
  }
  const contextPath = event.requestContext?.path;
  return {
    method: event.httpMethod,
    path: typeof contextPath === 'string' && contextPath !== '' ? contextPath : event.path,
    query,
    headers,
    body: bodyBuffer(event),
  };
}

/** Verifies the event's SigV4 signature against the deployment's key (see `credentials.ts`). */
export function authenticate(
  event: APIGatewayProxyEvent,
  lookup: SecretLookup = secretFor,
): Promise<VerifiedIdentity> {
  return verifySignature(signedRequestOf(event), lookup);
}

/** Parses the JSON body; absent or empty means `{}`. */
export function parseBody(event: APIGatewayProxyEvent): Record<string, unknown> {
  const text = bodyBuffer(event).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PersonalizeError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PersonalizeError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** Output to wire JSON: `Date` → epoch seconds (milliseconds kept as the fraction), `undefined` members dropped. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toWire(v);
    }
    return out;
  }
  return value;
}

function headers(service: ServiceName, requestId: string): Record<string, string> {
  return { 'Content-Type': CONTENT_TYPE[service], 'x-amzn-RequestId': requestId };
}

export function successResponse(
  service: ServiceName,
  output: unknown,
  requestId: string,
): APIGatewayProxyResult {
  const body = service === 'events' ? '' : JSON.stringify(toWire(output ?? {}));
  return { statusCode: 200, headers: headers(service, requestId), body };
}

/**
 * Personalize's answer to an error: a `PersonalizeError` keeps its name and message; a backing service still
 * throttled after the SDK's retries is a ThrottlingException (the caller should slow down, not see a fault);
 * anything else is a generic InternalFailure, so no internals reach the caller.
 */
export function personalizeErrorOf(err: unknown): PersonalizeError {
  if (err instanceof PersonalizeError) return err;
  if (isThrottling(err))
    return new PersonalizeError('ThrottlingException', 'Rate exceeded. Slow down and retry the request.');
  return new PersonalizeError(
    'InternalFailure',
    'The request processing has failed because of an unknown error.',
  );
}

/** Frames an error as {@link personalizeErrorOf} answers it. */
export function errorResponse(service: ServiceName, err: unknown, requestId: string): APIGatewayProxyResult {
  const error = personalizeErrorOf(err);
  return {
    statusCode: error.statusFor(service),
    headers: { ...headers(service, requestId), 'x-amzn-ErrorType': error.errorName },
    body: JSON.stringify({ __type: error.errorName, message: error.message }),
  };
}

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'SlowDown',
  'TooManyRequestsException',
]);

function isThrottling(err: unknown): boolean {
  return err instanceof Error && THROTTLING_ERRORS.has(err.name);
}

/** One API operation as a Lambda handler (API Gateway REST v1 proxy events): verifies SigV4, parses the JSON body,
 *  validates it against the service model, calls `fn`, and frames the result or error for that service. */
export function apiHandler<I, O>(service: ServiceName, operation: string, fn: OperationFn<I, O>): ApiHandler {
  if (!hasOperation(service, operation)) {
    // A typo in a handler file should fail at cold start, not on every request.
    throw new Error(`${operation} is not an operation of the ${service} model`);
  }
  return async (event) => {
    const requestId = requestIdOf(event);
    const started = performance.now();
    let response: APIGatewayProxyResult;
    let failure: { errorName: string; cause?: unknown } | undefined;
    try {
      await authenticate(event);
      const input = validateInput(service, operation, parseBody(event)) as I;
      const output = await fn(input, { requestId });
      response = successResponse(service, output, requestId);
    } catch (err) {
      response = errorResponse(service, err, requestId);
      const { errorName } = personalizeErrorOf(err);
      // Faults are logged with their cause; a refused request only by name.
      failure = errorName === 'InternalFailure' ? { errorName, cause: err } : { errorName };
    }
    recordRequest({
      api: service,
      operation,
      requestId,
      latencyMs: performance.now() - started,
      statusCode: response.statusCode,
      ...failure,
    });
    return response;
  };
}
