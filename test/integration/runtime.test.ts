/**
 * The local runtime end to end: the official SDK clients and raw HTTP against the embedded API Gateway, Lambda
 * Invoke API and emulators.
 *
 * Each describe starts its own runtime after `jest.resetModules()`: the handlers build their SDK clients once per
 * module registry from the environment of the runtime that loaded them, so a new runtime needs fresh modules.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateDatasetGroupCommand,
  DescribeDatasetGroupCommand,
  ListDatasetGroupsCommand,
  ListDatasetImportJobsCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import {
  PersonalizeEventsClient,
  PutActionInteractionsCommand,
  PutItemsCommand,
} from '@aws-sdk/client-personalize-events';
import { GetActionRecommendationsCommand } from '@aws-sdk/client-personalize-runtime';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { EVENTS_TABLE, RESOURCES_TABLE } from '../../lambdas/store/tables';
import { checkSchema, createTableInput } from '../../local/emulators';
import { type HandlerLoader, HandlerNotFoundError, requireHandler } from '../../local/functions';
import { parseCli } from '../../local/main';
import { TRAINING_STATE_MACHINE } from '../../local/state-machines';
import { signedCall, startTestRuntime, type TestRuntime } from './harness';

describe('runtime over the real handlers', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    jest.resetModules();
    t = await startTestRuntime();
  });
  afterAll(() => t?.stop());

  it('serves on loopback ports and names its endpoints and key pairs', () => {
    expect(t.runtime.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.runtime.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.runtime.s3Endpoint).not.toBe(t.runtime.endpoint);
    expect(t.runtime.apiCredentials.accessKeyId).not.toBe(t.runtime.s3Credentials.accessKeyId);
  });

  it('refuses a request signed with the wrong secret: InvalidSignatureException', async () => {
    const client = new PersonalizeClient({
      endpoint: t.runtime.endpoint,
      region: t.runtime.region,
      credentials: { accessKeyId: t.runtime.apiCredentials.accessKeyId, secretAccessKey: 'not-the-secret' },
      maxAttempts: 1,
    });
    await expect(client.send(new ListDatasetGroupsCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    client.destroy();
  });

  it('refuses an unknown access key: UnrecognizedClientException', async () => {
    const client = new PersonalizeClient({
      endpoint: t.runtime.endpoint,
      region: t.runtime.region,
      credentials: {
        accessKeyId: 'AKIDNOTKNOWNHERE',
        secretAccessKey: t.runtime.apiCredentials.secretAccessKey,
      },
      maxAttempts: 1,
    });
    await expect(client.send(new ListDatasetGroupsCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
    client.destroy();
  });

  it('answers an unknown X-Amz-Target with UnknownOperationException', async () => {
    const res = await signedCall(t.runtime, { target: 'AmazonPersonalize.StealEverything', body: '{}' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'UnknownOperationException' });
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });

  it('does not let a worker be reached through X-Amz-Target', async () => {
    const res = await signedCall(t.runtime, { target: 'AmazonPersonalize.DatasetImport', body: '{}' });
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('serves a control-plane call through router, Lambda Invoke, handler and DynamoDB', async () => {
    const out = await t.personalize.send(new ListDatasetImportJobsCommand({}));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.datasetImportJobs).toEqual([]);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with SerializationException', async () => {
    const res = await signedCall(t.runtime, {
      target: 'AmazonPersonalize.ListDatasetImportJobs',
      body: '{"maxResults": 5',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'SerializationException' });
  });

  it('answers a control-plane body over the Lambda payload limit with InvalidInputException', async () => {
    const res = await signedCall(t.runtime, {
      target: 'AmazonPersonalize.ListDatasetGroups',
      body: JSON.stringify({ padding: 'x'.repeat(6.5 * 1024 * 1024) }),
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'InvalidInputException' });
  });

  it('answers a signed body that starts with a byte order mark with SerializationException, not a signature error', async () => {
    const res = await signedCall(t.runtime, {
      target: 'AmazonPersonalize.ListDatasetGroups',
      body: '\ufeff{}',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'SerializationException' });
  });

  it('routes the events paths straight to their handlers, signature checked on the path the client signed', async () => {
    const datasetArn = `arn:aws:personalize:${t.runtime.region}:${t.runtime.accountId}:dataset/none/ITEMS`;
    const put = new PutItemsCommand({ datasetArn, items: [{ itemId: 'i1' }] });
    await expect(t.events.send(put)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    const forged = new PersonalizeEventsClient({
      endpoint: t.runtime.endpoint,
      region: t.runtime.region,
      credentials: { accessKeyId: t.runtime.apiCredentials.accessKeyId, secretAccessKey: 'wrong' },
      maxAttempts: 1,
    });
    await expect(forged.send(put)).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    forged.destroy();
  });

  it('answers the unsupported runtime and events operations with UnknownOperationException', async () => {
    const calls = [
      () => t.personalizeRuntime.send(new GetActionRecommendationsCommand({ userId: 'u1' })),
      () =>
        t.events.send(
          new PutActionInteractionsCommand({
            trackingId: 'x',
            actionInteractions: [
              { actionId: 'a', sessionId: 's', timestamp: new Date(), eventType: 'click' },
            ],
          }),
        ),
    ];
    for (const call of calls) {
      await expect(call()).rejects.toMatchObject({
        name: 'UnknownOperationException',
        $metadata: { httpStatusCode: 400 },
      });
    }
  });

  it('refuses to start on a port in use and leaves the running runtime untouched', async () => {
    const busy = Number(new URL(t.runtime.endpoint).port);
    await expect(startTestRuntime({ port: busy })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(
      startTestRuntime({ s3Port: Number(new URL(t.runtime.s3Endpoint).port) }),
    ).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    const out = await t.personalize.send(new ListDatasetImportJobsCommand({}));
    expect(out.datasetImportJobs).toEqual([]);
  });

  it('hosts the training workflow and tells the handlers its ARN', () => {
    expect(process.env.OP_TRAINING_STATE_MACHINE_ARN).toBe(
      `arn:aws:states:${t.runtime.region}:${t.runtime.accountId}:stateMachine:Training`,
    );
    const definition = TRAINING_STATE_MACHINE.definition(
      (fn) => `arn:aws:lambda:us-east-1:000000000000:function:${fn}`,
    );
    expect(definition).toContain(
      '"Resource":"arn:aws:lambda:us-east-1:000000000000:function:TrainingPrepare"',
    );
    const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');
    expect(() => new StateMachine(JSON.parse(definition))).not.toThrow();
  });

  it('answers an unknown route with 404', async () => {
    const res = await fetch(`${t.runtime.endpoint}/no-such-route`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    const get = await fetch(`${t.runtime.endpoint}/events`);
    expect(get.status).toBe(404);
  });

  it('serves the uploaded objects from the embedded S3', async () => {
    const uri = await t.upload('imports/hello.csv', 'USER_ID,ITEM_ID,TIMESTAMP\n1,2,3\n');
    expect(uri).toBe(`s3://${t.uploadBucket}/imports/hello.csv`);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: t.uploadBucket, Key: 'imports/hello.csv' }));
    expect(await got.Body?.transformToString()).toBe('USER_ID,ITEM_ID,TIMESTAMP\n1,2,3\n');
  });

  it('pages ListObjectsV2 in the embedded S3 without the legacy OpenSSL provider', async () => {
    for (const key of ['page/a.csv', 'page/b.csv', 'page/c.csv']) await t.upload(key, key);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await t.s3.send(
        new ListObjectsV2Command({
          Bucket: t.uploadBucket,
          Prefix: 'page/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(keys).toEqual(['page/a.csv', 'page/b.csv', 'page/c.csv']);
  });
});

describe('requireHandler', () => {
  it('names a missing handler file instead of failing start-up', () => {
    expect(() => requireHandler('no-such-handler')).toThrow(HandlerNotFoundError);
    expect(() => requireHandler('no-such-handler')).toThrow('lambdas/handlers/no-such-handler.ts');
  });
});

/** A handler that answers with the proxy event it received, so the test can inspect it. */
const echo = async (event: unknown): Promise<APIGatewayProxyResult> => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});

