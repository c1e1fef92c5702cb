/**
 * The automatic-update workflow as plain data: the Amazon States Language definition (JSONPath only) that CDK
 * deploys behind the two-hourly EventBridge rule and the local runtime runs on its timer, with `${...}`
 * placeholders for the two functions' ARNs (filled by `DefinitionSubstitutions` or {@link substitute}).
 *
 *   ListCampaigns → UpdateCampaigns (Map, one campaign at a time) → Done
 *                        └── UpdateCampaign ──(Catch)──→ RecordFailure (that campaign only)
 *
 * A separate workflow rather than a mode of the training one: an update has no solution version to move through
 * statuses, fans out over campaigns, and one campaign's failure must not stop the others'. The training workflow's
 * UPDATE versions reuse the same engine function (`engine/update.ts`) inside its train step instead.
 *
 * Campaigns are updated one at a time: each update holds its group's data and a model in memory, and campaigns of
 * one group would otherwise read the same data at once.
 */
import { substitute, TRANSIENT_ERRORS } from './training-definition';

/** One Task of the workflow and the worker function behind it. */
export interface UpdateStep {
  readonly state: string;
  /** Worker name in `WORKERS` (`lambdas/api/routes.ts`), i.e. the function name. */
  readonly worker: string;
  readonly placeholder: string;
  readonly timeoutSeconds: number;
}

export const UPDATE_STEPS = {
  scan: {
    state: 'ListCampaigns',
    worker: 'AutomaticUpdateScan',
    placeholder: 'ScanFunctionArn',
    timeoutSeconds: 300,
  },
  apply: {
    state: 'UpdateCampaign',
    worker: 'AutomaticUpdateApply',
    placeholder: 'ApplyFunctionArn',
    timeoutSeconds: 900,
  },
} as const satisfies Record<string, UpdateStep>;

export const UPDATE_STEP_LIST: readonly UpdateStep[] = Object.values(UPDATE_STEPS);

/** The rate of the EventBridge rule, in hours (spec §7.5). */
export const UPDATE_INTERVAL_HOURS = 2;

const retry = [{ ErrorEquals: [...TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }];

/** The definition with placeholders; a fresh object on each call. */
export function updateDefinition(): Record<string, unknown> {
  const s = UPDATE_STEPS;
  return {
    Comment: 'Automatic updates: refresh every qualifying campaign with new items and item statistics.',
    StartAt: s.scan.state,
    States: {
      [s.scan.state]: {
        Type: 'Task',
        Resource: `\${${s.scan.placeholder}}`,
        TimeoutSeconds: s.scan.timeoutSeconds,
        Parameters: {},
        ResultSelector: { 'campaignArns.$': '$.campaignArns' },
        Retry: retry,
        Next: 'UpdateCampaigns',
      },
      UpdateCampaigns: {
        Type: 'Map',
        ItemsPath: '$.campaignArns',
        MaxConcurrency: 1,
        ItemSelector: { 'campaignArn.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: s.apply.state,
          States: {
            [s.apply.state]: {
              Type: 'Task',
              Resource: `\${${s.apply.placeholder}}`,
              TimeoutSeconds: s.apply.timeoutSeconds,
              Parameters: { 'campaignArn.$': '$.campaignArn' },
              Retry: retry,
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }],
              End: true,
            },
            RecordFailure: {
              Type: 'Pass',
              Parameters: { 'campaignArn.$': '$.campaignArn', status: 'FAILED', 'error.$': '$.error' },
              End: true,
            },
          },
        },
        ResultPath: '$.results',
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  };
}

/** The definition as JSON with each Task's Resource set to `functionArn(worker name)`; for the local runtime. */
export function updateDefinitionJson(functionArn: (worker: string) => string): string {
  return substitute(
    updateDefinition(),
    Object.fromEntries(UPDATE_STEP_LIST.map((step) => [step.placeholder, functionArn(step.worker)])),
  );
}
