import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { type Access, ROUTES, type Route, UNSUPPORTED_REST_ROUTES, WORKERS } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import { DATA_BUCKET, TABLES } from '../../lambdas/store/tables';
import { ApiCredentials, accessKeyIdFor } from '../../lib/constructs/api-credentials';
import { DataStore } from '../../lib/constructs/data-store';
import { PersonalizeApi } from '../../lib/constructs/personalize-api';
import {
  HANDLER_TAG,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from '../../lib/constructs/personalize-function';
import { DEFAULT_SERVING_CAPACITY, servingMemoryMb } from '../../lib/serving-memory';
import {
  referencedIds,
  refTarget,
  renderJoin,
  scratchSourceRoot,
  synthStack,
  TemplateView,
  tagsOf,
  unbundledApp,
} from './template-helpers';

const ITEM_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
const S3_WRITES = ['s3:PutObject', 's3:DeleteObject*'];
const CONTROL_PLANE = ROUTES.filter((r) => r.path === undefined);
const REST_ROUTES = ROUTES.filter((r) => r.path !== undefined);
const IMPORT_WORKER = WORKERS.find((w) => w.name === 'DatasetImport')!;

const sourceRoot = scratchSourceRoot();
const { template } = synthStack({ sourceRoot });
const view = new TemplateView(template);

/** Logical id of a table or bucket, found through the env variable of a function that has it. */
function targetOfEnv(envKey: string): string {
  for (const route of ROUTES) {
    const id = refTarget(view.env(route.operation)[envKey]);
    if (id !== undefined) return id;
  }
  for (const worker of WORKERS) {
    const id = refTarget(view.env(worker.name)[envKey]);
    if (id !== undefined) return id;
  }
  throw new Error(`no function has ${envKey}`);
}

function hasWrite(actions: Set<string>): boolean {
  return ITEM_WRITES.some((a) => actions.has(a));
}

describe('functions', () => {
  it('has one function per route, per worker, the router and the web console, each tagged with its handler file', () => {
    const fns = view.ofType('AWS::Lambda::Function');
    const expected = [
      ...ROUTES.map((r) => [r.operation, r.handler]),
      ...WORKERS.map((w) => [w.name, w.handler]),
      ['Router', 'router'],
      ['WebConsole', 'console-assets'],
    ];
    expect(fns).toHaveLength(expected.length);
    for (const [operation, handler] of expected) {
      const [, fn] = view.functionFor(operation!);
      expect(tagsOf(fn)[HANDLER_TAG]).toBe(handler);
    }
  });

  it('names every function <stack>-<operation or worker>', () => {
    for (const op of [...ROUTES.map((r) => r.operation), ...WORKERS.map((w) => w.name), 'Router']) {
      expect(view.functionFor(op)[1].Properties.FunctionName).toBe(`Test-${op}`);
    }
  });

  it('runs every function on Node 22, ARM64, traced, with the handler export and its own log group with retention', () => {
    for (const [, fn] of view.ofType('AWS::Lambda::Function')) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(
        (fn.Properties.Environment as { Variables: Record<string, string> }).Variables.NODE_OPTIONS,
      ).toBe('--enable-source-maps');
      const logGroupId = refTarget((fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup);
      expect(view.resources[logGroupId!]?.Properties.RetentionInDays).toBe(30);
    }
  });

  it('gives every API function and the router the account id and the credentials secret', () => {
    const secretId = view.ofType('AWS::SecretsManager::Secret')[0]![0];
    for (const op of [...ROUTES.map((r) => r.operation), 'Router']) {
      const env = view.env(op);
      expect(env[ENV.ACCOUNT_ID]).toEqual({ Ref: 'AWS::AccountId' });
      expect(refTarget(env[ENV.CREDENTIALS_SECRET_ARN])).toBe(secretId);
      expect(view.actionsOn(op, secretId)).toEqual(
        new Set(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']),
      );
    }
  });

  it('keeps workers away from the credentials secret', () => {
    for (const worker of WORKERS) {
      expect(view.env(worker.name)[ENV.CREDENTIALS_SECRET_ARN]).toBeUndefined();
      expect([...view.actions(worker.name)].some((a) => a.startsWith('secretsmanager:'))).toBe(false);
    }
  });

  it('limits API functions to the API Gateway budget and gives workers long timeouts and more memory', () => {
    expect(view.functionFor('DescribeDataset')[1].Properties).toMatchObject({ Timeout: 15, MemorySize: 512 });
    // The functions that load models are sized for the default served catalog (lib/serving-memory.ts).
    for (const op of ['GetRecommendations', 'GetPersonalizedRanking']) {
      expect(view.functionFor(op)[1].Properties).toMatchObject({
        MemorySize: servingMemoryMb(DEFAULT_SERVING_CAPACITY),
      });
    }
    expect(view.functionFor('Router')[1].Properties).toMatchObject({ Timeout: 29 });
    expect(view.functionFor(IMPORT_WORKER.name)[1].Properties).toMatchObject({
      Timeout: 900,
      MemorySize: 2048,
    });
  });
});

describe('least privilege', () => {
  const tableIds = Object.fromEntries(TABLES.map((t) => [t.id, targetOfEnv(t.envKey)]));
  const bucketId = targetOfEnv(DATA_BUCKET.envKey);
  const grantKeys = { Resources: 'resources', Events: 'events', Records: 'records' } as const;

  function expectTableGrant(op: string, tableId: string, envKey: string, access: Access | undefined): void {
    const actions = view.actionsOn(op, tableIds[tableId]!);
    if (access === undefined) {
      expect(actions.size).toBe(0);
      expect(view.env(op)[envKey]).toBeUndefined();
      return;
    }
    expect(refTarget(view.env(op)[envKey])).toBe(tableIds[tableId]);
    expect(actions).toEqual(new Set(access === 'write' ? TABLE_WRITE_ACTIONS : TABLE_READ_ACTIONS));
  }

  it.each(ROUTES.map((r) => [r.operation, r] as const))('%s gets exactly its route grants', (op, route) => {
    for (const table of TABLES) {
      const key = grantKeys[table.id as keyof typeof grantKeys];
      expectTableGrant(op, table.id, table.envKey, route.grants[key]);
    }
    const bucketActions = view.actionsOn(op, bucketId);
    expect(bucketActions.size > 0).toBe(route.grants.bucket !== undefined);
    const invokes = [...view.actions(op)].filter((a) => a.startsWith('lambda:'));
    expect(invokes.length > 0).toBe(route.grants.invokeImport === true);
    expect([...view.actions(op)].some((a) => a.startsWith('sts:'))).toBe(false);
    const workflows =
      route.grants.startTraining === true ||
      route.grants.stopTraining === true ||
      route.grants.describeTraining === true ||
      route.grants.startBatchInference === true;
    expect([...view.actions(op)].some((a) => a.startsWith('states:'))).toBe(workflows);
  });

  it('gives read-only operations no write action anywhere', () => {
    const readOnly = ROUTES.filter((r) =>
      [r.grants.resources, r.grants.events, r.grants.records, r.grants.bucket].every((a) => a !== 'write'),
    );
    expect(readOnly.map((r) => r.operation)).toEqual(
      expect.arrayContaining(['DescribeDataset', 'ListSchemas']),
    );
    for (const route of readOnly) {
      const actions = view.actions(route.operation);
      expect(hasWrite(actions)).toBe(false);
      expect(S3_WRITES.some((a) => actions.has(a))).toBe(false);
    }
  });

  it('covers the indexes of a table along with the table', () => {
    const resources = view
      .statements('ListDatasetGroups')
      .filter((s) => JSON.stringify(s.Resource).includes(tableIds.Resources!));
    expect(JSON.stringify(resources.map((s) => s.Resource))).toContain('/index/*');
  });

  it('lets CreateDatasetImportJob start exactly the import worker, named in its env', () => {
    const [workerId] = view.functionFor(IMPORT_WORKER.name);
    expect(refTarget(view.env('CreateDatasetImportJob')[ENV.IMPORT_FUNCTION])).toBe(workerId);
    const invoke = view
      .statements('CreateDatasetImportJob')
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect([...referencedIds(invoke[0]!.Resource)]).toEqual([workerId]);
  });

  it('gives the import worker its grants, sts:AssumeRole for customer roles and the assume-role switch', () => {
    const env = view.env(IMPORT_WORKER.name);
    expect(env[ENV.IMPORT_ASSUME_ROLE]).toBe('true');
    expect(view.statements(IMPORT_WORKER.name)).toContainEqual(
      expect.objectContaining({ Action: 'sts:AssumeRole', Resource: '*', Effect: 'Allow' }),
    );
    expectTableGrant(IMPORT_WORKER.name, 'Resources', ENV.RESOURCES_TABLE, IMPORT_WORKER.grants.resources);
    const bucketActions = view.actionsOn(IMPORT_WORKER.name, bucketId);
    expect(S3_WRITES.every((a) => bucketActions.has(a))).toBe(IMPORT_WORKER.grants.bucket === 'write');
    expect(refTarget(env[ENV.DATA_BUCKET])).toBe(bucketId);
  });
});

describe('router', () => {
  it('maps every control-plane operation, and nothing else, to its own function', () => {
    const map = JSON.parse(renderJoin(view.env('Router')[ENV.OPERATION_FUNCTIONS])) as Record<string, string>;
    expect(Object.keys(map).sort()).toEqual(CONTROL_PLANE.map((r) => r.operation).sort());
    for (const [op, fnId] of Object.entries(map)) expect(view.functionFor(op)[0]).toBe(fnId);
  });

  it('may invoke exactly the control-plane functions and write nothing', () => {
    const invoked = new Set<string>();
    for (const s of view.statements('Router')) {
      if (![s.Action].flat().includes('lambda:InvokeFunction')) continue;
      for (const id of referencedIds(s.Resource)) invoked.add(id);
    }
    expect([...invoked].sort()).toEqual(CONTROL_PLANE.map((r) => view.functionFor(r.operation)[0]).sort());
    const actions = view.actions('Router');
    expect(hasWrite(actions)).toBe(false);
    expect([...actions].filter((a) => a.startsWith('dynamodb:') || a.startsWith('s3:'))).toEqual([]);
  });
});

describe('storage', () => {
  it.each(TABLES.map((t) => [t.id, t] as const))(
    'table %s has the key schema of TABLES and secure defaults',
    (_, def) => {
      const table = view.resources[targetOfEnv(def.envKey)]!;
      const key = (pk: string, sk?: string) =>
        sk === undefined
          ? [{ AttributeName: pk, KeyType: 'HASH' }]
          : [
              { AttributeName: pk, KeyType: 'HASH' },
              { AttributeName: sk, KeyType: 'RANGE' },
            ];
      expect(table.Properties.KeySchema).toEqual(key(def.partitionKey, def.sortKey));
      const indexes = (table.Properties.GlobalSecondaryIndexes ?? []) as unknown[];
      expect(indexes).toEqual(
        def.indexes.map((i) => ({
          IndexName: i.indexName,
          KeySchema: key(i.partitionKey, i.sortKey),
          Projection:
            i.include === undefined
              ? { ProjectionType: 'ALL' }
              : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.include] },
        })),
      );
      if (def.timeToLiveAttribute !== undefined) {
        expect(table.Properties.TimeToLiveSpecification).toEqual({
          AttributeName: def.timeToLiveAttribute,
          Enabled: true,
        });
      }
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      expect(table.DeletionPolicy).toBe('Retain');
    },
  );

  it('has exactly the tables of TABLES', () => {
    expect(view.ofType('AWS::DynamoDB::Table')).toHaveLength(TABLES.length);
  });

  it('blocks public access to the data bucket, encrypts it and refuses plain HTTP', () => {
    const bucketId = targetOfEnv(DATA_BUCKET.envKey);
    const bucket = view.resources[bucketId]!;
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('REST API', () => {
  const methods = view.ofType('AWS::ApiGateway::Method');
  const integrationTarget = (m: (typeof methods)[number][1]) =>
    [...JSON.stringify(m.Properties.Integration).matchAll(/"Fn::GetAtt":\["(\w+)","Arn"\]/g)].map(
      (x) => x[1],
    );

  it('sends POST / to the router with a Lambda proxy integration and no API Gateway authorizer', () => {
    const root = methods.filter(([, m]) =>
      JSON.stringify(m.Properties.ResourceId).includes('RootResourceId'),
    );
    expect(root).toHaveLength(1);
    const [, method] = root[0]!;
    expect(method.Properties).toMatchObject({
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY' },
    });
    expect(integrationTarget(method)).toEqual([view.functionFor('Router')[0]]);
  });

  it.each(REST_ROUTES.map((r) => [r.path!, r] as const))(
    'sends POST %s to its own function',
    (routePath, route) => {
      const resources = view
        .ofType('AWS::ApiGateway::Resource')
        .filter(([, r]) => r.Properties.PathPart === routePath.slice(1));
      expect(resources).toHaveLength(1);
      const [resourceId] = resources[0]!;
      const onPath = methods.filter(([, m]) => refTarget(m.Properties.ResourceId) === resourceId);
      expect(onPath).toHaveLength(1);
      expect(onPath[0]![1].Properties).toMatchObject({
        HttpMethod: 'POST',
        AuthorizationType: 'NONE',
        Integration: { Type: 'AWS_PROXY' },
      });
      expect(integrationTarget(onPath[0]![1])).toEqual([view.functionFor(route.operation)[0]]);
    },
  );

  it.each(UNSUPPORTED_REST_ROUTES.map((r) => [r.path] as const))(
    'sends POST %s (an unsupported operation) to the router',
    (routePath) => {
      const resources = view
        .ofType('AWS::ApiGateway::Resource')
        .filter(([, r]) => r.Properties.PathPart === routePath.slice(1));
      expect(resources).toHaveLength(1);
      const onPath = methods.filter(([, m]) => refTarget(m.Properties.ResourceId) === resources[0]![0]);
      expect(onPath).toHaveLength(1);
      expect(onPath[0]![1].Properties).toMatchObject({ HttpMethod: 'POST', AuthorizationType: 'NONE' });
      expect(integrationTarget(onPath[0]![1])).toEqual([view.functionFor('Router')[0]]);
    },
  );

  it('has no other methods and lets API Gateway invoke only the functions behind them', () => {
    // The web console's two GET methods (`/console`, `/console/{file+}`) are asserted in web-console.test.ts.
    expect(methods).toHaveLength(1 + REST_ROUTES.length + UNSUPPORTED_REST_ROUTES.length + 2);
    const permissions = view.ofType('AWS::Lambda::Permission');
    const byApiGateway = permissions.filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
    // The only other permission lets EventBridge start the automatic-training check (automatic-training.test.ts).
    expect(
      permissions
        .filter(([, p]) => p.Properties.Principal !== 'apigateway.amazonaws.com')
        .map(([, p]) => [p.Properties.Principal, refTarget(p.Properties.FunctionName)]),
    ).toEqual([['events.amazonaws.com', view.functionFor('AutomaticTraining')[0]]]);
    const invoked = byApiGateway.map(([, p]) => refTarget(p.Properties.FunctionName)).sort();
    expect(invoked).toEqual(
      [
        'Router',
        ...UNSUPPORTED_REST_ROUTES.map(() => 'Router'),
        ...REST_ROUTES.map((r) => r.operation),
        'WebConsole',
        'WebConsole',
      ]
        .map((op) => view.functionFor(op)[0])
        .sort(),
    );
  });

  it('deploys stage prod with throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })],
    });
  });
});

describe('credentials and outputs', () => {
  it('generates the secret key at deploy time under a stable access key id', () => {
    const secrets = view.ofType('AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const gen = secrets[0]![1].Properties.GenerateSecretString as Record<string, unknown>;
    expect(gen).toMatchObject({
      GenerateStringKey: 'secretAccessKey',
      ExcludePunctuation: true,
      PasswordLength: 40,
    });
    const templateJson = JSON.parse(gen.SecretStringTemplate as string) as Record<string, string>;
    expect(Object.keys(templateJson)).toEqual(['accessKeyId']);
    expect(templateJson.accessKeyId).toMatch(/^OPK[A-Z2-7]{17}$/);
  });

  it('derives distinct, well-formed access key ids from distinct seeds', () => {
    const ids = ['a', 'b', 'OpenPersonalize/Credentials'].map(accessKeyIdFor);
    for (const id of ids) expect(id).toMatch(/^OPK[A-Z2-7]{17}$/);
    expect(new Set(ids).size).toBe(3);
    expect(accessKeyIdFor('a')).toBe(ids[0]);
  });

  it('outputs the endpoint, the secret ARN and a command that prints the key pair', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const secretId = view.ofType('AWS::SecretsManager::Secret')[0]![0];
    expect(renderJoin(outputs.ApiEndpoint!.Value)).toMatch(/^https:\/\/.*\.execute-api\..*\/$/);
    expect(refTarget(outputs.CredentialsSecretArn!.Value)).toBe(secretId);
    expect(renderJoin(outputs.ReadCredentialsCommand!.Value)).toBe(
      `aws secretsmanager get-secret-value --secret-id ${secretId} --region AWS::Region ` +
        '--query SecretString --output text',
    );
    // One endpoint output, not a second one under a generated name (ConsoleUrl is the endpoint's /console).
    expect(
      Object.entries(outputs).filter(
        ([name, o]) => name !== 'ConsoleUrl' && JSON.stringify(o.Value).includes('execute-api'),
      ),
    ).toHaveLength(1);
  });
});

describe('props', () => {
  // One synthesis with every prop changed keeps the suite fast: each full synthesis builds 50-odd functions.
  const custom = new TemplateView(
    synthStack({
      sourceRoot,
      apiMemorySize: 1024,
      apiTimeout: Duration.seconds(20),
      workerMemorySize: 4096,
      workerTimeout: Duration.minutes(5),
      throttlingRateLimit: 50,
      throttlingBurstLimit: 60,
      removalPolicy: RemovalPolicy.DESTROY,
      bucketVersioning: true,
      servingCapacity: { items: 750_000, hiddenDimension: 149, historyEvents: 0, users: 0 },
    }).template,
  );

  it('sizes the serving functions for the catalog they serve', () => {
    expect(custom.functionFor('GetRecommendations')[1].Properties).toMatchObject({ MemorySize: 1920 });
    expect(custom.functionFor('ListDatasets')[1].Properties).toMatchObject({ MemorySize: 1024 });
  });

  it('passes sizes, timeouts and throttling through', () => {
    expect(custom.functionFor('ListDatasets')[1].Properties).toMatchObject({ MemorySize: 1024, Timeout: 20 });
    expect(custom.functionFor(IMPORT_WORKER.name)[1].Properties).toMatchObject({
      MemorySize: 4096,
      Timeout: 300,
    });
    custom.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 60 })],
    });
  });

  it('makes a throw-away stack with removalPolicy DESTROY: data deleted, bucket emptied first', () => {
    for (const [, table] of custom.ofType('AWS::DynamoDB::Table'))
      expect(table.DeletionPolicy).toBe('Delete');
    expect(custom.ofType('AWS::S3::Bucket')[0]![1].DeletionPolicy).toBe('Delete');
    expect(custom.ofType('AWS::SecretsManager::Secret')[0]![1].DeletionPolicy).toBe('Delete');
    expect(custom.ofType('Custom::S3AutoDeleteObjects')).toHaveLength(1);
  });

  it('turns on bucket versioning on request', () => {
    custom.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('keeps the access key id across syntheses, so redeploying never changes the id clients use', () => {
    const secret = (t: TemplateView) => t.ofType('AWS::SecretsManager::Secret')[0]![1].Properties;
    expect(secret(custom).GenerateSecretString).toEqual(secret(view).GenerateSecretString);
  });
});

