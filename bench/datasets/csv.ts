/**
 * Interactions, Items and Users files in Personalize's bulk-import CSV format: a header naming the columns
 * (`USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE,EVENT_VALUE]` for interactions, in any order), then one record per line.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import type { Interaction, ItemMeta, UserMeta } from '../../lambdas/engine/types';
import { parseCsv } from '../../lambdas/services/csv';

export async function readInteractionsCsv(path: string): Promise<Interaction[]> {
  const out: Interaction[] = [];
  let columns: Map<string, number> | undefined;
  const col = (name: string): number | undefined => columns?.get(name);
  for await (const batch of parseCsv(createReadStream(path))) {
    for (const record of batch) {
      if (columns === undefined) {
        columns = new Map(record.fields.map((f, i) => [f.trim().toUpperCase(), i]));
        for (const required of ['USER_ID', 'ITEM_ID', 'TIMESTAMP']) {
          if (!columns.has(required)) throw new Error(`${path}: header has no ${required} column`);
        }
        continue;
      }
      const f = record.fields;
      if (f.length === 1 && f[0] === '') continue;
      const timestamp = Number(f[col('TIMESTAMP') as number]);
      if (!Number.isFinite(timestamp)) throw new Error(`${path}:${record.line}: TIMESTAMP is not a number`);
      const eventTypeAt = col('EVENT_TYPE');
      const eventValueAt = col('EVENT_VALUE');
      const eventType = eventTypeAt === undefined ? undefined : f[eventTypeAt];
      const eventValueText = eventValueAt === undefined ? undefined : f[eventValueAt];
      out.push({
        userId: f[col('USER_ID') as number] as string,
        itemId: f[col('ITEM_ID') as number] as string,
        timestamp,
        ...(eventType ? { eventType } : {}),
        ...(eventValueText ? { eventValue: Number(eventValueText) } : {}),
      });
    }
  }
  return out;
}

/** Header-keyed rows of any Personalize CSV (column names upper-cased). */
async function readRows(path: string): Promise<{ header: string[]; rows: string[][] }> {
  let header: string[] | undefined;
  const rows: string[][] = [];
  for await (const batch of parseCsv(createReadStream(path))) {
    for (const record of batch) {
      if (header === undefined) header = record.fields.map((f) => f.trim().toUpperCase());
      else if (!(record.fields.length === 1 && record.fields[0] === '')) rows.push(record.fields);
    }
  }
  return { header: header ?? [], rows };
}

/**
 * Metadata columns without a schema: a column whose every non-empty value is a number is numeric, `textColumn` is
 * the textual field, anything else is categorical with `|`-separated values.
 */
function metadataColumns(
  header: readonly string[],
  rows: readonly string[][],
  skip: readonly string[],
  textColumn: string,
): { name: string; at: number; kind: 'numeric' | 'categorical' | 'text' }[] {
  return header
    .map((name, at) => ({ name, at }))
    .filter(({ name }) => !skip.includes(name))
    .map(({ name, at }) => {
      if (name === textColumn) return { name, at, kind: 'text' as const };
      const numeric = rows.every((r) => (r[at] ?? '') === '' || Number.isFinite(Number(r[at])));
      return { name, at, kind: numeric ? ('numeric' as const) : ('categorical' as const) };
    });
}

function metadataOf(
  row: readonly string[],
  columns: ReturnType<typeof metadataColumns>,
): { categorical: Record<string, string[]>; numeric: Record<string, number>; text?: string } {
  const categorical: Record<string, string[]> = {};
  const numeric: Record<string, number> = {};
  let text: string | undefined;
  for (const c of columns) {
    const value = row[c.at] ?? '';
    if (value === '') continue;
    const key = c.name.toLowerCase();
    if (c.kind === 'text') text = value;
    else if (c.kind === 'numeric') numeric[key] = Number(value);
    else categorical[key] = value.split('|');
  }
  return { categorical, numeric, ...(text === undefined ? {} : { text }) };
}

export async function readItemsCsv(path: string, textColumn = 'DESCRIPTION'): Promise<ItemMeta[]> {
  const { header, rows } = await readRows(path);
  const id = header.indexOf('ITEM_ID');
  if (id < 0) throw new Error(`${path}: header has no ITEM_ID column`);
  const created = header.indexOf('CREATION_TIMESTAMP');
  const columns = metadataColumns(header, rows, ['ITEM_ID', 'CREATION_TIMESTAMP'], textColumn);
  return rows.map((row) => ({
    itemId: row[id] as string,
    ...(created >= 0 && (row[created] ?? '') !== '' ? { creationTimestamp: Number(row[created]) } : {}),
    ...metadataOf(row, columns),
  }));
}

export async function readUsersCsv(path: string): Promise<UserMeta[]> {
  const { header, rows } = await readRows(path);
  const id = header.indexOf('USER_ID');
  if (id < 0) throw new Error(`${path}: header has no USER_ID column`);
  const columns = metadataColumns(header, rows, ['USER_ID'], '');
  return rows.map((row) => {
    const { categorical, numeric } = metadataOf(row, columns);
    return { userId: row[id] as string, categorical, numeric };
  });
}

/** Quotes a field when CSV needs it. */
function field(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes lines with back-pressure, so streaming millions of rows keeps memory flat. */
async function writeLines(out: WriteStream, lines: Iterable<string>): Promise<void> {
  for (const line of lines) {
    if (!out.write(line + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function writeInteractionsCsv(path: string, interactions: Iterable<Interaction>): Promise<void> {
  function* lines(): Generator<string> {
    yield 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE';
    for (const x of interactions) {
      yield [field(x.userId), field(x.itemId), x.timestamp, field(x.eventType), field(x.eventValue)].join(
        ',',
      );
    }
  }
  await writeLines(createWriteStream(path), lines());
}

/**
 * Items file: ITEM_ID, CREATION_TIMESTAMP, the categorical columns (multi-values joined with `|`), the numeric
 * columns and one textual DESCRIPTION column; the column set is taken from the first item.
 */
export async function writeItemsCsv(path: string, items: readonly ItemMeta[]): Promise<void> {
  const first = items[0];
  const categorical = Object.keys(first?.categorical ?? {});
  const numeric = Object.keys(first?.numeric ?? {});
  const upper = (k: string): string => k.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  function* lines(): Generator<string> {
    yield [
      'ITEM_ID',
      'CREATION_TIMESTAMP',
      ...categorical.map(upper),
      ...numeric.map(upper),
      'DESCRIPTION',
    ].join(',');
    for (const item of items) {
      yield [
        field(item.itemId),
        field(item.creationTimestamp),
        ...categorical.map((k) => field(item.categorical?.[k]?.join('|'))),
        ...numeric.map((k) => field(item.numeric?.[k])),
        field(item.text),
      ].join(',');
    }
  }
  await writeLines(createWriteStream(path), lines());
}

export async function writeUsersCsv(path: string, users: readonly UserMeta[]): Promise<void> {
  const categorical = Object.keys(users[0]?.categorical ?? {});
  const numeric = Object.keys(users[0]?.numeric ?? {});
  function* lines(): Generator<string> {
    yield [
      'USER_ID',
      ...categorical.map((k) => k.toUpperCase()),
      ...numeric.map((k) => k.toUpperCase()),
    ].join(',');
    for (const user of users) {
      yield [
        field(user.userId),
        ...categorical.map((k) => field(user.categorical?.[k]?.join('|'))),
        ...numeric.map((k) => field(user.numeric?.[k])),
      ].join(',');
    }
  }
  await writeLines(createWriteStream(path), lines());
}
