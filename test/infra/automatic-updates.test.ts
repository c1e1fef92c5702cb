/**
 * Automatic updates in the synthesized stack: the EventBridge rule `rate(2 hours)` whose only target is the update
 * state machine, the state machine built from the shared ASL with every Task guarded, what it and its workers may
 * touch, and the construct's synth-time validation.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { WORKERS } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import { DATA_BUCKET, TABLES } from '../../lambdas/store/tables';
import { TRANSIENT_ERRORS } from '../../lambdas/workflows/training-definition';
import { UPDATE_STEP_LIST, UPDATE_STEPS } from '../../lambdas/workflows/update-definition';
import { AutomaticUpdates } from '../../lib/constructs/automatic-updates';
import type { PersonalizeApi } from '../../lib/constructs/personalize-api';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '../../lib/constructs/personalize-function';
import {
  actionsOf,
  referencedIds,
  refTarget,
  scratchSourceRoot,
  synthStack,
  TemplateView,
  unbundledApp,
} from './template-helpers';

interface State {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly Retry?: Array<{ ErrorEquals: string[] }>;
  readonly Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  readonly ItemsPath?: string;
  readonly MaxConcurrency?: number;
  readonly ItemProcessor?: { StartAt: string; States: Record<string, State> };
}

const view = new TemplateView(synthStack({ sourceRoot: scratchSourceRoot() }).template);
const [machineId, machine] = view.stateMachineWith('ApplyFunctionArn');
const definition = JSON.parse(machine.Properties.DefinitionString as string) as {
  StartAt: string;
  QueryLanguage?: string;
  States: Record<string, State>;
};

describe('schedule', () => {
  const rules = view.rulesTargeting(machineId);

  it('is one enabled rule at rate(2 hours)', () => {
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(2 hours)');
    expect(rule.Properties.State ?? 'ENABLED').toBe('ENABLED');
  });

  it('targets the update state machine only, through a role that may only start it', () => {
    const [, rule] = rules[0]!;
    const targets = rule.Properties.Targets as Array<{ Arn: unknown; RoleArn: unknown; Input?: string }>;
    expect(targets).toHaveLength(1);
    const target = targets[0]!;
    expect(refTarget(target.Arn)).toBe(machineId);
    expect(JSON.parse(target.Input ?? '{}')).toEqual({});
    const statements = view.roleStatements(refTarget(target.RoleArn));
    expect(statements.flatMap((s) => actionsOf(s))).toEqual(['states:StartExecution']);
    expect(referencedIds(statements.map((s) => s.Resource))).toEqual(new Set([machineId]));
  });
});

describe('state machine', () => {
  const apply = definition.States.UpdateCampaigns?.ItemProcessor?.States[UPDATE_STEPS.apply.state];
  const scan = definition.States[UPDATE_STEPS.scan.state];

  it('is a Standard JSONPath workflow: scan, then a Map over the campaigns', () => {
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(definition.StartAt).toBe(UPDATE_STEPS.scan.state);
    expect(definition.States.UpdateCampaigns).toMatchObject({ Type: 'Map', ItemsPath: '$.campaignArns' });
    expect(definition.States.UpdateCampaigns?.MaxConcurrency).toBeGreaterThan(0);
  });

  it.each([
    ['scan', scan],
    ['apply', apply],
  ])('the %s Task has a timeout and retries transient Lambda errors', (_, state) => {
    expect(state?.Type).toBe('Task');
    expect(state?.TimeoutSeconds).toBeGreaterThan(0);
    expect(state?.TimeoutSeconds).toBeLessThanOrEqual(900);
    expect(state?.Retry?.[0]?.ErrorEquals).toEqual([...TRANSIENT_ERRORS]);
  });

  it("catches one campaign's failure so the others still update", () => {
    expect(apply?.Catch?.[0]?.ErrorEquals).toEqual(['States.ALL']);
    const next = apply?.Catch?.[0]?.Next as string;
    expect(definition.States.UpdateCampaigns?.ItemProcessor?.States[next]?.Type).toBe('Pass');
  });

  it('calls each step on its worker and may invoke exactly those', () => {
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
    for (const step of UPDATE_STEP_LIST) {
      expect(substitutions[step.placeholder]).toEqual({
        'Fn::GetAtt': [view.functionFor(step.worker)[0], 'Arn'],
      });
    }
    expect(scan?.Resource).toBe(`\${${UPDATE_STEPS.scan.placeholder}}`);
    expect(apply?.Resource).toBe(`\${${UPDATE_STEPS.apply.placeholder}}`);
    const invoked = new Set(
      view
        .roleStatements(refTarget(machine.Properties.RoleArn))
        .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
        .flatMap((s) => [...referencedIds(s.Resource)]),
    );
    expect(invoked).toEqual(new Set(UPDATE_STEP_LIST.map((s) => view.functionFor(s.worker)[0])));
  });
});

describe('update workers', () => {
  const tableIds = new Map<string, string>();
  for (const table of TABLES) {
    const holder = WORKERS.find((w) => view.env(w.name)[table.envKey] !== undefined);
    if (holder !== undefined) tableIds.set(table.id, refTarget(view.env(holder.name)[table.envKey])!);
  }
  const tableActions = (worker: string, tableId: string) => {
    const id = tableIds.get(tableId);
    return id === undefined ? new Set<string>() : view.actionsOn(worker, id);
  };

  it('the scan reads the Resources table and touches nothing else', () => {
    const name = UPDATE_STEPS.scan.worker;
    expect(tableActions(name, 'Resources')).toEqual(new Set(TABLE_READ_ACTIONS));
    expect(tableActions(name, 'Events')).toEqual(new Set());
    expect(tableActions(name, 'Records')).toEqual(new Set());
    expect([...view.actions(name)].filter((a) => a.startsWith('s3:') || a.startsWith('states:'))).toEqual([]);
    expect(view.env(name)[DATA_BUCKET.envKey]).toBeUndefined();
  });

  it('the apply step writes campaigns and artifacts, and only reads events and records', () => {
    const name = UPDATE_STEPS.apply.worker;
    expect(tableActions(name, 'Resources')).toEqual(new Set(TABLE_WRITE_ACTIONS));
    expect(tableActions(name, 'Events')).toEqual(new Set(TABLE_READ_ACTIONS));
    expect(tableActions(name, 'Records')).toEqual(new Set(TABLE_READ_ACTIONS));
    const actions = [...view.actions(name)];
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject', 's3:GetObject*', 's3:DeleteObject*']));
    expect(actions.filter((a) => a.startsWith('states:'))).toEqual([]);
    expect(view.env(name)[DATA_BUCKET.envKey]).toBeDefined();
    expect(view.env(name)[ENV.TRAINING_STATE_MACHINE_ARN]).toBeUndefined();
    expect(view.functionFor(name)[1].Properties.MemorySize).toBe(4096);
  });
});

describe('validation at synth', () => {
  const api = { workers: {} } as unknown as PersonalizeApi;
  const stack = () => new Stack(unbundledApp(), 'V');

  it('refuses an interval under one hour', () => {
    expect(() => new AutomaticUpdates(stack(), 'U', { api, interval: Duration.minutes(30) })).toThrow(
      /at least one hour/,
    );
  });

  it('refuses a memory size Lambda does not offer', () => {
    expect(() => new AutomaticUpdates(stack(), 'U', { api, memorySize: 64 })).toThrow(/memorySize/);
  });

  it('refuses an API without the update workers', () => {
    expect(() => new AutomaticUpdates(stack(), 'U', { api })).toThrow(/AutomaticUpdateScan worker/);
  });
});
