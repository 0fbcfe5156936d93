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

/** Most refusals remembered at once: they live apart from accepted verdicts, in a bounded cache of their own. */
export const NEGATIVE_CACHE_MAX_ENTRIES = 1000;

type Verdict = { principal: Principal } | { rejected: TokenRejectionCode; message: string };

/**
 * How the verdict cache served one lookup: `hit` when no new decision was made for it (a cached
 * verdict, or one already being made for the same token), `miss` when it made one (local check
 * and/or introspection), whether that decision succeeded or failed.
 */
export type VerdictLookup = 'hit' | 'miss';

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
  /**
   * Called once per {@link TokenAuthority.authorize} that reached the cache (a token that parsed),
   * with how the cache served it; for metrics (the Lambda glue counts hits and misses). It must not
   * throw.
   */
  onVerdictLookup?: (lookup: VerdictLookup) => void;
  /**
   * `jwt+introspection` on a cold instance (default true): while the check has no key set yet, the
   * first token that {@link JwtCheck.mayAccept} is decided by introspection alone, as in
   * `introspection` mode (Keycloak checks the signature, the session and the expiry itself, and the
   * answer must still name this service in `aud`); the key set loads with the next token, whose
   * signature is checked first as usual. A cold path thus waits for one call, not for a key-set fetch
   * and a signature check as well. At most once per authority: a burst of forged look-alikes on cold
   * instances costs Keycloak at most one introspection per instance; garbage and tokens that fail the
   * unverified claims never. `false`: every token is checked locally first, and the key set is wanted
   * at once (the Lambda glue then fetches it at module init). Needs `jwtCheck.hasKeys` and
   * `jwtCheck.mayAccept`.
   */
  firstTokenByIntrospection?: boolean;
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
 * Keycloak's negative ones briefly, in a bounded cache of their own; concurrent lookups of one token
 * share one call. Keycloak failures are never cached, and neither are local JWT rejections (they cost no call, and caching a flood of
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
  onVerdictLookup = () => {},
  firstTokenByIntrospection = true,
}: TokenAuthorityOptions): TokenAuthority {
  if (!AUTH_MODES.includes(mode)) throw new ConfigError(`mode must be one of ${AUTH_MODES.join(', ')}`);
  if (mode !== 'introspection' && !jwtCheck) throw new ConfigError(`mode ${mode} needs a jwtCheck`);
  if (!issuer) throw new ConfigError('issuer is required');
  assertIntegerInRange('cacheTtlSeconds', cacheTtlSeconds, 1, 3600);
  assertIntegerInRange('cacheMaxEntries', cacheMaxEntries, 1, 1_000_000);
  const accepted = new ExpiringCache<Verdict>({ maxEntries: cacheMaxEntries, now });
  // Refusals live apart, so a flood of revoked or foreign tokens can never evict an accepted verdict.
  const refused = new ExpiringCache<Verdict>({ maxEntries: Math.min(cacheMaxEntries, NEGATIVE_CACHE_MAX_ENTRIES), now });

  // Once per authority: the first plausible token on a cold instance, and no other.
  let mayDecideByIntrospection = firstTokenByIntrospection;

  async function decide(token: string): Promise<Verdict> {
    if (mode === 'introspection') return introspect(token);
    const check = jwtCheck!;
    if (mode === 'jwt') return { principal: await check(token) };
    if (mayDecideByIntrospection && check.hasKeys?.() === false && check.mayAccept?.(token) === true) {
      mayDecideByIntrospection = false;
      // No key-set fetch behind it: one started after the answer could straddle Lambda freezing the
      // instance and time out on the thaw, a false Keycloak error. The next check loads the key set.
      return introspect(token);
    }
    await check(token);
    return introspect(token);
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

  /** How long `accepted` keeps a verdict: a refusal not at all (it goes to `refused`). */
  function ttlMs(verdict: Verdict): number {
    if (!('principal' in verdict)) return 0;
    return Math.min(cacheTtlSeconds * 1000, verdict.principal.exp * 1000 - now());
  }

  return {
    async authorize(token) {
      const key = sha256(token);
      const refusal = refused.get(key);
      if (refusal && 'rejected' in refusal) {
        onVerdictLookup('hit');
        throw new TokenRejectedError(refusal.rejected, refusal.message);
      }
      let decided = false;
      let verdict: Verdict;
      try {
        verdict = await accepted.getOrLoad(
          key,
          () => {
            decided = true;
            return decide(token);
          },
          ttlMs,
        );
      } finally {
        onVerdictLookup(decided ? 'miss' : 'hit');
      }
      if ('rejected' in verdict) {
        refused.set(key, verdict, NEGATIVE_CACHE_TTL_SECONDS * 1000);
        throw new TokenRejectedError(verdict.rejected, verdict.message);
      }
      // A cached verdict may outlive the token by a few ms; never hand out an expired principal.
      assertUnexpired(verdict.principal.exp, epochSeconds(now));
      return verdict.principal;
    },
    clear: () => {
      accepted.clear();
      refused.clear();
    },
  };
}

/** Whether an error means "this token is not acceptable" (401) rather than "we could not decide". */
export function isTokenRejection(error: unknown): error is AuthError {
  return error instanceof TokenRejectedError;
}
