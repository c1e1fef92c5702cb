/**
 * `npm start`: runs open-personalize on this machine in one Node process.
 *
 *   npm start -- [--port N] [--s3-port N] [--data-dir DIR | --in-memory]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR, DEFAULT_PORT, parsePort, type Runtime, startRuntime } from './runtime';

const USAGE = `Usage: npm start -- [options]

Runs the Amazon Personalize-compatible API with embedded DynamoDB and S3.

Options:
  --port N          API port (default: $OPEN_PERSONALIZE_PORT or ${DEFAULT_PORT})
  --s3-port N       embedded S3 port for uploading import data (default: API port + 1)
  --data-dir DIR    where data is kept between runs (default: ${DEFAULT_DATA_DIR})
  --in-memory       keep nothing: data is gone when the process exits
  -h, --help        show this help

Environment:
  OPEN_PERSONALIZE_ACCESS_KEY_ID, OPEN_PERSONALIZE_SECRET_ACCESS_KEY   key pair API callers sign with
  OP_ACCOUNT_ID     account id in ARNs (default 000000000000)
  AWS_REGION        region in ARNs and the signing scope (default us-east-1)
`;

interface Cli {
  readonly port?: number;
  readonly s3Port?: number;
  readonly dataDir?: string;
  readonly help: boolean;
}

export function parseCli(argv: readonly string[]): Cli {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      's3-port': { type: 'string' },
      'data-dir': { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values['in-memory'] && values['data-dir'] !== undefined) {
    throw new Error('--in-memory and --data-dir cannot be used together');
  }
  return {
    port: values.port === undefined ? undefined : parsePort(values.port, '--port'),
    s3Port: values['s3-port'] === undefined ? undefined : parsePort(values['s3-port'], '--s3-port'),
    dataDir: values['in-memory'] ? undefined : (values['data-dir'] ?? DEFAULT_DATA_DIR),
    help: values.help ?? false,
  };
}

function banner(runtime: Runtime, dataDir: string | undefined, readyMs: number): string {
  const api = runtime.apiCredentials;
  const s3 = runtime.s3Credentials;
  return [
    `open-personalize is ready in ${Math.round(readyMs)} ms`,
    '',
    `  API endpoint      ${runtime.endpoint}   (region ${runtime.region}, account ${runtime.accountId})`,
    `  API credentials   access key id ${api.accessKeyId}   secret ${api.secretAccessKey}`,
    `  S3 endpoint       ${runtime.s3Endpoint}   (path-style; upload import CSVs to a bucket you create)`,
    `  S3 credentials    access key id ${s3.accessKeyId}   secret ${s3.secretAccessKey}`,
    `  Data              ${dataDir === undefined ? 'in memory (lost at exit)' : dataDir}`,
    '',
    '  Try:',
    `    AWS_ACCESS_KEY_ID=${api.accessKeyId} AWS_SECRET_ACCESS_KEY=${api.secretAccessKey} \\`,
    `      aws personalize list-dataset-groups --endpoint-url ${runtime.endpoint} --region ${runtime.region}`,
    `    AWS_ACCESS_KEY_ID=${s3.accessKeyId} AWS_SECRET_ACCESS_KEY=${s3.secretAccessKey} \\`,
    `      aws s3 mb s3://user-data --endpoint-url ${runtime.s3Endpoint} --region ${runtime.region}`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

async function main(): Promise<void> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (cli.help) {
    console.log(USAGE);
    return;
  }

  let runtime: Runtime;
  try {
    runtime = await startRuntime({ port: cli.port, s3Port: cli.s3Port, dataDir: cli.dataDir });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const port = (err as NodeJS.ErrnoException & { port?: number }).port;
      console.error(`Port ${port ?? ''} is already in use: choose others with --port and --s3-port.`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  // performance.now() counts from process start, so this includes loading Node, tsx and the emulators.
  console.log(banner(runtime, cli.dataDir, performance.now()));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      console.error(`\n${signal} again: exiting without waiting; unflushed data may be lost.`);
      process.exit(1);
    }
    stopping = true;
    console.log(
      `\n${signal}: finishing in-flight requests, imports and trainings, then closing the emulators ` +
        '(press Ctrl-C again to exit at once).',
    );
    runtime.stop().then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (err: unknown) => {
        console.error('Shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  // In AWS a stray rejection ends one function's sandbox; here it must not take every other function down with it.
  process.on('unhandledRejection', (reason) =>
    console.error('[runtime] unhandled promise rejection:', reason),
  );
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('open-personalize failed to start:', err);
    process.exit(1);
  });
}
