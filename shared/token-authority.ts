import { ExpiringCache } from './cache';
import { type AuthError, ConfigError, TokenRejectedError, type TokenRejectionCode } from './errors';
import { assertIntegerInRange } from './options';
import { sha256 } from './hash';
import { acceptIntrospection } from './keycloak/introspection-check';
import type { JwtCheck } from './keycloak/jwt-check';
import type { ServiceIdentity } from './keycloak/service-identity';
import { assertUnexpired, type Principal } from './principal';
import { epochSeconds, type Clock } from './time';

/**
 * How a token is judged: `jwt+introspection` (default) checks it locally, then introspection decides
 * (revocation); `jwt` checks it locally only; `introspection` asks Keycloak only.
 */
export type AuthMode = 'introspection' | 'jwt' | 'jwt+introspection';

/** Every {@link AuthMode}, for validating configuration. */
export const AUTH_MODES: readonly AuthMode[] = ['introspection', 'jwt', 'jwt+introspection'];

/** How long a rejected token's verdict is remembered, in seconds: short, so a fixed Keycloak heals fast. */
export const NEGATIVE_CACHE_TTL_SECONDS = 10;

type Verdict = { principal: Principal } | { rejected: TokenRejectionCode; message: string };

/** Options of {@link createTokenAuthority}. */
export interface TokenAuthorityOptions {
  identity: ServiceIdentity;
  /** `jwt+introspection`: local check, then introspection decides; `jwt`: local only; `introspection`: Keycloak only. */
  mode: AuthMode;
  /** The local JWT check; required unless `mode` is `introspection`. */
  jwtCheck?: JwtCheck;
  /** Expected `iss`. */
  issuer: string;
  /** Upper bound of a cached positive verdict, seconds: the revocation delay. */
  cacheTtlSeconds: number;
  cacheMaxEntries: number;
  now?: Clock;
}

/** Decides whether a bearer token is acceptable to one service. */
export interface TokenAuthority {
  /** The principal of an acceptable token; throws {@link TokenRejectedError} or an unavailability error. */
  authorize(token: string): Promise<Principal>;
  /** Empties the verdict cache; for tests and benchmarks. */
  clear(): void;
}

/**
 * Decides on tokens and caches verdicts by `sha256(token)`: positive ones for `min(cap, exp − now)`,
 * Keycloak's negative ones briefly; concurrent lookups of one token share one call. Keycloak failures
 * are never cached, and neither are local JWT rejections (they cost no call, and caching a flood of
 * forgeries would evict good entries).
 *
 * Introspection runs with the protected service's own credentials: Keycloak ≥ 26.6.2 answers
 * `active:false` to any client not in the token's `aud`. The local JWT check refuses forged, expired
 * and misdirected tokens without a Keycloak call; introspection still decides revocation.
 */
export function createTokenAuthority({
  identity,
  mode,
  jwtCheck,
  issuer,
  cacheTtlSeconds,
  cacheMaxEntries,
  now = Date.now,
}: TokenAuthorityOptions): TokenAuthority {
  if (!AUTH_MODES.includes(mode)) throw new ConfigError(`mode must be one of ${AUTH_MODES.join(', ')}`);
  if (mode !== 'introspection' && !jwtCheck) throw new ConfigError(`mode ${mode} needs a jwtCheck`);
  if (!issuer) throw new ConfigError('issuer is required');
  assertIntegerInRange('cacheTtlSeconds', cacheTtlSeconds, 1, 3600);
  assertIntegerInRange('cacheMaxEntries', cacheMaxEntries, 1, 1_000_000);
  const verdicts = new ExpiringCache<Verdict>({ maxEntries: cacheMaxEntries, now });

  async function decide(token: string): Promise<Verdict> {
    if (mode === 'introspection') return introspect(token);
    const principal = await jwtCheck!(token);
    return mode === 'jwt' ? { principal } : introspect(token);
  }

  async function introspect(token: string): Promise<Verdict> {
    const result = await identity.introspect(token);
    try {
      return { principal: acceptIntrospection(result, { issuer, audience: identity.clientId, nowSeconds: epochSeconds(now) }) };
    } catch (error) {
      if (error instanceof TokenRejectedError) return { rejected: error.code as TokenRejectionCode, message: error.message };
      throw error;
    }
  }

  function ttlMs(verdict: Verdict): number {
    if (!('principal' in verdict)) return NEGATIVE_CACHE_TTL_SECONDS * 1000;
    return Math.min(cacheTtlSeconds * 1000, verdict.principal.exp * 1000 - now());
  }

  return {
    async authorize(token) {
      const verdict = await verdicts.getOrLoad(sha256(token), () => decide(token), ttlMs);
      if ('rejected' in verdict) throw new TokenRejectedError(verdict.rejected, verdict.message);
      // A cached verdict may outlive the token by a few ms; never hand out an expired principal.
      assertUnexpired(verdict.principal.exp, epochSeconds(now));
      return verdict.principal;
    },
    clear: () => verdicts.clear(),
  };
}

/** Whether an error means "this token is not acceptable" (401) rather than "we could not decide". */
export function isTokenRejection(error: unknown): error is AuthError {
  return error instanceof TokenRejectedError;
}
