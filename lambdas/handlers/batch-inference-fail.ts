/**
 * Failure step of the batch inference workflow, the Catch target of every step: records `CREATE FAILED` with a
 * readable `failureReason`. Invoked with `{"batchInferenceJobArn", "error": {"Error", "Cause"}}`.
 */
import { type BatchStepEvent, batchStepArn, failBatch } from '../services/batch-inference-jobs';
import { serviceContext } from '../services/context';
import type { FailEvent } from '../services/training';

export function handler(
  event: Partial<BatchStepEvent> & { error?: FailEvent['error'] },
): Promise<BatchStepEvent> {
  return failBatch(serviceContext(), batchStepArn(event), event.error);
}
