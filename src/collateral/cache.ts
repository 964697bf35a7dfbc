/**
 * A small in-memory cache whose entries live until their own expiry time (for collateral: its
 * `nextUpdate`), judged by an injected clock.
 *
 * @module
 */

interface Entry<V> {
  readonly value: V;
  readonly expiresAtMs: number;
}

/** Options for {@link ExpiringCache}. */
export interface ExpiringCacheOptions {
  /** The most entries kept; the oldest is dropped first (default 256). */
  readonly maxEntries?: number;
}

/**
 * Key → value, each entry kept until its `expiresAtMs` (exclusive) by the clock time passed to
 * {@link ExpiringCache.get}. Expired entries are dropped on access.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #max: number;

  constructor(options: ExpiringCacheOptions = {}) {
    const max = options.maxEntries ?? 256;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#max = max;
  }

  /** The value for `key` if present and not expired at `nowMs`. */
  get(key: string, nowMs: number): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (nowMs >= e.expiresAtMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Stores `value` until `expiresAtMs`; a value already expired at `nowMs` is not stored. */
  set(key: string, value: V, expiresAtMs: number, nowMs: number): void {
    if (!(expiresAtMs > nowMs)) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAtMs });
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
  }

  /** The number of entries held (expired ones included until touched). */
  get size(): number {
    return this.#entries.size;
  }
}
