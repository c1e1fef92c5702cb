import type { LambdaClient } from '@aws-sdk/client-lambda';
import { ListDatasetGroupsCommand, PersonalizeClient } from '@aws-sdk/client-personalize';
import { PersonalizeEventsClient, PutActionsCommand } from '@aws-sdk/client-personalize-events';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  lambdaInvoker,
  MAX_INVOKE_PAYLOAD_BYTES,
  routeControlPlane,
  routeRequest,
} from '../../../lambdas/api/router';
import { logger } from '../../../lambdas/observability';
import {
  capture,
  capturingHandler,
  credentials,
  HOST,
  signRaw,
  toEvent,
  useTestCredentials,
} from './signing';

useTestCredentials();

const control = new PersonalizeClient({
  region: 'us-east-1',
  endpoint: `https://${HOST}/prod`,
  credentials,
  maxAttempts: 1,
  requestHandler: capturingHandler,
});
const functions = { ListDatasetGroups: 'op-ListDatasetGroups', CreateSchema: 'op-CreateSchema' };
const ok: APIGatewayProxyResult = { statusCode: 200, headers: {}, body: '{"datasetGroups":[]}' };

async function listEvent(): Promise<APIGatewayProxyEvent> {
  return toEvent(await capture(() => control.send(new ListDatasetGroupsCommand({}))), { resourcePath: '/' });
}

describe('routeControlPlane', () => {
  it('dispatches by X-Amz-Target to the named function with the unchanged event', async () => {
    const invoke = jest.fn(async () => ok);
    const event = await listEvent();
    const res = await routeControlPlane(event, invoke, { functions });
    expect(res).toBe(ok);
    expect(invoke).toHaveBeenCalledWith('op-ListDatasetGroups', event);
  });

  it('reads the function map from OP_OPERATION_FUNCTIONS', async () => {
    const saved = process.env.OP_OPERATION_FUNCTIONS;
    process.env.OP_OPERATION_FUNCTIONS = JSON.stringify({ ListDatasetGroups: 'from-env' });
    try {
      const invoke = jest.fn(async () => ok);
      await routeControlPlane(await listEvent(), invoke);
      expect(invoke).toHaveBeenCalledWith('from-env', expect.anything());
    } finally {
      if (saved === undefined) delete process.env.OP_OPERATION_FUNCTIONS;
      else process.env.OP_OPERATION_FUNCTIONS = saved;
    }
  });

  it('answers UnknownOperationException for unknown, foreign-prefixed or missing targets', async () => {
    const invoke = jest.fn(async () => ok);
    const targets = [
      'AmazonPersonalize.Frobnicate',
      'DynamoDB_20120810.ListTables',
      'ListDatasetGroups',
      undefined,
    ];
    for (const target of targets) {
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
      if (target !== undefined) headers['x-amz-target'] = target;
      const event = toEvent(await signRaw({ path: '/prod/', body: '{}', headers }), { resourcePath: '/' });
      const res = await routeControlPlane(event, invoke, { functions });
      expect(res.statusCode).toBe(400);
      expect(res.headers?.['x-amzn-ErrorType']).toBe('UnknownOperationException');
      expect(res.headers?.['Content-Type']).toBe('application/x-amz-json-1.1');
      expect(JSON.parse(res.body)).toEqual({
        __type: 'UnknownOperationException',
        message: `Unknown operation ${target ?? '(no X-Amz-Target)'}`,
      });
    }
    expect(invoke).not.toHaveBeenCalled();
  });

  it('authenticates before looking at the target', async () => {
    const event = await listEvent();
    const invoke = jest.fn(async () => ok);
    const retargeted = {
      ...event,
      headers: { ...event.headers, 'x-amz-target': 'AmazonPersonalize.CreateSchema' },
    };
    const res = await routeControlPlane(retargeted, invoke, { functions });
    expect(res.statusCode).toBe(403);
    expect(res.headers?.['x-amzn-ErrorType']).toBe('InvalidSignatureException');
    expect(invoke).not.toHaveBeenCalled();
  });

  it('refuses unsigned calls before dispatching', async () => {
    const event = await listEvent();
    const { authorization: _a, ...headers } = event.headers;
    const invoke = jest.fn(async () => ok);
    const res = await routeControlPlane({ ...event, headers }, invoke, { functions });
    expect(res.statusCode).toBe(403);
    expect(res.headers?.['x-amzn-ErrorType']).toBe('MissingAuthenticationToken');
    expect(invoke).not.toHaveBeenCalled();
  });

  it('answers 500 InternalFailure when the invocation fails', async () => {
    const log = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const cause = new Error('boom');
      const res = await routeControlPlane(await listEvent(), async () => Promise.reject(cause), {
        functions,
      });
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body).__type).toBe('InternalFailure');
      expect(log).toHaveBeenCalledWith('routing failed', expect.objectContaining({ error: cause }));
    } finally {
      log.mockRestore();
    }
  });
});

