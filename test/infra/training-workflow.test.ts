/**
 * The training workflow in the synthesized stack: the state machine is the shared ASL document with every Task
 * guarded (Retry, Catch, TimeoutSeconds) and wired to the training workers; who may start and stop it; what each
 * training worker may touch.
 */
import { ROUTES, WORKERS } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import { DATA_BUCKET, TABLES } from '../../lambdas/store/tables';
import {
  SHARD_MAP_STATE,
  TRAINING_STEP_LIST,
  TRAINING_STEPS,
  TRANSIENT_ERRORS,
} from '../../lambdas/workflows/training-definition';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '../../lib/constructs/personalize-function';
import {
  actionsOf,
  expectOwnChildExecutions,
  referencedIds,
  refTarget,
  scratchSourceRoot,
  synthStack,
  TemplateView,
} from './template-helpers';

interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number }>;
  readonly Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  readonly Next?: string;
  readonly End?: boolean;
  readonly ItemsPath?: string;
  readonly MaxConcurrencyPath?: string;
  readonly ItemSelector?: Record<string, string>;
  readonly ItemProcessor?: {
    ProcessorConfig?: { Mode?: string; ExecutionType?: string };
    StartAt: string;
    States: Record<string, TaskState>;
  };
}

const sourceRoot = scratchSourceRoot();
const view = new TemplateView(synthStack({ sourceRoot }).template);
// The stack also has the automatic-update workflow; the training one is the one that runs Prepare.
const [machineId, machine] = view.stateMachineWith('PrepareFunctionArn');
const definition = JSON.parse(machine.Properties.DefinitionString as string) as {
  StartAt: string;
  QueryLanguage?: string;
  States: Record<string, TaskState>;
};
const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
const shardMap = definition.States[SHARD_MAP_STATE] as TaskState;
const childTasks = Object.entries(shardMap.ItemProcessor?.States ?? {});

describe('state machine', () => {
  it('is a Standard workflow in JSONPath with one Task per training step', () => {
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect([...tasks, ...childTasks].map(([name]) => name).sort()).toEqual(
      TRAINING_STEP_LIST.map((s) => s.state).sort(),
    );
    expect(definition.StartAt).toBe('Prepare');
  });

  it('sums the user shards in a Distributed Map whose children invoke the shard function', () => {
    const step = TRAINING_STEPS.shardSums;
    // Plan → the Map over the plan's shard list → Reduce; the Map drops its own result.
    expect(definition.States[TRAINING_STEPS.plan.state]?.Next).toBe(SHARD_MAP_STATE);
    expect(shardMap).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.shards',
      MaxConcurrencyPath: '$.concurrency',
      ResultPath: null,
      Next: TRAINING_STEPS.reduce.state,
    });
    expect(shardMap.ItemProcessor?.ProcessorConfig).toEqual({
      Mode: 'DISTRIBUTED',
      ExecutionType: 'STANDARD',
    });
    expect(shardMap.ItemSelector).toEqual({
      'solutionVersionArn.$': '$.solutionVersionArn',
      'shard.$': '$$.Map.Item.Value',
    });
    // Its one child state is a Task on the shard worker's function, guarded like every step.
    expect(shardMap.ItemProcessor?.StartAt).toBe(step.state);
    expect(childTasks).toHaveLength(1);
    const [, child] = childTasks[0]!;
    expect(child).toMatchObject({ Type: 'Task', Resource: `\${${step.placeholder}}`, End: true });
    expect(child.TimeoutSeconds).toBe(step.timeoutSeconds);
    expect(child.Retry?.[0]?.ErrorEquals).toEqual([...TRANSIENT_ERRORS]);
    const [fnId] = view.functionFor(step.worker);
    expect(substitutions[step.placeholder]).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    // A child that fails fails the Map, whose Catch records the failure.
    expect(shardMap.Retry?.[0]?.ErrorEquals).toEqual([...TRANSIENT_ERRORS]);
    expect(shardMap.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
    ]);
  });

  it('may start, describe and stop its own child executions (Distributed Map)', () => {
    expectOwnChildExecutions(view, machine.Properties.RoleArn, machineId);
  });

  it.each(tasks)(
    '%s has a timeout, retries transient Lambda errors and catches everything',
    (name, state) => {
      expect(state.TimeoutSeconds).toBeGreaterThan(0);
      expect(state.TimeoutSeconds).toBeLessThanOrEqual(900);
      expect(state.Retry?.length).toBeGreaterThan(0);
      expect(state.Retry?.[0]?.ErrorEquals).toEqual([...TRANSIENT_ERRORS]);
      expect(state.Catch).toHaveLength(1);
      expect(state.Catch?.[0]?.ErrorEquals).toEqual(['States.ALL']);
      // Every step fails into the failure step; the failure step itself ends the execution failed.
      const target = name === 'RecordFailure' ? 'Failed' : 'RecordFailure';
      expect(state.Catch?.[0]?.Next).toBe(target);
      expect(definition.States[target]?.Type).toBe(name === 'RecordFailure' ? 'Fail' : 'Task');
    },
  );

  it('calls each step on its own worker function, through substitutions only', () => {
    const states = { ...definition.States, ...shardMap.ItemProcessor?.States };
    for (const step of TRAINING_STEP_LIST) {
      const state = states[step.state];
      expect(state?.Resource).toBe(`\${${step.placeholder}}`);
      expect(state?.TimeoutSeconds).toBe(step.timeoutSeconds);
      const [fnId] = view.functionFor(step.worker);
      expect(substitutions[step.placeholder]).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    }
    expect(Object.keys(substitutions).sort()).toEqual(TRAINING_STEP_LIST.map((s) => s.placeholder).sort());
  });

  it('may invoke exactly the step functions and logs errors', () => {
    const roleId = refTarget(machine.Properties.RoleArn);
    const statements = view.roleStatements(roleId);
    const invoked = new Set(
      statements
        .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
        .flatMap((s) => [...referencedIds(s.Resource)]),
    );
    expect(invoked).toEqual(new Set(TRAINING_STEP_LIST.map((s) => view.functionFor(s.worker)[0])));
    expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ERROR' });
  });
});

