import {
  CreateDatasetGroupCommand,
  DeleteDatasetGroupCommand,
  DescribeDatasetGroupCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from '../../../lambdas/api/http';
import { inUse, notFound } from '../../../lambdas/errors';
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

const config = (endpoint: string) => ({
  region: 'eu-west-1',
  endpoint,
  credentials,
  maxAttempts: 1,
  requestHandler: capturingHandler,
});
const control = new PersonalizeClient(config(`https://${HOST}/prod`));
const runtime = new PersonalizeRuntimeClient(config(`https://${HOST}`));
const events = new PersonalizeEventsClient(config(`https://${HOST}`));
const campaignArn = 'arn:aws:personalize:eu-west-1:123456789012:campaign/c';

async function createGroupEvent(name = 'movies'): Promise<APIGatewayProxyEvent> {
  return toEvent(await capture(() => control.send(new CreateDatasetGroupCommand({ name }))), {
    resourcePath: '/',
  });
}

function json(body: string): unknown {
  return JSON.parse(body);
}

describe('apiHandler framing', () => {
  it('frames a control-plane result as AWS JSON 1.1 with dates in epoch seconds', async () => {
    const seen: unknown[] = [];
    const handler = apiHandler('control', 'CreateDatasetGroup', async (input, ctx) => {
      seen.push(input, ctx.requestId);
      return {
        datasetGroupArn: 'arn:x',
        created: new Date(1588007587392),
        nested: [{ at: new Date(0) }],
        gone: undefined,
      };
    });
    const res = await handler(await createGroupEvent());
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual({
      'Content-Type': 'application/x-amz-json-1.1',
      'x-amzn-RequestId': 'c0ffee00-0000-4000-8000-000000000001',
    });
    expect(res.body).toBe('{"datasetGroupArn":"arn:x","created":1588007587.392,"nested":[{"at":0}]}');
    expect(seen).toEqual([{ name: 'movies' }, 'c0ffee00-0000-4000-8000-000000000001']);
  });

  it('answers {} for an operation without output and makes up a uuid request id when API Gateway gave none', async () => {
    const handler = apiHandler('control', 'DeleteDatasetGroup', async () => undefined);
    const event = toEvent(
      await capture(() =>
        control.send(new DeleteDatasetGroupCommand({ datasetGroupArn: 'arn:aws:personalize:x:1:d/g' })),
      ),
    );
    const res = await handler({ ...event, requestContext: { ...event.requestContext, requestId: '' } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{}');
    expect(res.headers?.['x-amzn-RequestId']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('frames runtime results as application/json and events results as an empty body', async () => {
    const rec = apiHandler('runtime', 'GetRecommendations', async () => ({
      itemList: [{ itemId: 'i1', score: 0.5 }],
    }));
    const recRes = await rec(
      toEvent(await capture(() => runtime.send(new GetRecommendationsCommand({ campaignArn, userId: 'u' })))),
    );
    expect(recRes.statusCode).toBe(200);
    expect(recRes.headers?.['Content-Type']).toBe('application/json');
    expect(json(recRes.body)).toEqual({ itemList: [{ itemId: 'i1', score: 0.5 }] });

    let sentAt: unknown;
    const put = apiHandler('events', 'PutEvents', async (input: { eventList: { sentAt: Date }[] }) => {
      sentAt = input.eventList[0]?.sentAt;
    });
    const putEvent = toEvent(
      await capture(() =>
        events.send(
          new PutEventsCommand({
            trackingId: 't',
            sessionId: 's',
            eventList: [{ eventType: 'click', sentAt: new Date(1700000000250) }],
          }),
        ),
      ),
    );
    const putRes = await put(putEvent);
    expect(putRes.statusCode).toBe(200);
    expect(putRes.body).toBe('');
    expect(sentAt).toEqual(new Date(1700000000250));
  });

  it('maps PersonalizeError to each service status with __type and x-amzn-ErrorType', async () => {
    const controlRes = await apiHandler('control', 'DescribeDatasetGroup', async () => {
      throw notFound('No dataset group');
    })(
      toEvent(
        await capture(() =>
          control.send(new DescribeDatasetGroupCommand({ datasetGroupArn: 'arn:aws:personalize:x:1:d/g' })),
        ),
      ),
    );
    expect(controlRes.statusCode).toBe(400);
    expect(controlRes.headers?.['x-amzn-ErrorType']).toBe('ResourceNotFoundException');
    expect(controlRes.headers?.['Content-Type']).toBe('application/x-amz-json-1.1');
    expect(json(controlRes.body)).toEqual({
      __type: 'ResourceNotFoundException',
      message: 'No dataset group',
    });

    const recEvent = toEvent(
      await capture(() => runtime.send(new GetRecommendationsCommand({ campaignArn, userId: 'u' }))),
    );
    const runtimeRes = await apiHandler('runtime', 'GetRecommendations', async () => {
      throw notFound('No campaign');
    })(recEvent);
    expect(runtimeRes.statusCode).toBe(404);
    expect(runtimeRes.headers?.['Content-Type']).toBe('application/json');

    const putEvent = toEvent(
      await capture(() =>
        events.send(
          new PutEventsCommand({
            trackingId: 't',
            sessionId: 's',
            eventList: [{ eventType: 'c', sentAt: new Date() }],
          }),
        ),
      ),
    );
    const eventsRes = await apiHandler('events', 'PutEvents', async () => {
      throw inUse('Tracker is being deleted');
    })(putEvent);
    expect(eventsRes.statusCode).toBe(409);
    expect(json(eventsRes.body)).toEqual({
      __type: 'ResourceInUseException',
      message: 'Tracker is being deleted',
    });
  });

  it('answers unexpected errors with a generic 500 and logs the cause with the request id', async () => {
    const log = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const cause = new Error('table exploded at /secret/path');
      const res = await apiHandler('control', 'CreateDatasetGroup', async () => {
        throw cause;
      })(await createGroupEvent());
      expect(res.statusCode).toBe(500);
      expect(res.headers?.['x-amzn-ErrorType']).toBe('InternalFailure');
      expect(res.body).not.toContain('exploded');
      expect(res.body).not.toContain('secret');
      expect(json(res.body)).toMatchObject({ __type: 'InternalFailure' });
      expect(log).toHaveBeenCalledWith(
        'request failed',
        expect.objectContaining({ requestId: 'c0ffee00-0000-4000-8000-000000000001', error: cause }),
      );
    } finally {
      log.mockRestore();
    }
  });

  it('verifies the signature before running the operation', async () => {
    const fn = jest.fn(async () => ({}));
    const event = await createGroupEvent();
    const res = await apiHandler(
      'control',
      'CreateDatasetGroup',
      fn,
    )({
      ...event,
      body: event.body!.replace('movies', 'mov1es'),
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers?.['x-amzn-ErrorType']).toBe('InvalidSignatureException');
    expect(fn).not.toHaveBeenCalled();
  });

  it('answers SerializationException for malformed JSON and non-object bodies', async () => {
    const fn = jest.fn(async () => ({}));
    const handler = apiHandler('runtime', 'GetRecommendations', fn);
    for (const body of ['{"campaignArn":', '[1]', '"x"', 'null']) {
      const res = await handler(toEvent(await signRaw({ path: '/recommendations', body })));
      expect(res.statusCode).toBe(400);
      expect(res.headers?.['x-amzn-ErrorType']).toBe('SerializationException');
    }
    expect(fn).not.toHaveBeenCalled();
  });

  it('treats an empty body as {} and decodes base64 bodies', async () => {
    const handler = apiHandler('control', 'ListDatasetGroups', async (input) => ({ input }));
    const empty = await handler(toEvent(await signRaw({ path: '/', body: '' })));
    expect(json(empty.body)).toEqual({ input: {} });
    const body = JSON.stringify({ maxResults: 5 });
    const raw = await signRaw({ path: '/', body });
    const encoded = { ...toEvent(raw), body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
    expect(json((await handler(encoded)).body)).toEqual({ input: { maxResults: 5 } });
  });

  it('answers validation failures with InvalidInputException', async () => {
    const fn = jest.fn(async () => ({}));
    const res = await apiHandler('control', 'CreateDatasetGroup', fn)(await createGroupEvent('-bad'));
    expect(res.statusCode).toBe(400);
    expect(json(res.body)).toEqual({
      __type: 'InvalidInputException',
      message:
        "1 validation error detected: Value '-bad' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*",
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it('refuses at cold start an operation the model does not have', () => {
    expect(() => apiHandler('events', 'GetRecommendations', async () => ({}))).toThrow(/not an operation/);
  });
});
