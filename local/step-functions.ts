/**
 * The local Step Functions: the subset of its API the handlers call (`StartExecution`, `StopExecution`,
 * `DescribeExecution`; AWS JSON 1.0 over a loopback port that `AWS_ENDPOINT_URL_SFN` points at), and
 * `ListExecutions` and `GetExecutionHistory` for benchmarks that time each state, over state machines
 * run in this process by aws-local-stepfunctions. Task states name Lambda function ARNs; the library invokes them
 * with an ordinary `LambdaClient`, which `AWS_ENDPOINT_URL_LAMBDA` sends to the local Lambda API, so a step's
 * error reaches `Retry`/`Catch` with the same name as in AWS (the function's `errorType`).
 *
 * Executions live in memory: a restart forgets finished ones, and shutdown waits for running ones so that none is
 * cut off between its steps. An execution's history keeps the library's event log as Step Functions names it
 * (`TaskStateEntered`, `MapIterationStarted`, …), without states' inputs and outputs. A Map's iterations, inline or
 * DISTRIBUTED, are in their parent's history (Step Functions gives a DISTRIBUTED Map's children executions of their
 * own).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { BodyTooLargeError, readBody, sendJson } from './http-util';

/** aws-local-stepfunctions 3 targets Node 22 and calls `Promise.withResolvers` (ES2024), absent from Node 20. */
export function ensurePromiseWithResolvers(): void {
  const ctor = Promise as unknown as { withResolvers?: unknown };
  if (typeof ctor.withResolvers === 'function') return;
  ctor.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  /** The execution's events so far, oldest first. */
  readonly history: HistoryEvent[];
}

/** An event of an execution's history, in `GetExecutionHistory`'s terms. */
export interface HistoryEvent {
  readonly id: number;
  readonly timestamp: Date;
  /** `ExecutionStarted`, `TaskStateEntered`, `MapStateExited`, `MapIterationSucceeded`, … */
  readonly type: string;
  /** The state entered or exited, or the Map state of an iteration. */
  readonly name?: string;
  /** The iteration of a Map: its own, or the one a state inside it runs in. */
  readonly index?: number;
  readonly error?: string;
}

/** An event of the library's log (the type is not exported by name). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

const capitalised = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** The library's event as Step Functions' history names it. */
function historyEvent(id: number, e: EventLog): HistoryEvent {
  const timestamp = new Date(e.timestamp);
  const error = 'Error' in e ? e.Error : undefined;
  if ('state' in e) {
    const phase = e.type.slice('State'.length);
    return {
      id,
      timestamp,
      type: `${capitalised(e.state.type)}State${phase}`,
      name: e.state.name,
      index: e.index,
      error,
    };
  }
  if ('parentState' in e) {
    const index = 'index' in e ? e.index : undefined;
    return { id, timestamp, type: e.type, name: e.parentState.name, index, error };
  }
  return { id, timestamp, type: e.type, error };
}

/** A Step Functions API error: JSON 1.0 `__type` plus message, HTTP 400. */
export class StatesError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** A state machine to host: its name and its definition with every placeholder already filled in. */
export interface LocalStateMachine {
  readonly name: string;
  readonly definition: string;
}

interface Running {
  readonly abort: () => void;
  readonly done: Promise<void>;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class LocalStepFunctions {
  /** Definitions by state machine ARN, parsed at start; the runner is built on first use (see `machine`). */
  private readonly definitions = new Map<string, StateMachineDefinition>();
  private readonly machines = new Map<string, StateMachine>();
  private readonly executions = new Map<string, Execution>();
  private readonly running = new Map<string, Running>();
  private accepting = true;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
    machines: readonly LocalStateMachine[],
  ) {
    for (const m of machines) {
      this.definitions.set(this.stateMachineArn(m.name), JSON.parse(m.definition) as StateMachineDefinition);
    }
  }

