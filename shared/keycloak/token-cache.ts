import { decodeJwt } from 'jose';
import { ExpiringCache } from '../cache';
import { KeycloakProtocolError, TokenExchangeResultError } from '../errors';
import { sha256 } from '../hash';
import type { Clock } from '../time';
import { audiences } from '../principal';
import type { ServiceIdentity } from './service-identity';

/** Options shared by the outbound token caches. */
export interface TokenCacheOptions {
  identity: ServiceIdentity;
  /** A token is renewed this many seconds before its `exp`. */
  skewSeconds: number;
  now?: Clock;
}

/** The service's own access token (client credentials), reused until shortly before it expires. */
export interface ClientCredentialsTokens {
  /** A valid access token of this service; concurrent cold calls share one Keycloak request. */
  get(): Promise<string>;
  /** Drops the cached token, e.g. after the downstream service answered 401. */
  invalidate(): void;
  clear(): void;
}

/**
 * Caches the client-credentials token until `exp − skew`, with single-flight refresh.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export function createClientCredentialsTokens({ identity, skewSeconds, now = Date.now }: TokenCacheOptions): ClientCredentialsTokens {
  const cache = new ExpiringCache<string>({ maxEntries: 1, now });
  const key = 'own';
  return {
    get: () =>
      cache.getOrLoad(
        key,
        async () => (await identity.clientCredentials()).access_token,
        (token) => (expiryOf(token) - skewSeconds) * 1000 - now(),
      ),
    invalidate: () => cache.delete(key),
    clear: () => cache.clear(),
  };
}

/** Tokens exchanged for another audience, shared by the subject tokens of one caller (see {@link createExchangedTokens}). */
export interface ExchangedTokens {
  /**
   * A token for `audience` on behalf of the subject token's user; checked before it is returned.
   * `subjectToken` must be a token this service's authorizer accepted for the current request
   * (`authorizedBearerToken` in `keycloak-lambda-s2s/lambda`): the cache is keyed by its claims.
   */
  get(subjectToken: string, audience: string, scope?: string): Promise<string>;
  /** Drops the entry the subject token maps to, e.g. after the downstream service answered 401. */
  invalidate(subjectToken: string, audience: string, scope?: string): void;
  /** `get` and `invalidate` bound to one subject token and audience, for a downstream call. */
  source(subjectToken: string, audience: string, scope?: string): { get(): Promise<string>; invalidate(): void };
  clear(): void;
}

interface CachedExchange {
  token: string;
  /** `exp` of the subject token the exchange was made from. */
  subjectExp: number;
}

/**
 * Standard token exchange with a bounded, single-flight cache shared by every subject token of one
 * caller: the key is `sha256` of what determines the exchanged token, read from the subject token's
 * claims — `iss`, `sub`, `sid` (when present), `azp`, the subject's `scope`, the requested audience
 * and the requested scope — so n instances of the caller, each with its own token, cost this
 * instance one exchange per token lifetime, not n. A subject token without `iss`, `sub` or `azp`
 * gets an entry of its own (`sha256` of the token).
 *
 * Expiry: an entry made from subject token T1 lives until `min(exchanged exp, T1 exp) − skew`, and is
 * served to a request carrying T2 only while T2 too is before its `exp − skew`; otherwise that request
 * gets a fresh exchange of T2, not cached. So a cached token is never served past the expiry of
 * the token it was made from, nor past that of the token that asks for it; Keycloak bounds an access
 * token's `exp` by its session, so neither outlives the session.
 *
 * Revocation: keying by claims is safe only because a subject token reaches `get` after this
 * service's authorizer accepted it (introspected, or verified locally, within the verdict cap) and
 * the handler bound it to that verdict (`authorizedBearerToken`). A revoked session or token stops
 * the chain at this service's authorizer within the verdict cap (plus API Gateway's
 * `resultTtlInSeconds`); the cached exchanged token is then unreachable, and the downstream
 * authorizer refuses it within its own cap. Never pass a token that no authorizer accepted: its
 * claims could name another user's entry.
 *
 * The issued token must name the target in `aud`, this service in `azp`, and the subject token's
 * `sub` and `iss`, else it is refused ({@link TokenExchangeResultError}) and not cached.
 * @see https://www.rfc-editor.org/rfc/rfc8693
 */