function rawPost(
  endpoint: string,
  path: string,
  headers: Record<string, string | string[]>,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, endpoint), { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('API Gateway and Lambda emulation', () => {
  let t: TestRuntime;
  let lambda: LambdaClient;
  let logged: jest.SpyInstance;
  const asyncRuns: unknown[] = [];
  const loader: HandlerLoader = (file) => {
    switch (file) {
      case 'router':
        return echo;
      case 'put-events':
        return async () => {
          throw new Error('boom with internal detail');
        };
      case 'put-items':
        return async () => ({
          statusCode: 201,
          isBase64Encoded: true,
          body: Buffer.from([0xff, 0x00, 0x7f]).toString('base64'),
          multiValueHeaders: { 'x-multi': ['a', 'b'] },
        });
      case 'list-dataset-groups':
        return async (event) => ({ echoed: event });
      case 'describe-dataset-group':
        return async () => {
          throw new TypeError('handler exploded');
        };
      case 'dataset-import-worker':
        return async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          asyncRuns.push(event);
        };
      default:
        throw new HandlerNotFoundError(`no ${file} in this test`);
    }
  };

  beforeAll(async () => {
    jest.resetModules();
    // The failures below are deliberate; their log lines are asserted instead of printed.
    logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    t = await startTestRuntime({ loadHandler: loader });
    lambda = new LambdaClient({
      endpoint: t.runtime.internalEndpoints.lambda,
      region: t.runtime.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    lambda?.destroy();
    await t?.stop();
    logged.mockRestore();
  });

  it('builds a REST v1 proxy event from the request', async () => {
    const body = Buffer.from([0xc3, 0x28, 0x01]); // not valid UTF-8, so it must arrive base64-encoded
    const res = await rawPost(
      t.runtime.endpoint,
      '/?a=1&a=2&b=x',
      { 'X-Amz-Target': 'AmazonPersonalize.Anything', 'X-Twice': ['one', 'two'] },
      body,
    );
    expect(res.status).toBe(200);
    const event = JSON.parse(res.body.toString('utf8')) as APIGatewayProxyEvent;
    expect(event).toMatchObject({
      httpMethod: 'POST',
      path: '/',
      resource: '/',
      isBase64Encoded: true,
      body: body.toString('base64'),
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      requestContext: { path: '/', stage: 'local', httpMethod: 'POST', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event.headers['x-amz-target']).toBe('AmazonPersonalize.Anything');
    expect(event.headers.host).toBe(new URL(t.runtime.endpoint).host);
    expect(event.multiValueHeaders['x-twice']).toEqual(['one', 'two']);
    expect(event.headers['x-twice']).toBe('two');
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // API Gateway's own request id is on the response when the handler sets none.
    expect(res.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
  });

  it('passes a UTF-8 body as text and no query as null', async () => {
    const res = await rawPost(t.runtime.endpoint, '/', {}, Buffer.from('{"name":"café"}'));
    const event = JSON.parse(res.body.toString('utf8')) as APIGatewayProxyEvent;
    expect(event.body).toBe('{"name":"café"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.queryStringParameters).toBeNull();
  });

  it('keeps a leading byte order mark in a text body', async () => {
    const res = await rawPost(t.runtime.endpoint, '/', {}, Buffer.from('\ufeff{}'));
    const event = JSON.parse(res.body.toString('utf8')) as APIGatewayProxyEvent;
    expect(event.body).toBe('\ufeff{}');
  });

  it('decodes a base64 result body and writes multi-value headers', async () => {
    const res = await rawPost(t.runtime.endpoint, '/items', {}, Buffer.from('{}'));
    expect(res.status).toBe(201);
    expect([...res.body]).toEqual([0xff, 0x00, 0x7f]);
    expect(res.headers['x-multi']).toBe('a, b');
  });

  it('answers a throwing handler with a bare 500 InternalFailure', async () => {
    const res = await rawPost(t.runtime.endpoint, '/events', {}, Buffer.from('{}'));
    expect(res.status).toBe(500);
    expect(res.headers['x-amzn-errortype']).toBe('InternalFailure');
    const text = res.body.toString('utf8');
    expect(JSON.parse(text)).toMatchObject({ __type: 'InternalFailure' });
    expect(text).not.toContain('internal detail');
    expect(logged).toHaveBeenCalledWith('[api] POST /events (put-events) failed:', expect.any(Error));
  });

  it('invokes a function synchronously with its JSON result as the payload', async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'ListDatasetGroups', Payload: Buffer.from('{"x":[1,2]}') }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(out.Payload!).toString('utf8'))).toEqual({ echoed: { x: [1, 2] } });
  });

  it('accepts a function ARN as the name', async () => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:ListDatasetGroups',
        Payload: Buffer.from('{}'),
      }),
    );
    expect(JSON.parse(Buffer.from(out.Payload!).toString('utf8'))).toEqual({ echoed: {} });
  });

  it('reports a thrown error as FunctionError Unhandled', async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'DescribeDatasetGroup', Payload: Buffer.from('{}') }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(out.Payload!).toString('utf8'))).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'handler exploded',
    });
  });

  it('answers an unknown function with ResourceNotFoundException', async () => {
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'NoSuchFunction' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('runs an Event invocation in the background and idle() waits for it', async () => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'DatasetImport',
        InvocationType: 'Event',
        Payload: Buffer.from('{"datasetImportJobArn":"arn:test"}'),
      }),
    );
    expect(out.StatusCode).toBe(202);
    expect(asyncRuns).toEqual([]);
    await t.idle();
    expect(asyncRuns).toEqual([{ datasetImportJobArn: 'arn:test' }]);
  });

  it('waits for running Event invocations on stop', async () => {
    const before = asyncRuns.length;
    await lambda.send(
      new InvokeCommand({
        FunctionName: 'DatasetImport',
        InvocationType: 'Event',
        Payload: Buffer.from('{"n":2}'),
      }),
    );
    await t.stop();
    expect(asyncRuns.length).toBe(before + 1);
  });
});

