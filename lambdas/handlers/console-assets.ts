import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ConsoleAsset, consoleAssets, serveConsole } from '../api/console-assets';
import { ENV, optionalEnv } from '../env';

let assets: ReadonlyMap<string, ConsoleAsset> | undefined;

/** The build sits beside the bundle in `console/` (see the stack); the local runtime names its own directory. */
function load(): ReadonlyMap<string, ConsoleAsset> {
  const dir = optionalEnv(ENV.CONSOLE_ASSETS_DIR) ?? join(__dirname, 'console');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    // No console was built (a runtime started without one): every path answers 404.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  return consoleAssets(names.map((name) => [name, readFileSync(join(dir, name), 'utf8')] as const));
}

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  assets ??= load();
  // `resource` is the path without the stage prefix (`/console/{file+}` → use the proxy parameter).
  const file = event.pathParameters?.file;
  const path =
    file !== undefined ? `/console/${file}` : event.path.endsWith('/console/') ? '/console/' : '/console';
  return serveConsole(assets, event.httpMethod, path);
}
