import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { clearCredentialsCache, secretFor } from '../../../lambdas/api/credentials';
import { secretsManagerClient } from '../../../lambdas/clients';
import { logger } from '../../../lambdas/observability';

const KEYS = [
  'OP_CREDENTIALS_SECRET_ARN',
  'OPEN_PERSONALIZE_ACCESS_KEY_ID',
  'OPEN_PERSONALIZE_SECRET_ACCESS_KEY',
];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  clearCredentialsCache();
  jest.restoreAllMocks();
});

describe('secretFor', () => {
  it('uses the env key pair when no secret ARN is set', async () => {
    delete process.env.OP_CREDENTIALS_SECRET_ARN;
    process.env.OPEN_PERSONALIZE_ACCESS_KEY_ID = 'AKLOCAL';
    process.env.OPEN_PERSONALIZE_SECRET_ACCESS_KEY = 's3cret';
    await expect(secretFor('AKLOCAL')).resolves.toBe('s3cret');
    await expect(secretFor('AKOTHER')).resolves.toBeUndefined();
    delete process.env.OPEN_PERSONALIZE_SECRET_ACCESS_KEY;
    await expect(secretFor('AKLOCAL')).resolves.toBeUndefined();
  });

  it('reads Secrets Manager once and again after five minutes, keeping the last good pair on failure', async () => {
    process.env.OP_CREDENTIALS_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:op';
    process.env.OPEN_PERSONALIZE_ACCESS_KEY_ID = 'AKENV';
    process.env.OPEN_PERSONALIZE_SECRET_ACCESS_KEY = 'env-secret';
    const replies = [
      { SecretString: JSON.stringify({ accessKeyId: 'AKSM', secretAccessKey: 'first' }) },
      { SecretString: JSON.stringify({ accessKeyId: 'AKSM', secretAccessKey: 'rotated' }) },
    ];
    const send = jest.spyOn(secretsManagerClient(), 'send').mockImplementation(async (command: unknown) => {
      expect((command as GetSecretValueCommand).input.SecretId).toBe(
        'arn:aws:secretsmanager:eu-west-1:1:secret:op',
      );
      const reply = replies.shift();
      if (reply === undefined) throw new Error('Secrets Manager unavailable');
      return reply;
    });
    const t0 = 1_000_000;
    const [a, b] = await Promise.all([secretFor('AKSM', t0), secretFor('AKSM', t0)]);
    expect([a, b]).toEqual(['first', 'first']);
    // The env pair is ignored on AWS.
    await expect(secretFor('AKENV', t0 + 1000)).resolves.toBeUndefined();
    expect(send).toHaveBeenCalledTimes(1);
    await expect(secretFor('AKSM', t0 + 5 * 60_000)).resolves.toBe('rotated');
    expect(send).toHaveBeenCalledTimes(2);
    const log = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    await expect(secretFor('AKSM', t0 + 11 * 60_000)).resolves.toBe('rotated');
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('fails loudly when the secret has the wrong shape', async () => {
    process.env.OP_CREDENTIALS_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:bad';
    jest
      .spyOn(secretsManagerClient(), 'send')
      .mockImplementation(async () => ({ SecretString: '{"user":"x"}' }));
    await expect(secretFor('AK')).rejects.toThrow(/must be JSON/);
  });
});
