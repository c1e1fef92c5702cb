/**
 * Black-box fuzzer of the API (`npm run bench:fuzz`): for every modelled operation of personalize,
 * personalize-runtime and personalize-events, correctly signed requests (through the SDK clients' own signing)
 * carrying seeded mutations of valid bodies, with ARNs of live, wrong-type and deleted resources from a small world
 * made first through the SDK (import, trained version, campaign, tracker, filters, batch job).
 *
 *   npm run bench:fuzz -- [--requests-per-operation 60] [--seed 1] [--concurrency 1] [--operations A,B]
 *                         [--endpoint URL [--s3-endpoint URL]] [--show 40]
 *
 * Without `--endpoint` it starts the local runtime in this process; with it, it targets a running `npm start`
 * (signing with `OPEN_PERSONALIZE_ACCESS_KEY_ID`/`_SECRET_ACCESS_KEY` or the local default key pair; uploads to the
 * embedded S3 at `--s3-endpoint`, by default the API port + 1).
 *
 * Every answer must be a 200 or a 4xx naming one of the service's modelled errors (or SerializationException,
 * UnknownOperationException, ThrottlingException) in `x-amzn-ErrorType` and `__type` alike, with its status and a
 * message; never a 5xx. Operations that delete or stop run last, after a check that the live resources are intact
 * and the campaign still serves. Exits 1 on any failure.
 */
import { loadavg } from 'node:os';
import { PersonalizeClient } from '@aws-sdk/client-personalize';
import { PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { S3Client } from '@aws-sdk/client-s3';
import { SERVICE_MODELS } from '../lambdas/api/shapes.generated';
import { Random } from '../lambdas/engine/random';
import type { ServiceName } from '../lambdas/errors';
import { S3_CREDENTIALS } from '../local/emulators';
import { DEFAULT_API_CREDENTIALS, DEFAULT_REGION, type Runtime, startRuntime } from '../local/runtime';
import { type FuzzRequest, RequestFactory } from './lib/fuzz-requests';
import { type Answer, type Endpoint, FuzzWire, judge, outcomeOf } from './lib/fuzz-wire';
import { createWorld, type WorldClients } from './lib/fuzz-world';
import { quietRequestLogs } from './lib/quiet';
import { formatTable } from './lib/table';

const USAGE =
  'usage: npm run bench:fuzz -- [--requests-per-operation N (60)] [--seed N (1)] [--concurrency N (1)] ' +
  '[--operations A,B] [--endpoint URL [--s3-endpoint URL]] [--show N (40)]';
const SERVICES: readonly ServiceName[] = ['control', 'runtime', 'events'];
/** Run after the integrity check: they may legitimately remove the world's resources. */
const DESTRUCTIVE = /^(Delete|Stop)/;
const TRUNCATE = 400;

interface Options {
  readonly perOperation: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly operations?: ReadonlySet<string>;
  readonly endpoint?: string;
  readonly s3Endpoint?: string;
  readonly show: number;
}

function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || !arg.startsWith('--')) throw new Error(USAGE);
    const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${flag} needs a value\n${USAGE}`);
    values.set(flag, value);
  }
  const int = (flag: string, fallback: number, min: number): number => {
    const raw = values.get(flag);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}\n${USAGE}`);
    values.delete(flag);
    return n;
  };
  const options: Options = {
    perOperation: int('requests-per-operation', 60, 1),
    seed: int('seed', 1, 0),
    concurrency: int('concurrency', 1, 1),
    show: int('show', 40, 0),
    ...(values.has('operations')
      ? { operations: new Set((values.get('operations') as string).split(',').filter((s) => s !== '')) }
      : {}),
    ...(values.has('endpoint') ? { endpoint: values.get('endpoint') as string } : {}),
    ...(values.has('s3-endpoint') ? { s3Endpoint: values.get('s3-endpoint') as string } : {}),
  };
  for (const known of ['operations', 'endpoint', 's3-endpoint']) values.delete(known);
  if (values.size > 0) throw new Error(`unknown option --${[...values.keys()][0]}\n${USAGE}`);
  return options;
}

interface Failure {
  readonly request: FuzzRequest;
  readonly answer: Answer;
  readonly reason: string;
}

interface Tally {
  sent: number;
  ok: number;
  refused: number;
  failures: number;
  readonly outcomes: Map<string, number>;
}

const truncate = (s: string): string =>
  s.length > TRUNCATE ? `${s.slice(0, TRUNCATE)}… (${s.length} chars)` : s;
const bodyText = (body: string | Uint8Array): string =>
  typeof body === 'string' ? body : `base64:${Buffer.from(body).toString('base64')}`;

