/**
 * Reading a synthesized template by meaning: functions are found by their operation tag, tables and buckets through
 * the env variables that point at them. Logical ids are only followed as references, never asserted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ROUTES, WORKERS } from '../../lambdas/api/routes';
import { OPERATION_TAG } from '../../lib/constructs/personalize-function';
import { OpenPersonalizeStack, type OpenPersonalizeStackProps } from '../../lib/open-personalize-stack';

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/**
 * A scratch source tree with an empty file per handler: the CDK checks that entries exist even when bundling is
 * skipped, and these tests should not depend on how far the handlers are written.
 */
export function scratchSourceRoot(handlers: readonly string[] = allHandlers()): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'op-infra-'));
  fs.writeFileSync(path.join(root, 'package-lock.json'), '{}\n');
  const dir = path.join(root, 'lambdas', 'handlers');
  fs.mkdirSync(dir, { recursive: true });
  for (const h of handlers) fs.writeFileSync(path.join(dir, `${h}.ts`), 'export {};\n');
  return root;
}

export function allHandlers(): string[] {
  return [...ROUTES.map((r) => r.handler), ...WORKERS.map((w) => w.handler), 'router', 'console-assets'];
}

/** An app that skips esbuild, so synthesis takes milliseconds. */
export function unbundledApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

export function synthStack(props: OpenPersonalizeStackProps): {
  stack: OpenPersonalizeStack;
  template: Template;
} {
  const stack = new OpenPersonalizeStack(unbundledApp(), 'Test', props);
  return { stack, template: Template.fromStack(stack) };
}

export class TemplateView {
  readonly resources: Readonly<Record<string, CfnResource>>;

  constructor(readonly template: Template) {
    this.resources = template.toJSON().Resources as Record<string, CfnResource>;
  }

  ofType(type: string): Array<[string, CfnResource]> {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }
  /** The EventBridge rules with a target whose ARN refers to the resource `id`. */
  rulesTargeting(id: string): Array<[string, CfnResource]> {
    return this.ofType('AWS::Events::Rule').filter(([, r]) =>
      (r.Properties.Targets as Array<{ Arn: unknown }>).some((t) => refTarget(t.Arn) === id),
    );
  }

  /** Logical id and resource of the function tagged with `operation`; fails unless exactly one. */
  functionFor(operation: string): [string, CfnResource] {
    const found = this.ofType('AWS::Lambda::Function').filter(
      ([, r]) => tagsOf(r)[OPERATION_TAG] === operation,
    );
    if (found.length !== 1) throw new Error(`expected one function for ${operation}, found ${found.length}`);
    return found[0]!;
  }

  env(operation: string): Record<string, unknown> {
    const [, fn] = this.functionFor(operation);
    const environment = fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
    return environment?.Variables ?? {};
  }

  /**
   * Every IAM statement attached to the function's execution role, including the managed policies the CDK moves
   * statements to when the role's inline policy would exceed IAM's size limit.
   */
  statements(operation: string): Statement[] {
    const [, fn] = this.functionFor(operation);
    return this.roleStatements(refTarget(fn.Properties.Role));
  }

  /** Every IAM statement attached to the role with logical id `roleId`, inline or in managed policies. */
  roleStatements(roleId: string | undefined): Statement[] {
    const out: Statement[] = [];
    const policies = [...this.ofType('AWS::IAM::Policy'), ...this.ofType('AWS::IAM::ManagedPolicy')];
    for (const [, policy] of policies) {
      const roles = (policy.Properties.Roles ?? []) as unknown[];
      if (!roles.some((r) => refTarget(r) === roleId)) continue;
      const doc = policy.Properties.PolicyDocument as { Statement: Statement[] };
      out.push(...doc.Statement);
    }
    return out;
  }

  /**
   * Logical id and resource of the state machine whose definition has the ARN placeholder `placeholder` (each
   * workflow has its own step placeholders); fails unless exactly one.
   */
  stateMachineWith(placeholder: string): [string, CfnResource] {
    const found = this.ofType('AWS::StepFunctions::StateMachine').filter(
      ([, m]) => placeholder in (m.Properties.DefinitionSubstitutions as object),
    );
    if (found.length !== 1)
      throw new Error(`expected one state machine using ${placeholder}, found ${found.length}`);
    return found[0]!;
  }

  actions(operation: string): Set<string> {
    return new Set(this.statements(operation).flatMap((s) => actionsOf(s)));
  }

  /** Actions of the statements whose resources mention the resource `logicalId`. */
  actionsOn(operation: string, logicalId: string): Set<string> {
    return new Set(
      this.statements(operation)
        .filter((s) => referencedIds(s.Resource).has(logicalId))
        .flatMap((s) => actionsOf(s)),
    );
  }
}

export function tagsOf(resource: CfnResource): Record<string, string> {
  const tags = (resource.Properties.Tags ?? []) as Array<{ Key: string; Value: string }>;
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The logical id behind `{Ref}` or `{Fn::GetAtt}`. */
export function refTarget(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']?.[0];
}

/** Every logical id referenced anywhere inside a template value. */
export function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, into);
  } else if (typeof value === 'object' && value !== null) {
    const target = refTarget(value);
    if (target !== undefined && !target.startsWith('AWS::')) into.add(target);
    for (const v of Object.values(value)) referencedIds(v, into);
  }
  return into;
}

/** Renders an `Fn::Join` with `{Ref: X}` replaced by `X`, e.g. to parse a JSON env value built from tokens. */
export function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join !== undefined) return join[1].map(renderJoin).join(join[0]);
  const target = refTarget(value);
  if (target === undefined) throw new Error(`cannot render ${JSON.stringify(value)}`);
  return target;
}

/**
 * Expects the state machine's role to start executions of that state machine only, and to manage (start, describe,
 * stop) no other: what a Distributed Map needs for its child executions.
 */
export function expectOwnChildExecutions(view: TemplateView, roleArn: unknown, machineId: string): void {
  const statements = view.roleStatements(refTarget(roleArn));
  const start = statements.filter((s) => actionsOf(s).includes('states:StartExecution'));
  expect(start).toHaveLength(1);
  expect([...referencedIds(start[0]!.Resource)]).toEqual([machineId]);
  const manage = statements.flatMap((s) => actionsOf(s)).filter((a) => a.startsWith('states:'));
  expect(new Set(manage)).toEqual(
    new Set(['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution']),
  );
}
