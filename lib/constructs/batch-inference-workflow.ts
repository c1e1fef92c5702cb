import { Policy } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROUTES, type Route, WORKERS, type WorkerDef } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import {
  BATCH_STEP_LIST,
  batchInferenceDefinition,
} from '../../lambdas/workflows/batch-inference-definition';
import type { PersonalizeApi } from './personalize-api';
import { validateMemorySize } from './personalize-function';
import { workflowStateMachine } from './workflow-state-machine';

export interface BatchInferenceWorkflowProps {
  /** The API whose workers run the steps and whose operations start jobs. */
  readonly api: PersonalizeApi;
  /**
   * Memory of the chunk worker (`largeMemory` in `WORKERS`), which holds a model, in MB (128–10240).
   * @default 4096
   */
  readonly memorySize?: number;
  /**
   * Routes whose `startBatchInference` grant is honoured.
   * @default ROUTES
   */
  readonly routes?: readonly Route[];
  /**
   * Worker definitions, for `largeMemory`.
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
 * The batch inference workflow: a Standard state machine from the same ASL document the local runtime runs
 * (`lambdas/workflows/batch-inference-definition.ts`). Its `Infer` state is a Distributed Map, whose child
 * executions the state machine starts itself: it gets `states:StartExecution` on itself and Describe/Stop on its
 * executions, in a policy of its own (as CDK's DistributedMap does) so the state machine does not depend on it.
 * Operations whose route grants `startBatchInference` may start it and find its ARN in
 * `OP_BATCH_INFERENCE_STATE_MACHINE_ARN`.
 */
export class BatchInferenceWorkflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: BatchInferenceWorkflowProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 4096;
    validateMemorySize(this.node.path, 'memorySize', memorySize);
    const workerDefs = props.workers ?? WORKERS;
    const { stateMachine, stepWorkers } = workflowStateMachine(this, {
      definition: batchInferenceDefinition(),
      steps: BATCH_STEP_LIST,
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
        (fn.node.defaultChild as CfnFunction).memorySize = memorySize;
      }
    }
    for (const route of props.routes ?? ROUTES) {
      if (route.grants.startBatchInference !== true) continue;
      const fn = props.api.functions[route.operation];
      if (fn === undefined) throw new Error(`${this.node.path}: no function for ${route.operation}`);
      fn.bindStartExecution(this.stateMachine, ENV.BATCH_INFERENCE_STATE_MACHINE_ARN);
    }
  }
}
