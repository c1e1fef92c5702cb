/**
 * The local stand-in for an EventBridge schedule: invokes a function asynchronously at a fixed rate, as the
 * deployed rule would. A tick is skipped while the previous one is still running, so a slow run on a laptop never
 * piles up copies of itself.
 */
import type { FunctionRegistry } from './functions';

export interface ScheduleSpec {
  /** Function name, as in `WORKERS`. */
  readonly functionName: string;
  readonly intervalMs: number;
  /** The event each invocation receives. @default {} */
  readonly event?: unknown;
}

export class LocalSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly spec: ScheduleSpec,
  ) {
    if (!registry.has(spec.functionName))
      throw new Error(`Schedule names unknown function ${spec.functionName}`);
    if (!(spec.intervalMs > 0)) throw new Error(`Schedule interval must be positive: ${spec.intervalMs}`);
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.spec.intervalMs);
    // The servers keep the process alive; a pending tick must not.
    this.timer.unref();
  }

  /** Runs one invocation now unless one is still running; resolves when it settles. */
  tick(): Promise<void> {
    this.running ??= this.registry
      .invoke(this.spec.functionName, this.spec.event ?? {})
      .then(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  busy(): boolean {
    return this.running !== undefined;
  }

  async idle(): Promise<void> {
    await this.running;
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
  }
}
