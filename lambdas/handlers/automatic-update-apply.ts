/** Per-campaign step of the update workflow, invoked by Step Functions with `{"campaignArn"}`. */
import { applyArn, applyUpdate, type UpdateOutcome } from '../services/automatic-updates';
import { serviceContext } from '../services/context';

export function handler(event: { readonly campaignArn?: unknown }): Promise<UpdateOutcome> {
  return applyUpdate(serviceContext(), applyArn(event));
}
