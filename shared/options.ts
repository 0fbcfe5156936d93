/**
 * Checks of the options handed to the library's factories. Each failure is a {@link ConfigError}
 * whose one sentence names the field, thrown when the factory is called — never at the first
 * request, and never replaced by a default.
 */
import { ConfigError } from './errors';

/** Throws unless `value` is an integer in `[min, max]`. */
export function assertIntegerInRange(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${field} must be an integer from ${min} to ${max}`);
  }
}

/** Throws unless `value` is a non-empty string. */
export function assertNonEmptyString(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${field} must be a non-empty string`);
}

/** Hosts that only the machine itself can reach, where plain `http:` carries nothing over a network. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The URL without trailing slashes, after checking it is absolute and `https:` — or `http:` on a
 * loopback host, which only a local run uses. `allowInsecureHttp` lets a caller accept `http:` to any
 * host (a private network it vouches for); nothing turns it on by default.
 */
export function checkedBaseUrl(field: string, value: unknown, { allowInsecureHttp = false } = {}): string {
  assertNonEmptyString(field, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${field} must be an absolute URL`);
  }
  if (url.protocol === 'http:') {
    if (!allowInsecureHttp && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new ConfigError(`${field} must be an https: URL (plain http: is accepted for loopback hosts only)`);
    }
  } else if (url.protocol !== 'https:') {
    throw new ConfigError(`${field} must be an http(s) URL`);
  }
  return value.trim().replace(/\/+$/, '');
}
