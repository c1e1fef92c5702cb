/**
 * Plan step: the model self-tuning chooses and the user shards of the distributed sums. Invoked by the training
 * state machine with `{"solutionVersionArn"}`; returns `{"solutionVersionArn", "shards": [0, …, n − 1]}`.
 */
import { serviceContext } from '../services/context';
import { type PlanEvent, planTraining, type StepEvent, stepArn, timedStep } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<PlanEvent> {
  const arn = stepArn(event);
  return timedStep('plan', arn, () => planTraining(serviceContext(), arn));
}
