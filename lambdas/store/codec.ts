/**
 * How wire documents are stored: `Date` values become `{ "$date": epochMs }` and are restored on read; `undefined`
 * members are dropped.
 */

/** `{ "$date": ms }` marks a stored `Date`; `$` cannot begin a wire member name, so it never collides. */
const DATE_TAG = '$date';

/** Dates → `{ $date: ms }`, `undefined` members dropped; arrays and plain objects recursively. */
export function encode(value: unknown): unknown {
  if (value instanceof Date) return { [DATE_TAG]: value.getTime() };
  if (Array.isArray(value)) return value.map(encode);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = encode(v);
    }
    return out;
  }
  return value;
}

export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === DATE_TAG && typeof value[DATE_TAG] === 'number') {
      return new Date(value[DATE_TAG]);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v);
    return out;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
