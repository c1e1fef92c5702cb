/**
 * Start-up recovery of a single-process runtime (`npm start`): after the process was killed (kill -9, power loss),
 * nothing it was running survives, so work it left half done is settled before new work starts — no job stays
 * `IN_PROGRESS` forever, and nothing it held keeps others out.
 */
import { updateLease } from './automatic-updates';
import type { ServiceContext } from './context';
import { settleInterruptedImports } from './dataset-import-jobs';
import { settleInterruptedTraining } from './solution-versions';

export interface RecoveryReport {
  /** Import jobs failed (or, if their data was published, completed). */
  readonly imports: string[];
  /** Solution versions failed or stopped. */
  readonly versions: string[];
  /** Expired recommendation records deleted. */
  readonly expiredRecords: number;
}

/** Settles what a previous process left running; `startedAt` (epoch ms) keeps work of this process out of it. */
export async function recoverAfterRestart(ctx: ServiceContext, startedAt: number): Promise<RecoveryReport> {
  const imports = await settleInterruptedImports(ctx, startedAt);
  const versions = await settleInterruptedTraining(ctx, startedAt);
  // An update run of the previous process cannot continue; its lease would block runs until it expired.
  await updateLease(ctx).release();
  const expiredRecords = await ctx.recommendations.sweepExpired();
  return { imports, versions, expiredRecords };
}
