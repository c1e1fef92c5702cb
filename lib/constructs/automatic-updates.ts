import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  UPDATE_INTERVAL_HOURS,
  UPDATE_STEP_LIST,
  UPDATE_STEPS,
  updateDefinition,
} from '../../lambdas/workflows/update-definition';
import type { PersonalizeApi } from './personalize-api';
import { validateMemorySize } from './personalize-function';
import { workflowStateMachine } from './workflow-state-machine';

export interface AutomaticUpdatesProps {
  /** The API whose `AutomaticUpdateScan` and `AutomaticUpdateApply` workers run the steps. */
  readonly api: PersonalizeApi;
  /**
   * How often the update workflow starts. Personalize updates every two hours (spec §7.5); at least one hour.
   * @default Duration.hours(2)
   */
  readonly interval?: Duration;
  /**
   * Memory of the apply worker, which holds a dataset group's data and a model, in MB (128–10240).
   * @default 4096
   */
  readonly memorySize?: number;
  /**
   * Retention of the state machine's execution log (errors only).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Automatic updates: an EventBridge rule that starts the update workflow (`lambdas/workflows/update-definition.ts`,
 * the same ASL the local runtime runs) at a fixed rate, every two hours by default. The rule's role may start only
 * this state machine, and the state machine may invoke only the two update workers; what the workers may read and
 * write comes from their `WORKERS` grants.
 */
export class AutomaticUpdates extends Construct {
  readonly stateMachine: StateMachine;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: AutomaticUpdatesProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.hours(UPDATE_INTERVAL_HOURS);
    if (!interval.isUnresolved() && interval.toMinutes({ integral: false }) < 60) {
      throw new Error(
        `${this.node.path}: interval must be at least one hour, got ${interval.toHumanString()}`,
      );
    }
    const memorySize = props.memorySize ?? 4096;
    validateMemorySize(this.node.path, 'memorySize', memorySize);
    this.stateMachine = workflowStateMachine(this, {
      definition: updateDefinition(),
      steps: UPDATE_STEP_LIST,
      workers: props.api.workers,
      logRetention: props.logRetention,
    }).stateMachine;
    const apply = props.api.workers[UPDATE_STEPS.apply.worker];
    if (apply !== undefined) (apply.node.defaultChild as CfnFunction).memorySize = memorySize;

    this.rule = new Rule(this, 'Schedule', {
      description: 'Starts the open-personalize automatic-update workflow',
      schedule: Schedule.rate(interval),
      targets: [new SfnStateMachine(this.stateMachine, { input: RuleTargetInput.fromObject({}) })],
    });
  }
}
