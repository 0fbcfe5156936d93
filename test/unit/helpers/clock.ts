import type { Clock } from 'keycloak-lambda-s2s';

/** A fixed instant every unit test starts from: 2030-01-01T12:00:00Z, a whole second. */
export const FIXED_NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);

/** {@link FIXED_NOW_MS} in seconds, the unit of JWT `exp`. */
export const FIXED_NOW_SECONDS = FIXED_NOW_MS / 1000;

/** A clock that stands still until a test moves it. */
export interface FrozenClock {
  /** Milliseconds since the epoch, like `Date.now`; pass as the code's `now` option. */
  now: Clock;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Moves the clock forward by `seconds` seconds. */
  advanceSeconds(seconds: number): void;
}

/** A clock frozen at `startMs` (default {@link FIXED_NOW_MS}). */
export function frozenClock(startMs: number = FIXED_NOW_MS): FrozenClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    advanceSeconds(seconds) {
      current += seconds * 1000;
    },
  };
}