describe('Step Functions emulation', () => {
  let t: TestRuntime;
  let sfn: SFNClient;
  let logged: jest.SpyInstance;
  // Two committed function names stand in for workflow steps: one adds to a counter, one throws.
  const loader: HandlerLoader = (file) => {
    switch (file) {
      case 'list-dataset-groups':
        return async (event) => ({ n: (event as { n: number }).n + 1 });
      case 'describe-dataset-group':
        return async () => {
          throw new RangeError('step failed on purpose');
        };
      default:
        throw new HandlerNotFoundError(`no ${file} in this test`);
    }
  };
  const definition = (arn: (fn: string) => string) =>
    JSON.stringify({
      StartAt: 'Branch',
      States: {
        Branch: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.mode', StringEquals: 'fail', Next: 'Explode' },
            { Variable: '$.mode', StringEquals: 'wait', Next: 'Pause' },
            { Variable: '$.mode', StringEquals: 'map', Next: 'Each' },
          ],
          Default: 'AddOne',
        },
        AddOne: { Type: 'Task', Resource: arn('ListDatasetGroups'), Next: 'AddAnother' },
        AddAnother: { Type: 'Task', Resource: arn('ListDatasetGroups'), End: true },
        Pause: { Type: 'Wait', Seconds: 30, End: true },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Item',
            States: { Item: { Type: 'Task', Resource: arn('ListDatasetGroups'), End: true } },
          },
          End: true,
        },
        Explode: {
          Type: 'Task',
          Resource: arn('DescribeDatasetGroup'),
          Catch: [{ ErrorEquals: ['RangeError'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Fail', Error: 'Recorded', Cause: 'the step failed and was caught' },
      },
    });

  beforeAll(async () => {
    jest.resetModules();
    logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    t = await startTestRuntime({
      loadHandler: loader,
      stateMachines: [{ name: 'Counter', envKey: 'OP_TRAINING_STATE_MACHINE_ARN', definition }],
    });
    sfn = new SFNClient({
      endpoint: t.runtime.internalEndpoints.stepFunctions,
      region: t.runtime.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    sfn?.destroy();
    await t?.stop();
    logged.mockRestore();
  });

  const machineArn = () => `arn:aws:states:${t.runtime.region}:${t.runtime.accountId}:stateMachine:Counter`;

  it('names the state machine in the env key it was given', () => {
    expect(process.env.OP_TRAINING_STATE_MACHINE_ARN).toBe(machineArn());
  });

  it('runs an execution through local Lambda functions, idle() waiting for it', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn(),
        name: 'count',
        input: '{"mode":"count","n":1}',
      }),
    );
    expect(started.executionArn).toBe(
      `arn:aws:states:${t.runtime.region}:${t.runtime.accountId}:execution:Counter:count`,
    );
    expect(started.startDate).toBeInstanceOf(Date);
    await t.idle();
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"n":3}', name: 'count' });
    expect(done.stopDate).toBeInstanceOf(Date);
  });

  it("keeps each execution's history as GetExecutionHistory pages it, Map iterations included", async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn(),
        name: 'each',
        input: '{"mode":"map","items":[{"n":1},{"n":5}]}',
      }),
    );
    await t.idle();
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken }));
      expect((page.events ?? []).length).toBeLessThanOrEqual(4);
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    const named = events.map((e) => {
      const details =
        e.stateEnteredEventDetails ?? e.stateExitedEventDetails ?? e.mapIterationSucceededEventDetails;
      return `${e.type} ${details?.name ?? ''}`.trim();
    });
    expect(named[0]).toBe('ExecutionStarted');
    expect(named.slice(1, 4)).toEqual([
      'ChoiceStateEntered Branch',
      'ChoiceStateExited Branch',
      'MapStateEntered Each',
    ]);
    expect(named.filter((n) => n === 'TaskStateEntered Item')).toHaveLength(2);
    expect(named.filter((n) => n === 'MapIterationSucceeded Each')).toHaveLength(2);
    expect(named.slice(-2)).toEqual(['MapStateExited Each', 'ExecutionSucceeded']);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const times = events.map((e) => (e.timestamp as Date).getTime());
    expect(Math.min(...times)).toBe(times[0]);
    expect(Math.max(...times)).toBe(times.at(-1));

    const newestFirst = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(newestFirst.events?.[0]?.type).toBe('ExecutionSucceeded');
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn() }));
    expect(listed.executions?.[0]).toMatchObject({ name: 'each', status: 'SUCCEEDED' });
    await expect(
      sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'nope' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('lets Catch see a failed function by its errorType and records the Fail state', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn(), input: '{"mode":"fail"}' }),
    );
    await t.idle();
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(done).toMatchObject({
      status: 'FAILED',
      error: 'Recorded',
      cause: 'the step failed and was caught',
    });
  });

  it('aborts a running execution on StopExecution', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn(), input: '{"mode":"wait"}' }),
    );
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(running.status).toBe('RUNNING');
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'by test' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    await t.idle();
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(done).toMatchObject({ status: 'ABORTED', error: 'Stopped', cause: 'by test' });
  });

  it('refuses a repeated execution name with other input, and an unknown machine', async () => {
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn(), name: 'count', input: '{"n":5}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${machineArn()}Nope`, input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: `${machineArn()}:missing` })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});

describe('persisted table check', () => {
  const table = (indexes: string[]): TableDescription => ({
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((name, i) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: `gsi${i + 1}pk`, KeyType: 'HASH' },
        { AttributeName: `gsi${i + 1}sk`, KeyType: 'RANGE' },
      ],
    })),
  });

  it('accepts a table with the current keys and indexes', () => {
    expect(() => checkSchema(RESOURCES_TABLE, 'Resources', table(['byType', 'byParent']))).not.toThrow();
  });

  it('names what an older table lacks', () => {
    expect(() => checkSchema(RESOURCES_TABLE, 'Resources', table(['byType']), '.data')).toThrow(
      'Table Resources in .data was created by another version: index byParent is missing.',
    );
  });

  it('names the attributes an older index does not project', () => {
    const current = createTableInput(EVENTS_TABLE, 'Events');
    const index = current.GlobalSecondaryIndexes?.[0];
    const older: TableDescription = {
      KeySchema: current.KeySchema,
      GlobalSecondaryIndexes: [
        {
          ...index,
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: index?.Projection?.NonKeyAttributes?.filter((a) => a !== 'columns'),
          },
        },
      ],
    };
    expect(() => checkSchema(EVENTS_TABLE, 'Events', older, '.data')).toThrow(
      'Table Events in .data was created by another version: index byGroup does not project columns.',
    );
    expect(() =>
      checkSchema(EVENTS_TABLE, 'Events', {
        ...older,
        GlobalSecondaryIndexes: current.GlobalSecondaryIndexes,
      }),
    ).not.toThrow();
  });
});

