/** FNV-1a (32-bit) of a string's UTF-16 code units: a stable hash of an id, the same in every process. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The shard (0 … shards − 1) of a user: FNV-1a of the id's UTF-16 code units, modulo the shard count. */
export function shardOfUser(userId: string, shards: number): number {
  return fnv1a(userId) % shards;
}
