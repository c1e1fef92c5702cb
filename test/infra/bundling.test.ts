import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { PersonalizeFunction } from '../../lib/constructs/personalize-function';
import { REPOSITORY_ROOT } from '../../lib/open-personalize-stack';

/** The one test that really runs esbuild, on one real handler, so the bundling options are proven to work. */
describe('bundling', () => {
  it('bundles a real handler into one minified CommonJS file with a source map and the SDK inside', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'op-bundle-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Bundle');
      new PersonalizeFunction(stack, 'Router', {
        handler: 'router',
        operation: 'Router',
        sourceRoot: REPOSITORY_ROOT,
      });
      app.synth();

      const assets = fs.readdirSync(outdir).filter((f) => f.startsWith('asset.'));
      expect(assets).toHaveLength(1);
      const dir = path.join(outdir, assets[0]!);
      expect(fs.readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
      const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
      // Bundled, not left to the runtime's SDK copy.
      expect(code).not.toMatch(/require\(["']@aws-sdk\/client-/);
      expect(code).toContain('InvokeCommand');
      expect(code).toContain('sourceMappingURL=index.js.map');
      // Minified: far fewer lines than characters would give formatted code.
      expect(code.split('\n').length).toBeLessThan(code.length / 1000);
      const loaded = require(path.join(dir, 'index.js')) as { handler?: unknown };
      expect(typeof loaded.handler).toBe('function');
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
