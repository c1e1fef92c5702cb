/**
 * The control-plane front door (spec §1.2): every AWS JSON 1.1 call arrives at `POST /` (or the stage root) with
 * `X-Amz-Target: AmazonPersonalize.<Operation>`. The router authenticates the call, picks the function that serves
 * the operation and hands it the unchanged event, so that function verifies and frames the call itself.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENV, requireEnv } from '../env';
import { PersonalizeError } from '../errors';
import { logger } from '../observability';
import { authenticate, errorResponse, personalizeErrorOf, requestIdOf } from './http';
import { UNSUPPORTED_REST_ROUTES, type UnsupportedRoute } from './routes';
import type { SecretLookup } from './sigv4';

export const TARGET_PREFIX = 'AmazonPersonalize.';

/** Runs the function named `functionName` on `event` and returns its API Gateway result. */
export type Invoke = (functionName: string, event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface RouterOptions {
  /** Operation name → function name; defaults to the JSON in `OP_OPERATION_FUNCTIONS`. */
  readonly functions?: Readonly<Record<string, string>>;
  /** Secret lookup for SigV4; defaults to the deployment's key (`credentials.ts`). */
  readonly lookup?: SecretLookup;
}

let envFunctions: { raw: string; map: Readonly<Record<string, string>> } | undefined;

function functionsFromEnv(): Readonly<Record<string, string>> {
  const raw = requireEnv(ENV.OPERATION_FUNCTIONS);
  if (envFunctions?.raw !== raw) {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${ENV.OPERATION_FUNCTIONS} must be a JSON object of operation name to function name`);
    }
    envFunctions = { raw, map: parsed as Record<string, string> };
  }
  return envFunctions.map;
}

function targetOf(event: APIGatewayProxyEvent): string | undefined {
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'x-amz-target' && values !== undefined && values.length > 0) return values[0];
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'x-amz-target') return value;
  }
  return undefined;
}

/** Authenticates a control-plane call and dispatches it by `X-Amz-Target`; unknown targets get
 *  `UnknownOperationException`. Errors are framed as AWS JSON 1.1. */
export async function routeControlPlane(
  event: APIGatewayProxyEvent,
  invoke: Invoke,
  options: RouterOptions = {},
): Promise<APIGatewayProxyResult> {
  const requestId = requestIdOf(event);
  try {
    await authenticate(event, options.lookup);
    const target = targetOf(event)?.trim();
    const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    const functions = options.functions ?? functionsFromEnv();
    const functionName =
      operation !== undefined && Object.hasOwn(functions, operation) ? functions[operation] : undefined;
    if (functionName === undefined) {
      throw new PersonalizeError(
        'UnknownOperationException',
        `Unknown operation ${target ?? '(no X-Amz-Target)'}`,
      );
    }
    return await invoke(functionName, event);
  } catch (err) {
    // Refusals (signature, unknown operation) are the caller's; a fault here is ours and is logged with its cause.
    if (personalizeErrorOf(err).errorName === 'InternalFailure')
      logger.error('routing failed', { requestId, error: err as Error });
    return errorResponse('control', err, requestId);
  }
}

/** A call to the path of a runtime or events operation this service does not implement: authenticated, then
 *  refused with UnknownOperationException framed for that service. */
export async function refuseUnsupported(
  event: APIGatewayProxyEvent,
  route: UnsupportedRoute,
  options: RouterOptions = {},
): Promise<APIGatewayProxyResult> {
  const requestId = requestIdOf(event);
  try {
    await authenticate(event, options.lookup);
    throw new PersonalizeError(
      'UnknownOperationException',
      `Operation ${route.operation} is not supported by this service.`,
    );
  } catch (err) {
    return errorResponse(route.service, err, requestId);
  }
}

/** The router's entry point: the paths of unsupported REST operations are refused, anything else is a
 *  control-plane call. */
export function routeRequest(
  event: APIGatewayProxyEvent,
  invoke: Invoke,
  options: RouterOptions = {},
): Promise<APIGatewayProxyResult> {
  const unsupported = UNSUPPORTED_REST_ROUTES.find((r) => r.path === event.resource);
  return unsupported === undefined
    ? routeControlPlane(event, invoke, options)
    : refuseUnsupported(event, unsupported, options);
}

function isProxyResult(v: unknown): v is APIGatewayProxyResult {
  return (
    typeof v === 'object' && v !== null && typeof (v as { statusCode?: unknown }).statusCode === 'number'
  );
}

/** Lambda's limit on a synchronous invocation's payload: a larger event cannot reach the operation's function. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** An `Invoke` over Lambda's synchronous Invoke API. An event over Lambda's payload limit is the caller's
 *  InvalidInputException; a function error or a malformed result is thrown, which the router answers as a 500
 *  `InternalFailure`. */
export function lambdaInvoker(client: LambdaClient): Invoke {
  return async (functionName, event) => {
    const payload = Buffer.from(JSON.stringify(event));
    if (payload.length > MAX_INVOKE_PAYLOAD_BYTES) {
      throw new PersonalizeError(
        'InvalidInputException',
        `The request is too large: its body and headers take ${payload.length} bytes, over the limit of ` +
          `${MAX_INVOKE_PAYLOAD_BYTES} bytes.`,
      );
    }
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: payload,
      }),
    );
    const text = out.Payload === undefined ? '' : Buffer.from(out.Payload).toString('utf8');
    if (out.FunctionError !== undefined) {
      throw new Error(`function ${functionName} failed (${out.FunctionError}): ${text}`);
    }
    const result: unknown = text === '' ? undefined : JSON.parse(text);
    if (!isProxyResult(result))
      throw new Error(`function ${functionName} returned no API Gateway result: ${text}`);
    return result;
  };
}
