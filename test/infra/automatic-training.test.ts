/**
 * Automatic training in the synthesized stack: one hourly EventBridge rule whose only target is the check function,
 * what that function may touch (start trainings, read data, write solutions and versions, nothing else), and the
 * construct's synth-time validation.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { AUTO_TRAINING_WORKER } from '../../lambdas/api/routes';
import { ENV } from '../../lambdas/env';
import { DATA_BUCKET, TABLES } from '../../lambdas/store/tables';
import { AutomaticTraining } from '../../lib/constructs/automatic-training';
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

const sourceRoot = scratchSourceRoot();
const view = new TemplateView(synthStack({ sourceRoot }).template);
const [fnId, fn] = view.functionFor(AUTO_TRAINING_WORKER);
const [trainingMachineId] = view.stateMachineWith('PrepareFunctionArn');

const tableId = (envKey: string) => refTarget(view.env(AUTO_TRAINING_WORKER)[envKey]);

describe('schedule', () => {
  const rules = view.rulesTargeting(fnId);

  it('is one enabled rule at rate(1 hour) with the check as its only target', () => {
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(rule.Properties.State ?? 'ENABLED').toBe('ENABLED');
    const targets = rule.Properties.Targets as Array<{ Arn: unknown; Input?: string; RetryPolicy?: unknown }>;
    expect(targets).toHaveLength(1);
    expect(JSON.parse(targets[0]!.Input ?? '{}')).toEqual({});
    expect(targets[0]!.RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
  });

  it('lets EventBridge invoke the check through this rule only', () => {
    const [ruleId] = rules[0]!;
    const permissions = view
      .ofType('AWS::Lambda::Permission')
      .filter(([, p]) => refTarget(p.Properties.FunctionName) === fnId);
    expect(permissions).toHaveLength(1);
    const [, permission] = permissions[0]!;
    expect(permission.Properties.Principal).toBe('events.amazonaws.com');
    expect(permission.Properties.Action).toBe('lambda:InvokeFunction');
    expect(refTarget(permission.Properties.SourceArn)).toBe(ruleId);
  });
});

describe('the check function', () => {
  it('starts executions of the training state machine only, with its ARN in the env', () => {
    const states = view
      .statements(AUTO_TRAINING_WORKER)
      .filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(states.flatMap((s) => actionsOf(s))).toEqual(['states:StartExecution']);
    expect(referencedIds(states.map((s) => s.Resource))).toEqual(new Set([trainingMachineId]));
    expect(refTarget(view.env(AUTO_TRAINING_WORKER)[ENV.TRAINING_STATE_MACHINE_ARN])).toBe(trainingMachineId);
  });

  it('writes resources, only reads events, records and the data bucket', () => {
    const [resources, events, records] = ['Resources', 'Events', 'Records'].map((id) =>
      tableId(TABLES.find((t) => t.id === id)!.envKey),
    );
    expect(view.actionsOn(AUTO_TRAINING_WORKER, resources!)).toEqual(new Set(TABLE_WRITE_ACTIONS));
    expect(view.actionsOn(AUTO_TRAINING_WORKER, events!)).toEqual(new Set(TABLE_READ_ACTIONS));
    expect(view.actionsOn(AUTO_TRAINING_WORKER, records!)).toEqual(new Set(TABLE_READ_ACTIONS));
    const actions = [...view.actions(AUTO_TRAINING_WORKER)];
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject*', 's3:List*']));
    expect(actions.filter((a) => /^s3:(Put|Delete)/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('lambda:') || a.startsWith('sts:'))).toEqual([]);
    expect(view.env(AUTO_TRAINING_WORKER)[DATA_BUCKET.envKey]).toBeDefined();
    expect(view.env(AUTO_TRAINING_WORKER)[ENV.IMPORT_FUNCTION]).toBeUndefined();
  });

  it('gets the training memory and 15 minutes', () => {
    expect(fn.Properties.MemorySize).toBe(4096);
    expect(fn.Properties.Timeout).toBe(900);
    const custom = new TemplateView(synthStack({ sourceRoot, trainingMemorySize: 6144 }).template);
    expect(custom.functionFor(AUTO_TRAINING_WORKER)[1].Properties.MemorySize).toBe(6144);
  });
});

describe('validation at synth', () => {
  const stack = () => new Stack(unbundledApp(), 'V');
  const api = { workers: { [AUTO_TRAINING_WORKER]: undefined } } as unknown as PersonalizeApi;

  it('refuses an interval under one hour or over one day', () => {
    const real = synthStack({ sourceRoot }).stack.api;
    expect(() => new AutomaticTraining(real, 'T1', { api: real, interval: Duration.minutes(30) })).toThrow(
      /from one hour to one day/,
    );
    expect(() => new AutomaticTraining(real, 'T2', { api: real, interval: Duration.days(2) })).toThrow(
      /from one hour to one day/,
    );
  });

  it('refuses a memory size Lambda does not offer', () => {
    expect(() => new AutomaticTraining(stack(), 'T', { api, memorySize: 64 })).toThrow(/memorySize/);
  });

  it('refuses an API without the check worker', () => {
    expect(() => new AutomaticTraining(stack(), 'T', { api })).toThrow(/AutomaticTraining worker/);
  });
});