export function createExchangedTokens({
  identity,
  skewSeconds,
  now = Date.now,
  maxEntries,
}: TokenCacheOptions & { maxEntries: number }): ExchangedTokens {
  const cache = new ExpiringCache<CachedExchange>({ maxEntries, now });
  const exchange = async (subjectToken: string, audience: string, scope?: string): Promise<CachedExchange> => ({
    token: await exchangeToken(identity, subjectToken, audience, scope),
    subjectExp: expiryOf(subjectToken),
  });
  const exchanged: ExchangedTokens = {
    async get(subjectToken, audience, scope) {
      const subjectExp = expiryOf(subjectToken);
      // A subject token this close to its end gets an exchange of its own that no later request reuses.
      if ((subjectExp - skewSeconds) * 1000 <= now()) return (await exchange(subjectToken, audience, scope)).token;
      const entry = await cache.getOrLoad(
        exchangeKey(subjectToken, audience, scope),
        () => exchange(subjectToken, audience, scope),
        ({ token, subjectExp: madeFromExp }) => (Math.min(expiryOf(token), madeFromExp) - skewSeconds) * 1000 - now(),
      );
      return entry.token;
    },
    invalidate: (subjectToken, audience, scope) => cache.delete(exchangeKey(subjectToken, audience, scope)),
    source: (subjectToken, audience, scope) => ({
      get: () => exchanged.get(subjectToken, audience, scope),
      invalidate: () => exchanged.invalidate(subjectToken, audience, scope),
    }),
    clear: () => cache.clear(),
  };
  return exchanged;
}

/** The cache key of an exchange: `sha256` of the subject's claims that determine its result, never the token. */
function exchangeKey(subjectToken: string, audience: string, scope = ''): string {
  const claims = claimsOf(subjectToken, 'Subject token');
  const { iss, sub, sid, azp } = claims;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof azp !== 'string') {
    return sha256(JSON.stringify(['token', sha256(subjectToken), audience, scope]));
  }
  const subjectScope = typeof claims.scope === 'string' ? claims.scope : '';
  return sha256(JSON.stringify(['caller', iss, sub, typeof sid === 'string' ? sid : '', azp, subjectScope, audience, scope]));
}

/**
 * One standard token exchange, uncached: the subject token for one meant for `audience`, refused
 * unless it names `audience` in `aud`, this service in `azp`, and the subject token's `sub` and `iss`.
 * @see https://www.rfc-editor.org/rfc/rfc8693
 */
export async function exchangeToken(identity: ServiceIdentity, subjectToken: string, audience: string, scope?: string): Promise<string> {
  const subject = claimsOf(subjectToken, 'Subject token');
  const { access_token } = await identity.exchange({ subject_token: subjectToken, audience, ...(scope ? { scope } : {}) });
  assertExchangedFor(access_token, { audience, requester: identity.clientId, subject });
  return access_token;
}

function claimsOf(token: string, what: string): ReturnType<typeof decodeJwt> {
  try {
    return decodeJwt(token);
  } catch (error) {
    throw new KeycloakProtocolError(`${what} is not a JWT`, { cause: error });
  }
}

/** `exp` of a JWT that Keycloak just handed us or that our authorizer accepted. */
function expiryOf(token: string): number {
  const { exp } = claimsOf(token, 'Token');
  if (typeof exp !== 'number') throw new KeycloakProtocolError('Token has no exp');
  return exp;
}

/** The exchanged token must be for `audience`, issued to `requester`, about the same user of the same issuer. */
function assertExchangedFor(
  token: string,
  { audience, requester, subject }: { audience: string; requester: string; subject: ReturnType<typeof decodeJwt> },
): void {
  const claims = claimsOf(token, 'Exchanged token');
  if (!audiences(claims.aud).includes(audience)) {
    throw new TokenExchangeResultError(`Exchanged token is not meant for ${audience}`);
  }
  if (claims.azp !== requester) throw new TokenExchangeResultError(`Exchanged token was not issued to ${requester}`);
  if (typeof claims.iss !== 'string' || claims.iss !== subject.iss) {
    throw new TokenExchangeResultError('Exchanged token has another issuer than the subject token');
  }
  if (typeof claims.sub !== 'string' || claims.sub !== subject.sub) {
    throw new TokenExchangeResultError('Exchanged token names another subject than the subject token');
  }
}
