import { ExpiringCache } from '../shared/cache';
import { AuthError, TokenRejectedError, type TokenRejectionCode } from '../shared/errors';
import { sha256 } from '../shared/hash';
import { acceptIntrospection, type Principal } from '../shared/keycloak/access-check';
import type { JwtCheck } from '../shared/keycloak/jwt-check';
import type { ServiceIdentity } from '../shared/keycloak/service-identity';
import type { AuthMode } from '../shared/config';
import { epochSeconds, type Clock } from '../shared/time';

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
  /**
   * Whether verdicts are cached at all (default true). Only the bench's `original` strategy turns it
   * off, to introspect every request as the original write-up did.
   */
  cacheVerdicts?: boolean;
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
  cacheVerdicts = true,
  now = Date.now,
}: TokenAuthorityOptions): TokenAuthority {
  if (mode !== 'introspection' && !jwtCheck) throw new Error(`AUTH_MODE ${mode} needs a JWT check`);
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
    if (!cacheVerdicts) return 0;
    if (!('principal' in verdict)) return NEGATIVE_CACHE_TTL_SECONDS * 1000;
    return Math.min(cacheTtlSeconds * 1000, verdict.principal.exp * 1000 - now());
  }

  return {
    async authorize(token) {
      const verdict = await verdicts.getOrLoad(sha256(token), () => decide(token), ttlMs);
      if ('rejected' in verdict) throw new TokenRejectedError(verdict.rejected, verdict.message);
      // A cached verdict may outlive the token by a few ms; never hand out an expired principal.
      if (verdict.principal.exp <= epochSeconds(now)) throw new TokenRejectedError('TOKEN_EXPIRED', 'Token has expired');
      return verdict.principal;
    },
    clear: () => verdicts.clear(),
  };
}

/** Whether an error means "this token is not acceptable" (401) rather than "we could not decide". */
export function isTokenRejection(error: unknown): error is AuthError {
  return error instanceof TokenRejectedError;
}