describe('routeRequest', () => {
  const events = new PersonalizeEventsClient({
    region: 'us-east-1',
    endpoint: `https://${HOST}/prod`,
    credentials,
    maxAttempts: 1,
    requestHandler: capturingHandler,
  });
  const putActions = async (): Promise<APIGatewayProxyEvent> => {
    const request = await capture(() =>
      events.send(
        new PutActionsCommand({
          datasetArn: 'arn:aws:personalize:us-east-1:000000000000:dataset/g/ACTIONS',
          actions: [{ actionId: 'a1' }],
        }),
      ),
    );
    return { ...toEvent(request, { resourcePath: '/actions' }), resource: '/actions' };
  };

  it('refuses a signed call to an unsupported events path with UnknownOperationException, events framing', async () => {
    const invoke = jest.fn(async () => ok);
    const res = await routeRequest(await putActions(), invoke, { functions });
    expect(res.statusCode).toBe(400);
    expect(res.headers?.['x-amzn-ErrorType']).toBe('UnknownOperationException');
    expect(res.headers?.['Content-Type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({
      __type: 'UnknownOperationException',
      message: 'Operation PutActions is not supported by this service.',
    });
    expect(invoke).not.toHaveBeenCalled();
  });

  it('checks the signature of such a call first', async () => {
    const event = await putActions();
    const res = await routeRequest({ ...event, body: '{"actions":[]}' }, jest.fn(), { functions });
    expect(res.statusCode).toBe(403);
    expect(res.headers?.['x-amzn-ErrorType']).toBe('InvalidSignatureException');
  });

  it('sends anything else to the control-plane dispatch', async () => {
    const invoke = jest.fn(async () => ok);
    const event = await listEvent();
    expect(await routeRequest(event, invoke, { functions })).toBe(ok);
    expect(invoke).toHaveBeenCalledWith('op-ListDatasetGroups', event);
  });
});

describe('lambdaInvoker', () => {
  function fakeLambda(reply: { Payload?: Uint8Array; FunctionError?: string }) {
    const sent: unknown[] = [];
    const client = {
      send: async (command: { input: unknown }) => {
        sent.push(command.input);
        return reply;
      },
    } as unknown as LambdaClient;
    return { client, sent };
  }

  it('invokes synchronously with the event as payload and returns the parsed result', async () => {
    const { client, sent } = fakeLambda({ Payload: Buffer.from(JSON.stringify(ok)) });
    const event = await listEvent();
    await expect(lambdaInvoker(client)('fn', event)).resolves.toEqual(ok);
    const input = sent[0] as { FunctionName: string; InvocationType: string; Payload: Uint8Array };
    expect(input.FunctionName).toBe('fn');
    expect(input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(Buffer.from(input.Payload).toString())).toEqual(event);
  });

  it('throws on a function error or a payload that is not an API Gateway result', async () => {
    const failed = fakeLambda({ FunctionError: 'Unhandled', Payload: Buffer.from('{"errorMessage":"x"}') });
    await expect(lambdaInvoker(failed.client)('fn', await listEvent())).rejects.toThrow(
      /failed \(Unhandled\)/,
    );
    const odd = fakeLambda({ Payload: Buffer.from('{"hello":1}') });
    await expect(lambdaInvoker(odd.client)('fn', await listEvent())).rejects.toThrow(/no API Gateway result/);
  });

  it('refuses an event over the payload limit with InvalidInputException, without calling Lambda', async () => {
    const { client, sent } = fakeLambda({ Payload: Buffer.from(JSON.stringify(ok)) });
    const event = { ...(await listEvent()), body: 'x'.repeat(MAX_INVOKE_PAYLOAD_BYTES) };
    await expect(lambdaInvoker(client)('fn', event)).rejects.toMatchObject({
      errorName: 'InvalidInputException',
      message: expect.stringMatching(/too large/),
    });
    expect(sent).toEqual([]);
  });
});
