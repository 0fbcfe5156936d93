import { describe, expect, it } from 'vitest';
import { ExpiringCache } from 'keycloak-lambda-s2s';
import { frozenClock } from '../helpers/clock';
import { deferred } from '../helpers/deferred';

describe('ExpiringCache', () => {
  describe('construction', () => {
    it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %s', (maxEntries) => {
      // Act
      const build = () => new ExpiringCache<string>({ maxEntries });

      // Assess
      expect(build).toThrow(new RangeError('maxEntries must be a positive integer'));
    });
  });

  describe('TTL', () => {
    it('returns a value until its TTL has passed', () => {
      // Prepare
      const clock = frozenClock();
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: clock.now });
      cache.set('k', 'v', 1000);

      // Act
      clock.advance(999);
      const beforeExpiry = cache.get('k');

      // Assess
      expect(beforeExpiry).toBe('v');
    });

    it('forgets a value once its TTL has passed', () => {
      // Prepare
      const clock = frozenClock();
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: clock.now });
      cache.set('k', 'v', 1000);

      // Act
      clock.advance(1000);
      const atExpiry = cache.get('k');

      // Assess
      expect(atExpiry).toBeUndefined();
      expect(cache.size).toBe(0);
    });

    it.each([0, -5, Number.NaN])('stores nothing for a TTL of %s', (ttl) => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });

      // Act
      cache.set('k', 'v', ttl);

      // Assess
      expect(cache.get('k')).toBeUndefined();
      expect(cache.size).toBe(0);
    });

    it('drops the previous value when a key is set again with a TTL of zero', () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      cache.set('k', 'old', 1000);

      // Act
      cache.set('k', 'new', 0);

      // Assess
      expect(cache.get('k')).toBeUndefined();
    });

    it('replaces the value and the expiry when a key is set again', () => {
      // Prepare
      const clock = frozenClock();
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: clock.now });
      cache.set('k', 'old', 1000);

      // Act
      cache.set('k', 'new', 5000);
      clock.advance(2000);

      // Assess
      expect(cache.get('k')).toBe('new');
    });
  });

  describe('LRU eviction', () => {
    it('evicts the least recently stored entry beyond maxEntries', () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 2, now: frozenClock().now });
      cache.set('a', '1', 1000);
      cache.set('b', '2', 1000);

      // Act
      cache.set('c', '3', 1000);

      // Assess
      expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, '2', '3']);
      expect(cache.size).toBe(2);
    });

    it('counts a read as a use, so the entry read last survives', () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 2, now: frozenClock().now });
      cache.set('a', '1', 1000);
      cache.set('b', '2', 1000);
      cache.get('a');

      // Act
      cache.set('c', '3', 1000);

      // Assess
      expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['1', undefined, '3']);
    });

    it('counts a re-set as a use', () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 2, now: frozenClock().now });
      cache.set('a', '1', 1000);
      cache.set('b', '2', 1000);
      cache.set('a', '1b', 1000);

      // Act
      cache.set('c', '3', 1000);

      // Assess
      expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['1b', undefined, '3']);
    });
  });

  describe('getOrLoad', () => {
    it('loads a missing key and stores it for the TTL computed from the value', async () => {
      // Prepare
      const clock = frozenClock();
      const cache = new ExpiringCache<number>({ maxEntries: 10, now: clock.now });
      const ttls: number[] = [];

      // Act
      const value = await cache.getOrLoad('k', async () => 42, (v) => {
        ttls.push(v);
        return 2000;
      });
      clock.advance(1999);
      const stillCached = cache.get('k');
      clock.advance(1);
      const expired = cache.get('k');

      // Assess
      expect(value).toBe(42);
      expect(ttls).toEqual([42]);
      expect(stillCached).toBe(42);
      expect(expired).toBeUndefined();
    });

    it('does not load again while the value is cached', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      let loads = 0;
      const load = async () => `value-${++loads}`;

      // Act
      const first = await cache.getOrLoad('k', load, () => 1000);
      const second = await cache.getOrLoad('k', load, () => 1000);

      // Assess
      expect([first, second]).toEqual(['value-1', 'value-1']);
      expect(loads).toBe(1);
    });

    it('loads again after the value expired', async () => {
      // Prepare
      const clock = frozenClock();
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: clock.now });
      let loads = 0;
      const load = async () => `value-${++loads}`;
      await cache.getOrLoad('k', load, () => 1000);

      // Act
      clock.advance(1000);
      const reloaded = await cache.getOrLoad('k', load, () => 1000);

      // Assess
      expect(reloaded).toBe('value-2');
      expect(loads).toBe(2);
    });

    it('shares one load among 50 concurrent callers of a missing key', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      const gate = deferred<string>();
      let loads = 0;
      const load = () => {
        loads++;
        return gate.promise;
      };

      // Act
      const pending = Array.from({ length: 50 }, () => cache.getOrLoad('k', load, () => 1000));
      gate.resolve('shared');
      const values = await Promise.all(pending);

      // Assess
      expect(loads).toBe(1);
      expect(new Set(values)).toEqual(new Set(['shared']));
    });

    it('loads different keys independently', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      const loaded: string[] = [];

      // Act
      const values = await Promise.all(
        ['a', 'b'].map((key) => cache.getOrLoad(
          key,
          async () => {
            loaded.push(key);
            return `value-${key}`;
          },
          () => 1000,
        )),
      );

      // Assess
      expect(values).toEqual(['value-a', 'value-b']);
      expect(loaded).toEqual(['a', 'b']);
    });

    it('hands the failure to every concurrent caller and does not cache it', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      const gate = deferred<string>();
      let loads = 0;
      const failing = () => {
        loads++;
        return gate.promise;
      };

      // Act
      const pending = Array.from({ length: 5 }, () => cache.getOrLoad('k', failing, () => 1000));
      gate.reject(new Error('Keycloak down'));
      const outcomes = await Promise.allSettled(pending);
      const retried = await cache.getOrLoad('k', async () => 'recovered', () => 1000);

      // Assess
      expect(loads).toBe(1);
      expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('rejected'));
      expect(retried).toBe('recovered');
      expect(cache.get('k')).toBe('recovered');
    });

    it('does not cache a value whose TTL cannot be computed', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });

      // Act
      const attempt = cache.getOrLoad('k', async () => 'v', () => {
        throw new Error('no exp');
      });

      // Assess
      await expect(attempt).rejects.toThrow('no exp');
      expect(cache.size).toBe(0);
      await expect(cache.getOrLoad('k', async () => 'second', () => 1000)).resolves.toBe('second');
    });

    it('returns but does not store a value whose TTL is not positive', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });

      // Act
      const value = await cache.getOrLoad('k', async () => 'almost-expired', () => -1);

      // Assess
      expect(value).toBe('almost-expired');
      expect(cache.get('k')).toBeUndefined();
    });

    // Regression test: this failed before the fix found while writing these tests.
    it('loads again after a load that threw synchronously', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      const throwsSynchronously = (): Promise<string> => {
        throw new Error('sync failure');
      };
      await cache.getOrLoad('k', throwsSynchronously, () => 1000).catch(() => undefined);

      // Act
      const retried = await cache.getOrLoad('k', async () => 'recovered', () => 1000);

      // Assess
      expect(retried).toBe('recovered');
    });
  });

  describe('delete and clear', () => {
    it('forgets one key on delete and keeps the others', () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      cache.set('a', '1', 1000);
      cache.set('b', '2', 1000);

      // Act
      cache.delete('a');

      // Assess
      expect([cache.get('a'), cache.get('b')]).toEqual([undefined, '2']);
    });

    it('forgets everything on clear', () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      cache.set('a', '1', 1000);
      cache.set('b', '2', 1000);

      // Act
      cache.clear();

      // Assess
      expect(cache.size).toBe(0);
      expect([cache.get('a'), cache.get('b')]).toEqual([undefined, undefined]);
    });

    it('does not store what a load in flight during clear() returns, and a lookup after clear() loads anew', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      const before = deferred<string>();
      const after = deferred<string>();
      const answers = [before, after];
      let loads = 0;
      const load = () => {
        loads++;
        return (answers.shift() ?? deferred<string>()).promise;
      };
      const first = cache.getOrLoad('k', load, () => 1000);
      await Promise.resolve();

      // Act
      cache.clear();
      const second = cache.getOrLoad('k', load, () => 1000);
      before.resolve('stale');
      await first;
      const third = cache.getOrLoad('k', load, () => 1000);
      after.resolve('fresh');

      // Assess: the lookup after clear() did not join the stale load, and a later one joined its load
      expect([await first, await second, await third]).toEqual(['stale', 'fresh', 'fresh']);
      expect(loads).toBe(2);
      expect(cache.get('k')).toBe('fresh');
    });

    it('loads again after clear', async () => {
      // Prepare
      const cache = new ExpiringCache<string>({ maxEntries: 10, now: frozenClock().now });
      let loads = 0;
      const load = async () => `value-${++loads}`;
      await cache.getOrLoad('k', load, () => 1000);

      // Act
      cache.clear();
      const reloaded = await cache.getOrLoad('k', load, () => 1000);

      // Assess
      expect(reloaded).toBe('value-2');
    });
  });

  it('counts expired entries in size until they are touched', () => {
    // Prepare
    const clock = frozenClock();
    const cache = new ExpiringCache<string>({ maxEntries: 10, now: clock.now });
    cache.set('k', 'v', 1000);
    clock.advance(5000);

    // Act
    const sizeBefore = cache.size;
    cache.get('k');

    // Assess
    expect(sizeBefore).toBe(1);
    expect(cache.size).toBe(0);
  });
});
