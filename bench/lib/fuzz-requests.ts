/**
 * The fuzzer's requests: for an operation of the service models (`lambdas/api/shapes.generated.ts`), a valid body
 * built from the live resources of the fuzz world, then seeded mutations of it — a required member dropped, values
 * of the wrong JSON type, empty, over-long and odd strings, numbers out of range, bad enum values, unknown members,
 * invalid ARNs, live ARNs of the wrong type and ARNs of deleted resources, and bodies that are not JSON at all.
 */
import { SERVICE_MODELS } from '../../lambdas/api/shapes.generated';
import type { Shape, StringShape } from '../../lambdas/api/validation';
import type { Random } from '../../lambdas/engine/random';
import type { ServiceName } from '../../lambdas/errors';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = readonly (string | number)[];

/** The live resources (and the gone ones) requests refer to. */
export interface FuzzWorld {
  /** ARNs of live resources by kind, the kind being the member name without `Arn` (`datasetGroup`, `filter`, ...). */
  readonly live: Readonly<Record<string, readonly string[]>>;
  /** ARNs of deleted resources by kind. */
  readonly deleted: Readonly<Record<string, readonly string[]>>;
  readonly trackingIds: readonly string[];
  readonly deletedTrackingIds: readonly string[];
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly eventTypes: readonly string[];
  readonly roleArn: string;
  /** `s3://` URIs: an interactions CSV, a batch inference input file, an output folder. */
  readonly importLocation: string;
  readonly batchInput: string;
  readonly batchOutput: string;
  /** CreateSchema bodies that are valid Avro schemas for the world's data. */
  readonly schemas: readonly string[];
  readonly filterExpressions: readonly string[];
  /** Filter parameter names of the world's parameterised filter. */
  readonly filterParameters: readonly string[];
  /** Items-dataset columns. */
  readonly itemColumns: readonly string[];
  /** Makes names unique across runs against a persistent server. */
  readonly nameTag: string;
}

export interface FuzzRequest {
  readonly service: ServiceName;
  readonly operation: string;
  readonly body: string | Uint8Array;
  /** What was done to the valid body, e.g. `wrong-type eventList.1.sentAt`; empty for a valid request. */
  readonly mutations: readonly string[];
}

interface Site {
  readonly path: Path;
  readonly shape: string;
  readonly member: string;
  readonly required: boolean;
}

const RECIPES = [
  'arn:aws:personalize:::recipe/aws-user-personalization',
  'arn:aws:personalize:::recipe/aws-user-personalization-v2',
  'arn:aws:personalize:::recipe/aws-sims',
  'arn:aws:personalize:::recipe/aws-personalized-ranking',
  'arn:aws:personalize:::recipe/aws-popularity-count',
];

/** Strings that break naive code: control characters, lone surrogates, HTML, path tricks, prototype names. */
const ODD_STRINGS = [
  ' ',
  '\u0000',
  'a\nb',
  '\ud800',
  '😀'.repeat(3),
  'ﬁ\u202e',
  '<script>',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  '%s%n',
  '$' + '{x}',
  '"',
  '\\',
  'NaN',
  '1e309',
  '-0',
];

/**
 * How often a valid body carries these optional members (others: half the time). Members this service refuses
 * by design (domains, AutoML, other recipes' options) stay rare, so that valid bodies mostly reach the live paths.
 */
const OPTIONAL_SHARE: Readonly<Record<string, number>> = {
  userId: 0.95,
  nextToken: 0.1,
  domain: 0.03,
  performAutoML: 0.05,
  performHPO: 0.2,
  performIncrementalUpdate: 0.05,
  recommenderArn: 0.05,
  kmsKeyArn: 0.1,
  eventsConfig: 0.05,
  autoMLConfig: 0.05,
  optimizationObjective: 0.05,
  trainingDataConfig: 0.05,
  rankingInfluence: 0.05,
  properties: 0.7,
};

/** Valid item exploration settings of a campaign or batch job. */
const EXPLORATION: Readonly<Record<string, string>> = {
  explorationWeight: '0.3',
  explorationItemAgeCutOff: '30',
};