describe('synth-time validation', () => {
  it.each([
    ['apiMemorySize below 128', { apiMemorySize: 64 }, /memorySize must be an integer from 128 to 10240/],
    ['apiMemorySize not an integer', { apiMemorySize: 512.5 }, /memorySize must be an integer/],
    ['workerMemorySize above 10240', { workerMemorySize: 20000 }, /memorySize must be an integer/],
    ['apiTimeout at API Gateway limit', { apiTimeout: Duration.seconds(29) }, /apiTimeout must be below/],
    [
      'workerTimeout over 15 minutes',
      { workerTimeout: Duration.minutes(16) },
      /timeout must be from 1 second/,
    ],
    ['zero rate limit', { throttlingRateLimit: 0 }, /throttlingRateLimit must be positive/],
    ['fractional burst limit', { throttlingBurstLimit: 1.5 }, /throttlingBurstLimit a positive integer/],
  ])('rejects %s', (_, props, message) => {
    expect(() => synthStack({ sourceRoot, ...props })).toThrow(message);
  });

  it('names every missing handler file at once', () => {
    const partial = scratchSourceRoot(['router']);
    fs.rmSync(path.join(partial, 'lambdas', 'handlers', 'router.ts'));
    let message = '';
    try {
      synthStack({ sourceRoot: partial });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('missing handler files');
    for (const h of ['create-dataset-group.ts', 'put-events.ts', 'dataset-import-worker.ts', 'router.ts']) {
      expect(message).toContain(h);
    }
  });

  function apiWith(routes: readonly Route[], workers = WORKERS): () => PersonalizeApi {
    return () => {
      const stack = new Stack(unbundledApp(), 'Check');
      const root = scratchSourceRoot([
        ...routes.map((r) => r.handler),
        ...workers.map((w) => w.handler),
        'router',
      ]);
      return new PersonalizeApi(stack, 'Api', {
        data: new DataStore(stack, 'Data'),
        credentials: new ApiCredentials(stack, 'Credentials'),
        sourceRoot: root,
        routes,
        workers,
      });
    };
  }

  it('rejects an operation routed twice', () => {
    expect(apiWith([ROUTES[0]!, ROUTES[0]!])).toThrow(/routed twice/);
  });

  it('rejects invokeImport without an import worker', () => {
    const create = ROUTES.find((r) => r.grants.invokeImport === true)!;
    expect(apiWith([create], [])).toThrow(/invokeImport needs a DatasetImport worker/);
  });

  it("rejects more control-plane operations than the router's env variable can name", () => {
    const many: Route[] = Array.from({ length: 60 }, (_, i) => ({
      operation: `DescribeSomethingNumber${i}`,
      service: 'control',
      handler: `describe-something-${i}`,
      grants: { resources: 'read' },
    }));
    expect(apiWith(many)).toThrow(/the router's OP_OPERATION_FUNCTIONS for 60 operations takes \d+ bytes/);
    expect(apiWith(many.slice(0, 20))).not.toThrow();
  });

  it('rejects a stack name that makes function names longer than Lambda allows', () => {
    expect(() => synthStack({ sourceRoot, stackName: 'S'.repeat(50) })).toThrow(
      /function names longer than 64 characters.*-CreateDatasetImportJob/,
    );
  });

  it('rejects autoDeleteObjects on a retained bucket', () => {
    const stack = new Stack(unbundledApp(), 'Check');
    expect(() => new DataStore(stack, 'Data', { autoDeleteObjects: true })).toThrow(
      /autoDeleteObjects requires removalPolicy DESTROY/,
    );
  });
});
