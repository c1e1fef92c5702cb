/**
 * Publish step: the version becomes `ACTIVE`, and the solution's `$LATEST` campaigns move to it. Invoked by the
 * training state machine with `{"solutionVersionArn"}`.
 */
import { followLatestOfVersion } from '../services/campaigns';
import { serviceContext } from '../services/context';
import { publishVersion, type StepEvent, stepArn, timedStep } from '../services/training';

export function handler(event: Partial<StepEvent>): Promise<StepEvent> {
  const arn = stepArn(event);
  return timedStep('publish', arn, async () => {
    const out = await publishVersion(serviceContext(), arn);
    await followLatestOfVersion(serviceContext(), arn);
    return out;
  });
}
