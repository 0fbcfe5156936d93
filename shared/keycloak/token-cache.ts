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

/** Tokens exchanged for another audience, cached per subject token, audience and scope. */
export interface ExchangedTokens {
  /** A token for `audience` on behalf of the subject token's user; checked before it is returned. */
  get(subjectToken: string, audience: string, scope?: string): Promise<string>;
  /** Drops the entry, e.g. after the downstream service answered 401. */
  invalidate(subjectToken: string, audience: string, scope?: string): void;
  /** `get` and `invalidate` bound to one subject token and audience, for a downstream call. */
  source(subjectToken: string, audience: string, scope?: string): { get(): Promise<string>; invalidate(): void };
  clear(): void;
}

/**
 * Standard token exchange with a bounded cache: key `sha256(subject) + audience + scope`, TTL
 * `min(exchanged exp, subject exp) − skew`, single-flight. The issued token must name the target
 * in `aud` and this service in `azp`, else it is refused.
 * @see https://www.rfc-editor.org/rfc/rfc8693
 */
export function createExchangedTokens({
  identity,
  skewSeconds,
  now = Date.now,
  maxEntries,
}: TokenCacheOptions & { maxEntries: number }): ExchangedTokens {
  const cache = new ExpiringCache<string>({ maxEntries, now });
  const keyOf = (subjectToken: string, audience: string, scope = '') => `${sha256(subjectToken)} ${audience} ${scope}`;
  const exchanged: ExchangedTokens = {
    async get(subjectToken, audience, scope) {
      const subjectExp = expiryOf(subjectToken);
      return cache.getOrLoad(
        keyOf(subjectToken, audience, scope),
        () => exchangeToken(identity, subjectToken, audience, scope),
        (token) => (Math.min(expiryOf(token), subjectExp) - skewSeconds) * 1000 - now(),
      );
    },
    invalidate: (subjectToken, audience, scope) => cache.delete(keyOf(subjectToken, audience, scope)),
    source: (subjectToken, audience, scope) => ({
      get: () => exchanged.get(subjectToken, audience, scope),
      invalidate: () => exchanged.invalidate(subjectToken, audience, scope),
    }),
    clear: () => cache.clear(),
  };
  return exchanged;
}

/**
 * One standard token exchange, uncached: the subject token for one meant for `audience`, refused
 * unless it names `audience` in `aud` and this service in `azp`.
 * @see https://www.rfc-editor.org/rfc/rfc8693
 */
export async function exchangeToken(identity: ServiceIdentity, subjectToken: string, audience: string, scope?: string): Promise<string> {
  const { access_token } = await identity.exchange({ subject_token: subjectToken, audience, ...(scope ? { scope } : {}) });
  assertExchangedFor(access_token, audience, identity.clientId);
  return access_token;
}

/** `exp` of a JWT that Keycloak just handed us or that our authorizer accepted. */
function expiryOf(token: string): number {
  let exp: unknown;
  try {
    exp = decodeJwt(token).exp;
  } catch (error) {
    throw new KeycloakProtocolError('Token is not a JWT', { cause: error });
  }
  if (typeof exp !== 'number') throw new KeycloakProtocolError('Token has no exp');
  return exp;
}

function assertExchangedFor(token: string, audience: string, requester: string): void {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch (error) {
    throw new KeycloakProtocolError('Exchanged token is not a JWT', { cause: error });
  }
  if (!audiences(claims.aud).includes(audience)) {
    throw new TokenExchangeResultError(`Exchanged token is not meant for ${audience}`);
  }
  if (claims.azp !== requester) throw new TokenExchangeResultError(`Exchanged token was not issued to ${requester}`);
}
