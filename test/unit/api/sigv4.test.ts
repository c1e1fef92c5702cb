import {
  CreateDatasetGroupCommand,
  ListDatasetGroupsCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import type { HttpRequest } from '@smithy/types';
import { signedRequestOf } from '../../../lambdas/api/http';
import { canonicalPath, type SignedRequest, verifySignature } from '../../../lambdas/api/sigv4';
import { PersonalizeError } from '../../../lambdas/errors';
import { BOTOCORE_REQUESTS } from './botocore-requests';
import {
  ACCESS_KEY_ID,
  capture,
  capturingHandler,
  credentials,
  HOST,
  SECRET_ACCESS_KEY,
  signRaw,
  toEvent,
} from './signing';

const lookup = async (id: string) => (id === ACCESS_KEY_ID ? SECRET_ACCESS_KEY : undefined);
const clientConfig = (endpoint: string, region = 'eu-west-1') => ({
  region,
  endpoint,
  credentials,
  maxAttempts: 1,
  requestHandler: capturingHandler,
});

function signedRequest(request: HttpRequest, resourcePath?: string): SignedRequest {
  return signedRequestOf(toEvent(request, { resourcePath }));
}

async function rejection(p: Promise<unknown>): Promise<PersonalizeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PersonalizeError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

function signingTime(request: HttpRequest): Date {
  const d = request.headers['x-amz-date']!;
  return new Date(
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`,
  );
}

describe('SigV4 verification of requests signed by the SDKs', () => {
  const control = new PersonalizeClient(clientConfig(`https://${HOST}/prod`));
  const runtime = new PersonalizeRuntimeClient(clientConfig(`https://${HOST}`, 'ap-southeast-2'));
  const events = new PersonalizeEventsClient(clientConfig(`https://${HOST}/v1`));

  let createGroup: HttpRequest;
  beforeAll(async () => {
    createGroup = await capture(() => control.send(new CreateDatasetGroupCommand({ name: 'movies' })));
  });

  it('accepts a control-plane request signed for a stage-prefixed path', async () => {
    expect(createGroup.path).toBe('/prod/');
    const identity = await verifySignature(signedRequest(createGroup, '/'), lookup);
    expect(identity).toEqual({ accessKeyId: ACCESS_KEY_ID, region: 'eu-west-1' });
  });

  it('accepts runtime and events requests from any region', async () => {
    const rec = await capture(() =>
      runtime.send(
        new GetRecommendationsCommand({ campaignArn: 'arn:aws:personalize:x:1:campaign/c', userId: 'u1' }),
      ),
    );
    expect(rec.path).toBe('/recommendations');
    await expect(verifySignature(signedRequest(rec), lookup)).resolves.toMatchObject({
      region: 'ap-southeast-2',
    });
    const put = await capture(() =>
      events.send(
        new PutEventsCommand({
          trackingId: 't',
          sessionId: 's',
          eventList: [{ eventType: 'click', sentAt: new Date(1700000000500) }],
        }),
      ),
    );
    await expect(verifySignature(signedRequest(put, '/events'), lookup)).resolves.toBeDefined();
  });

  it('rejects a tampered body whether or not the content hash header is kept', async () => {
    const event = toEvent(createGroup, { resourcePath: '/' });
    const tampered = { ...event, body: event.body!.replace('movies', 'books0') };
    const withHash = await rejection(verifySignature(signedRequestOf(tampered), lookup));
    expect(withHash.errorName).toBe('InvalidSignatureException');
    const { 'x-amz-content-sha256': _dropped, ...headers } = tampered.headers;
    const withoutHash = await rejection(verifySignature(signedRequestOf({ ...tampered, headers }), lookup));
    expect(withoutHash.errorName).toBe('InvalidSignatureException');
    expect(withoutHash.message).toMatch(/^The request signature we calculated does not match/);
  });

  it('rejects the wrong path: the stage is part of what was signed', async () => {
    const event = toEvent(createGroup);
    const err = await rejection(
      verifySignature(
        signedRequestOf({ ...event, requestContext: { ...event.requestContext, path: '/' } }),
        lookup,
      ),
    );
    expect(err.errorName).toBe('InvalidSignatureException');
  });

  it('rejects a wrong secret and an unknown access key', async () => {
    const wrongSecret = await rejection(
      verifySignature(signedRequest(createGroup), async () => 'not-the-secret'),
    );
    expect(wrongSecret.errorName).toBe('InvalidSignatureException');
    const unknown = await rejection(verifySignature(signedRequest(createGroup), async () => undefined));
    expect(unknown.errorName).toBe('UnrecognizedClientException');
    expect(unknown.message).toBe('The security token included in the request is invalid.');
    expect(unknown.statusFor('control')).toBe(403);
  });

  it('refuses more than 15 minutes of clock skew either way', async () => {
    const t = signingTime(createGroup).getTime();
    const req = signedRequest(createGroup);
    await expect(verifySignature(req, lookup, new Date(t + 14 * 60_000))).resolves.toBeDefined();
    await expect(verifySignature(req, lookup, new Date(t - 14 * 60_000))).resolves.toBeDefined();
    const late = await rejection(verifySignature(req, lookup, new Date(t + 16 * 60_000)));
    expect(late.errorName).toBe('InvalidSignatureException');
    expect(late.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const early = await rejection(verifySignature(req, lookup, new Date(t - 16 * 60_000)));
    expect(early.message).toMatch(/^Signature not yet current/);
  });

  it('matches header names case-insensitively and reads multiValueHeaders', async () => {
    const event = toEvent(createGroup);
    const titleCase: Record<string, string> = {};
    const multi: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(event.headers)) {
      const name = k.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
      titleCase[name] = v!;
      multi[name] = [v!];
    }
    await expect(
      verifySignature(signedRequestOf({ ...event, headers: titleCase }), lookup),
    ).resolves.toBeDefined();
    await expect(
      verifySignature(signedRequestOf({ ...event, headers: {}, multiValueHeaders: multi }), lookup),
    ).resolves.toBeDefined();
  });

  it('answers missing and malformed authorization, and a foreign service scope', async () => {
    const event = toEvent(createGroup);
    const { authorization, ...unsigned } = event.headers;
    const missing = await rejection(
      verifySignature(signedRequestOf({ ...event, headers: unsigned }), lookup),
    );
    expect(missing.errorName).toBe('MissingAuthenticationToken');
    const malformed = await rejection(
      verifySignature(
        signedRequestOf({
          ...event,
          headers: { ...unsigned, authorization: 'AWS4-HMAC-SHA256 Credential=x' },
        }),
        lookup,
      ),
    );
    expect(malformed.errorName).toBe('IncompleteSignature');
    const otherService = await rejection(
      verifySignature(
        signedRequestOf({
          ...event,
          headers: { ...unsigned, authorization: authorization!.replace('/personalize/', '/execute-api/') },
        }),
        lookup,
      ),
    );
    expect(otherService.errorName).toBe('InvalidSignatureException');
    expect(otherService.message).toContain("'personalize'");
  });

  it('covers the query string and an encoded path', async () => {
    const query = { 'x y': ['2', '1'], z: '' };
    const raw = await signRaw({ method: 'GET', path: '/a b/c', body: '', query });
    const req: SignedRequest = {
      method: 'GET',
      path: '/a b/c',
      query: { 'x y': ['2', '1'], z: [''] },
      headers: Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, [v]])),
      body: Buffer.alloc(0),
    };
    await expect(verifySignature(req, lookup)).resolves.toBeDefined();
    await expect(verifySignature({ ...req, path: '/a%20b/c' }, lookup)).resolves.toBeDefined();
    const changed = await rejection(
      verifySignature({ ...req, query: { 'x y': ['2', '3'], z: [''] } }, lookup),
    );
    expect(changed.errorName).toBe('InvalidSignatureException');
  });

  it('refuses UNSIGNED-PAYLOAD', async () => {
    const raw = await signRaw({
      path: '/events',
      body: '{}',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const err = await rejection(verifySignature(signedRequest(raw), lookup));
    expect(err.errorName).toBe('InvalidSignatureException');
  });

  it('signs ListDatasetGroups with an empty object body', async () => {
    const list = await capture(() => control.send(new ListDatasetGroupsCommand({})));
    expect(toEvent(list).body).toBe('{}');
    await expect(verifySignature(signedRequest(list), lookup)).resolves.toBeDefined();
  });
});

