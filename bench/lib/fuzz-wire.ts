/**
 * The fuzzer's wire: sends an arbitrary body (mutated JSON, malformed bytes) as any modelled operation of the three
 * Personalize services, through the official SDK client of that service, so the path, `X-Amz-Target`, content type
 * and SigV4 signature are exactly the SDK's; and judges the raw answer.
 *
 * Two middlewares do it: one swaps the serialized body for the fuzz body before the signer runs, the other takes the
 * raw HTTP answer before the SDK parses it.
 */
import * as control from '@aws-sdk/client-personalize';
import * as events from '@aws-sdk/client-personalize-events';
import * as runtime from '@aws-sdk/client-personalize-runtime';
import type { ServiceName } from '../../lambdas/errors';

export interface Endpoint {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface Answer {
  readonly status: number;
  /** `x-amzn-ErrorType`, without the `:<url>` suffix some services append. */
  readonly errorTypeHeader?: string;
  readonly body: string;
}

/** Personalize's modelled exceptions per service (the `errors` of the service models' operations). */
const MODELLED_ERRORS: Record<ServiceName, readonly string[]> = {
  control: [
    'InvalidInputException',
    'InvalidNextTokenException',
    'LimitExceededException',
    'ResourceAlreadyExistsException',
    'ResourceInUseException',
    'ResourceNotFoundException',
    'TooManyTagKeysException',
    'TooManyTagsException',
  ],
  runtime: ['InvalidInputException', 'ResourceNotFoundException'],
  events: ['InvalidInputException', 'ResourceInUseException', 'ResourceNotFoundException'],
};
/** Errors every AWS JSON service may answer to a correctly signed request. */
const COMMON_ERRORS = ['SerializationException', 'UnknownOperationException', 'ThrottlingException'];

/** REST-JSON status of a modelled error on runtime and events; the control plane answers 400 to all of them. */
const REST_STATUS: Readonly<Record<string, number>> = {
  ResourceNotFoundException: 404,
  ResourceInUseException: 409,
};

/** Thrown by the capture middleware to stop the SDK before it parses the answer (an Error, so retries keep it). */
class Captured extends Error {
  constructor(readonly answer: Answer) {
    super('captured');
  }
}

type Command = { middlewareStack: { add(mw: unknown, options: object): void } };
type CommandClass = new (input: object) => Command;
type Client = { send(command: Command): Promise<unknown>; destroy(): void };

const MODULES: Record<ServiceName, Record<string, unknown>> = { control, runtime, events };

async function readAll(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export class FuzzWire {
  private readonly clients: Record<ServiceName, Client>;

  constructor(endpoint: Endpoint) {
    const config = { ...endpoint, maxAttempts: 1 };
    this.clients = {
      control: new control.PersonalizeClient(config),
      runtime: new runtime.PersonalizeRuntimeClient(config),
      events: new events.PersonalizeEventsClient(config),
    };
  }

  /** Whether the installed SDK of `service` has this operation. */
  has(service: ServiceName, operation: string): boolean {
    return typeof MODULES[service][`${operation}Command`] === 'function';
  }

  /** Sends `body` as `operation`, signed as the SDK signs, and returns the raw answer. */
  async send(service: ServiceName, operation: string, body: string | Uint8Array): Promise<Answer> {
    const Ctor = MODULES[service][`${operation}Command`] as CommandClass;
    const command = new Ctor({});
    command.middlewareStack.add(
      (next: (args: { request: { body: unknown; headers: Record<string, string> } }) => Promise<unknown>) =>
        (args: { request: { body: unknown; headers: Record<string, string> } }) => {
          args.request.body = body;
          args.request.headers['content-length'] = String(Buffer.byteLength(body));
          return next(args);
        },
      { step: 'build', priority: 'low', name: 'fuzzBody' },
    );
    command.middlewareStack.add(
      (next: (args: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
        const { response } = await next(args);
        const res = response as { statusCode: number; headers: Record<string, string>; body: unknown };
        const header = Object.entries(res.headers).find(([k]) => k.toLowerCase() === 'x-amzn-errortype')?.[1];
        throw new Captured({
          status: res.statusCode,
          ...(header === undefined ? {} : { errorTypeHeader: header.split(':')[0] }),
          body: await readAll(res.body),
        });
      },
      { step: 'deserialize', priority: 'low', name: 'fuzzCapture' },
    );
    try {
      await this.clients[service].send(command);
    } catch (err) {
      if (err instanceof Captured) return err.answer;
      throw err;
    }
    throw new Error(`${operation}: the capture middleware did not run`);
  }

  destroy(): void {
    for (const client of Object.values(this.clients)) client.destroy();
  }
}

/**
 * What is wrong with an answer, or undefined when it is acceptable: never a 5xx; a 2xx is a 200 (with a JSON object
 * body, but on events); a 4xx names one of the service's modelled errors (or a common one) in the header and in
 * `__type`, both the same, with its status and a message.
 */
export function judge(service: ServiceName, answer: Answer): string | undefined {
  const { status } = answer;
  if (status >= 500) return `${status} server error`;
  if (status === 200) {
    if (service === 'events') return undefined;
    try {
      const parsed: unknown = JSON.parse(answer.body);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? undefined
        : '200 without a JSON object';
    } catch {
      return '200 with a body that is not JSON';
    }
  }
  if (status < 400) return `unexpected status ${status}`;
  let parsed: { __type?: unknown; message?: unknown } = {};
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    return `${status} with a body that is not JSON`;
  }
  const type = typeof parsed.__type === 'string' ? parsed.__type.split('#').pop() : undefined;
  if (type === undefined) return `${status} without __type`;
  if (answer.errorTypeHeader === undefined) return `${status} ${type} without x-amzn-ErrorType`;
  if (answer.errorTypeHeader !== type)
    return `${status}: x-amzn-ErrorType ${answer.errorTypeHeader} but __type ${type}`;
  if (!MODELLED_ERRORS[service].includes(type) && !COMMON_ERRORS.includes(type))
    return `${status} ${type}, not an error of ${service}`;
  const expected = service === 'control' ? 400 : (REST_STATUS[type] ?? 400);
  if (status !== expected) return `${type} with status ${status}, not ${expected}`;
  if (typeof parsed.message !== 'string' || parsed.message === '')
    return `${status} ${type} without a message`;
  return undefined;
}

/** The error name of a judged 4xx answer, or the status. */
export function outcomeOf(answer: Answer): string {
  if (answer.status === 200) return '200';
  return answer.errorTypeHeader ?? String(answer.status);
}
