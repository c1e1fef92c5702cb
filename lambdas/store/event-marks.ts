/**
 * Write marks: a small record, in the Events table, of when a dataset group's events were written and which event
 * times they carry, so a reader can learn what arrived since a moment without reading the group's events. Automatic
 * updates, UPDATE versions and the automatic-training check read only the events the marks point at.
 *
 * - Mark: `pk` = "marks|<group>", `sk` = "<write bucket start, 15-digit epoch ms>#<writer>#<sequence>", `spans` =
 *   the event-time spans covered (pairs of {@link SPAN_MS} indices, inclusive), `links` = true when it covers a
 *   session link. Marks carry no `gpk`, so they are in no index; `expiresAt` lets DynamoDB drop them after
 *   {@link MARK_RETENTION_MS}, and a reader asking about an older moment gets no answer.
 * - A writer (one `EventStore`) writes a mark before the events it covers, and only when they fall outside what its
 *   marks of the current write bucket already cover: with real-time traffic that is one small write per group per
 *   {@link MARK_BUCKET_MS} per process, not one per event or per call. Each mark is a new item (its own sequence
 *   number), so concurrent writers never overwrite each other's marks; a reader takes their union.
 * - A mark is durable before its events are written, so a reader never misses an event a mark should cover. A mark
 *   whose events then failed to be written only makes a reader look at an event-time span for nothing.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

/** Width of a write bucket: marks are grouped by when their events were written. */
export const MARK_BUCKET_MS = 60_000;
/** Width of an event-time span: marks say which spans of event time their events fall in. */
export const SPAN_MS = 600_000;
/** How long marks are kept: a reader asking about an earlier moment is told nothing is known. */
export const MARK_RETENTION_MS = 35 * 86_400_000;
/** Spans per mark at most; beyond it the closest spans merge (a reader then reads a little more, never less). */
const MAX_SPANS = 256;
/**
 * Marks per writer, group and write bucket at most: the last one covers all event time, so events sent with
 * scattered old timestamps (a backfill through PutEvents) cost a bounded number of marks, and a reader of that
 * bucket reads the group's events in full.
 */
const MAX_MARKS_PER_BUCKET = 8;
const TIME_WIDTH = 15;

/** What was written to a group at or after a moment, from its marks. */
export interface WrittenSince {
  /** Event-time ranges [from, to) in epoch ms, sorted and disjoint, that hold every event written since. */
  readonly ranges: readonly (readonly [number, number])[];
  /** Whether a session was tied to a user since. */
  readonly links: boolean;
  /** Marks read. */
  readonly marks: number;
}

/** The fields of an event a mark looks at. */
interface Marked {
  readonly datasetGroupArn: string;
  /** Event time, epoch seconds. */
  readonly timestamp: number;
  /** Epoch ms of the write. */
  readonly writtenAt: number;
}

interface Coverage {
  bucket: number;
  spans: Set<number>;
  links: boolean;
  all: boolean;
  marks: number;
}

interface Needed {
  readonly group: string;
  readonly bucket: number;
  readonly spans: Set<number>;
  links: boolean;
  all: boolean;
}

const marksPk = (group: string) => `marks|${group}`;
const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(TIME_WIDTH, '0');
const bucketOf = (writtenAt: number) => Math.floor(writtenAt / MARK_BUCKET_MS) * MARK_BUCKET_MS;

/** Sorted span indices as inclusive [from, to] runs, merged closest-first down to {@link MAX_SPANS}. */
export function spanRuns(spans: Iterable<number>): [number, number][] {
  const sorted = [...new Set(spans)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const s of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && s === last[1] + 1) last[1] = s;
    else runs.push([s, s]);
  }
  while (runs.length > MAX_SPANS) {
    let best = 0;
    for (let i = 1; i < runs.length - 1; i++) {
      const gap = (runs[i + 1] as [number, number])[0] - (runs[i] as [number, number])[1];
      const bestGap = (runs[best + 1] as [number, number])[0] - (runs[best] as [number, number])[1];
      if (gap < bestGap) best = i;
    }
    const [a, b] = [runs[best] as [number, number], runs[best + 1] as [number, number]];
    runs.splice(best, 2, [a[0], b[1]]);
  }
  return runs;
}

