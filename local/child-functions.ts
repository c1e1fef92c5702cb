/**
 * Runs the CPU-bound functions of the local runtime (`cpuBound` in `WORKERS`) off the primary's event loop, in one
 * long-lived child process for all of them, forked on the first invocation (`function-child.ts`) and kept for the
 * next ones: a fork loads tsx, the SDK and the engine (about a second), which a training would otherwise pay at
 * each of its steps, or once per step with a child per function. The primary, which hosts the embedded DynamoDB and
 * S3 and serves the API, keeps its event loop for them while a model trains; the functions share the child's as
 * they shared the primary's before.
 *
 * A child that dies fails the invocations it was running with Lambda's `Runtime.ExitError` (as a crashed Lambda
 * sandbox does); the next invocation forks a new one. {@link close} ends the child once nothing runs in it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { ChildMessage, ParentMessage } from './function-child';
import type { FunctionErrorPayload, InvokeOutcome } from './functions';
import { profilerFlags } from './workers';

const ENTRY = join(__dirname, 'function-child.ts');
/** Scheduling priority of the children (Unix niceness, higher yields more): below the primary's. */
const CHILD_NICENESS = 10;
/** The one child's key in {@link ChildFunctions}' map (one process runs every CPU-bound function). */
const SHARED = 'cpu-bound';

interface Child {
  readonly process: ChildProcess;
  readonly pending: Map<number, (outcome: InvokeOutcome) => void>;
}

function exitError(code: number | null, signal: NodeJS.Signals | null): FunctionErrorPayload {
  const message = `The process running the CPU-bound functions exited (${signal ?? code}) before answering`;
  return { errorType: 'Runtime.ExitError', errorMessage: message, trace: [] };
}

/**
 * Forgets the campaign in the serving path of this process. Required at call time, as the handlers are
 * (`functions.ts`), so it is the module instance they use even where a test runner renews its module registry.
 */
function forgetCampaignHere(arn: string): void {
  const campaigns =
    require('../lambdas/services/campaigns') as typeof import('../lambdas/services/campaigns');
  campaigns.forgetCampaign(arn);
}

export class ChildFunctions {
  private readonly children = new Map<string, Child>();
  private nextId = 1;
  private closed = false;

  /** Number of invocations running in children. */
  get pending(): number {
    let n = 0;
    for (const child of this.children.values()) n += child.pending.size;
    return n;
  }

  /** Process ids of the running children. */
  get pids(): number[] {
    return [...this.children.values()].map((c) => c.process.pid as number);
  }

  /** Runs the `handler` of `lambdas/handlers/<file>.ts` in its child with `event`. */
  invoke(file: string, event: unknown): Promise<InvokeOutcome> {
    if (this.closed) {
      const errorMessage = 'The local runtime is shutting down.';
      return Promise.resolve({
        ok: false,
        error: { errorType: 'ServiceException', errorMessage, trace: [] },
      });
    }
    const child = this.childFor();
    const id = this.nextId++;
    return new Promise<InvokeOutcome>((resolve) => {
      child.pending.set(id, resolve);
      child.process.send({ type: 'invoke', id, file, event } satisfies ParentMessage);
    });
  }

  /** Ends every child; invocations still running in one fail with `Runtime.ExitError`. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.process.exitCode !== null || child.process.signalCode !== null) {
              resolve();
              return;
            }
            child.process.once('exit', () => resolve());
            child.process.kill();
          }),
      ),
    );
  }

  private childFor(): Child {
    const existing = this.children.get(SHARED);
    if (existing !== undefined) return existing;
    const proc = fork(ENTRY, [], {
      // Children run TypeScript as the primary does (`npm start` is `node --import tsx`).
      execArgv: ['--import', 'tsx', ...profilerFlags(process.execArgv)],
      // Passed whole: the runtime set the handlers' contract on this `process.env`, which a test runner may sandbox.
      env: { ...process.env },
    });
    const child: Child = { process: proc, pending: new Map() };
    this.children.set(SHARED, child);
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'campaign-changed') {
        forgetCampaignHere(message.arn);
        return;
      }
      const resolve = child.pending.get(message.id);
      child.pending.delete(message.id);
      resolve?.(message.outcome);
    });
    proc.once('exit', (code, signal) => {
      if (this.children.get(SHARED) === child) this.children.delete(SHARED);
      for (const resolve of child.pending.values()) resolve({ ok: false, error: exitError(code, signal) });
      child.pending.clear();
      if (!this.closed) console.error(`[lambda] the CPU-bound functions' process exited (${signal ?? code})`);
    });
    proc.on('error', (err) => console.error("[lambda] the CPU-bound functions' process failed:", err));
    // Background work: when the cores are busy, the API and the emulators it reads go first.
    if (proc.pid !== undefined) {
      try {
        setPriority(proc.pid, CHILD_NICENESS);
      } catch {
        // Not permitted here: the child runs at the primary's priority.
      }
    }
    // The runtime's servers keep the process alive while it runs; an idle child must not keep it alive after.
    proc.unref();
    proc.channel?.unref();
    return child;
  }
}
