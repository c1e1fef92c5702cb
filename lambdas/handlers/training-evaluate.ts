/**
 * Evaluate step: the offline metrics from a model trained on 90 % of the users. Invoked by the training state
 * machine with `{"solutionVersionArn"}`.
 */
import { serviceContext } from '../services/context';
import { evaluateVersion, type StepEvent, stepArn, timedStep } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  const arn = stepArn(event);
  return timedStep('evaluate', arn, () => evaluateVersion(serviceContext(), arn));
}
