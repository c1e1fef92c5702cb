/** First step of the update workflow: the campaigns that qualify for an automatic update now. Invoked by Step Functions. */
import { type ScanResult, scanCampaigns } from '../services/automatic-updates';
import { serviceContext } from '../services/context';

export function handler(): Promise<ScanResult> {
  return scanCampaigns(serviceContext());
}
