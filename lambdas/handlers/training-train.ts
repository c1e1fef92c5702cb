/** Train step: the served model from the snapshot, written to S3. Invoked by the training state machine with `{"solutionVersionArn"}`. */
import { serviceContext } from '../services/context';
import { type StepEvent, stepArn, trainVersion } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  return trainVersion(serviceContext(), stepArn(event));
}
