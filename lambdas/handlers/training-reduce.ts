/**
 * Reduce step: the shards' sums added up, for the train step. Invoked by the training state machine with
 * `{"solutionVersionArn"}`.
 */
import { serviceContext } from '../services/context';
import { reduceShards, type StepEvent, stepArn, timedStep } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  const arn = stepArn(event);
  return timedStep('reduce', arn, () => reduceShards(serviceContext(), arn));
}
