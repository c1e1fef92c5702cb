import { consoleAssets, serveConsole } from '../../../lambdas/api/console-assets';

const assets = consoleAssets([
  ['index.html', '<!doctype html><title>console</title>'],
  ['app-ABC123.js', 'console.log(1)'],
  ['app-ABC123.css', 'body{}'],
  ['notes.txt', 'not served'],
]);

describe('console assets', () => {
  it('serves the page at /console, never cached, with a CSP that keeps requests on this origin', () => {
    const r = serveConsole(assets, 'GET', '/console');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<title>console</title>');
    expect(r.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers?.['cache-control']).toBe('no-cache');
    expect(String(r.headers?.['content-security-policy'])).toContain("connect-src 'self'");
  });

  it('serves hashed files under /console/ as immutable, with their content types', () => {
    const js = serveConsole(assets, 'GET', '/console/app-ABC123.js');
    expect([js.statusCode, js.headers?.['content-type'], js.body]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'console.log(1)',
    ]);
    expect(js.headers?.['cache-control']).toContain('immutable');
    expect(serveConsole(assets, 'GET', '/console/app-ABC123.css').headers?.['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect(serveConsole(assets, 'HEAD', '/console/app-ABC123.js').body).toBe('');
  });

  it('answers 404 for unknown or unlisted files, 405 for other methods and redirects /console/', () => {
    expect(serveConsole(assets, 'GET', '/console/notes.txt').statusCode).toBe(404);
    expect(serveConsole(assets, 'GET', '/console/../lambdas/env.ts').statusCode).toBe(404);
    expect(serveConsole(assets, 'POST', '/console').statusCode).toBe(405);
    const redirect = serveConsole(assets, 'GET', '/console/');
    expect([redirect.statusCode, redirect.headers?.location]).toEqual([301, '../console']);
  });
});
