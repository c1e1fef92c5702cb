/**
 * User history lengths for the solution page's histogram, computed in the browser from the interactions file the
 * user picks (the same CSV they import). The public API has no operation that returns per-user counts, so the
 * console reads the file locally instead of asking the service; nothing is uploaded.
 *
 * The cuts reuse the engine's own rule (`selectUsersByHistoryLength`), so the users the chart says a cut keeps are
 * the users training keeps, given the same event type and event value threshold.
 */
import { selectUsersByHistoryLength } from '../../lambdas/engine/dataset';
import { type CsvRecord, parseCsv } from '../../lambdas/services/csv';

export interface InteractionFilter {
  readonly eventType?: string;
  readonly eventValueThreshold?: number;
}

/** The columns the histogram needs, read from an interactions file; other columns are ignored. */
export interface HistoryRow {
  readonly userId: string;
  readonly eventType?: string;
  readonly eventValue?: number;
}

/** Malformed input file: the message names the line, as import failures do. */
export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

/** Reads USER_ID, EVENT_TYPE and EVENT_VALUE out of CSV records (header first, any column order). */
export async function* historyRows(batches: AsyncIterable<CsvRecord[]>): AsyncGenerator<HistoryRow> {
  let user = -1;
  let type = -1;
  let value = -1;
  let header = true;
  for await (const batch of batches) {
    for (const record of batch) {
      if (header) {
        const names = record.fields.map((f) => f.trim().toUpperCase());
        user = names.indexOf('USER_ID');
        type = names.indexOf('EVENT_TYPE');
        value = names.indexOf('EVENT_VALUE');
        if (user < 0) throw new HistoryFileError(`Line ${record.line}: the header has no USER_ID column.`);
        header = false;
        continue;
      }
      const userId = record.fields[user];
      if (userId === undefined || userId === '') {
        throw new HistoryFileError(`Line ${record.line}: column USER_ID is empty.`);
      }
      const rawValue = value >= 0 ? record.fields[value] : undefined;
      const eventValue = rawValue === undefined || rawValue === '' ? undefined : Number(rawValue);
      yield {
        userId,
        ...(type >= 0 && record.fields[type] !== undefined ? { eventType: record.fields[type] } : {}),
        ...(eventValue !== undefined && Number.isFinite(eventValue) ? { eventValue } : {}),
      };
    }
  }
}

/** Counts each user's interactions that pass the solution's filter (the rule training applies before the cuts). */
export async function historyLengths(
  rows: AsyncIterable<HistoryRow> | Iterable<HistoryRow>,
  filter: InteractionFilter,
): Promise<Int32Array> {
  const counts = new Map<string, number>();
  for await (const r of rows) {
    if (filter.eventType !== undefined && r.eventType !== filter.eventType) continue;
    if (filter.eventValueThreshold !== undefined) {
      if (r.eventValue === undefined || !(r.eventValue >= filter.eventValueThreshold)) continue;
    }
    counts.set(r.userId, (counts.get(r.userId) ?? 0) + 1);
  }
  return Int32Array.from(counts.values());
}

/** Parses a CSV byte stream into history rows. */
export function rowsFromCsv(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<HistoryRow> {
  return historyRows(parseCsv(source));
}

export interface Cuts {
  /** Users with at least one interaction after the filter. */
  readonly total: number;
  /** Shortest history the min cut keeps (undefined: nobody is kept). */
  readonly minLength?: number;
  /** Longest history the max cut keeps. */
  readonly maxLength?: number;
  /** Users the min cut alone keeps (history ≥ its threshold). */
  readonly keptByMin: number;
  /** Users the max cut alone keeps (history ≤ its threshold). */
  readonly keptByMax: number;
  /** Users both cuts keep: the ones training uses. */
  readonly kept: number;
}

function keepMask(lengths: Int32Array, min: number, max: number): Uint8Array {
  const offsets = new Int32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = (offsets[i] as number) + (lengths[i] as number);
  return selectUsersByHistoryLength(offsets, min, max);
}

/** Applies the two percentile cuts with the engine's rule and counts what each keeps. */
export function percentileCuts(lengths: Int32Array, minPercentile: number, maxPercentile: number): Cuts {
  const both = keepMask(lengths, minPercentile, maxPercentile);
  const onlyMin = keepMask(lengths, minPercentile, 1);
  const onlyMax = keepMask(lengths, 0, maxPercentile);
  let kept = 0;
  let keptByMin = 0;
  let keptByMax = 0;
  let minLength: number | undefined;
  let maxLength: number | undefined;
  for (let i = 0; i < lengths.length; i++) {
    keptByMin += onlyMin[i] as number;
    keptByMax += onlyMax[i] as number;
    if (both[i] === 1) {
      kept++;
      const len = lengths[i] as number;
      if (minLength === undefined || len < minLength) minLength = len;
      if (maxLength === undefined || len > maxLength) maxLength = len;
    }
  }
  return { total: lengths.length, minLength, maxLength, keptByMin, keptByMax, kept };
}

export interface Bin {
  /** Inclusive lower and upper history length of the bin. */
  readonly from: number;
  readonly to: number;
  readonly users: number;
}

/** Equal-width bins over 1..max length; one bin per length when there are at most `maxBins` lengths. */
export function histogramBins(lengths: Int32Array, maxBins = 60): Bin[] {
  let longest = 0;
  for (const len of lengths) if (len > longest) longest = len;
  if (longest === 0) return [];
  const width = Math.max(1, Math.ceil(longest / maxBins));
  const count = Math.ceil(longest / width);
  const users = new Array<number>(count).fill(0);
  for (const len of lengths) {
    const b = Math.min(count - 1, Math.floor((len - 1) / width));
    users[b] = (users[b] as number) + 1;
  }
  return users.map((n, b) => ({ from: b * width + 1, to: (b + 1) * width, users: n }));
}

/**
 * Where a cut falls on the bar chart's category axis, in bins (bin b spans b − 0.5 to b + 0.5): just before
 * history length `length` for a min cut (≥), just after it for a max cut (≤), interpolated inside wide bins.
 */
export function edgePosition(bins: readonly Bin[], length: number, edge: 'before' | 'after'): number {
  const b = bins.findIndex((x) => length >= x.from && length <= x.to);
  if (b < 0) return edge === 'before' ? -0.5 : bins.length - 0.5;
  const bin = bins[b] as Bin;
  const width = bin.to - bin.from + 1;
  const offset = edge === 'before' ? length - bin.from : length - bin.from + 1;
  return b - 0.5 + offset / width;
}
