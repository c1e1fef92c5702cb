/**
 * Bulk imports and event ingestion through the official SDK clients against the local runtime: an import runs in
 * the background through the emulated Lambda Invoke, a bad row fails the job with a line-numbered reason and
 * leaves earlier data untouched; PutEvents, PutItems and PutUsers accept valid records and refuse invalid ones
 * with the modeled exceptions.
 */
import {
  InvalidInputException as ControlInvalidInput,
  ResourceNotFoundException as ControlNotFound,
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateSchemaCommand,
  DescribeDatasetImportJobCommand,
  ListDatasetImportJobsCommand,
} from '@aws-sdk/client-personalize';
import {
  InvalidInputException,
  PutEventsCommand,
  PutItemsCommand,
  PutUsersCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-personalize-events';
import { startTestRuntime, type TestRuntime } from './harness';
import { avroSchema, importAndWait, ROLE } from './workflow';

let t: TestRuntime;

beforeAll(async () => {
  jest.resetModules();
  t = await startTestRuntime();
});
afterAll(() => t?.stop());

interface Group {
  readonly group: string;
  readonly interactions: string;
  readonly items: string;
  readonly users: string;
  readonly trackingId: string;
}

async function setUp(name: string): Promise<Group> {
  const p = t.personalize;
  const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name }));
  const make = async (type: string, fields: object[]) => {
    const { schemaArn } = await p.send(
      new CreateSchemaCommand({ name: `${name}-${type}`, schema: avroSchema(type, fields) }),
    );
    const out = await p.send(
      new CreateDatasetCommand({ name: `${name}-${type}`, datasetGroupArn, datasetType: type, schemaArn }),
    );
    return out.datasetArn as string;
  };
  const interactions = await make('Interactions', [
    { name: 'USER_ID', type: 'string' },
    { name: 'ITEM_ID', type: 'string' },
    { name: 'TIMESTAMP', type: 'long' },
    { name: 'EVENT_TYPE', type: 'string' },
    { name: 'DEVICE', type: ['null', 'string'], categorical: true },
  ]);
  const items = await make('Items', [
    { name: 'ITEM_ID', type: 'string' },
    { name: 'GENRES', type: ['null', 'string'], categorical: true },
  ]);
  const users = await make('Users', [
    { name: 'USER_ID', type: 'string' },
    { name: 'AGE', type: ['null', 'int'] },
  ]);
  const { trackingId } = await p.send(
    new CreateEventTrackerCommand({ name: `${name}-tracker`, datasetGroupArn }),
  );
  return { group: datasetGroupArn as string, interactions, items, users, trackingId: trackingId as string };
}

function csv(rows: number, bad?: { line: number; text: string }): string {
  const lines = ['ITEM_ID,USER_ID,TIMESTAMP,EVENT_TYPE'];
  for (let r = 0; r < rows; r++) {
    lines.push(bad?.line === r + 2 ? bad.text : `i${r % 40},u${r % 30},${1_700_000_000 + r},watch`);
  }
  return `${lines.join('\n')}\n`;
}

