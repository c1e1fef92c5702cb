/**
 * Shard step, one child of the training's Distributed Map per user shard: that shard's sums to S3. Invoked with
 * `{"solutionVersionArn", "shard"}`.
 */
import { serviceContext } from '../services/context';
import { type ShardEvent, type StepEvent, stepArn, sumShard, timedStep } from '../services/training';

export function handler(event: Partial<ShardEvent>): Promise<StepEvent> {
  const arn = stepArn(event);
  const shard = event.shard;
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0) {
    throw new Error('Expected an event of the form {"solutionVersionArn": "...", "shard": n}');
  }
  return timedStep(`shard ${shard}`, arn, () => sumShard(serviceContext(), arn, shard));
}
