/**
 * Integration-test harness: an in-memory runtime on ephemeral ports plus the official SDK clients pointed at it.
 * Jest runs test files in parallel workers, so each file starts its own runtime (in `beforeAll`) and stops it
 * (in `afterAll`).
 */
import { PersonalizeClient } from '@aws-sdk/client-personalize';
import { PersonalizeEventsClient } from '@aws-sdk/client-personalize-events';
import { PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { type Credentials, type Runtime, type RuntimeOptions, startRuntime } from '../../local/runtime';
import { NodeSha256 } from '../unit/api/signing';

/** The bucket tests upload import CSVs to, as a user would to their own bucket. */
export const UPLOAD_BUCKET = 'user-data';

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly personalize: PersonalizeClient;
  readonly events: PersonalizeEventsClient;
  readonly personalizeRuntime: PersonalizeRuntimeClient;
  /** Signed with the embedded S3's key pair, path-style. */
  readonly s3: S3Client;
  readonly uploadBucket: string;
  /** Puts `body` at `s3://<uploadBucket>/<key>` and returns that URI, ready for a DataSource `dataLocation`. */
  upload(key: string, body: string | Uint8Array): Promise<string>;
  /** Resolves when no asynchronous work (imports, training) is running. */
  idle(): Promise<void>;
  /** Destroys the clients and stops the runtime. */
  stop(): Promise<void>;
}

/**
 * Starts a runtime (in memory and on ephemeral ports unless `options` say otherwise) and builds the clients.
 * `maxAttempts: 1` makes errors surface at once instead of after the SDK's retries.
 */
export async function startTestRuntime(options: RuntimeOptions = {}): Promise<TestRuntime> {
  const runtime = await startRuntime({ port: 0, s3Port: 0, ...options });
  const common = {
    endpoint: runtime.endpoint,
    region: runtime.region,
    credentials: runtime.apiCredentials,
    maxAttempts: 1,
  };
  const personalize = new PersonalizeClient(common);
  const events = new PersonalizeEventsClient(common);
  const personalizeRuntime = new PersonalizeRuntimeClient(common);
  const s3 = new S3Client({
    endpoint: runtime.s3Endpoint,
    region: runtime.region,
    credentials: runtime.s3Credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: UPLOAD_BUCKET }));
  } catch (err) {
    // A persisted data dir already has it.
    const name = err instanceof Error ? err.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
      s3.destroy();
      await runtime.stop();
      throw err;
    }
  }
  const clients = [personalize, events, personalizeRuntime, s3];
  return {
    runtime,
    personalize,
    events,
    personalizeRuntime,
    s3,
    uploadBucket: UPLOAD_BUCKET,
    upload: async (key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: UPLOAD_BUCKET, Key: key, Body: body }));
      return `s3://${UPLOAD_BUCKET}/${key}`;
    },
    idle: () => runtime.idle(),
    stop: async () => {
      for (const client of clients) client.destroy();
      await runtime.stop();
    },
  };
}

export interface RawCall {
  /** Request path; `/` for the control plane. */
  readonly path?: string;
  /** Sent as `X-Amz-Target` when given. */
  readonly target?: string;
  readonly body: string;
  readonly contentType?: string;
  /** Defaults to the runtime's API key pair. */
  readonly credentials?: Credentials;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * Sends a request the SDKs would never produce (malformed JSON, unknown targets), signed with SigV4 for service
 * `personalize` exactly as the SDKs sign, so that only the tested defect is wrong.
 */
export async function signedCall(runtime: Runtime, call: RawCall): Promise<RawResponse> {
  const url = new URL(call.path ?? '/', runtime.endpoint);
  const signer = new SignatureV4({
    service: 'personalize',
    region: runtime.region,
    credentials: call.credentials ?? runtime.apiCredentials,
    sha256: NodeSha256,
  });
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': call.contentType ?? (call.target ? 'application/x-amz-json-1.1' : 'application/json'),
  };
  if (call.target !== undefined) headers['x-amz-target'] = call.target;
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers,
      body: call.body,
    }),
  );
  const { host: _host, ...sendHeaders } = signed.headers;
  const res = await fetch(url, { method: 'POST', headers: sendHeaders, body: call.body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