describe('dataset import jobs through the SDK', () => {
  it('a good FULL import becomes ACTIVE; a later bad one fails with the line and column and lists both', async () => {
    const g = await setUp('imports');
    const good = await importAndWait(t, {
      datasetArn: g.interactions,
      jobName: 'good',
      key: 'imports/good.csv',
      csv: csv(1100),
    });
    expect(good).toMatchObject({
      status: 'ACTIVE',
      importMode: 'FULL',
      datasetArn: g.interactions,
      roleArn: ROLE,
    });
    expect(good.creationDateTime).toBeInstanceOf(Date);

    const bad = await importAndWait(t, {
      datasetArn: g.interactions,
      jobName: 'bad',
      key: 'imports/bad.csv',
      csv: csv(1100, { line: 777, text: 'i1,u1,1700000000,watch,extra' }),
    });
    expect(bad.status).toBe('CREATE FAILED');
    expect(bad.failureReason).toBe('Line 777: expected 4 columns, found 5.');

    const { datasetImportJobs } = await t.personalize.send(
      new ListDatasetImportJobsCommand({ datasetArn: g.interactions }),
    );
    expect(datasetImportJobs?.map((j) => [j.jobName, j.status])).toEqual([
      ['bad', 'CREATE FAILED'],
      ['good', 'ACTIVE'],
    ]);
    // The failed import changed nothing: an INCREMENTAL import still appends to the first one.
    const inc = await t.personalize.send(
      new CreateDatasetImportJobCommand({
        jobName: 'inc',
        datasetArn: g.interactions,
        dataSource: { dataLocation: `s3://${t.uploadBucket}/imports/good.csv` },
        roleArn: ROLE,
        importMode: 'INCREMENTAL',
      }),
    );
    await t.idle();
    const { datasetImportJob } = await t.personalize.send(
      new DescribeDatasetImportJobCommand({ datasetImportJobArn: inc.datasetImportJobArn }),
    );
    expect(datasetImportJob?.status).toBe('ACTIVE');
  });

  it('refuses an unknown dataset, an http location and a first INCREMENTAL import', async () => {
    const g = await setUp('import-refusals');
    const send = (datasetArn: string, dataLocation: string, importMode?: 'INCREMENTAL') =>
      t.personalize.send(
        new CreateDatasetImportJobCommand({
          jobName: 'r',
          datasetArn,
          dataSource: { dataLocation },
          roleArn: ROLE,
          importMode,
        }),
      );
    await expect(send(`${g.interactions}X`, 's3://some-bucket/k.csv')).rejects.toBeInstanceOf(
      ControlNotFound,
    );
    await expect(send(g.interactions, 'https://example.com/k.csv')).rejects.toBeInstanceOf(
      ControlInvalidInput,
    );
    await expect(send(g.interactions, 's3://some-bucket/k.csv', 'INCREMENTAL')).rejects.toBeInstanceOf(
      ControlInvalidInput,
    );
  });
});

describe('PutEvents, PutItems, PutUsers through the SDK', () => {
  it('accept valid records', async () => {
    const g = await setUp('ingest');
    const out = await t.events.send(
      new PutEventsCommand({
        trackingId: g.trackingId,
        userId: 'u1',
        sessionId: 's1',
        eventList: [
          {
            eventType: 'watch',
            itemId: 'i1',
            sentAt: new Date(1_700_000_000_500),
            properties: '{"device":"tv"}',
          },
          {
            eventType: 'watch',
            itemId: 'i2',
            sentAt: new Date(),
            impression: ['i2', 'i3'],
            recommendationId: 'RID-x',
          },
        ],
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    await t.events.send(
      new PutItemsCommand({
        datasetArn: g.items,
        items: [{ itemId: 'i1', properties: '{"genres":"Drama|Crime"}' }],
      }),
    );
    await t.events.send(
      new PutUsersCommand({ datasetArn: g.users, users: [{ userId: 'u1', properties: '{"age":40}' }] }),
    );
  });

  it('refuse with the modeled exceptions and statuses', async () => {
    const g = await setUp('ingest-refusals');
    const event = { eventType: 'watch', itemId: 'i1', sentAt: new Date() };
    const unknownTracker = t.events.send(
      new PutEventsCommand({ trackingId: 'nope', sessionId: 's', eventList: [event] }),
    );
    await expect(unknownTracker).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      t.events.send(
        new PutEventsCommand({
          trackingId: g.trackingId,
          sessionId: 's',
          eventList: [{ ...event, properties: '{"eventType":"x"}' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInputException', $metadata: { httpStatusCode: 400 } });
    const missing = t.events.send(
      new PutItemsCommand({ datasetArn: `${g.items}X`, items: [{ itemId: 'i1' }] }),
    );
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missing).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // Beyond a 32-bit float: refused, not a 500 from a number the table cannot hold.
    await expect(
      t.events.send(
        new PutEventsCommand({
          trackingId: g.trackingId,
          sessionId: 's',
          eventList: [{ ...event, eventValue: 1e300 }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'SerializationException', $metadata: { httpStatusCode: 400 } });
    await expect(
      t.events.send(new PutUsersCommand({ datasetArn: g.items, users: [{ userId: 'u1' }] })),
    ).rejects.toBeInstanceOf(InvalidInputException);
    await expect(
      t.events.send(
        new PutItemsCommand({
          datasetArn: g.items,
          items: [{ itemId: 'i1', properties: '{"colour":"red"}' }],
        }),
      ),
    ).rejects.toMatchObject({
      message: 'items.1.member: property colour does not match a column of the schema.',
    });
  });
});
