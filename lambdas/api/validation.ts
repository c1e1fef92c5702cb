/**
 * Request validation against the service models (spec §1.4, §8 items 9, 16): the SDKs check little or nothing, so
 * every constraint of the model — and the documented limits the model lacks — is enforced here, at the boundary.
 * Messages follow AWS's wording and name the member path, e.g.
 * `1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must satisfy ...`.
 */
import { type ErrorName, PersonalizeError, type ServiceName } from '../errors';
import { SERVICE_MODELS } from './shapes.generated';

interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

export interface StringShape extends Bounds {
  readonly type: 'string';
  readonly pattern?: string;
  readonly enum?: readonly string[];
}
export interface NumberShape extends Bounds {
  readonly type: 'integer' | 'long' | 'double' | 'float';
}
export interface BooleanShape {
  readonly type: 'boolean';
}
export interface TimestampShape {
  readonly type: 'timestamp';
}
export interface ListShape extends Bounds {
  readonly type: 'list';
  readonly member: string;
}
export interface MapShape extends Bounds {
  readonly type: 'map';
  readonly key: string;
  readonly value: string;
}
export interface StructureShape {
  readonly type: 'structure';
  readonly members: Readonly<Record<string, string>>;
  readonly required?: readonly string[];
}
export type Shape =
  | StringShape
  | NumberShape
  | BooleanShape
  | TimestampShape
  | ListShape
  | MapShape
  | StructureShape;

