/** A clock returning milliseconds since the epoch, like `Date.now`; injected so tests can freeze time. */
export type Clock = () => number;

/** Seconds since the epoch (the unit of JWT `exp`, `iat`, `nbf`) according to `now`. */
export function epochSeconds(now: Clock = Date.now): number {
  return Math.floor(now() / 1000);
}
