/**
 * Publish step: the version becomes `ACTIVE`. Invoked by the training state machine with
 * `{"solutionVersionArn"}`.
 */
import { serviceContext } from '../services/context';
import { publishVersion, type StepEvent, stepArn, timedStep } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  const arn = stepArn(event);
  return timedStep('publish', arn, () => publishVersion(serviceContext(), arn));
}
