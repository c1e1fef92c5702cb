/** One chunk of a batch inference job (the workflow's Map item); invoked with `{"batchInferenceJobArn", "chunk"}`. */
import { batchStepArn, type Chunk } from '../services/batch-inference-jobs';
import { inferChunk } from '../services/batch-scoring';
import { serviceContext } from '../services/context';
import { filesFor } from './batch-files';

export function handler(event: {
  batchInferenceJobArn?: unknown;
  chunk?: Chunk;
}): Promise<{ lines: number; failed: number }> {
  if (event.chunk === undefined)
    throw new Error('Expected an event of the form {"batchInferenceJobArn", "chunk"}');
  return inferChunk(serviceContext(), batchStepArn(event), event.chunk, filesFor());
}
