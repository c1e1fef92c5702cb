/**
 * `npm start`: runs open-personalize on this machine in one Node process.
 *
 *   npm start -- [--port N] [--s3-port N] [--data-dir DIR | --in-memory] [--update-interval DURATION]
 *                [--auto-training-interval DURATION]
 *                [--workers N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildConsole } from '../console/build';
import {
  AUTO_TRAINING_INTERVAL_ENV,
  type AutomaticUpdateRun,
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  parseDuration,
  parsePort,
  type Runtime,
  startRuntime,
  UPDATE_INTERVAL_ENV,
} from './runtime';

const USAGE = `Usage: npm start -- [options]

Runs the Amazon Personalize-compatible API with embedded DynamoDB and S3.

Options:
  --port N          API port (default: $OPEN_PERSONALIZE_PORT or ${DEFAULT_PORT})
  --s3-port N       embedded S3 port for uploading import data (default: API port + 1)
  --data-dir DIR    where data is kept between runs (default: ${DEFAULT_DATA_DIR})
  --in-memory       keep nothing: data is gone when the process exits
  --update-interval DURATION
                    how often automatic updates run, e.g. 2h, 30m, 90s; 0 turns the timer off
                    (default: $${UPDATE_INTERVAL_ENV} or 2h)
  --auto-training-interval DURATION
                    how often solutions with performAutoTraining are checked for a due training;
                    0 turns the check off (default: $${AUTO_TRAINING_INTERVAL_ENV} or 1h)
  --workers N       processes serving the API (node:cluster workers sharing the port, against the one set of
                    emulators in the main process); 0 serves it from the main process
                    (default: the number of cores, ${availableParallelism()} here)
  -h, --help        show this help

Environment:
  OPEN_PERSONALIZE_ACCESS_KEY_ID, OPEN_PERSONALIZE_SECRET_ACCESS_KEY   key pair API callers sign with
  OP_ACCOUNT_ID     account id in ARNs (default 000000000000)
  AWS_REGION        region in ARNs and the signing scope (default us-east-1)
  ${UPDATE_INTERVAL_ENV}   interval of automatic updates (as --update-interval)
  ${AUTO_TRAINING_INTERVAL_ENV}   interval of the automatic-training check

Signals:
  SIGUSR2           run the automatic updates now (kill -USR2 <pid>)
`;

interface Cli {
  readonly port?: number;
  readonly s3Port?: number;
  readonly dataDir?: string;
  readonly updateIntervalMs?: number;
  readonly autoTrainingIntervalMs?: number;
  readonly workers: number;
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
      'update-interval': { type: 'string' },
      'auto-training-interval': { type: 'string' },
      workers: { type: 'string' },
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
    updateIntervalMs:
      values['update-interval'] === undefined
        ? undefined
        : parseDuration(values['update-interval'], '--update-interval'),
    autoTrainingIntervalMs:
      values['auto-training-interval'] === undefined
        ? undefined
        : parseDuration(values['auto-training-interval'], '--auto-training-interval'),
    workers: values.workers === undefined ? availableParallelism() : parseWorkers(values.workers),
    help: values.help ?? false,
  };
}

function parseWorkers(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 256)
    throw new Error(`--workers must be a whole number from 0 to 256: ${raw}`);
  return n;
}

function every(ms: number): string {
  if (ms <= 0) return 'off (run on demand only)';
  if (ms % 3_600_000 === 0) return `every ${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `every ${ms / 60_000} min`;
  return `every ${ms / 1000} s`;
}

function banner(runtime: Runtime, dataDir: string | undefined, readyMs: number): string {
  const api = runtime.apiCredentials;
  const s3 = runtime.s3Credentials;
  return [
    `open-personalize is ready in ${Math.round(readyMs)} ms`,
    '',
    `  API endpoint      ${runtime.endpoint}   (region ${runtime.region}, account ${runtime.accountId})`,
    `  API credentials   access key id ${api.accessKeyId}   secret ${api.secretAccessKey}`,
    `  Web console       ${runtime.endpoint}/console   (sign in with the API credentials below)`,
    `  S3 endpoint       ${runtime.s3Endpoint}   (path-style; upload import CSVs to a bucket you create)`,
    `  S3 credentials    access key id ${s3.accessKeyId}   secret ${s3.secretAccessKey}`,
    `  Data              ${dataDir === undefined ? 'in memory (lost at exit)' : dataDir}`,
    `  Automatic updates ${every(runtime.updateIntervalMs)}; run now: kill -USR2 ${process.pid}`,
    `  Auto training     ${runtime.autoTrainingIntervalMs > 0 ? 'checked ' : ''}${every(runtime.autoTrainingIntervalMs)}`,
    `  API processes     ${runtime.workerPids().length === 0 ? 'this one' : `${runtime.workerPids().length} workers (pids ${runtime.workerPids().join(', ')})`}`,
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

  // The console is built from source at every start (about a second), so no built bundle is ever committed.
  const consoleDir = await mkdtemp(join(tmpdir(), 'open-personalize-console-'));
  await buildConsole(consoleDir);
  const removeConsole = () => rm(consoleDir, { recursive: true, force: true });
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      port: cli.port,
      s3Port: cli.s3Port,
      dataDir: cli.dataDir,
      updateIntervalMs: cli.updateIntervalMs,
      autoTrainingIntervalMs: cli.autoTrainingIntervalMs,
      consoleAssetsDir: consoleDir,
      workers: cli.workers,
    });
  } catch (err) {
    await removeConsole();
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
    runtime
      .stop()
      .then(removeConsole)
      .then(
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
  process.on('SIGUSR2', () => {
    if (stopping) return;
    console.log('SIGUSR2: running the automatic updates now');
    runtime.automaticUpdate().then(
      (run) => console.log(describeRun(run)),
      (err: unknown) => console.error('Automatic update failed to start:', err),
    );
  });
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** One line per campaign: what the automatic update did to it. */
export function describeRun(run: AutomaticUpdateRun): string {
  const output = run.output as { results?: Array<Record<string, unknown>> } | undefined;
  const lines = (output?.results ?? []).map(
    (r) =>
      `  ${String(r.campaignArn)}: ${String(r.status)}` +
      (r.reason !== undefined ? ` (${String(r.reason)})` : '') +
      (r.addedItems !== undefined ? `, ${String(r.addedItems)} new item(s)` : ''),
  );
  return [`Automatic update ${run.status}: ${lines.length} campaign(s)`, ...lines].join('\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('open-personalize failed to start:', err);
    process.exit(1);
  });
}
