import { createHash } from 'node:crypto';

/** Hex SHA-256 of `value`: the only form in which a token may serve as a cache key. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
