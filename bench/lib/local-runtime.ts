/**
 * The local runtime an API benchmark starts in its own process, and how the report describes it: on ephemeral
 * ports, its API served from this process (`workers` 0) or from `workers` node:cluster workers as
 * `npm start -- --workers N` serves it, the emulators, Lambda and Step Functions staying here.
 */
import { type Runtime, type RuntimeOptions, startRuntime } from '../../local/runtime';

export interface BenchRuntimeOptions {
  /** API worker processes; 0 = this process serves the API. */
  readonly workers: number;
  readonly dataDir?: string;
  /** 0 turns the automatic-update timer off. @default the runtime's */
  readonly updateIntervalMs?: number;
}

export function startBenchRuntime(options: BenchRuntimeOptions): Promise<Runtime> {
  const runtime: RuntimeOptions = {
    port: 0,
    s3Port: 0,
    workers: options.workers,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.updateIntervalMs === undefined ? {} : { updateIntervalMs: options.updateIntervalMs }),
  };
  return startRuntime(runtime);
}

/** The report's line saying where the runtime started here runs. */
export function runtimeLine(workers: number): string {
  return workers > 0
    ? `runtime     started here: the API in ${workers} cluster workers; the load clients, dynalite, s3rver, Lambda and Step Functions in this process`
    : 'runtime     started in this process: the load clients, the API, dynalite, s3rver and the import worker share one Node process and its cores';
}

/** The report's line describing the echo server (the ceiling) started beside a runtime of `workers` workers. */
export function echoLine(workers: number): string {
  return `echo        a plain Node HTTP server answering each request with its body, in a child process with ${workers > 0 ? `${workers} cluster workers` : 'one process'}`;
}