export class EventMarks {
  private readonly writer = randomUUID().slice(0, 8);
  private sequence = 0;
  /** Per group: what this writer's marks of its newest write bucket cover. */
  private readonly covered = new Map<string, Coverage>();

  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Makes sure marks cover `events` before they are written. `undefined` when they already do (the common case, so
   * the caller awaits nothing); else a promise that settles once the missing marks are stored.
   */
  cover(events: readonly Marked[]): Promise<void> | undefined {
    let needed: Map<string, Needed> | undefined;
    for (const e of events) {
      const bucket = bucketOf(e.writtenAt);
      const span = Math.floor((e.timestamp * 1000) / SPAN_MS);
      const have = this.covered.get(e.datasetGroupArn);
      if (have?.bucket === bucket && (have.all || have.spans.has(span))) continue;
      needed ??= new Map();
      const key = `${e.datasetGroupArn}\u0000${bucket}`;
      let entry = needed.get(key);
      if (entry === undefined) {
        const all = have?.bucket === bucket && have.marks >= MAX_MARKS_PER_BUCKET - 1;
        entry = { group: e.datasetGroupArn, bucket, spans: new Set(), links: false, all };
        needed.set(key, entry);
      }
      entry.spans.add(span);
    }
    return needed === undefined ? undefined : this.write([...needed.values()]);
  }

  /** Makes sure a mark says a session of the group was tied to a user at `linkedAt` (epoch ms). */
  coverLink(datasetGroupArn: string, linkedAt: number): Promise<void> | undefined {
    const bucket = bucketOf(linkedAt);
    const have = this.covered.get(datasetGroupArn);
    if (have?.bucket === bucket && have.links) return undefined;
    return this.write([{ group: datasetGroupArn, bucket, spans: new Set(), links: true, all: false }]);
  }

  private async write(needed: readonly Needed[]): Promise<void> {
    await Promise.all(
      needed.map((n) =>
        this.ddb.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: marksPk(n.group),
              sk: `${pad(n.bucket)}#${this.writer}#${this.sequence++}`,
              spans: spanRuns(n.spans),
              ...(n.links ? { links: true } : {}),
              ...(n.all ? { all: true } : {}),
              expiresAt: Math.ceil((n.bucket + MARK_RETENTION_MS) / 1000),
            },
          }),
        ),
      ),
    );
    for (const n of needed) {
      const have = this.covered.get(n.group);
      if (have === undefined || have.bucket < n.bucket) {
        this.covered.set(n.group, {
          bucket: n.bucket,
          spans: new Set(n.spans),
          links: n.links,
          all: n.all,
          marks: 1,
        });
      } else if (have.bucket === n.bucket) {
        for (const s of n.spans) have.spans.add(s);
        have.links ||= n.links;
        have.all ||= n.all;
        have.marks++;
      }
    }
  }

  /**
   * What marks say was written to the group at or after `since` (epoch ms), read consistently; `undefined` when
   * `since` is older than marks are kept, as of `now`.
   */
  async since(datasetGroupArn: string, since: number, now: number): Promise<WrittenSince | undefined> {
    if (since < now - MARK_RETENTION_MS + MARK_BUCKET_MS) return undefined;
    const runs: [number, number][] = [];
    let links = false;
    let all = false;
    let marks = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          ExpressionAttributeValues: { ':pk': marksPk(datasetGroupArn), ':from': pad(bucketOf(since)) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        marks++;
        if (item.links === true) links = true;
        if (item.all === true) all = true;
        for (const [from, to] of (item.spans ?? []) as [number, number][]) runs.push([from, to]);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    if (all) return { ranges: [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]], links, marks };
    // The union of the marks' runs, merged where they touch.
    runs.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [from, to] of runs) {
      const last = merged[merged.length - 1];
      if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    const ranges = merged.map(([from, to]) => [from * SPAN_MS, (to + 1) * SPAN_MS] as const);
    return { ranges, links, marks };
  }
}
