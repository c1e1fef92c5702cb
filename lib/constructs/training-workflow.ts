import { Policy } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROUTES, type Route, WORKERS, type WorkerDef } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import { TRAINING_STEP_LIST, trainingDefinition } from '../../lambdas/workflows/training-definition';
import type { PersonalizeApi } from './personalize-api';
import { validateMemorySize } from './personalize-function';
import { workflowStateMachine } from './workflow-state-machine';

export interface TrainingWorkflowProps {
  /** The API whose workers run the steps and whose operations start and stop trainings. */
  readonly api: PersonalizeApi;
  /**
   * Memory of the workers that hold a whole dataset or model (`largeMemory` in `WORKERS`), in MB (128–10240).
   * Lambda gives CPU in proportion to memory, so this also sets the training speed.
   * @default 4096
   */
  readonly trainingMemorySize?: number;
  /**
   * Routes whose `startTraining` / `stopTraining` grants are honoured.
   * @default ROUTES
   */
  readonly routes?: readonly Route[];
  /**
   * Worker definitions, for `largeMemory` and their `startTraining` grants.
   * @default WORKERS
   */
  readonly workers?: readonly WorkerDef[];
  /**
   * Retention of the state machine's execution log (errors only).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The training workflow: a Standard state machine built from the same ASL document the local runtime runs
 * (`lambdas/workflows/training-definition.ts`), whose Task states call the API's training workers. Its `SumShards`
 * state is a Distributed Map, whose child executions the state machine starts itself: it gets
 * `states:StartExecution` on itself and Describe/Stop on its executions, in a policy of its own (as CDK's
 * DistributedMap does) so the state machine does not depend on it. Operations whose
 * route (or worker) grants `startTraining` get `states:StartExecution` on it and its ARN in
 * `OP_TRAINING_STATE_MACHINE_ARN`;
 * `stopTraining` gets `states:StopExecution` on its executions, `describeTraining` `states:DescribeExecution`.
 */
export class TrainingWorkflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: TrainingWorkflowProps) {
    super(scope, id);
    const memorySize = props.trainingMemorySize ?? 4096;
    validateMemorySize(this.node.path, 'trainingMemorySize', memorySize);
    const workerDefs = props.workers ?? WORKERS;
    const { stateMachine, stepWorkers } = workflowStateMachine(this, {
      definition: trainingDefinition(),
      steps: TRAINING_STEP_LIST,
      workers: props.api.workers,
      logRetention: props.logRetention,
    });
    this.stateMachine = stateMachine;
    const childExecutions = new Policy(stateMachine, 'DistributedMapPolicy');
    stateMachine.role.attachInlinePolicy(childExecutions);
    stateMachine.grantStartExecution(childExecutions);
    stateMachine.grantExecution(childExecutions, 'states:DescribeExecution', 'states:StopExecution');
    for (const [worker, fn] of stepWorkers) {
      if (workerDefs.find((w) => w.name === worker)?.largeMemory === true) {
        // The API construct sizes all workers alike; the model-fitting steps need more.
        (fn.node.defaultChild as CfnFunction).memorySize = memorySize;
      }
    }

    const holders = [
      ...(props.routes ?? ROUTES).map((r) => ({
        name: r.operation,
        grants: r.grants,
        fn: props.api.functions,
      })),
      ...workerDefs.map((w) => ({ name: w.name, grants: w.grants, fn: props.api.workers })),
    ];
    for (const holder of holders) {
      const g = holder.grants;
      if (g.startTraining !== true && g.stopTraining !== true && g.describeTraining !== true) continue;
      const fn = holder.fn[holder.name];
      if (fn === undefined) throw new Error(`${this.node.path}: no function for ${holder.name}`);
      if (g.startTraining === true) fn.bindStartExecution(this.stateMachine, ENV.TRAINING_STATE_MACHINE_ARN);
      if (g.stopTraining === true) fn.bindStopExecution(this.stateMachine);
      if (g.describeTraining === true) fn.bindDescribeExecution(this.stateMachine);
    }
  }
}
