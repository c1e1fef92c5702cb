/**
 * The local stand-in for Lambda: a registry of functions by name, each backed by a handler file that is loaded
 * lazily, and a tracker of asynchronous (`Event`) invocations so shutdown and tests can wait for background work.
 *
 * Function names are the ones the router and the import starter use in AWS: operation names from `ROUTES` and worker
 * names from `WORKERS`. Handler files are required on first use, so a missing or broken one fails only the calls that
 * need it, never start-up.
 */
import { join } from 'node:path';
import { ROUTES, WORKERS } from '../lambdas/api/routes';
import type { ChildFunctions } from './child-functions';

/** Any Lambda handler: one JSON-serialisable event in, a JSON-serialisable result (or nothing) out. */
export type Handler = (event: unknown) => Promise<unknown>;

/** Loads the `handler` export of `lambdas/handlers/<file>.ts`; injectable so tests can supply their own. */
export type HandlerLoader = (file: string) => Handler;

const HANDLERS_DIR = join(__dirname, '..', 'lambdas', 'handlers');

/** The handler file is not there (yet): a short log line is enough, not a stack trace. */
export class HandlerNotFoundError extends Error {
  override readonly name = 'Runtime.ImportModuleError';
}

export const requireHandler: HandlerLoader = (file) => {
  const path = join(HANDLERS_DIR, file);
  try {
    require.resolve(path);
  } catch {
    throw new HandlerNotFoundError(`Handler file lambdas/handlers/${file}.ts not found`);
  }
  // Required at call time, never at import time, so start-up does not depend on every handler existing.
  const loaded: unknown = require(path);
  const handler = (loaded as { handler?: unknown }).handler;
  if (typeof handler !== 'function') {
    throw new Error(`lambdas/handlers/${file} does not export a function named handler`);
  }
  return handler as Handler;
};

/** Function name → handler file, for every API operation and worker. */
export function functionTable(): ReadonlyMap<string, string> {
  const table = new Map<string, string>();
  for (const route of ROUTES) table.set(route.operation, route.handler);
  for (const worker of WORKERS) table.set(worker.name, worker.handler);
  return table;
}

/** Names of the functions that hold the CPU for seconds (`cpuBound` in `WORKERS`). */
export function cpuBoundFunctions(): ReadonlySet<string> {
  return new Set(WORKERS.filter((w) => w.cpuBound === true).map((w) => w.name));
}

/** The error payload Lambda returns with `X-Amz-Function-Error: Unhandled`. */
export interface FunctionErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

export type InvokeOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: FunctionErrorPayload };

export function errorPayload(err: unknown): FunctionErrorPayload {
  if (err instanceof Error) {
    return {
      errorType: err.name,
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: String(err), trace: [] };
}

export class FunctionRegistry {
  private readonly files: ReadonlyMap<string, string>;
  private readonly loaded = new Map<string, Handler>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly isolated: ReadonlySet<string>;

  /**
   * @param children where the CPU-bound functions run; without it every function runs in this process (a custom
   * `load` can only run here).
   */
  constructor(
    private readonly load: HandlerLoader = requireHandler,
    private readonly children?: ChildFunctions,
  ) {
    this.files = functionTable();
    this.isolated = children === undefined ? new Set() : cpuBoundFunctions();
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  names(): string[] {
    return [...this.files.keys()];
  }

  /** The handler of a handler file (not a function name); used for routes that bypass Lambda Invoke. */
  handlerFor(file: string): Handler {
    let handler = this.loaded.get(file);
    if (handler === undefined) {
      handler = this.load(file);
      this.loaded.set(file, handler);
    }
    return handler;
  }

  /** Synchronous (`RequestResponse`) invocation: the handler's result, or Lambda's unhandled-error payload. */
  async invoke(name: string, event: unknown): Promise<InvokeOutcome> {
    const file = this.files.get(name);
    if (file === undefined) throw new Error(`Function not found: ${name}`);
    if (this.children !== undefined && this.isolated.has(name)) {
      const outcome = await this.children.invoke(file, event);
      if (!outcome.ok) {
        console.error(`[lambda] ${name} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      }
      return outcome;
    }
    try {
      const handler = this.handlerFor(file);
      return { ok: true, result: await handler(event) };
    } catch (err) {
      console.error(`[lambda] ${name} failed:`, err instanceof HandlerNotFoundError ? err.message : err);
      return { ok: false, error: errorPayload(err) };
    }
  }

  /**
   * Asynchronous (`Event`) invocation: starts on a later turn of the event loop, like Lambda's queue, and is tracked
   * until it settles. Lambda would retry a failed event twice; locally a failure is logged once, because the workers
   * record their own failures (an import job goes to CREATE FAILED) and retrying would hide bugs.
   */
  invokeAsync(name: string, event: unknown): void {
    if (!this.files.has(name)) throw new Error(`Function not found: ${name}`);
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.invoke(name, event))
      .then(() => undefined);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Number of asynchronous invocations not yet settled. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Resolves once no asynchronous invocation is running, including ones started by the ones awaited. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }
}
