import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { COMPRESSION_THRESHOLD_BYTES, WebConsole } from '../../lib/constructs/web-console';
import { REPOSITORY_ROOT } from '../../lib/open-personalize-stack';
import { renderJoin, scratchSourceRoot, TemplateView, unbundledApp } from './template-helpers';

/** A stack with just an API and the console on it: milliseconds to synthesize, unlike the whole stack. */
function consoleStack(app: App, sourceRoot: string, compressResponses?: boolean) {
  const stack = new Stack(app, 'ConsoleTest');
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { stageName: 'prod' } });
  restApi.root.addMethod('POST');
  const web = new WebConsole(stack, 'Console', { restApi, sourceRoot, compressResponses });
  return { stack, restApi, web };
}

describe('web console on the API stage', () => {
  const { stack } = consoleStack(unbundledApp(), scratchSourceRoot(['console-assets']));
  const template = Template.fromStack(stack);
  const view = new TemplateView(template);

  it('routes GET /console and GET /console/{file+} to the console function and nothing else', () => {
    const [fnId] = view.functionFor('WebConsole');
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const idOf = (part: string) => {
      const found = Object.entries(resources).filter(([, r]) => r.Properties.PathPart === part);
      expect(found).toHaveLength(1);
      return found[0]![0];
    };
    const page = idOf('console');
    const file = idOf('{file+}');
    expect(resources[file]!.Properties.ParentId).toEqual({ Ref: page });
    for (const resource of [page, file]) {
      const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
        (m) => JSON.stringify(m.Properties.ResourceId) === JSON.stringify({ Ref: resource }),
      );
      expect(methods.map((m) => m.Properties.HttpMethod)).toEqual(['GET']);
      expect(methods[0]!.Properties.AuthorizationType).toBe('NONE');
      expect(renderJoin(methods[0]!.Properties.Integration.Uri)).toContain(fnId);
    }
    // One invoke permission per method, none for test invocations.
    expect(Object.keys(template.findResources('AWS::Lambda::Permission'))).toHaveLength(2);
  });

  it('gives the console function no data access and no variables beyond source maps', () => {
    // Its only permissions are X-Ray's, for tracing.
    expect([...view.actions('WebConsole')].sort()).toEqual([
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(Object.keys(view.env('WebConsole')).sort()).toEqual(['NODE_OPTIONS']);
  });

  it('lets API Gateway compress responses unless told not to', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      MinimumCompressionSize: COMPRESSION_THRESHOLD_BYTES,
    });
    const plain = Template.fromStack(
      consoleStack(unbundledApp(), scratchSourceRoot(['console-assets']), false).stack,
    );
    const api = Object.values(plain.findResources('AWS::ApiGateway::RestApi'))[0]!;
    expect(api.Properties.MinimumCompressionSize).toBeUndefined();
  });

  it('builds the console from source into the function package at synth', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'op-console-bundle-'));
    try {
      const app = new App({ outdir });
      consoleStack(app, REPOSITORY_ROOT);
      app.synth();
      const assets = fs.readdirSync(outdir).filter((f) => f.startsWith('asset.'));
      expect(assets).toHaveLength(1);
      const dir = path.join(outdir, assets[0]!);
      const files = fs.readdirSync(path.join(dir, 'console')).sort();
      expect(files).toContain('index.html');
      const hashed = files.filter((f) => /^app-[A-Z0-9]+\.(js|css)$/.test(f));
      expect(hashed).toHaveLength(2);
      // Pages load as separate chunks on first visit.
      expect(files.filter((f) => /^chunk-[A-Z0-9]+\.js$/.test(f)).length).toBeGreaterThan(3);
      expect(files.length).toBe(3 + files.filter((f) => f.startsWith('chunk-')).length);
      const html = fs.readFileSync(path.join(dir, 'console', 'index.html'), 'utf8');
      for (const f of hashed) expect(html).toContain(`console/${f}`);
      const loaded = require(path.join(dir, 'index.js')) as { handler?: unknown };
      expect(typeof loaded.handler).toBe('function');
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
