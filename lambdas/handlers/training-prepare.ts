/**
 * Prepare step: `CREATE IN_PROGRESS`, the group's data filtered and checked, a training snapshot in S3.
 * Invoked by the training state machine with `{"solutionVersionArn"}`.
 */
import { serviceContext } from '../services/context';
import { prepareTraining, type StepEvent, stepArn, timedStep } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  const arn = stepArn(event);
  return timedStep('prepare', arn, () => prepareTraining(serviceContext(), arn));
}
