/**
 * Train step: the served model from the snapshot, written to S3. Invoked by the training state machine with
 * `{"solutionVersionArn"}`.
 */
import { serviceContext } from '../services/context';
import { type StepEvent, stepArn, timedStep, trainVersion } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  const arn = stepArn(event);
  return timedStep('train', arn, () => trainVersion(serviceContext(), arn));
}
