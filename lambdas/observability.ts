/**
 * Logs, metrics and traces through Powertools for AWS Lambda: one Logger, Metrics and Tracer per process.
 *
 * - On Lambda (`AWS_LAMBDA_FUNCTION_NAME` is set) log records are structured JSON, each API request adds CloudWatch
 *   embedded-format metrics (latency, and errors by Personalize exception name) per operation, and the SDK clients'
 *   calls are traced in X-Ray.
 * - In the local runtime the same log records print as one readable line each on stdout, and metrics and traces are
 *   off (there is no CloudWatch or X-Ray to receive them). The tracer is not even loaded there: the X-Ray SDK under
 *   it installs an async hook when it loads, which slows every promise of the process (the SDK clients' middleware
 *   awaits dozens per call) several-fold.
 *
 * `POWERTOOLS_LOG_LEVEL` sets the level (default INFO) in both.
 */

import type { LogItem } from '@aws-lambda-powertools/logger';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

export const SERVICE_NAME = 'open-personalize';
export const METRICS_NAMESPACE = 'OpenPersonalize';

/** Keys every record carries; the readable form leaves them out of its key=value tail. */
const STANDARD_KEYS = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id']);

/** The local form of a record: `HH:MM:SS.mmm LEVEL message key=value …`, errors with their stack below. */
export function readableLine(attributes: Record<string, unknown>): string {
  const at = typeof attributes.timestamp === 'string' ? attributes.timestamp.slice(11, 23) : '';
  const level = String(attributes.level ?? '').padEnd(5);
  const extras: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(attributes)) {
    if (STANDARD_KEYS.has(key) || value === undefined) continue;
    if (key === 'error' && typeof value === 'object' && value !== null) {
      const e = value as { name?: string; message?: string; stack?: string };
      extras.push(`error=${e.name ?? 'Error'}: ${e.message ?? ''}`);
      if (e.stack) stack = `\n${e.stack}`;
      continue;
    }
    extras.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return `${at} ${level} ${String(attributes.message ?? '')}${extras.length ? ` ${extras.join(' ')}` : ''}${stack}`;
}

/** Powertools' logger printing {@link readableLine}s instead of JSON. */
class ReadableLogger extends Logger {
  protected override printLog(_logLevel: number, log: LogItem): void {
    process.stdout.write(`${readableLine(log.getAttributes())}\n`);
  }
}

export const onLambda = (): boolean => process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;

export const logger: Logger = onLambda()
  ? new Logger({ serviceName: SERVICE_NAME })
  : new ReadableLogger({ serviceName: SERVICE_NAME });

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

let tracer: Tracer | undefined;

/** An SDK client whose calls are traced in X-Ray on Lambda; elsewhere the client itself. */
export function traced<T>(client: T): T {
  if (!onLambda()) return client;
  if (tracer === undefined) {
    // Loaded here, not imported at the top: see the module comment.
    const { Tracer: TracerClass } =
      require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
    tracer = new TracerClass({ serviceName: SERVICE_NAME });
  }
  return tracer.captureAWSv3Client(client);
}

/** What one API request did, for its log record and metrics. */
export interface RequestRecord {
  /** Which API: `control`, `runtime` or `events`. */
  readonly api: string;
  readonly operation: string;
  readonly requestId: string;
  readonly latencyMs: number;
  readonly statusCode: number;
  /** Personalize's exception name of an error answer. */
  readonly errorName?: string;
  /** The cause of an unhandled error (answered as InternalFailure). */
  readonly cause?: unknown;
}

/** Logs one API request (INFO, WARN for a client error, ERROR with its cause for a fault) and adds its metrics. */
export function recordRequest(record: RequestRecord): void {
  const { cause, ...fields } = record;
  const latencyMs = Number(record.latencyMs.toFixed(2));
  const entry = { ...fields, latencyMs };
  if (cause !== undefined) logger.error('request failed', { ...entry, error: cause as Error });
  else if (record.errorName !== undefined) logger.warn('request refused', entry);
  else logger.info('request', entry);
  if (!onLambda()) return;
  const single = metrics.singleMetric();
  single.addDimension('operation', record.operation);
  single.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
  if (record.errorName !== undefined) {
    const errors = metrics.singleMetric();
    errors.addDimensions({ operation: record.operation, error: record.errorName });
    errors.addMetric('Errors', MetricUnit.Count, 1);
  }
}
