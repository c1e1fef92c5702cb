/**
 * The local stand-ins for EventBridge schedules: work started at a fixed rate, as the deployed rules start it. A tick
 * is skipped while the previous run is still going, so a slow run on a laptop never piles up copies of itself.
 */
import type { FunctionRegistry } from './functions';

/** Runs a task every `intervalMs` (0 or less: never by itself), one run at a time. */
export class FixedRate<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;

  /** `report` receives each timer-started run (a run started through {@link run} is its caller's to watch). */
  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<T>,
    private readonly report: (run: Promise<T>) => void = () => undefined,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer ??= setInterval(() => this.report(this.run()), this.intervalMs);
    // The servers keep the process alive; a pending tick must not.
    this.timer.unref();
  }

  /** Starts a run unless one is going, and resolves with how it (or the one going) ended. */
  run(): Promise<T> {
    this.running ??= this.task().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  busy(): boolean {
    return this.running !== undefined;
  }

  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
  }
}

export interface ScheduleSpec {
  /** Function name, as in `WORKERS`. */
  readonly functionName: string;
  readonly intervalMs: number;
  /** The event each invocation receives. @default {} */
  readonly event?: unknown;
}

/** A function invoked asynchronously at a fixed rate. */
export class LocalSchedule extends FixedRate<void> {
  constructor(registry: FunctionRegistry, spec: ScheduleSpec) {
    if (!registry.has(spec.functionName))
      throw new Error(`Schedule names unknown function ${spec.functionName}`);
    if (!(spec.intervalMs > 0)) throw new Error(`Schedule interval must be positive: ${spec.intervalMs}`);
    super(spec.intervalMs, () => registry.invoke(spec.functionName, spec.event ?? {}).then(() => undefined));
  }

  /** Runs one invocation now unless one is still running; resolves when it settles. */
  tick(): Promise<void> {
    return this.run();
  }
}
