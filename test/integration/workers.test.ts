/**
 * `npm start -- --workers 2`: two cluster workers share the API port and serve the SDKs against the primary's one
 * set of emulators; a worker that dies is replaced.
 */

import { once } from 'node:events';
import { connect } from 'node:net';
import {
  CreateCampaignCommand,
  CreateEventTrackerCommand,
  CreateSolutionCommand,
  ListDatasetGroupsCommand,
} from '@aws-sdk/client-personalize';
import { PutEventsCommand } from '@aws-sdk/client-personalize-events';
import {
  GetRecommendationsCommand,
  PersonalizeRuntimeClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-personalize-runtime';
import { storeModelVersion } from '../../bench/lib/model-version';
import { countStored, runPutEventsLoad } from '../../bench/lib/put-events-load';
import { randomModel } from '../../bench/lib/random-model';
import { createInteractionsDataset, RECIPE } from '../../bench/lib/setup';
import { Random } from '../../lambdas/engine/random';
import { EVENTS_TABLE } from '../../lambdas/store/tables';
import { MAX_REQUESTS_PER_SOCKET } from '../../local/api-worker';
import { startTestRuntime, type TestRuntime } from './harness';

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime({ workers: 2 });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('serves control plane, events and runtime calls from two worker processes', async () => {
  const pids = t.runtime.workerPids();
  expect(pids).toHaveLength(2);
  expect(new Set(pids).size).toBe(2);
  expect(pids).not.toContain(process.pid);
  expect(pids.every(alive)).toBe(true);

  const { datasetGroupArn } = await createInteractionsDataset(t.personalize, 'workers');
  const { trackingId } = await t.personalize.send(
    new CreateEventTrackerCommand({ name: 'workers', datasetGroupArn }),
  );
  const load = await runPutEventsLoad({
    endpoint: t.runtime.endpoint,
    region: t.runtime.region,
    credentials: t.runtime.apiCredentials,
    trackingId: trackingId as string,
    clients: 4,
    callsPerClient: 6,
    batch: 10,
    retryEvery: 3,
  });
  expect(load.failedCalls).toBe(0);
  const count = await countStored(
    t.runtime.internalEndpoints.dynamodb,
    t.runtime.region,
    EVENTS_TABLE.id,
    datasetGroupArn,
    load.acknowledged,
  );
  expect(count).toEqual({
    stored: 4 * 6 * 10,
    missing: 0,
    duplicated: 0,
    unexpected: 0,
    items: 4 * 6 * 10 + load.conflicting,
    reuses: load.conflicting,
  });
  expect(load.conflicting).toBe(4 * 2);

  await expect(
    t.personalizeRuntime.send(
      new GetRecommendationsCommand({
        campaignArn: `arn:aws:personalize:${t.runtime.region}:${t.runtime.accountId}:campaign/none`,
        userId: 'u',
      }),
    ),
  ).rejects.toBeInstanceOf(ResourceNotFoundException);
}, 120_000);

it('serves events one worker stored from the other worker at once, though workers cache recent events', async () => {
  const { datasetGroupArn } = await createInteractionsDataset(t.personalize, 'relay');
  const { trackingId } = await t.personalize.send(
    new CreateEventTrackerCommand({ name: 'relay', datasetGroupArn }),
  );
  const { solutionArn } = await t.personalize.send(
    new CreateSolutionCommand({
      name: 'relay',
      datasetGroupArn,
      recipeArn: RECIPE,
      performAutoTraining: false,
    }),
  );
  const model = randomModel(300, 16, new Random(3));
  const versionArn = await storeModelVersion(solutionArn as string, datasetGroupArn, model);
  const { campaignArn } = await t.personalize.send(
    new CreateCampaignCommand({
      name: 'relay',
      solutionVersionArn: versionArn,
      campaignConfig: { itemExplorationConfig: { explorationWeight: '0' } },
    }),
  );
  // A client per request: a new connection, which the cluster hands to the workers in turn.
  const fresh = async () => {
    const client = new PersonalizeRuntimeClient({
      endpoint: t.runtime.endpoint,
      region: t.runtime.region,
      credentials: t.runtime.apiCredentials,
      maxAttempts: 1,
    });
    try {
      const out = await client.send(
        new GetRecommendationsCommand({
          campaignArn: campaignArn as string,
          userId: 'relay-user',
          numResults: 10,
        }),
      );
      return (out.itemList ?? []).map((i) => i.itemId);
    } finally {
      client.destroy();
    }
  };
  const history: string[] = [];
  const expected = () => model.recommend({ history, numResults: 10 }).map((i) => i.itemId);
  let sentAt = 1_800_000_000;
  for (const step of [0, 1, 2]) {
    const itemIds = [`item-${step * 7}`, `item-${step * 7 + 1}`];
    // Every worker holds the user's events in its cache before they change.
    for (let i = 0; i < 4; i++) expect(await fresh()).toEqual(expected());
    await t.events.send(
      new PutEventsCommand({
        trackingId: trackingId as string,
        userId: 'relay-user',
        sessionId: 'relay-session',
        eventList: itemIds.map((itemId) => ({
          eventType: 'click',
          itemId,
          sentAt: new Date(sentAt++ * 1000),
        })),
      }),
    );
    history.push(...itemIds);
    for (let i = 0; i < 4; i++) expect(await fresh()).toEqual(expected());
  }
}, 120_000);

it('replaces a worker that dies', async () => {
  const [victim] = t.runtime.workerPids();
  process.kill(victim as number, 'SIGKILL');
  for (
    let i = 0;
    i < 600 && (t.runtime.workerPids().includes(victim as number) || t.runtime.workerPids().length < 2);
    i++
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(t.runtime.workerPids()).toHaveLength(2);
  expect(t.runtime.workerPids()).not.toContain(victim);
  const out = await t.personalize.send(new ListDatasetGroupsCommand({}));
  expect(out.datasetGroups?.length).toBeGreaterThan(0);
}, 120_000);

it('closes a keep-alive connection after MAX_REQUESTS_PER_SOCKET answers', async () => {
  // One TCP connection, one request at a time: the last allowed answer says `Connection: close` and the worker then
  // closes the socket, so a client that keeps sending reconnects (Node's maxRequestsPerSocket kept the socket open
  // and answered every further request 503).
  const url = new URL(t.runtime.endpoint);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('close', () => {
    closed = true;
  });
  const body = '{}';
  const answers: string[] = [];
  for (let i = 0; i < MAX_REQUESTS_PER_SOCKET && !closed; i++) {
    socket.write(
      `POST / HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-amz-json-1.1\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    // Each answer is complete once its body (Content-Length bytes after the blank line) has arrived.
    for (;;) {
      const head = received.indexOf('\r\n\r\n');
      const length = head < 0 ? undefined : /content-length: (\d+)/i.exec(received.slice(0, head))?.[1];
      if (length !== undefined && received.length >= head + 4 + Number(length)) {
        answers.push(received.slice(0, head));
        received = received.slice(head + 4 + Number(length));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  expect(answers).toHaveLength(MAX_REQUESTS_PER_SOCKET);
  expect(answers.some((a) => a.startsWith('HTTP/1.1 503'))).toBe(false);
  expect(answers[MAX_REQUESTS_PER_SOCKET - 1]).toMatch(/connection: close/i);
  const deadline = Date.now() + 2000;
  while (!closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  socket.destroy();
  expect(closed).toBe(true);
});