describe('schedules', () => {
  it('invokes a function at its rate and stops with the runtime', async () => {
    jest.resetModules();
    const ticks: unknown[] = [];
    const t = await startTestRuntime({
      loadHandler: (file) => {
        if (file !== 'dataset-import-worker') throw new HandlerNotFoundError(file);
        return async (event) => {
          ticks.push(event);
        };
      },
      schedules: [{ functionName: 'DatasetImport', intervalMs: 40, event: { source: 'schedule' } }],
    });
    try {
      const deadline = Date.now() + 5000;
      while (ticks.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks[0]).toEqual({ source: 'schedule' });
    } finally {
      await t.stop();
    }
    const after = ticks.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(ticks.length).toBe(after);
  });
});

describe('persistence across restarts with one data dir', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'op-runtime-test-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function withRuntime(
    fn: (t: TestRuntime, ddb: DynamoDBDocumentClient) => Promise<void>,
  ): Promise<void> {
    jest.resetModules();
    const t = await startTestRuntime({ dataDir: dir });
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: t.runtime.internalEndpoints.dynamodb,
        region: t.runtime.region,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      }),
    );
    try {
      await fn(t, ddb);
    } finally {
      ddb.destroy();
      await t.stop();
    }
  }

  it('keeps resources created through the API, DynamoDB items and S3 objects', async () => {
    let groupArn: string | undefined;
    await withRuntime(async (t, ddb) => {
      await ddb.send(new PutCommand({ TableName: 'Resources', Item: { pk: 'kept', sk: 'R', value: 42 } }));
      await t.upload('kept.csv', 'a,b\n');
      ({ datasetGroupArn: groupArn } = await t.personalize.send(
        new CreateDatasetGroupCommand({ name: 'kept' }),
      ));
    });
    await withRuntime(async (t, ddb) => {
      const group = await t.personalize.send(new DescribeDatasetGroupCommand({ datasetGroupArn: groupArn }));
      expect(group.datasetGroup?.name).toBe('kept');
      const got = await ddb.send(new GetCommand({ TableName: 'Resources', Key: { pk: 'kept', sk: 'R' } }));
      expect(got.Item).toEqual({ pk: 'kept', sk: 'R', value: 42 });
      const obj = await t.s3.send(new GetObjectCommand({ Bucket: t.uploadBucket, Key: 'kept.csv' }));
      expect(await obj.Body?.transformToString()).toBe('a,b\n');
    });
  });
});