/** One service's input shapes: operation name → input shape name, and the shapes by name. */
export interface ServiceModel {
  readonly operations: Readonly<Record<string, string>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

/**
 * A documented limit stricter than the model (spec §5, §8 item 9): a new `max` for a shape's length, size or value.
 * `error` defaults to `InvalidInputException` with the usual constraint message.
 */
export interface LimitOverlay {
  readonly service: ServiceName;
  readonly shape: string;
  readonly max: number;
  readonly error?: { readonly name: ErrorName; readonly message: string };
}

export const DOCUMENTED_LIMITS: readonly LimitOverlay[] = [
  {
    service: 'control',
    shape: 'Tags',
    max: 50,
    error: {
      name: 'TooManyTagsException',
      message: 'The number of tags exceeds the limit of 50 per resource.',
    },
  },
  { service: 'runtime', shape: 'NumResults', max: 500 },
  { service: 'runtime', shape: 'InputList', max: 500 },
  { service: 'runtime', shape: 'ColumnNamesList', max: 10 },
];

/**
 * Linear-time equivalents of model patterns that backtrack badly in JavaScript. The events model's
 * `^[\x20-\x7E]*[\x21-\x7E]+[\x20-\x7E]*$` (printable ASCII with at least one non-space) takes hundreds of
 * milliseconds on a 1024-character near-miss; ten of them per PutEvents call would be a cheap denial of service.
 */
export const SAFE_PATTERNS: Readonly<Record<string, RegExp>> = {
  '^[\\x20-\\x7E]*[\\x21-\\x7E]+[\\x20-\\x7E]*$': /^(?=[\x20-\x7E]*$) *[\x21-\x7E]/,
};

/** The model's Java pattern as a JS RegExp with `matches()` (whole-string) semantics. */
export function compilePattern(pattern: string): RegExp {
  return SAFE_PATTERNS[pattern] ?? new RegExp(`^(?:${pattern})$`, 'u');
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** AWS lists every violation; a handful is enough to act on and keeps the message bounded. */
const MAX_REPORTED = 5;

interface Compiled {
  readonly shapes: ReadonlyMap<string, Shape>;
  readonly patterns: ReadonlyMap<string, RegExp>;
  readonly overlays: ReadonlyMap<string, LimitOverlay>;
}

function compile(service: ServiceName): Compiled {
  const model = SERVICE_MODELS[service];
  const shapes = new Map<string, Shape>(Object.entries(model.shapes));
  const patterns = new Map<string, RegExp>();
  for (const [name, shape] of shapes) {
    if (shape.type === 'string' && shape.pattern !== undefined)
      patterns.set(name, compilePattern(shape.pattern));
  }
  const overlays = new Map<string, LimitOverlay>();
  for (const o of DOCUMENTED_LIMITS) {
    if (o.service === service) overlays.set(o.shape, o);
  }
  return { shapes, patterns, overlays };
}

const compiled = new Map<ServiceName, Compiled>();
function compiledFor(service: ServiceName): Compiled {
  let c = compiled.get(service);
  if (c === undefined) {
    c = compile(service);
    compiled.set(service, c);
  }
  return c;
}

/** Whether the model of `service` has an operation of that name with an input shape. */
export function hasOperation(service: ServiceName, operation: string): boolean {
  return Object.hasOwn(SERVICE_MODELS[service].operations, operation);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** String length as the models define it: Unicode code points, so a surrogate pair counts once. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function render(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (Array.isArray(v))
    return `'[${v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ')}]'`;
  if (typeof v === 'object') return `'${JSON.stringify(v)}'`;
  return `'${String(v)}'`;
}

class Walker {
  readonly violations: string[] = [];

  constructor(private readonly c: Compiled) {}

  private violation(value: unknown, path: string, constraint: string): void {
    this.violations.push(`Value ${render(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  private typeError(path: string, expected: string): never {
    throw new PersonalizeError('SerializationException', `Expected ${expected} at '${path}'.`);
  }

  private maxFor(shapeName: string, modelMax: number | undefined): number | undefined {
    const o = this.c.overlays.get(shapeName);
    if (o === undefined) return modelMax;
    if (modelMax !== undefined && modelMax < o.max) return modelMax;
    return o.max;
  }

  private checkMax(
    shapeName: string,
    modelMax: number | undefined,
    size: number,
    value: unknown,
    path: string,
    what: 'length' | 'value',
  ): void {
    const max = this.maxFor(shapeName, modelMax);
    if (max === undefined || size <= max) return;
    const o = this.c.overlays.get(shapeName);
    if (o?.error !== undefined && max === o.max) throw new PersonalizeError(o.error.name, o.error.message);
    this.violation(value, path, `Member must have ${what} less than or equal to ${max}`);
  }

  /** Validates `value` (never null/undefined) against shape `name`; returns the value handlers receive. */
  visit(name: string, value: unknown, path: string): unknown {
    const shape = this.c.shapes.get(name);
    if (shape === undefined) throw new Error(`shape ${name} missing from the generated model`);
    switch (shape.type) {
      case 'string': {
        if (typeof value !== 'string') this.typeError(path, 'a string');
        const len = codePointLength(value);
        const before = this.violations.length;
        if (shape.min !== undefined && len < shape.min) {
          this.violation(value, path, `Member must have length greater than or equal to ${shape.min}`);
        }
        this.checkMax(name, shape.max, len, value, path, 'length');
        const re = this.c.patterns.get(name);
        // A pattern never runs on an over-long string: bounded length keeps every regex's cost bounded.
        if (re !== undefined && this.violations.length === before && !re.test(value)) {
          this.violation(value, path, `Member must satisfy regular expression pattern: ${shape.pattern}`);
        }
        if (shape.enum !== undefined && !shape.enum.includes(value)) {
          this.violation(value, path, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
        }
        return value;
      }
      case 'integer':
      case 'long':
      case 'double':
      case 'float': {
        if (typeof value !== 'number' || !Number.isFinite(value)) this.typeError(path, 'a number');
        if (shape.type === 'integer' || shape.type === 'long') {
          if (!Number.isInteger(value)) this.typeError(path, 'an integer');
          if (shape.type === 'integer' && (value < INT32_MIN || value > INT32_MAX)) {
            this.typeError(path, 'a 32-bit integer');
          }
        }
        // A float holds what a 32-bit float can: 1e300 overflows it (and could not be stored); 1e-300 is 0.
        if (shape.type === 'float') {
          const single = Math.fround(value);
          if (!Number.isFinite(single)) this.typeError(path, 'a 32-bit float');
          if (single === 0) return 0;
        }
        if (shape.min !== undefined && value < shape.min) {
          this.violation(value, path, `Member must have value greater than or equal to ${shape.min}`);
        }
        this.checkMax(name, shape.max, value, value, path, 'value');
        return value;
      }
      case 'boolean':
        if (typeof value !== 'boolean') this.typeError(path, 'a boolean');
        return value;
      case 'timestamp':
        // No timestampFormat trait in these models: epoch seconds, fractional allowed (spec §1.4).
        if (typeof value !== 'number' || !Number.isFinite(value))
          this.typeError(path, 'a timestamp in epoch seconds');
        return new Date(Math.round(value * 1000));
      case 'list': {
        if (!Array.isArray(value)) this.typeError(path, 'a list');
        if (shape.min !== undefined && value.length < shape.min) {
          this.violation(value, path, `Member must have length greater than or equal to ${shape.min}`);
        }
        this.checkMax(name, shape.max, value.length, value, path, 'length');
        return value.map((item: unknown, i) => {
          const p = `${path}.${i + 1}.member`;
          if (item === null || item === undefined) {
            this.violation(item, p, 'Member must not be null');
            return item;
          }
          return this.visit(shape.member, item, p);
        });
      }
      case 'map': {
        if (!isObject(value)) this.typeError(path, 'a map');
        const entries = Object.entries(value);
        if (shape.min !== undefined && entries.length < shape.min) {
          this.violation(value, path, `Member must have length greater than or equal to ${shape.min}`);
        }
        this.checkMax(name, shape.max, entries.length, value, path, 'length');
        const out: Record<string, unknown> = {};
        for (const [k, v] of entries) {
          this.visit(shape.key, k, `${path}.${k}.key`);
          if (v === null || v === undefined) {
            this.violation(v, `${path}.${k}.value`, 'Member must not be null');
            continue;
          }
          out[k] = this.visit(shape.value, v, `${path}.${k}.value`);
        }
        return out;
      }
      case 'structure': {
        if (!isObject(value)) this.typeError(path, 'a structure');
        const out: Record<string, unknown> = {};
        const prefix = path === '' ? '' : `${path}.`;
        for (const r of shape.required ?? []) {
          const v = value[r];
          if (v === null || v === undefined) this.violation(null, prefix + r, 'Member must not be null');
        }
        for (const [member, target] of Object.entries(shape.members)) {
          const v = value[member];
          // SDKs omit unset members; null means the same (spec §1.4). Unknown members are dropped.
          if (v === null || v === undefined) continue;
          out[member] = this.visit(target, v, prefix + member);
        }
        return out;
      }
    }
  }
}

/**
 * Validates a parsed request body against the input shape of `service`/`operation` and returns the input handlers
 * receive: timestamps as `Date`, `null` members and members unknown to the model removed.
 * Throws `SerializationException` for a value of the wrong JSON type and `InvalidInputException` (or the error a
 * documented limit names) for constraint violations.
 */
export function validateInput(
  service: ServiceName,
  operation: string,
  body: unknown,
): Record<string, unknown> {
  const inputShape = SERVICE_MODELS[service].operations[operation];
  if (inputShape === undefined) {
    throw new Error(`operation ${operation} is not in the ${service} model`);
  }
  const walker = new Walker(compiledFor(service));
  const out = walker.visit(inputShape, body as Json, '') as Record<string, unknown>;
  const n = walker.violations.length;
  if (n > 0) {
    const shown = walker.violations.slice(0, MAX_REPORTED).join('; ');
    throw new PersonalizeError(
      'InvalidInputException',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${shown}`,
    );
  }
  return out;
}
