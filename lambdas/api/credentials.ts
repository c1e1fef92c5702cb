/**
 * The access key pair the deployment accepts for SigV4. On AWS it lives in Secrets Manager (the secret named by
 * `OP_CREDENTIALS_SECRET_ARN`, JSON `{"accessKeyId","secretAccessKey"}`); the local runtime passes it in the env.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '../clients';
import { ENV, optionalEnv } from '../env';
import { logger } from '../observability';

interface KeyPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A rotated secret takes effect within this long without a cold start. */
const SECRET_TTL_MS = 5 * 60 * 1000;

let cached: { pair: KeyPair; readAt: number } | undefined;
let inFlight: Promise<KeyPair> | undefined;

async function readSecret(client: SecretsManagerClient, arn: string): Promise<KeyPair> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (out.SecretString === undefined) throw new Error(`secret ${arn} has no SecretString`);
  const parsed = JSON.parse(out.SecretString) as Partial<KeyPair>;
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string') {
    throw new Error(`secret ${arn} must be JSON {"accessKeyId","secretAccessKey"}`);
  }
  return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
}

async function keyPair(now: number): Promise<KeyPair | undefined> {
  const arn = optionalEnv(ENV.CREDENTIALS_SECRET_ARN);
  if (arn === undefined) {
    const accessKeyId = optionalEnv(ENV.ACCESS_KEY_ID);
    const secretAccessKey = optionalEnv(ENV.SECRET_ACCESS_KEY);
    return accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey }
      : undefined;
  }
  if (cached !== undefined && now - cached.readAt < SECRET_TTL_MS) return cached.pair;
  // Concurrent cold requests share one read; on a failed refresh the last good pair keeps serving.
  inFlight ??= readSecret(secretsManagerClient(), arn).finally(() => {
    inFlight = undefined;
  });
  try {
    const pair = await inFlight;
    cached = { pair, readAt: now };
    return pair;
  } catch (err) {
    if (cached !== undefined) {
      logger.error('Refreshing the credentials secret failed; using the cached pair', {
        error: err as Error,
      });
      return cached.pair;
    }
    throw err;
  }
}

/** The secret access key for `accessKeyId`, or `undefined` if the deployment does not accept that key. */
export async function secretFor(accessKeyId: string, now: number = Date.now()): Promise<string | undefined> {
  const pair = await keyPair(now);
  return pair !== undefined && pair.accessKeyId === accessKeyId ? pair.secretAccessKey : undefined;
}

/** Forgets the cached secret (tests, and after rotation if waiting for the TTL is not wanted). */
export function clearCredentialsCache(): void {
  cached = undefined;
}