describe('who starts and stops training', () => {
  it('lets CreateSolutionVersion start executions, with the state machine ARN in its env', () => {
    expect(view.actionsOn('CreateSolutionVersion', machineId)).toEqual(new Set(['states:StartExecution']));
    expect(refTarget(view.env('CreateSolutionVersion')[ENV.TRAINING_STATE_MACHINE_ARN])).toBe(machineId);
  });

  it('lets StopSolutionVersionCreation stop executions of this state machine only', () => {
    const stops = view
      .statements('StopSolutionVersionCreation')
      .filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(stops.flatMap((s) => actionsOf(s))).toEqual(['states:StopExecution']);
    // Executions are addressed as `...:execution:<state machine name>:*`, built from the machine's name.
    expect(referencedIds(stops.map((s) => s.Resource)).has(machineId)).toBe(true);
  });

  it('lets DescribeSolutionVersion read the state of executions of this state machine only', () => {
    const reads = view
      .statements('DescribeSolutionVersion')
      .filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(reads.flatMap((s) => actionsOf(s))).toEqual(['states:DescribeExecution']);
    expect(referencedIds(reads.map((s) => s.Resource)).has(machineId)).toBe(true);
  });

  it('gives no other function any Step Functions action', () => {
    const names = [...ROUTES.map((r) => r.operation), ...WORKERS.map((w) => w.name), 'Router'];
    // CreateBatchInferenceJob starts the batch inference workflow only (test/infra/batch-inference-workflow.test.ts);
    // the automatic-training check starts trainings (test/infra/automatic-training.test.ts).
    const allowed = [
      'CreateSolutionVersion',
      'AutomaticTraining',
      'StopSolutionVersionCreation',
      'DescribeSolutionVersion',
      'CreateBatchInferenceJob',
    ];
    for (const name of names) {
      if (allowed.includes(name)) continue;
      expect([...view.actions(name)].filter((a) => a.startsWith('states:'))).toEqual([]);
      expect(view.env(name)[ENV.TRAINING_STATE_MACHINE_ARN]).toBeUndefined();
    }
  });
});

describe('training workers', () => {
  const tableIds = new Map<string, string>();
  for (const table of TABLES) {
    const holder = WORKERS.find((w) => view.env(w.name)[table.envKey] !== undefined);
    if (holder !== undefined) tableIds.set(table.id, refTarget(view.env(holder.name)[table.envKey])!);
  }
  const grantKey = { Resources: 'resources', Events: 'events', Records: 'records' } as const;
  const training = WORKERS.filter((w) => TRAINING_STEP_LIST.some((s) => s.worker === w.name));

  it.each(training.map((w) => [w.name, w] as const))('%s gets exactly its grants', (name, worker) => {
    for (const table of TABLES) {
      const access = worker.grants[grantKey[table.id as keyof typeof grantKey]];
      const id = tableIds.get(table.id);
      const actions = id === undefined ? new Set<string>() : view.actionsOn(name, id);
      if (access === undefined) {
        expect(actions.size).toBe(0);
        expect(view.env(name)[table.envKey]).toBeUndefined();
      } else {
        expect(actions).toEqual(new Set(access === 'write' ? TABLE_WRITE_ACTIONS : TABLE_READ_ACTIONS));
      }
    }
    const s3 = [...view.actions(name)].filter((a) => a.startsWith('s3:'));
    expect(s3.length > 0).toBe(worker.grants.bucket !== undefined);
    expect(s3.some((a) => a === 's3:PutObject')).toBe(worker.grants.bucket === 'write');
    expect(view.env(name)[DATA_BUCKET.envKey] !== undefined).toBe(worker.grants.bucket !== undefined);
    expect([...view.actions(name)].some((a) => a.startsWith('lambda:') || a.startsWith('sts:'))).toBe(false);
  });

  it('gives the data and model steps the training memory and every step 15 minutes', () => {
    for (const worker of training) {
      const [, fn] = view.functionFor(worker.name);
      expect(fn.Properties.Timeout).toBe(900);
      expect(fn.Properties.MemorySize).toBe(worker.largeMemory === true ? 4096 : 2048);
    }
  });

  it('takes trainingMemorySize and refuses one Lambda cannot have', () => {
    const custom = new TemplateView(synthStack({ sourceRoot, trainingMemorySize: 8192 }).template);
    expect(custom.functionFor('TrainingTrain')[1].Properties.MemorySize).toBe(8192);
    expect(custom.functionFor('TrainingPublish')[1].Properties.MemorySize).toBe(2048);
    expect(() => synthStack({ sourceRoot, trainingMemorySize: 20_000 })).toThrow(/trainingMemorySize/);
  });
});
