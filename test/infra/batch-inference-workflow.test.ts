/**
 * The batch inference workflow in the synthesized stack: the shared ASL document with a Distributed Map over the
 * input chunks, every Task guarded (Retry, Catch, TimeoutSeconds) and wired to its worker; the state machine may
 * start its own child executions; only CreateBatchInferenceJob may start it; the steps that touch the customer's
 * buckets assume the job's role.
 */
import { ROUTES, WORKERS } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import { BATCH_STEP_LIST, MAX_PARALLEL_CHUNKS } from '../../lambdas/workflows/batch-inference-definition';
import { TRANSIENT_ERRORS } from '../../lambdas/workflows/training-definition';
import {
  actionsOf,
  expectOwnChildExecutions,
  referencedIds,
  refTarget,
  scratchSourceRoot,
  synthStack,
  TemplateView,
} from './template-helpers';

interface State {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly Retry?: Array<{ ErrorEquals: string[] }>;
  readonly Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  readonly ItemsPath?: string;
  readonly MaxConcurrency?: number;
  readonly ItemProcessor?: { ProcessorConfig?: { Mode?: string }; States: Record<string, State> };
}

const view = new TemplateView(synthStack({ sourceRoot: scratchSourceRoot() }).template);
const [machineId, machine] = view.stateMachineWith('BatchChunkFunctionArn');
const definition = JSON.parse(machine.Properties.DefinitionString as string) as {
  States: Record<string, State>;
};
const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
const infer = definition.States.Infer as State;
const tasks: [string, State][] = [
  ...Object.entries(definition.States).filter(([, s]) => s.Type === 'Task'),
  ...Object.entries(infer.ItemProcessor?.States ?? {}),
];

describe('batch inference state machine', () => {
  it('maps over the chunks as a Distributed Map with bounded concurrency, catching failures', () => {
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
    expect(infer).toMatchObject({ Type: 'Map', ItemsPath: '$.chunks', MaxConcurrency: MAX_PARALLEL_CHUNKS });
    expect(infer.ItemProcessor?.ProcessorConfig?.Mode).toBe('DISTRIBUTED');
    expect(infer.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RecordFailure' });
  });

  it.each(tasks)('%s has a timeout and retries transient Lambda errors', (name, state) => {
    expect(state.TimeoutSeconds).toBeGreaterThan(0);
    expect(state.TimeoutSeconds).toBeLessThanOrEqual(900);
    expect(state.Retry?.[0]?.ErrorEquals).toEqual([...TRANSIENT_ERRORS]);
    // Top-level steps catch into the failure step; the chunk task fails its Map, whose Catch does.
    if (name !== 'InferChunk') expect(state.Catch?.[0]?.ErrorEquals).toEqual(['States.ALL']);
  });

  it('calls each step on its own worker through substitutions, and may invoke only those', () => {
    for (const step of BATCH_STEP_LIST) {
      const [fnId] = view.functionFor(step.worker);
      expect(substitutions[step.placeholder]).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    }
    const statements = view.roleStatements(refTarget(machine.Properties.RoleArn));
    const invoked = new Set(
      statements
        .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
        .flatMap((s) => [...referencedIds(s.Resource)]),
    );
    expect(invoked).toEqual(new Set(BATCH_STEP_LIST.map((s) => view.functionFor(s.worker)[0])));
  });

  it('may start, describe and stop its own child executions (Distributed Map)', () => {
    expectOwnChildExecutions(view, machine.Properties.RoleArn, machineId);
  });
});

describe('who starts batch inference and what its steps may do', () => {
  it('lets CreateBatchInferenceJob start executions, with the ARN in its env, and nothing else in Step Functions', () => {
    expect(view.actionsOn('CreateBatchInferenceJob', machineId)).toEqual(new Set(['states:StartExecution']));
    expect([...view.actions('CreateBatchInferenceJob')].filter((a) => a.startsWith('states:'))).toEqual([
      'states:StartExecution',
    ]);
    expect(refTarget(view.env('CreateBatchInferenceJob')[ENV.BATCH_INFERENCE_STATE_MACHINE_ARN])).toBe(
      machineId,
    );
    for (const route of ROUTES) {
      if (route.operation === 'CreateBatchInferenceJob') continue;
      expect(view.env(route.operation)[ENV.BATCH_INFERENCE_STATE_MACHINE_ARN]).toBeUndefined();
    }
  });

  it.each(BATCH_STEP_LIST.map((s) => [s.worker] as const))(
    '%s assumes customer roles exactly when it touches their buckets',
    (worker) => {
      const def = WORKERS.find((w) => w.name === worker)!;
      const assumes = view.statements(worker).some((s) => actionsOf(s).includes('sts:AssumeRole'));
      expect(assumes).toBe(def.assumesCustomerRole === true);
      expect(view.env(worker)[ENV.IMPORT_ASSUME_ROLE]).toBe(
        def.assumesCustomerRole === true ? 'true' : undefined,
      );
    },
  );
});