async function runAll(
  wire: FuzzWire,
  requests: readonly FuzzRequest[],
  concurrency: number,
  tallies: Map<string, Tally>,
  failures: Failure[],
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++] as FuzzRequest;
      let answer: Answer;
      try {
        answer = await wire.send(request.service, request.operation, request.body);
      } catch (err) {
        answer = { status: 0, body: `no answer: ${(err as Error).message}` };
      }
      const reason = answer.status === 0 ? answer.body : judge(request.service, answer);
      const tally = tallies.get(request.operation) as Tally;
      tally.sent++;
      const outcome = outcomeOf(answer);
      tally.outcomes.set(outcome, (tally.outcomes.get(outcome) ?? 0) + 1);
      if (reason !== undefined) {
        tally.failures++;
        failures.push({ request, answer, reason });
      } else if (answer.status === 200) tally.ok++;
      else tally.refused++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function main(): Promise<void> {
  // Refused requests are the point here: only faults are logged.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  quietRequestLogs();
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const options = parseOptions(argv);
  const command = `npm run bench:fuzz -- ${argv.join(' ')}`.trimEnd();
  const [load1 = 0, load5 = 0] = loadavg();
  console.log(`command: ${command}`);
  console.log(`seed: ${options.seed}; load average ${load1.toFixed(2)} (1 min) ${load5.toFixed(2)} (5 min)`);

  let runtime: Runtime | undefined;
  let endpoint: Endpoint;
  let s3Endpoint: string;
  let s3Credentials: { accessKeyId: string; secretAccessKey: string };
  if (options.endpoint === undefined) {
    runtime = await startRuntime({ port: 0, s3Port: 0, updateIntervalMs: 0, autoTrainingIntervalMs: 0 });
    endpoint = { endpoint: runtime.endpoint, region: runtime.region, credentials: runtime.apiCredentials };
    s3Endpoint = runtime.s3Endpoint;
    s3Credentials = runtime.s3Credentials;
  } else {
    const id = process.env.OPEN_PERSONALIZE_ACCESS_KEY_ID;
    const secret = process.env.OPEN_PERSONALIZE_SECRET_ACCESS_KEY;
    endpoint = {
      endpoint: options.endpoint,
      region: process.env.AWS_REGION ?? DEFAULT_REGION,
      credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : DEFAULT_API_CREDENTIALS,
    };
    const url = new URL(options.endpoint);
    s3Endpoint = options.s3Endpoint ?? `${url.protocol}//${url.hostname}:${Number(url.port || 80) + 1}`;
    s3Credentials = S3_CREDENTIALS;
  }
  const clients: WorldClients = {
    personalize: new PersonalizeClient(endpoint),
    personalizeRuntime: new PersonalizeRuntimeClient(endpoint),
    s3: new S3Client({
      endpoint: s3Endpoint,
      region: endpoint.region,
      credentials: s3Credentials,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
  const wire = new FuzzWire(endpoint);
  let exitCode = 0;
  try {
    const started = performance.now();
    const tag = `${options.seed}x${Date.now().toString(36)}`;
    const world = await createWorld(clients, tag, options.seed);
    console.log(`world: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const random = new Random(options.seed);
    const requests: FuzzRequest[] = [];
    const tallies = new Map<string, Tally>();
    const skipped: string[] = [];
    for (const service of SERVICES) {
      const factory = new RequestFactory(service, world, random.fork());
      for (const operation of Object.keys(SERVICE_MODELS[service].operations)) {
        if (options.operations !== undefined && !options.operations.has(operation)) continue;
        if (!wire.has(service, operation)) {
          skipped.push(operation);
          continue;
        }
        tallies.set(operation, { sent: 0, ok: 0, refused: 0, failures: 0, outcomes: new Map() });
        for (let i = 0; i < options.perOperation; i++) requests.push(factory.next(operation));
      }
    }
    const order = random.shuffle(requests);
    const first = order.filter((r) => !DESTRUCTIVE.test(r.operation));
    const last = order.filter((r) => DESTRUCTIVE.test(r.operation));
    const failures: Failure[] = [];
    const fuzzStarted = performance.now();
    await runAll(wire, first, options.concurrency, tallies, failures);
    await runtime?.idle();
    const problems = await world.check();
    await runAll(wire, last, options.concurrency, tallies, failures);
    await runtime?.idle();
    const seconds = (performance.now() - fuzzStarted) / 1000;

    const rows = [...tallies].map(([operation, t]) => [
      operation,
      String(t.sent),
      String(t.ok),
      String(t.refused),
      String(t.failures),
      [...t.outcomes]
        .sort((a, b) => b[1] - a[1])
        .map(([o, c]) => `${o.replace(/Exception$/, '')} ${c}`)
        .join(', '),
    ]);
    console.log(formatTable(['operation', 'sent', '200', 'typed 4xx', 'failures', 'answers'], rows));
    if (skipped.length > 0) console.log(`not in the installed SDK, skipped: ${skipped.join(', ')}`);
    for (const f of failures.slice(0, options.show)) {
      console.log(
        `\nFAIL ${f.request.operation} [${f.request.mutations.join('; ') || 'valid'}]: ${f.reason}\n` +
          `  request: ${truncate(bodyText(f.request.body))}\n` +
          `  answer:  ${f.answer.status} ${f.answer.errorTypeHeader ?? ''} ${truncate(f.answer.body)}`,
      );
    }
    if (failures.length > options.show) console.log(`\n… ${failures.length - options.show} more failures`);
    for (const problem of problems) console.log(`INTEGRITY ${problem}`);
    const mutated = requests.filter((r) => r.mutations.length > 0).length;
    const kinds = new Map<string, number>();
    for (const r of requests) {
      for (const m of r.mutations) {
        // A mutation reads `kind: detail`; malformed bodies are their kind alone.
        const kind = m.split(':')[0] as string;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    }
    console.log(
      `\nmutations: ${[...kinds]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `${requests.length} requests (${mutated} mutated, ${requests.length - mutated} valid) over ${tallies.size} ` +
        `operations in ${seconds.toFixed(1)} s: ${failures.length} failures (5xx or untyped); ` +
        `integrity after the non-destructive phase: ${problems.length === 0 ? 'ok' : `${problems.length} problems`}`,
    );
    console.log(`seed ${options.seed}; command: ${command}`);
    if (failures.length > 0 || problems.length > 0) exitCode = 1;
  } finally {
    wire.destroy();
    for (const client of Object.values(clients)) client.destroy();
    await runtime?.stop();
  }
  process.exitCode = exitCode;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