/** Bytes of padding in an oversized body: over Lambda's 6 MiB invocation payload, under API Gateway's 10 MiB. */
const OVERSIZED_BYTES = 7 * 1024 * 1024;

const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', '', ' ', '😀'];

function isRecord(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function getAt(root: Json, path: Path): Json | undefined {
  let v: Json | undefined = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, Json>)[key];
  }
  return v;
}

function setAt(root: Json, path: Path, value: Json | undefined): void {
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (parent === null || typeof parent !== 'object' || key === undefined) return;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (Array.isArray(parent)) parent[key as number] = value;
  else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

function kindOf(member: string): string | undefined {
  return member.endsWith('Arn') && member !== 'roleArn' && member !== 'kmsKeyArn'
    ? member.slice(0, -3)
    : undefined;
}

export class RequestFactory {
  private readonly shapes: Readonly<Record<string, Shape>>;
  private sites: Site[] = [];
  private names = 0;

  constructor(
    private readonly service: ServiceName,
    private readonly world: FuzzWorld,
    private readonly random: Random,
  ) {
    this.shapes = SERVICE_MODELS[service].shapes;
  }

  private pick<T>(list: readonly T[]): T {
    return list[this.random.nextInt(list.length)] as T;
  }

  private chance(p: number): boolean {
    return this.random.next() < p;
  }

  private allLive(): string[] {
    return Object.values(this.world.live).flat();
  }

  /** A well-formed ARN of the right kind for `member`: live mostly, else a live one of another kind, a deleted one
   *  or one that never existed. */
  private arnFor(member: string, live = 0.8): string {
    const kind = kindOf(member);
    if (kind === 'recipe' || member === 'recipeList')
      return this.chance(live) ? (RECIPES[0] as string) : this.pick(RECIPES);
    const right = kind === 'resource' ? this.allLive() : (this.world.live[kind ?? ''] ?? []);
    const r = this.random.next();
    if (right.length > 0 && r < live) return this.pick(right);
    if (r < live + (1 - live) / 3) return this.pick(this.allLive());
    const gone = kind === undefined ? [] : (this.world.deleted[kind] ?? []);
    if (gone.length > 0 && r < live + (2 * (1 - live)) / 3) return this.pick(gone);
    return `arn:aws:personalize:us-east-1:000000000000:${kind ?? 'thing'}/never-${this.random.nextInt(1e6)}`;
  }

  private name(): string {
    return `fz${this.world.nameTag}-${++this.names}`;
  }

  /** A valid string for `member` of shape `shape`, by member name first, then by shape. */
  private validString(shapeName: string, shape: StringShape, member: string, path: Path): string {
    if (shape.enum !== undefined) return this.pick(shape.enum);
    const w = this.world;
    switch (member) {
      case 'trackingId':
        return this.chance(0.9) || w.deletedTrackingIds.length === 0
          ? this.pick(w.trackingIds)
          : this.pick(w.deletedTrackingIds);
      case 'userId':
        return this.chance(0.9) ? this.pick(w.userIds) : `stranger-${this.random.nextInt(100)}`;
      case 'itemId':
        return this.chance(0.9) ? this.pick(w.itemIds) : `new-item-${this.random.nextInt(100)}`;
      case 'eventType':
        return this.pick(w.eventTypes);
      case 'schema':
        return this.pick(w.schemas);
      case 'filterExpression':
        return this.pick(w.filterExpressions);
      case 'datasetType':
        return this.pick(['Interactions', 'Items', 'Users', 'interactions']);
      case 'dataLocation':
        return w.importLocation;
      case 'path':
        return path.includes('jobInput') ? w.batchInput : w.batchOutput;
      case 'roleArn':
        return w.roleArn;
      case 'kmsKeyArn':
        return 'arn:aws:kms:us-east-1:000000000000:key/fuzz';
      case 'schedulingExpression':
        return `rate(${1 + this.random.nextInt(30)} days)`;
      case 'properties':
        if (path.includes('users')) return JSON.stringify({ tier: 'gold' });
        return path.includes('items') ? JSON.stringify({ genre: 'g1' }) : '{}';
      case 'tagKey':
        return `k${this.random.nextInt(5)}`;
      case 'tagValue':
        return `v${this.random.nextInt(5)}`;
      case 'domain':
        return 'ECOMMERCE';
    }
    if (shapeName === 'Arn') return this.arnFor(member);
    if (shapeName === 'Name') return this.name();
    if (shapeName === 'NextToken') return Buffer.from(String(this.random.nextUint32())).toString('base64');
    if (shapeName === 'ColumnName' || shapeName === 'AttributeName' || shapeName === 'FilterAttributeName')
      return this.pick([...w.itemColumns, ...w.filterParameters]);
    if (shapeName === 'EventAttributionSource') return 'fuzz-source';
    const min = shape.min ?? 1;
    const max = Math.min(shape.max ?? 12, min + 11);
    const length = min + this.random.nextInt(Math.max(1, max - min + 1));
    let s = '';
    for (let i = 0; i < length; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[this.random.nextInt(36)];
    return s;
  }

  /** A valid value of shape `name`, recording every member as a mutation site. */
  private valid(name: string, member: string, path: Path, depth: number, required: boolean): Json {
    const shape = this.shapes[name];
    if (shape === undefined) throw new Error(`shape ${name} is not in the ${this.service} model`);
    this.sites.push({ path, shape: name, member, required });
    switch (shape.type) {
      case 'string':
        return this.validString(name, shape, member, path);
      case 'integer':
      case 'long':
      case 'float':
      case 'double': {
        const min = shape.min ?? 0;
        const max = Math.min(shape.max ?? min + 100, min + 100);
        const v = min + this.random.next() * (max - min);
        return shape.type === 'integer' || shape.type === 'long' ? Math.round(v) : v;
      }
      case 'boolean':
        return this.chance(0.5);
      case 'timestamp':
        return Math.floor(Date.now() / 1000) - this.random.nextInt(86_400);
      case 'list': {
        const min = shape.min ?? 0;
        const n = Math.max(min, Math.min(shape.max ?? 3, 1 + this.random.nextInt(3)));
        const out: Json[] = [];
        for (let i = 0; i < n; i++) out.push(this.valid(shape.member, member, [...path, i], depth + 1, true));
        return out;
      }
      case 'map': {
        const out: Record<string, Json> = {};
        const n = Math.max(shape.min ?? 0, 1);
        for (let i = 0; i < n; i++) {
          const keyShape = this.shapes[shape.key] as StringShape;
          if (member === 'itemExplorationConfig' && this.chance(0.8)) {
            const key = this.pick(Object.keys(EXPLORATION));
            out[key] = EXPLORATION[key] as string;
            continue;
          }
          const key =
            member === 'filterValues'
              ? this.pick(this.world.filterParameters)
              : member === 'metadataColumns'
                ? 'Items'
                : this.validString(shape.key, keyShape, `${member}Key`, path);
          const value =
            member === 'filterValues'
              ? '"g1"'
              : member === 'metadataColumns'
                ? this.pick(this.world.itemColumns)
                : this.valid(shape.value, `${member}Value`, [...path, key], depth + 1, true);
          out[key] = member === 'metadataColumns' ? [value] : value;
        }
        return out;
      }
      case 'structure': {
        const out: Record<string, Json> = {};
        const required = new Set(shape.required ?? []);
        for (const [m, target] of Object.entries(shape.members)) {
          const isRequired = required.has(m);
          if (!isRequired && (depth > 3 || !this.chance(OPTIONAL_SHARE[m] ?? 0.5))) continue;
          out[m] = this.valid(target, m, [...path, m], depth + 1, isRequired);
        }
        return out;
      }
    }
  }

  /** A value of another JSON type than shape `name` takes. */
  private wrongType(name: string): Json {
    const type = this.shapes[name]?.type;
    const options: Json[] = [
      'a string',
      42,
      -1.5,
      true,
      [],
      ['x'],
      {},
      { nested: { deeper: [1] } },
      Number.MAX_SAFE_INTEGER,
    ];
    const fits = (v: Json): boolean => {
      if (type === 'string') return typeof v === 'string';
      if (type === 'boolean') return typeof v === 'boolean';
      if (type === 'list') return Array.isArray(v);
      if (type === 'structure' || type === 'map') return isRecord(v);
      return typeof v === 'number';
    };
    return this.pick(options.filter((v) => !fits(v)));
  }

  private badString(shape: StringShape, member: string): [string, string] {
    const max = shape.max ?? 256;
    if (shape.enum !== undefined && this.chance(0.5)) {
      const e = this.pick(shape.enum);
      return [this.chance(0.5) ? e.toLowerCase() : `${e}_NOT`, 'bad enum'];
    }
    const r = this.random.nextInt(8);
    if (r === 0) return ['', 'empty'];
    if (r === 1) return ['x'.repeat(max + 1), 'one over max length'];
    if (r === 2) return ['y'.repeat(Math.min(max * 10 + 7, 300_000)), 'overlong'];
    if (r === 4 && kindOf(member) !== undefined) return [this.invalidArn(member), 'invalid arn'];
    if (r === 5) return [this.arnFor(member, 0), 'foreign arn'];
    if (r === 6 && member === 'properties') {
      const key = this.pick(ODD_KEYS);
      const props = this.chance(0.5)
        ? `{${JSON.stringify(key)}:"x"}`
        : `{"genre":"g1",${JSON.stringify(key)}:{"a":[1]}}`;
      return [props, 'odd property name'];
    }
    return [this.pick(ODD_STRINGS), 'odd string'];
  }

  private invalidArn(member: string): string {
    const kind = kindOf(member) ?? 'thing';
    const live = this.pick(this.allLive());
    return this.pick([
      'arn:aws:personalize:::',
      `arn:aws:s3:::bucket/${kind}`,
      `arn:aws:personalize:eu-west-1:123456789012:${kind}/x`,
      `arn:aws:personalize:us-east-1:000000000000:${kind}/`,
      `arn:aws:personalize:us-east-1:000000000000:${kind}`,
      `arn:aws:personalize:us-east-1:000000000000:${kind}/a/b/c`,
      `${live}/extra`,
      `${live}x`,
      live.toUpperCase(),
      `${live.slice(0, -1)}`,
      `arn:aws:personalize:us-east-1:000000000000:${'z'.repeat(240)}`,
      `arn:aws:personalize:us-east-1:000000000000:${kind}/😀`,
      `arn:aws:personalize:us-east-1:000000000000:${kind}/%2e%2e`,
      'not-an-arn',
    ]);
  }

  private badNumber(name: string): [number, string] {
    const shape = this.shapes[name] as { min?: number; max?: number; type: string };
    const options: [number, string][] = [
      [-1, '-1'],
      [0, '0'],
      [2 ** 31, '2^31'],
      [-(2 ** 31) - 1, '-2^31-1'],
      [2 ** 53 + 2, '2^53+2'],
      [1e300, '1e300'],
      [0.5, '0.5'],
      [-0, '-0'],
    ];
    if (shape.min !== undefined) options.push([shape.min - 1, `min-1`]);
    if (shape.max !== undefined) options.push([shape.max + 1, `max+1`]);
    return this.pick(options);
  }

  /** Mutates one site of `body` in place; returns what it did. */
  private mutate(body: Record<string, Json>): string {
    // The body itself is one site of many kinds: mostly mutate a member instead, so unknown members stay a share.
    const members = this.sites.filter((x) => x.path.length > 0);
    const site = members.length > 0 && this.chance(0.8) ? this.pick(members) : this.pick(this.sites);
    const at = site.path.join('.') || '(body)';
    const shape = this.shapes[site.shape] as Shape;
    if (site.path.length === 0) return this.unknownMember(body, body);
    const r = this.random.nextInt(10);
    if (r === 0) {
      setAt(body, site.path, undefined);
      return `${site.required ? 'drop required' : 'drop optional'}: ${at}`;
    }
    if (r === 1) {
      setAt(body, site.path, null);
      return `null: ${at}`;
    }
    if (r === 2 || r === 3) {
      setAt(body, site.path, this.wrongType(site.shape));
      return `wrong type: ${at}`;
    }
    if (r === 4 || r === 5) {
      const target = getAt(body, site.path);
      if (isRecord(target)) return this.unknownMember(body, target);
      if (Array.isArray(target)) {
        const list = shape as { max?: number; min?: number };
        if (this.chance(0.5) || target.length === 0) {
          setAt(body, site.path, []);
          return `empty list: ${at}`;
        }
        const n = Math.min((list.max ?? 25) + 1, 600);
        setAt(
          body,
          site.path,
          Array.from({ length: n }, () => target[0] as Json),
        );
        return `list too long: ${n} at ${at}`;
      }
    }
    switch (shape.type) {
      case 'string': {
        const [value, what] = this.badString(shape, site.member);
        setAt(body, site.path, value);
        return `${what}: ${at}`;
      }
      case 'integer':
      case 'long':
      case 'float':
      case 'double':
      case 'timestamp': {
        const [value, what] = this.badNumber(site.shape);
        setAt(body, site.path, value);
        return `number out of range: ${what} at ${at}`;
      }
      case 'map': {
        const map = getAt(body, site.path);
        if (isRecord(map)) {
          const key = this.pick(ODD_KEYS);
          Object.defineProperty(map, key, {
            value: 'v',
            enumerable: true,
            writable: true,
            configurable: true,
          });
          return `odd map key: ${JSON.stringify(key)} at ${at}`;
        }
        break;
      }
    }
    setAt(body, site.path, this.wrongType(site.shape));
    return `wrong type: ${at}`;
  }

  private unknownMember(body: Record<string, Json>, target: Record<string, Json>): string {
    const key = this.chance(0.5) ? this.pick(ODD_KEYS) : `unknownMember${this.random.nextInt(10)}`;
    Object.defineProperty(target, key, {
      value: this.pick<Json>(['x', 1, { a: 1 }, [null], null]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return `${target === body ? 'unknown member' : 'unknown nested member'}: ${JSON.stringify(key)}`;
  }

  /** A body that is not the JSON object the operation expects. */
  private malformed(valid: string): [string | Uint8Array, string] {
    const r = this.random.nextInt(12);
    if (r === 0) return [valid.slice(0, Math.max(1, this.random.nextInt(valid.length))), 'truncated json'];
    if (r === 1) return [`${valid}}`, 'trailing garbage'];
    if (r === 2) return [this.pick(['[]', 'null', '"x"', '42', 'true', '[{}]']), 'json not an object'];
    if (r === 3) return ['{"a":}', 'invalid json'];
    if (r === 4) return [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'invalid utf-8'];
    if (r === 5) return [`\ufeff${valid}`, 'byte order mark'];
    if (r === 6) return [`${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'deeply nested array'];
    if (r === 7) return [`{"a":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_001)}`, 'deeply nested object'];
    if (r === 8) return [valid.replace(/^\{/, '{"name":"a","name":'), 'duplicate keys'];
    if (r === 9)
      return ['{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}', 'prototype keys'];
    if (r === 10)
      return this.chance(0.5)
        ? [valid.replace(/:(\s*)\d+/, (_, space: string) => `:${space}NaN`), 'NaN literal']
        : [valid.replace(/:(\s*)\d+/, (_, space: string) => `:${space}1e400`), '1e400 literal'];
    return ['', 'empty body'];
  }

  /** One request for `operation`: valid, or with one or two mutations. */
  next(operation: string): FuzzRequest {
    const inputShape = SERVICE_MODELS[this.service].operations[operation];
    if (inputShape === undefined) throw new Error(`${operation} is not in the ${this.service} model`);
    this.sites = [];
    const body = this.valid(inputShape, '', [], 0, true) as Record<string, Json>;
    const r = this.random.next();
    if (r < 0.12) return { service: this.service, operation, body: JSON.stringify(body), mutations: [] };
    if (r < 0.123) {
      // Over Lambda's 6 MB invocation payload and under API Gateway's 10 MB: rare, these take a while to send.
      body[`padding${this.random.nextInt(10)}`] = 'p'.repeat(OVERSIZED_BYTES);
      return { service: this.service, operation, body: JSON.stringify(body), mutations: ['oversized body'] };
    }
    if (r < 0.22) {
      const [raw, what] = this.malformed(JSON.stringify(body));
      return { service: this.service, operation, body: raw, mutations: [what] };
    }
    const mutations = [this.mutate(body)];
    if (r > 0.85) mutations.push(this.mutate(body));
    return { service: this.service, operation, body: JSON.stringify(body), mutations };
  }
}
