/**
 * The primary's side of `npm start -- --workers N`: forks N node:cluster workers (`api-worker.ts`) that share the
 * API port, so the API's HTTP, SigV4 and request handling use every core, while the embedded DynamoDB, S3, Lambda
 * and Step Functions stay in the primary (one copy of the data). Notes that a worker stored events of a user are
 * relayed to the other workers (their caches of recent events forget that user). A worker that dies is replaced;
 * {@link stop} lets each finish its requests in flight first.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { WORKER_HOST_ENV, WORKER_PORT_ENV, type WorkerMessage } from './api-worker';

/**
 * The primary's `--cpu-prof*` flags (with the value of `--cpu-prof-dir dir` and the like), so `node --cpu-prof`
 * profiles the workers too.
 */
export function profilerFlags(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (!arg.startsWith('--cpu-prof')) continue;
    flags.push(arg);
    const next = execArgv[i + 1];
    if (arg !== '--cpu-prof' && !arg.includes('=') && next !== undefined) flags.push(next);
  }
  return flags;
}

/** How long a worker has to come up. */
const START_TIMEOUT_MS = 60_000;

export class ApiWorkers {
  private readonly workers = new Set<Worker>();
  private stopping = false;

  private constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly scanThreads: string,
  ) {}

  /** Forks `count` workers listening on `port` (0: one ephemeral port they share) and resolves with that port. */
  static async start(
    count: number,
    port: number,
    host: string,
  ): Promise<{ workers: ApiWorkers; port: number }> {
    if (!cluster.isPrimary) throw new Error('API workers can only be started by the primary process');
    cluster.setupPrimary({
      exec: join(__dirname, 'api-worker.ts'),
      // Workers run TypeScript as the primary does (`npm start` is `node --import tsx`).
      execArgv: ['--import', 'tsx', ...profilerFlags(process.execArgv)],
      silent: false,
    });
    // The workers already share the cores: a request's scan gets the cores per worker (one when there are as many
    // workers as cores), unless OP_SCORING_THREADS says otherwise.
    const scanThreads =
      process.env.OP_SCORING_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / count)));
    const workers = new ApiWorkers(port, host, scanThreads);
    try {
      // Workers asking for the same port (0 included) share the one socket the primary bound for the first.
      const [bound] = await Promise.all(Array.from({ length: count }, () => workers.fork()));
      return { workers, port: bound as number };
    } catch (err) {
      await workers.stop();
      throw err;
    }
  }

  /** Process ids of the running workers. */
  get pids(): number[] {
    return [...this.workers].map((w) => w.process.pid as number);
  }

  /** Stops every worker after its in-flight requests, and resolves once all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) {
              resolve();
              return;
            }
            w.once('exit', () => resolve());
            w.send({ type: 'stop' } satisfies WorkerMessage);
          }),
      ),
    );
  }

  private adopt(worker: Worker): void {
    this.workers.add(worker);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type !== 'events-written') return;
      for (const other of this.workers) if (other !== worker && other.isConnected()) other.send(message);
    });
    worker.once('exit', (code, signal) => {
      this.workers.delete(worker);
      if (this.stopping) return;
      console.error(`[workers] worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      this.fork().catch((err: unknown) => console.error('[workers] could not replace a worker:', err));
    });
  }

  private fork(): Promise<number> {
    // The environment is passed whole: the runtime set the handlers' contract on this `process.env`, which is not
    // always the one node:cluster would copy (a test runner may sandbox it).
    const worker = cluster.fork({
      ...process.env,
      [WORKER_PORT_ENV]: String(this.port),
      [WORKER_HOST_ENV]: this.host,
      OP_SCORING_THREADS: this.scanThreads,
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.kill();
        reject(new Error(`API worker ${worker.process.pid} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number) => {
        clearTimeout(timer);
        reject(new Error(`API worker ${worker.process.pid} exited with ${code} before listening`));
      };
      worker.once('exit', onExit);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type !== 'listening') return;
        clearTimeout(timer);
        worker.off('exit', onExit);
        this.adopt(worker);
        resolve(message.port);
      });
    });
  }
}
