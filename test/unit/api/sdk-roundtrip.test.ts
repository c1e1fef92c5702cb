/**
 * The official SDK clients against `apiHandler` in-process: what they send is verified and validated, and what we
 * answer is parsed by their own deserialisers (dates, empty bodies, error names, status codes).
 */
import {
  CreateDatasetGroupCommand,
  DescribeDatasetGroupCommand,
  type DescribeDatasetGroupResponse,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import {
  PersonalizeEventsClient,
  PutEventsCommand,
  type PutEventsRequest,
} from '@aws-sdk/client-personalize-events';
import {
  GetRecommendationsCommand,
  type GetRecommendationsRequest,
  PersonalizeRuntimeClient,
} from '@aws-sdk/client-personalize-runtime';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ApiHandler, apiHandler } from '../../../lambdas/api/http';
import { notFound } from '../../../lambdas/errors';
import { credentials, HOST, loopbackHandler, useTestCredentials } from './signing';

useTestCredentials();

const created = new Date(1700000000123);

function byTarget(handlers: Record<string, ApiHandler>) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const target = event.headers['x-amz-target']!.replace('AmazonPersonalize.', '');
    return handlers[target]!(event);
  };
}

const controlHandlers = {
  CreateDatasetGroup: apiHandler('control', 'CreateDatasetGroup', async (input: { name: string }) => ({
    datasetGroupArn: `arn:aws:personalize:eu-west-1:123456789012:dataset-group/${input.name}`,
  })),
  DescribeDatasetGroup: apiHandler(
    'control',
    'DescribeDatasetGroup',
    async (input: { datasetGroupArn: string }): Promise<DescribeDatasetGroupResponse> => {
      if (!input.datasetGroupArn.endsWith('/movies'))
        throw notFound(`Could not find ${input.datasetGroupArn}`);
      return {
        datasetGroup: {
          name: 'movies',
          status: 'ACTIVE',
          creationDateTime: created,
          lastUpdatedDateTime: created,
        },
      };
    },
  ),
};

function controlClient(secretAccessKey = credentials.secretAccessKey): PersonalizeClient {
  return new PersonalizeClient({
    region: 'eu-west-1',
    endpoint: `https://${HOST}/prod`,
    credentials: { ...credentials, secretAccessKey },
    maxAttempts: 1,
    requestHandler: loopbackHandler(byTarget(controlHandlers), '/prod'),
  });
}

async function thrown(
  p: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number; requestId?: string } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number; requestId?: string } };
  }
  throw new Error('expected the call to fail');
}

describe('SDK clients against apiHandler', () => {
  it('control plane: results, dates and request ids parse as the SDK expects', async () => {
    const client = controlClient();
    const out = await client.send(new CreateDatasetGroupCommand({ name: 'movies' }));
    expect(out.datasetGroupArn).toBe('arn:aws:personalize:eu-west-1:123456789012:dataset-group/movies');
    expect(out.$metadata.requestId).toBe('c0ffee00-0000-4000-8000-000000000001');
    const described = await client.send(
      new DescribeDatasetGroupCommand({ datasetGroupArn: out.datasetGroupArn }),
    );
    expect(described.datasetGroup?.creationDateTime).toEqual(created);
  });

  it('control plane: modeled errors and validation errors arrive by name', async () => {
    const client = controlClient();
    const missing = await thrown(
      client.send(
        new DescribeDatasetGroupCommand({ datasetGroupArn: 'arn:aws:personalize:x:1:dataset-group/none' }),
      ),
    );
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe('Could not find arn:aws:personalize:x:1:dataset-group/none');
    expect(missing.$metadata.httpStatusCode).toBe(400);
    const invalid = await thrown(client.send(new CreateDatasetGroupCommand({ name: 'no spaces allowed' })));
    expect(invalid.name).toBe('InvalidInputException');
    expect(invalid.message).toContain("at 'name' failed to satisfy constraint");
  });

  it('a wrong secret is refused with InvalidSignatureException', async () => {
    const err = await thrown(controlClient('wrong').send(new CreateDatasetGroupCommand({ name: 'movies' })));
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('runtime: 404 ResourceNotFoundException and results', async () => {
    const handler = apiHandler('runtime', 'GetRecommendations', async (input: GetRecommendationsRequest) => {
      if (input.campaignArn?.endsWith('/gone')) throw notFound('Campaign not found');
      return { itemList: [{ itemId: 'i1', score: 0.25 }], recommendationId: 'RID-1' };
    });
    const client = new PersonalizeRuntimeClient({
      region: 'eu-west-1',
      endpoint: `https://${HOST}`,
      credentials,
      maxAttempts: 1,
      requestHandler: loopbackHandler(handler),
    });
    const out = await client.send(
      new GetRecommendationsCommand({
        campaignArn: 'arn:aws:personalize:x:1:campaign/c',
        userId: 'u',
        numResults: 1,
      }),
    );
    expect(out.itemList).toEqual([{ itemId: 'i1', score: 0.25 }]);
    const err = await thrown(
      client.send(
        new GetRecommendationsCommand({ campaignArn: 'arn:aws:personalize:x:1:campaign/gone', userId: 'u' }),
      ),
    );
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });

  it('events: empty 200 body, Date input, and limits', async () => {
    const received: PutEventsRequest[] = [];
    const handler = apiHandler('events', 'PutEvents', async (input: PutEventsRequest) => {
      received.push(input);
    });
    const client = new PersonalizeEventsClient({
      region: 'eu-west-1',
      endpoint: `https://${HOST}`,
      credentials,
      maxAttempts: 1,
      requestHandler: loopbackHandler(handler),
    });
    const event = {
      eventType: 'click',
      itemId: 'i1',
      sentAt: new Date(1700000000250),
      properties: '{"a":"b"}',
    };
    const out = await client.send(
      new PutEventsCommand({ trackingId: 't', sessionId: 's', eventList: [event] }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(received[0]?.eventList?.[0]).toEqual(event);
    const err = await thrown(
      client.send(
        new PutEventsCommand({ trackingId: 't', sessionId: 's', eventList: Array(11).fill(event) }),
      ),
    );
    expect(err.name).toBe('InvalidInputException');
    expect(received).toHaveLength(1);
  });
});