describe('npm start', () => {
  it('parses its flags', () => {
    expect(parseCli([])).toEqual({
      port: undefined,
      s3Port: undefined,
      dataDir: '.data',
      workers: availableParallelism(),
      help: false,
    });
    expect(parseCli(['--port', '9000', '--s3-port', '9100', '--in-memory', '--workers', '0'])).toEqual({
      port: 9000,
      s3Port: 9100,
      dataDir: undefined,
      workers: 0,
      help: false,
    });
    expect(parseCli(['--workers', '3']).workers).toBe(3);
    expect(() => parseCli(['--workers=-1'])).toThrow('--workers must be');
    expect(() => parseCli(['--workers', '1.5'])).toThrow('--workers must be');
    expect(parseCli(['--data-dir', 'x', '-h'])).toMatchObject({ dataDir: 'x', help: true });
    expect(() => parseCli(['--port', 'http'])).toThrow('--port must be a port number');
    expect(() => parseCli(['--in-memory', '--data-dir', 'x'])).toThrow('cannot be used together');
    expect(() => parseCli(['--bogus'])).toThrow();
  });

  it('starts as a process, prints its endpoints, and exits 0 on SIGINT after flushing its data dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'op-main-test-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.OPEN_PERSONALIZE_PORT;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', '..', 'local', 'main.ts'), '--port', '0', '--data-dir', dir],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const ready = await Promise.race([
        new Promise<boolean>((resolve) => {
          const check = setInterval(() => {
            if (stdout.includes('Press Ctrl-C to stop.')) {
              clearInterval(check);
              resolve(true);
            }
          }, 20);
          void exited.then(() => clearInterval(check));
        }),
        exited.then(() => false),
      ]);
      expect({ ready, stderr: ready ? '' : stderr }).toEqual({ ready: true, stderr: '' });
      expect(stdout).toMatch(/ready in \d+ ms/);
      expect(stdout).toContain('aws personalize list-dataset-groups --endpoint-url http://127.0.0.1:');
      const endpoint = /API endpoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      const accessKeyId = /API credentials\s+access key id (\S+)/.exec(stdout)?.[1];
      expect(endpoint).toBeDefined();
      expect(accessKeyId).toBeDefined();
      // Through the router in the real process: the signature check runs before any operation function.
      const client = new PersonalizeClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: accessKeyId!, secretAccessKey: 'wrong' },
        maxAttempts: 1,
      });
      await expect(client.send(new ListDatasetGroupsCommand({}))).rejects.toMatchObject({
        name: 'InvalidSignatureException',
      });
      client.destroy();
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('Stopped.');
      expect(await readdir(join(dir, 'dynamodb'))).toContain('CURRENT');
      expect(await readdir(join(dir, 's3'))).toContain('open-personalize-data');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
