/**
 * A filter's result over a model's catalog: one byte per catalog index, 1 = the item may not be shown. Scoring
 * takes it as its exclusion set ({@link CatalogMask.indices} for index-based ranking, {@link CatalogMask.ids} for
 * the model's id-based `recommend`), so filtering happens inside the top-N selection rather than by asking for more
 * and discarding. Both views read the mask in place: building them costs nothing per item.
 */

/** A read-only set over the blocked positions of a mask, mapped to `T`. */
class MaskView<T> implements ReadonlySet<T> {
  constructor(
    private readonly mask: CatalogMask,
    private readonly key: (index: number) => T,
    private readonly lookup: (value: T) => number | undefined,
  ) {}

  get size(): number {
    return this.mask.blockedCount;
  }

  has(value: T): boolean {
    const j = this.lookup(value);
    return j !== undefined && this.mask.blocked[j] === 1;
  }

  *values(): SetIterator<T> {
    const blocked = this.mask.blocked;
    for (let j = 0; j < blocked.length; j++) if (blocked[j] === 1) yield this.key(j);
  }

  keys(): SetIterator<T> {
    return this.values();
  }

  *entries(): SetIterator<[T, T]> {
    for (const v of this.values()) yield [v, v];
  }

  [Symbol.iterator](): SetIterator<T> {
    return this.values();
  }

  forEach(callback: (value: T, key: T, set: ReadonlySet<T>) => void): void {
    for (const v of this.values()) callback(v, v, this);
  }
}

export class CatalogMask {
  private constructor(
    /** 1 at the catalog indices that may not be shown. */
    readonly blocked: Uint8Array,
    readonly blockedCount: number,
  ) {}

  /** Nothing blocked. */
  static none(size: number): CatalogMask {
    return new CatalogMask(new Uint8Array(size), 0);
  }

  /** Takes ownership of `blocked` (0/1 per catalog index). */
  static of(blocked: Uint8Array): CatalogMask {
    let count = 0;
    for (let j = 0; j < blocked.length; j++) count += blocked[j] as number;
    return new CatalogMask(blocked, count);
  }

  get size(): number {
    return this.blocked.length;
  }

  get allowedCount(): number {
    return this.blocked.length - this.blockedCount;
  }

  allows(index: number): boolean {
    return this.blocked[index] === 0;
  }

  /** Blocked where either mask blocks. */
  or(other: CatalogMask): CatalogMask {
    if (other.blockedCount === 0) return this;
    if (this.blockedCount === 0) return other;
    const out = new Uint8Array(this.blocked.length);
    for (let j = 0; j < out.length; j++) out[j] = (this.blocked[j] as number) | (other.blocked[j] as number);
    return CatalogMask.of(out);
  }

  /** The blocked catalog indices, as a set view. */
  indices(): ReadonlySet<number> {
    return new MaskView<number>(
      this,
      (j) => j,
      (j) => (Number.isInteger(j) && j >= 0 && j < this.blocked.length ? j : undefined),
    );
  }

  /** The blocked item ids, as a set view (`ids` and `indexOf` are the catalog's). */
  ids(ids: readonly string[], indexOf: (id: string) => number | undefined): ReadonlySet<string> {
    return new MaskView<string>(this, (j) => ids[j] as string, indexOf);
  }
}
