/**
 * Failure step, the Catch target of every step: records `CREATE FAILED` with a readable `failureReason`. Invoked
 * with `{"solutionVersionArn", "error": {"Error", "Cause"}}`.
 */
import { serviceContext } from '../services/context';
import { type FailEvent, failVersion, type StepEvent, stepArn } from '../services/training';

export function handler(event: Partial<FailEvent>): Promise<StepEvent> {
  return failVersion(serviceContext(), stepArn(event), event.error);
}
