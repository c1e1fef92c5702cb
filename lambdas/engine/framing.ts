/**
 * The framing of the engine's binary artifacts (model, training snapshot, shard sums): a little-endian u32 magic
 * number, the u32 byte length of a JSON header, the header, zero padding to a multiple of 8 bytes, then the
 * artifact's arrays, each 8-byte aligned relative to the data start, where the header says.
 */

export const align8 = (x: number): number => Math.ceil(x / 8) * 8;

/** The bytes before the data: magic, header length, header and padding (a multiple of 8 long). */
export function frameHeader(magic: number, header: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(align8(8 + json.length));
  const view = new DataView(head.buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, json.length, true);
  head.set(json, 8);
  return head;
}

/**
 * The JSON header of a framed artifact and where its data starts; throws "not a <what>" for another magic number
 * and "<what> is truncated" when the bytes end inside the header.
 */
export function readFrame(
  bytes: Uint8Array,
  magic: number,
  what: string,
): { header: unknown; dataStart: number } {
  if (bytes.length < 8) throw new Error(`${what} is truncated`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== magic) throw new Error(`not a ${what}`);
  const length = view.getUint32(4, true);
  if (8 + length > bytes.length) throw new Error(`${what} is truncated`);
  const header: unknown = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  return { header, dataStart: align8(8 + length) };
}

/** A framed artifact as chunks to write one after another: the framed header, then each array, 8-byte aligned. */
export function framedChunks(
  magic: number,
  header: unknown,
  arrays: readonly ArrayBufferView[],
): Uint8Array[] {
  const chunks: Uint8Array[] = [frameHeader(magic, header)];
  for (const a of arrays) {
    if (a.byteLength > 0) chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const pad = align8(a.byteLength) - a.byteLength;
    if (pad > 0) chunks.push(new Uint8Array(pad));
  }
  return chunks;
}