describe('canonicalPath', () => {
  it('normalises dot segments and encodes each segment once, as the SDK signer does', () => {
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('/prod')).toBe('/prod');
    expect(canonicalPath('/prod/')).toBe('/prod/');
    expect(canonicalPath('/a/./b/../c//d/')).toBe('/a/c/d/');
    expect(canonicalPath("/a b/it's*")).toBe('/a%20b/it%27s%2A');
    expect(canonicalPath('/a%20b')).toBe('/a%20b');
  });
});

describe('SigV4 verification of requests signed by botocore', () => {
  for (const recorded of BOTOCORE_REQUESTS) {
    const req: SignedRequest = {
      method: recorded.method,
      path: recorded.path,
      query: {},
      headers: Object.fromEntries(
        Object.entries(recorded.headers).map(([k, v]): [string, string[]] => [k, [v]]),
      ),
      body: Buffer.from(recorded.body),
    };
    const d = recorded.headers['X-Amz-Date']!;
    const signedAt = new Date(
      `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`,
    );

    it(`accepts ${recorded.name} ${recorded.path} and refuses it with a changed body`, async () => {
      await expect(verifySignature(req, lookup, signedAt)).resolves.toEqual({
        accessKeyId: ACCESS_KEY_ID,
        region: 'us-west-2',
      });
      const tampered = {
        ...req,
        body: Buffer.from(recorded.body.replace('"s"', '"x"').replace('movies', 'movie2')),
      };
      expect((await rejection(verifySignature(tampered, lookup, signedAt))).errorName).toBe(
        'InvalidSignatureException',
      );
    });
  }
});
