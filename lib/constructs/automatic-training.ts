import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AUTO_TRAINING_CHECK_HOURS, AUTO_TRAINING_WORKER } from '../../lambdas/api/routes';
import type { PersonalizeApi } from './personalize-api';
import type { PersonalizeFunction } from './personalize-function';
import { validateMemorySize } from './personalize-function';

export interface AutomaticTrainingProps {
  /** The API whose `AutomaticTraining` worker runs the check. */
  readonly api: PersonalizeApi;
  /**
   * How often the check runs. Each solution has its own `rate(N days)`; the check starts the trainings that are
   * due, so the interval is how late a due training may start. From one hour to one day.
   * @default Duration.hours(1)
   */
  readonly interval?: Duration;
  /**
   * Memory of the check, which reads a dataset group's data to tell whether it changed, in MB (128–10240).
   * @default 4096
   */
  readonly memorySize?: number;
}

/**
 * Automatic training: an EventBridge rule that invokes the automatic-training check at a fixed rate, hourly by
 * default. One rule serves every solution (each solution's own schedule is data the check reads), so creating or
 * updating a solution needs no EventBridge permissions. What the check may touch comes from its `WORKERS` grants;
 * the training workflow construct grants it `states:StartExecution` on the training state machine.
 */
export class AutomaticTraining extends Construct {
  readonly rule: Rule;
  readonly function: PersonalizeFunction;

  constructor(scope: Construct, id: string, props: AutomaticTrainingProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.hours(AUTO_TRAINING_CHECK_HOURS);
    if (!interval.isUnresolved()) {
      const minutes = interval.toMinutes({ integral: false });
      if (minutes < 60 || minutes > 24 * 60) {
        throw new Error(
          `${this.node.path}: interval must be from one hour to one day, got ${interval.toHumanString()}`,
        );
      }
    }
    const memorySize = props.memorySize ?? 4096;
    validateMemorySize(this.node.path, 'memorySize', memorySize);
    const fn = props.api.workers[AUTO_TRAINING_WORKER];
    if (fn === undefined) throw new Error(`${this.node.path}: the API has no ${AUTO_TRAINING_WORKER} worker`);
    (fn.node.defaultChild as CfnFunction).memorySize = memorySize;
    this.function = fn;
    this.rule = new Rule(this, 'Schedule', {
      description: 'Runs the open-personalize automatic-training check',
      schedule: Schedule.rate(interval),
      // A failed check is simply repeated by the next one.
      targets: [new LambdaFunction(fn, { event: RuleTargetInput.fromObject({}), retryAttempts: 0 })],
    });
  }
}
