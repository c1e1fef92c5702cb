/** Finish step of the batch inference workflow: assembles the outputs; invoked with `{"batchInferenceJobArn"}`. */
import { type BatchStepEvent, batchStepArn, finishBatch } from '../services/batch-inference-jobs';
import { serviceContext } from '../services/context';
import { filesFor } from './batch-files';

export function handler(event: Partial<BatchStepEvent>): Promise<BatchStepEvent> {
  return finishBatch(serviceContext(), batchStepArn(event), filesFor());
}
