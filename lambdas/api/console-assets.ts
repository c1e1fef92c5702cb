/**
 * Serves the web console's static files (built by `console/build.ts`) on the API's own origin: `GET /console` is
 * the page and `GET /console/<file>` its hashed script and style. Same origin means the page can sign requests to
 * the API without CORS. Pure: the handler loads the files once and passes them in.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';

export interface ConsoleAsset {
  readonly body: string;
  readonly contentType: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The files worth serving from a build directory listing, with their content types; others are skipped. */
export function consoleAssets(files: Iterable<readonly [string, string]>): ReadonlyMap<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  for (const [name, body] of files) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (type !== undefined && /^[A-Za-z0-9._-]+$/.test(name)) assets.set(name, { body, contentType: type });
  }
  return assets;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Scripts and styles from this origin only; requests only to this origin (the API), which keeps a page that
  // holds a secret key from sending it anywhere else.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function notFound(path: string): APIGatewayProxyResult {
  return {
    statusCode: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS },
    body: `Not found: ${path}`,
  };
}

/** Answers one GET under `/console`. `path` is the request path without the stage prefix. */
export function serveConsole(
  assets: ReadonlyMap<string, ConsoleAsset>,
  method: string,
  path: string,
): APIGatewayProxyResult {
  if (method !== 'GET' && method !== 'HEAD') {
    return { statusCode: 405, headers: { allow: 'GET, HEAD', ...SECURITY_HEADERS }, body: '' };
  }
  if (path === '/console/') {
    // Relative asset URLs resolve under `/console/` only from `/console`.
    return { statusCode: 301, headers: { location: '../console', ...SECURITY_HEADERS }, body: '' };
  }
  const name =
    path === '/console'
      ? 'index.html'
      : path.startsWith('/console/')
        ? path.slice('/console/'.length)
        : undefined;
  const asset = name === undefined ? undefined : assets.get(name);
  if (asset === undefined) return notFound(path);
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      // The page names content-hashed files, so they never change; the page itself is always revalidated.
      'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
      ...SECURITY_HEADERS,
    },
    body: method === 'HEAD' ? '' : asset.body,
  };
}
