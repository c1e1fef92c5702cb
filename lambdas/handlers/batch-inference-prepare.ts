/** Prepare step of the batch inference workflow; invoked with `{"batchInferenceJobArn"}`. */
import { type BatchStepEvent, batchStepArn, prepareBatch } from '../services/batch-inference-jobs';
import { serviceContext } from '../services/context';
import { filesFor } from './batch-files';

export function handler(event: Partial<BatchStepEvent>): Promise<BatchStepEvent> {
  return prepareBatch(serviceContext(), batchStepArn(event), filesFor());
}
