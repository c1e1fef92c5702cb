import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { logger } from '../../lambdas/observability';

/**
 * Benchmarks and the demo print their own figures: the runtime's request logs (one INFO line per API call) are
 * turned down to warnings, in this process and in the API workers it starts, unless `POWERTOOLS_LOG_LEVEL` says
 * otherwise.
 */
export function quietRequestLogs(): void {
  const level = process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN';
  process.env.POWERTOOLS_LOG_LEVEL = level;
  logger.setLogLevel(level as LogLevel);
}