  /**
   * The runner for a state machine. aws-local-stepfunctions (with the SDK it bundles) is loaded on the first
   * execution rather than at start-up, which every integration test file pays for.
   */
  private machine(stateMachineArn: string): StateMachine | undefined {
    let machine = this.machines.get(stateMachineArn);
    const definition = this.definitions.get(stateMachineArn);
    if (machine === undefined && definition !== undefined) {
      ensurePromiseWithResolvers();
      const { StateMachine: Runner } =
        require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');
      machine = new Runner(definition);
      this.machines.set(stateMachineArn, machine);
    }
    return machine;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  private executionArn(machine: string, name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:execution:${machine}:${name}`;
  }

  startExecution(stateMachineArn: string, name: string | undefined, input: string | undefined): Execution {
    if (!this.accepting) throw new StatesError('ServiceUnavailable', 'The local runtime is shutting down.');
    const machine = this.machine(stateMachineArn);
    if (machine === undefined) {
      throw new StatesError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    const execName = name ?? randomUUID();
    if (!NAME.test(execName)) throw new StatesError('InvalidName', `Invalid Name: '${execName}'`);
    const inputText = input ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(inputText);
    } catch {
      throw new StatesError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const executionArn = this.executionArn(stateMachineArn.split(':').pop() ?? '', execName);
    const existing = this.executions.get(executionArn);
    if (existing !== undefined) {
      // Step Functions treats a repeated start with the same name and input of a running execution as idempotent.
      if (existing.status === 'RUNNING' && existing.input === inputText) return existing;
      throw new StatesError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name: execName,
      input: inputText,
      startDate: new Date(),
      status: 'RUNNING',
      history: [],
    };
    this.executions.set(executionArn, execution);
    const run = machine.run(parsed as never, { noThrowOnAbort: true });
    void (async () => {
      for await (const e of run.eventLogs)
        execution.history.push(historyEvent(execution.history.length + 1, e));
    })().catch(() => undefined);
    const done = run.result.then(
      (output) => {
        if (execution.status !== 'RUNNING') return;
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
      },
      (err: unknown) => {
        if (execution.status !== 'RUNNING') return;
        const e = err as Error & { cause?: unknown };
        if (e.name === 'ExecutionTimeoutError') {
          execution.status = 'TIMED_OUT';
        } else {
          const cause = e.cause instanceof Error ? e.cause : e;
          execution.status = 'FAILED';
          execution.error = cause.name;
          execution.cause = cause.message;
          console.error(`[states] ${executionArn} failed: ${cause.name}: ${cause.message}`);
        }
      },
    );
    const tracked = done.finally(() => {
      execution.stopDate ??= new Date();
      this.running.delete(executionArn);
    });
    this.running.set(executionArn, { abort: run.abort, done: tracked });
    return execution;
  }

  stopExecution(executionArn: string, error?: string, cause?: string): Execution {
    const execution = this.describeExecution(executionArn);
    const running = this.running.get(executionArn);
    if (running !== undefined && execution.status === 'RUNNING') {
      execution.status = 'ABORTED';
      execution.stopDate = new Date();
      execution.error = error;
      execution.cause = cause;
      running.abort();
    }
    return execution;
  }

  describeExecution(executionArn: string): Execution {
    const execution = this.executions.get(executionArn);
    if (execution === undefined) {
      throw new StatesError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return execution;
  }

  /** The executions of a state machine, newest first. */
  listExecutions(stateMachineArn: string): Execution[] {
    if (!this.definitions.has(stateMachineArn)) {
      throw new StatesError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return [...this.executions.values()]
      .filter((e) => e.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  busy(): boolean {
    return this.running.size > 0;
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running.values()].map((r) => r.done));
    }
  }

  /** Refuses new executions and waits for the running ones to finish. */
  async stop(): Promise<void> {
    this.accepting = false;
    await this.idle();
  }
}

const epochSeconds = (d: Date | undefined) => (d === undefined ? undefined : d.getTime() / 1000);

function describeOutput(e: Execution) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epochSeconds(e.startDate),
    stopDate: epochSeconds(e.stopDate),
    input: e.input,
    output: e.output,
    error: e.error,
    cause: e.cause,
  };
}

/** Step Functions' event shape: details under a member named for the event's kind. */
function historyOutput(e: HistoryEvent) {
  const out: Record<string, unknown> = { id: e.id, timestamp: epochSeconds(e.timestamp), type: e.type };
  if (e.type.endsWith('StateEntered')) out.stateEnteredEventDetails = { name: e.name };
  else if (e.type.endsWith('StateExited')) out.stateExitedEventDetails = { name: e.name };
  else if (e.type.startsWith('MapIteration')) {
    out[`${e.type.charAt(0).toLowerCase()}${e.type.slice(1)}EventDetails`] = { name: e.name, index: e.index };
  } else if (e.error !== undefined) out.executionFailedEventDetails = { error: e.error };
  return out;
}

const MAX_RESULTS = 1000;

/** One page of `items`: `maxResults` (1–1000, default 100) from the offset a previous page's `nextToken` names. */
function page<T>(
  input: Record<string, unknown>,
  items: readonly T[],
  member: string,
  shape: (item: T) => unknown,
): Record<string, unknown> {
  const max = input.maxResults ?? 100;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > MAX_RESULTS) {
    throw new StatesError('ValidationException', `maxResults must be an integer from 0 to ${MAX_RESULTS}`);
  }
  const token = optionalString(input, 'nextToken');
  const from = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(from) || from < 0 || from > items.length) {
    throw new StatesError('InvalidToken', 'Invalid Token: the nextToken is not one this API returned');
  }
  const to = Math.min(items.length, from + (max === 0 ? 100 : max));
  return {
    [member]: items.slice(from, to).map(shape),
    ...(to < items.length ? { nextToken: String(to) } : {}),
  };
}

function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new StatesError('ValidationException', `${key} must be a string`);
  return v;
}

function requiredString(input: Record<string, unknown>, key: string): string {
  const v = optionalString(input, key);
  if (v === undefined) throw new StatesError('ValidationException', `${key} is required`);
  return v;
}

function dispatch(sfn: LocalStepFunctions, operation: string, input: Record<string, unknown>): unknown {
  switch (operation) {
    case 'StartExecution': {
      const e = sfn.startExecution(
        requiredString(input, 'stateMachineArn'),
        optionalString(input, 'name'),
        optionalString(input, 'input'),
      );
      return { executionArn: e.executionArn, startDate: epochSeconds(e.startDate) };
    }
    case 'StopExecution': {
      const e = sfn.stopExecution(
        requiredString(input, 'executionArn'),
        optionalString(input, 'error'),
        optionalString(input, 'cause'),
      );
      return { stopDate: epochSeconds(e.stopDate ?? new Date()) };
    }
    case 'DescribeExecution':
      return describeOutput(sfn.describeExecution(requiredString(input, 'executionArn')));
    case 'ListExecutions': {
      const executions = sfn.listExecutions(requiredString(input, 'stateMachineArn'));
      return page(input, executions, 'executions', (e) => {
        const {
          input: _input,
          output: _output,
          error: _error,
          cause: _cause,
          ...summary
        } = describeOutput(e);
        return summary;
      });
    }
    case 'GetExecutionHistory': {
      const { history } = sfn.describeExecution(requiredString(input, 'executionArn'));
      const events = input.reverseOrder === true ? [...history].reverse() : history;
      return page(input, events, 'events', historyOutput);
    }
    default:
      throw new StatesError('UnknownOperationException', `Unsupported operation: ${operation}`);
  }
}

const JSON_10 = 'application/x-amz-json-1.0';

async function handle(sfn: LocalStepFunctions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const headers = { 'content-type': JSON_10, 'x-amzn-requestid': randomUUID() };
  try {
    if (req.method !== 'POST' || !target.startsWith('AWSStepFunctions.')) {
      throw new StatesError('UnknownOperationException', `Unsupported request: ${req.method} ${target}`);
    }
    let input: unknown;
    try {
      const text = (await readBody(req)).toString('utf8');
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new StatesError('ValidationException', err.message);
      throw new StatesError('SerializationException', 'The request body is not valid JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new StatesError('SerializationException', 'The request body must be a JSON object.');
    }
    const output = dispatch(sfn, target.slice('AWSStepFunctions.'.length), input as Record<string, unknown>);
    sendJson(res, 200, output, headers);
  } catch (err) {
    if (!(err instanceof StatesError)) throw err;
    sendJson(
      res,
      400,
      { __type: err.type, message: err.message },
      { ...headers, 'x-amzn-errortype': err.type },
    );
  }
}

export function createStepFunctionsServer(sfn: LocalStepFunctions): Server {
  return createServer((req, res) => {
    handle(sfn, req, res).catch((err: unknown) => {
      console.error('[states] request failed:', err);
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalFailure', message: 'Internal error' });
      else res.destroy();
    });
  });
}
