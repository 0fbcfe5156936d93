import type { Clock } from './time';

/** Options of an {@link ExpiringCache}. */
export interface ExpiringCacheOptions {
  /** Most entries kept; the least recently used one is evicted beyond it. */
  maxEntries: number;
  /** Milliseconds clock, injectable for tests. */
  now?: Clock;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A small bounded LRU cache whose entries expire, with single-flight loading: concurrent
 * `getOrLoad` calls for one missing key share one load. A failed load is never cached (callers
 * that want negative caching store the negative result as a value with its own short TTL).
 *
 * Keys must never be raw tokens: callers hash them first (see `sha256`).
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #inFlight = new Map<string, Promise<V>>();
  readonly #maxEntries: number;
  readonly #now: Clock;

  constructor({ maxEntries, now = Date.now }: ExpiringCacheOptions) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** The live value under `key`, refreshing its recency; undefined when absent or expired. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` for `ttlMs` milliseconds; a TTL of zero or less stores nothing. */
  set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (!(ttlMs > 0)) return;
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /**
   * The cached value, or the result of `load`, stored for the TTL that `ttlMs` computes from it.
   * Concurrent callers for the same missing key wait on the same `load`.
   */
  async getOrLoad(key: string, load: () => Promise<V>, ttlMs: (value: V) => number): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    // `load` starts on a later tick, so the promise is registered before it can settle, even when
    // `load` throws synchronously; a `clear()` meanwhile means its result is not stored.
    const loading: Promise<V> = Promise.resolve()
      .then(load)
      .then((value) => {
        if (this.#inFlight.get(key) === loading) this.set(key, value, ttlMs(value));
        return value;
      })
      .finally(() => {
        if (this.#inFlight.get(key) === loading) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, loading);
    return loading;
  }

  /** Forgets `key` (e.g. a token the downstream service refused). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets everything, loads in flight included (their results will not be stored); for tests and benchmarks. */
  clear(): void {
    this.#entries.clear();
    this.#inFlight.clear();
  }

  /** Number of stored entries, expired ones included until they are touched. */
  get size(): number {
    return this.#entries.size;
  }
}
