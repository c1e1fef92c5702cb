/**
 * AWS Signature Version 4 verification for requests signed by the unmodified SDKs (spec §1.5, §8 item 1).
 * All three Personalize endpoints sign with service name `personalize`; any region is accepted. The canonical request
 * is rebuilt the way `@smithy/signature-v4` builds it (single URI encoding, normalised path), and the payload hash is
 * always computed from the body actually received, so a tampered body fails verification.
 * Pure: node:crypto only.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { PersonalizeError } from '../errors';

/** The parts of an HTTP request that SigV4 covers. Header names may be in any case. */
export interface SignedRequest {
  readonly method: string;
  /** The path the client signed, including any stage prefix (e.g. `/prod/`); decoded or percent-encoded. */
  readonly path: string;
  readonly query: Readonly<Record<string, readonly string[]>>;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

/** Returns the secret access key for an access key id, or `undefined` if the deployment does not know it. */
export type SecretLookup = (accessKeyId: string) => Promise<string | undefined>;

export interface VerifiedIdentity {
  readonly accessKeyId: string;
  readonly region: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGNING_SERVICE = 'personalize';
const MAX_SKEW_MS = 15 * 60 * 1000;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const incomplete = (message: string) => new PersonalizeError('IncompleteSignature', message);
const invalidSignature = (message: string) => new PersonalizeError('InvalidSignatureException', message);

/** RFC 3986 encoding as the SDKs do it: `encodeURIComponent` plus `!'()*`. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Canonical URI as `@smithy/signature-v4` computes it with `uriEscapePath: true`: dot segments and empty segments
 *  removed, leading and trailing slash kept, each segment encoded once. */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    const seg = safeDecode(raw);
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const lead = path.startsWith('/') ? '/' : '';
  const trail = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `${lead}${segments.map(escapeUri).join('/')}${trail}`;
}

export function canonicalQuery(query: Readonly<Record<string, readonly string[]>>): string {
  const pairs: [string, string][] = [];
  for (const [key, values] of Object.entries(query)) {
    if (key.toLowerCase() === 'x-amz-signature') continue;
    const k = escapeUri(key);
    for (const v of values) pairs.push([k, escapeUri(v)]);
  }
  // SigV4 sorts by encoded key, then by encoded value; sorting whole `k=v` strings differs when one key is a
  // prefix of another (`a-b=…` sorts before `a=…` because '-' < '=').
  pairs.sort(([ka, va], [kb, vb]) => compareCodeUnits(ka, kb) || compareCodeUnits(va, vb));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lowerHeaders(headers: Readonly<Record<string, readonly string[]>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, values] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const list = out.get(key);
    if (list === undefined) out.set(key, [...values]);
    else list.push(...values);
  }
  return out;
}

interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    throw incomplete(
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header and the algorithm ${ALGORITHM}. Authorization=${trimmed}`,
    );
  }
  const params = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!params.get(name)) {
      throw incomplete(`Authorization header requires '${name}' parameter. Authorization=${trimmed}`);
    }
  }
  const credential = params.get('Credential')!.split('/');
  if (credential.length !== 5 || credential[4] !== 'aws4_request' || credential.some((c) => c === '')) {
    throw incomplete(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${params.get('Credential')}'`,
    );
  }
  const [accessKeyId, date, region, service] = credential as [string, string, string, string, string];
  const signature = params.get('Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature))
    throw incomplete('Signature must be 64 lower-case hexadecimal characters.');
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: params.get('SignedHeaders')!.split(';'),
    signature,
  };
}

/** `20240102T030405Z` → Date, or undefined if malformed. */
function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Signing keys change once a day per secret, region and service; caching them saves four HMACs per request. */
const keyCache = new Map<string, Buffer>();
function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\n${date}\n${region}\n${service}`;
  let key = keyCache.get(cacheKey);
  if (key === undefined) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (keyCache.size >= 64) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

/**
 * Verifies the SigV4 `Authorization` header of `req`. Resolves to the caller's identity, or throws a
 * `PersonalizeError`: `MissingAuthenticationToken` (no header), `IncompleteSignature` (malformed),
 * `UnrecognizedClientException` (unknown key), `InvalidSignatureException` (wrong scope, skew, body or signature).
 */
export async function verifySignature(
  req: SignedRequest,
  lookupSecret: SecretLookup,
  now: Date = new Date(),
): Promise<VerifiedIdentity> {
  const headers = lowerHeaders(req.headers);
  const header = (name: string) => headers.get(name)?.join(',');

  const authorization = header('authorization');
  if (authorization === undefined || authorization.trim() === '') {
    throw new PersonalizeError('MissingAuthenticationToken', 'Missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);

  const xAmzDate = header('x-amz-date');
  if (xAmzDate === undefined) {
    throw incomplete(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.`);
  }
  const requestTime = parseAmzDate(xAmzDate.trim());
  if (requestTime === undefined)
    throw incomplete(`X-Amz-Date must be in ISO 8601 basic format, got '${xAmzDate}'.`);
  const signedHeaderSet = new Set(auth.signedHeaders);
  if (!signedHeaderSet.has('host')) {
    throw incomplete(`'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`);
  }

  if (auth.service !== SIGNING_SERVICE) {
    throw invalidSignature(`Credential should be scoped to correct service: '${SIGNING_SERVICE}'.`);
  }
  const dateStamp = xAmzDate.trim().slice(0, 8);
  if (auth.date !== dateStamp) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${dateStamp}', from '${xAmzDate.trim()}'.`,
    );
  }
  const skew = requestTime.getTime() - now.getTime();
  if (skew < -MAX_SKEW_MS) {
    throw invalidSignature(
      `Signature expired: ${amzDate(requestTime)} is now earlier than ${amzDate(new Date(now.getTime() - MAX_SKEW_MS))} (${amzDate(now)} - 15 min.)`,
    );
  }
  if (skew > MAX_SKEW_MS) {
    throw invalidSignature(
      `Signature not yet current: ${amzDate(requestTime)} is still later than ${amzDate(new Date(now.getTime() + MAX_SKEW_MS))} (${amzDate(now)} + 15 min.)`,
    );
  }

  const secret = await lookupSecret(auth.accessKeyId);
  if (secret === undefined) {
    throw new PersonalizeError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }

  const bodyHash = sha256Hex(req.body);
  const declaredHash = header('x-amz-content-sha256')?.trim();
  if (declaredHash !== undefined && declaredHash !== bodyHash) {
    // These services never stream; an unsigned payload would let a captured signature carry any body.
    throw invalidSignature(
      declaredHash === UNSIGNED_PAYLOAD
        ? 'UNSIGNED-PAYLOAD is not accepted; sign the request body.'
        : 'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  }

  const canonicalHeaders: string[] = [];
  for (const name of auth.signedHeaders) {
    const values = headers.get(name);
    if (values === undefined) {
      throw invalidSignature(
        `The request signature we calculated does not match the signature you provided. Signed header '${name}' is missing from the request.`,
      );
    }
    canonicalHeaders.push(`${name}:${values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}`);
  }
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalPath(req.path),
    canonicalQuery(req.query),
    `${canonicalHeaders.join('\n')}\n`,
    auth.signedHeaders.join(';'),
    bodyHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [ALGORITHM, xAmzDate.trim(), scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = createHmac('sha256', signingKey(secret, auth.date, auth.region, auth.service))
    .update(stringToSign, 'utf8')
    .digest();
  const provided = Buffer.from(auth.signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    throw invalidSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accessKeyId: auth.accessKeyId, region: auth.region };
}
