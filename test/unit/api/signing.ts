/**
 * Test helpers: requests signed by the real SDK signer, turned into API Gateway REST proxy events.
 * `sdkEvent` captures what an unmodified SDK client would put on the wire; `signedEvent` signs an arbitrary body
 * (malformed JSON, base64) with the SDK's own `SignatureV4`.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { HttpRequest, HttpResponse } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData, HttpRequest as WireRequest } from '@smithy/types';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export const ACCESS_KEY_ID = 'AKIDOPENPERSONALIZE1';
export const SECRET_ACCESS_KEY = 'test-secret-access-key/abc+def';
export const HOST = 'abc123.execute-api.eu-west-1.amazonaws.com';

export const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };

/** Sets the local-runtime key pair for the duration of a test file. */
export function useTestCredentials(): void {
  const saved = {
    id: process.env.OPEN_PERSONALIZE_ACCESS_KEY_ID,
    secret: process.env.OPEN_PERSONALIZE_SECRET_ACCESS_KEY,
    arn: process.env.OP_CREDENTIALS_SECRET_ARN,
  };
  beforeAll(() => {
    process.env.OPEN_PERSONALIZE_ACCESS_KEY_ID = ACCESS_KEY_ID;
    process.env.OPEN_PERSONALIZE_SECRET_ACCESS_KEY = SECRET_ACCESS_KEY;
    delete process.env.OP_CREDENTIALS_SECRET_ARN;
  });
  afterAll(() => {
    const restore = (k: string, v: string | undefined) => {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    };
    restore('OPEN_PERSONALIZE_ACCESS_KEY_ID', saved.id);
    restore('OPEN_PERSONALIZE_SECRET_ACCESS_KEY', saved.secret);
    restore('OP_CREDENTIALS_SECRET_ARN', saved.arn);
  });
}

class Captured extends Error {
  constructor(readonly request: WireRequest) {
    super('captured');
  }
}

/** A request handler that records the signed request instead of sending it. */
export const capturingHandler = {
  handle: async (request: WireRequest): Promise<never> => {
    throw new Captured(request);
  },
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
};

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  // Copy the bytes: the SDK's body adapter warns when its string methods are used.
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new Error('unexpected request body type');
}

export interface EventOptions {
  /** Path API Gateway puts in `event.path` (without the stage). Defaults to the signed path. */
  readonly resourcePath?: string;
}

/** An API Gateway REST v1 proxy event for a signed wire request. */
export function toEvent(request: WireRequest, options: EventOptions = {}): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) headers[k] = v;
  return {
    httpMethod: request.method,
    path: options.resourcePath ?? request.path,
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    resource: '/',
    body: bodyText(request.body),
    isBase64Encoded: false,
    requestContext: {
      path: request.path,
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** Runs `send` against a client built with `capturingHandler` and returns the request the SDK signed. */
export async function capture(send: () => Promise<unknown>): Promise<WireRequest> {
  try {
    await send();
  } catch (err) {
    if (err instanceof Captured) return err.request;
    throw err;
  }
  throw new Error('the client sent nothing');
}

/**
 * The SDK's `ChecksumConstructor` contract over node:crypto: a hash, or an HMAC when given a secret. Also signs the
 * integration tests' raw requests.
 */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    return createHmac(
      'sha256',
      typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as Uint8Array),
    );
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string | string[]>;
  readonly region?: string;
  readonly service?: string;
  readonly signingDate?: Date;
  readonly secretAccessKey?: string;
}

/** Signs an arbitrary request with the SDK's SigV4 signer. */
export async function signRaw(raw: RawRequest): Promise<WireRequest> {
  const signer = new SignatureV4({
    service: raw.service ?? 'personalize',
    region: raw.region ?? 'eu-west-1',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: raw.secretAccessKey ?? SECRET_ACCESS_KEY },
    sha256: NodeSha256,
  });
  const request = new HttpRequest({
    method: raw.method ?? 'POST',
    protocol: 'https:',
    hostname: HOST,
    path: raw.path,
    headers: { host: HOST, 'content-type': 'application/json', ...raw.headers },
    query: raw.query ?? {},
    body: raw.body,
  });
  return (await signer.sign(request, { signingDate: raw.signingDate })) as WireRequest;
}

/**
 * A request handler that serves SDK requests with an API Gateway handler in-process, so a test sees exactly what
 * the SDK makes of our responses. Header names are lower-cased as Node's HTTP client delivers them.
 */
export function loopbackHandler(
  serve: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
  stage = '',
) {
  return {
    handle: async (request: WireRequest) => {
      const resourcePath = request.path.startsWith(stage)
        ? request.path.slice(stage.length) || '/'
        : request.path;
      const result = await serve(toEvent(request, { resourcePath }));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
      const body = Readable.from([Buffer.from(result.body)]);
      return { response: new HttpResponse({ statusCode: result.statusCode, headers, body }) };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
}
