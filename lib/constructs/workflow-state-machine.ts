import { RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PersonalizeFunction } from './personalize-function';

/** What the construct needs of one Task of an ASL definition: the worker behind it and its ARN placeholder. */
export interface WorkflowStep {
  readonly state: string;
  /** Worker name in `WORKERS` (`lambdas/api/routes.ts`), i.e. the function name. */
  readonly worker: string;
  /** The `${...}` placeholder standing for the function's ARN. */
  readonly placeholder: string;
}

export interface WorkflowStateMachineProps {
  /** The ASL document with a placeholder per step, the same one the local runtime runs. */
  readonly definition: object;
  readonly steps: readonly WorkflowStep[];
  /** The API's worker functions by name; every step's worker must be among them. */
  readonly workers: Readonly<Record<string, PersonalizeFunction>>;
  /**
   * Retention of the state machine's execution log (errors only).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** The state machine and each step's function by worker name. */
export interface WorkflowStateMachine {
  readonly stateMachine: StateMachine;
  readonly stepWorkers: ReadonlyMap<string, PersonalizeFunction>;
}

/**
 * A Standard state machine (id `StateMachine`, its log group `Logs`, both under `scope`) from a placeholder ASL
 * document, with each placeholder substituted by its worker's ARN and that worker allowed to be invoked by it. A step
 * whose worker the API does not define throws at synth.
 */
export function workflowStateMachine(
  scope: Construct,
  props: WorkflowStateMachineProps,
): WorkflowStateMachine {
  const substitutions: Record<string, string> = {};
  const stepWorkers = new Map<string, PersonalizeFunction>();
  const stepFunctions = props.steps.map((step) => {
    const fn = props.workers[step.worker];
    if (fn === undefined) {
      throw new Error(
        `${scope.node.path}: step ${step.state} needs a ${step.worker} worker, none is defined`,
      );
    }
    substitutions[step.placeholder] = fn.functionArn;
    stepWorkers.set(step.worker, fn);
    return fn;
  });
  const stateMachine = new StateMachine(scope, 'StateMachine', {
    definitionBody: DefinitionBody.fromString(JSON.stringify(props.definition)),
    definitionSubstitutions: substitutions,
    stateMachineType: StateMachineType.STANDARD,
    logs: {
      // Bounded by its retention, like the functions' log groups; kept past the stack it would only be an orphan.
      destination: new LogGroup(scope, 'Logs', {
        retention: props.logRetention ?? RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      level: LogLevel.ERROR,
    },
  });
  // The definition is a string, so CDK cannot see which functions it calls: grant them explicitly.
  for (const fn of stepFunctions) fn.grantInvoke(stateMachine);
  return { stateMachine, stepWorkers };
}
