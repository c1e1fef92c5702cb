/**
 * The automatic-training check (`services/automatic-training.ts`), invoked hourly by an EventBridge rule on AWS and by
 * the local runtime's timer. Stops taking up solutions while a check could still run past the function's timeout.
 */
import type { Context } from 'aws-lambda';
import { type AutoTrainingReport, runAutomaticTraining } from '../services/automatic-training';
import { serviceContext } from '../services/context';

/** Time kept back for the last solution's check: reading a large group's data takes minutes. */
const CHECK_RESERVE_MS = 5 * 60_000;

export function handler(
  _event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<AutoTrainingReport> {
  const deadline =
    context === undefined ? undefined : Date.now() + context.getRemainingTimeInMillis() - CHECK_RESERVE_MS;
  return runAutomaticTraining(serviceContext(), deadline === undefined ? {} : { deadline });
}
