/** Publish step: the version becomes `ACTIVE`. Invoked by the training state machine with `{"solutionVersionArn"}`. */
import { serviceContext } from '../services/context';
import { publishVersion, type StepEvent, stepArn } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  return publishVersion(serviceContext(), stepArn(event));
}
