import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CreateDatasetGroupCommand, PersonalizeClient } from '@aws-sdk/client-personalize';
import { apiHandler } from '../../../lambdas/api/http';
import { notFound } from '../../../lambdas/errors';
import { logger, readableLine } from '../../../lambdas/observability';
import { capture, capturingHandler, credentials, HOST, toEvent, useTestCredentials } from './signing';

useTestCredentials();

const control = new PersonalizeClient({
  region: 'eu-west-1',
  endpoint: `https://${HOST}/prod`,
  credentials,
  maxAttempts: 1,
  requestHandler: capturingHandler,
});
const event = async () =>
  toEvent(await capture(() => control.send(new CreateDatasetGroupCommand({ name: 'movies' }))), {
    resourcePath: '/',
  });

afterEach(() => jest.restoreAllMocks());

describe('request logs', () => {
  it('log one record per request with its operation, request id, status and latency', async () => {
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const handler = apiHandler('control', 'CreateDatasetGroup', async () => ({ datasetGroupArn: 'arn:x' }));
    await handler(await event());
    expect(info).toHaveBeenCalledTimes(1);
    const [message, fields] = info.mock.calls[0] as [string, Record<string, unknown>];
    expect(message).toBe('request');
    expect(fields).toMatchObject({
      api: 'control',
      operation: 'CreateDatasetGroup',
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
      statusCode: 200,
    });
    expect(fields.latencyMs).toEqual(expect.any(Number));
    expect(fields.latencyMs as number).toBeGreaterThanOrEqual(0);
  });

  it('log a refused request as a warning with its exception name, and a fault as an error with its cause', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    await apiHandler('control', 'CreateDatasetGroup', async () => {
      throw notFound('no such thing');
    })(await event());
    expect(warn.mock.calls[0]?.[1]).toMatchObject({
      errorName: 'ResourceNotFoundException',
      statusCode: 400,
    });
    expect(error).not.toHaveBeenCalled();

    const cause = new Error('disk on fire');
    const res = await apiHandler('control', 'CreateDatasetGroup', async () => {
      throw cause;
    })(await event());
    expect(JSON.parse(res.body)).toEqual({
      __type: 'InternalFailure',
      message: 'The request processing has failed because of an unknown error.',
    });
    expect(error.mock.calls[0]?.[1]).toMatchObject({
      errorName: 'InternalFailure',
      statusCode: 500,
      error: cause,
    });
  });
});

describe('readableLine', () => {
  it('prints time, level, message and the non-standard keys on one line, an error with its stack below', () => {
    expect(
      readableLine({
        level: 'INFO',
        message: 'request',
        timestamp: '2026-12-06T20:31:02.125Z',
        service: 'open-personalize',
        sampling_rate: 0,
        operation: 'GetRecommendations',
        latencyMs: 3.25,
        nested: { a: 1 },
      }),
    ).toBe('20:31:02.125 INFO  request operation=GetRecommendations latencyMs=3.25 nested={"a":1}');
    expect(
      readableLine({
        level: 'ERROR',
        message: 'request failed',
        timestamp: '2026-12-06T20:31:02.125Z',
        error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at here' },
      }),
    ).toBe('20:31:02.125 ERROR request failed error=Error: boom\nError: boom\n    at here');
  });
});

describe('traces', () => {
  it('outside Lambda hands SDK clients back untouched and never loads the X-Ray SDK (its async hook slows every promise)', () => {
    // A fresh process: jest's module registry hides what Node itself loads.
    const script = `
      const { traced } = require(${JSON.stringify(join(__dirname, '../../../lambdas/observability'))});
      const client = {};
      const loaded = Object.keys(require.cache).filter((k) => k.includes('aws-xray-sdk-core'));
      process.stdout.write(JSON.stringify({ same: traced(client) === client, loaded: loaded.length }));
    `;
    const env = { ...process.env };
    delete env.AWS_LAMBDA_FUNCTION_NAME;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { env, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ same: true, loaded: 0 });
  });
});

describe('on Lambda', () => {
  it('logs JSON and publishes the latency and error metrics in the embedded metric format', async () => {
    const lines: string[] = [];
    const keep = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(keep);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(keep);
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'Test-CreateDatasetGroup';
    const level = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    try {
      await jest.isolateModulesAsync(async () => {
        const { recordRequest } = await import('../../../lambdas/observability');
        recordRequest({
          api: 'control',
          operation: 'DescribeCampaign',
          requestId: 'r-1',
          latencyMs: 12.345,
          statusCode: 400,
          errorName: 'ResourceNotFoundException',
        });
      });
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      process.env.POWERTOOLS_LOG_LEVEL = level;
      out.mockRestore();
      err.mockRestore();
    }
    const records = lines
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'request refused',
        operation: 'DescribeCampaign',
        requestId: 'r-1',
        latencyMs: 12.35,
        errorName: 'ResourceNotFoundException',
      }),
    );
    const metric = (name: string) =>
      records.find((r) =>
        (
          r._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined
        )?.CloudWatchMetrics?.some((m) => m.Metrics.some((x) => x.Name === name)),
      );
    expect(metric('Latency')).toMatchObject({ operation: 'DescribeCampaign', Latency: 12.35 });
    expect(metric('Errors')).toMatchObject({
      operation: 'DescribeCampaign',
      error: 'ResourceNotFoundException',
      Errors: 1,
    });
  });
});
