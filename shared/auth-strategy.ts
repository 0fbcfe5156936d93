/**
 * The pieces of auth that the bench-only `BENCH_AUTH_STRATEGY` swaps (see `AuthStrategy` in
 * ./config). For `kit`, the only strategy outside `npm run bench`, every function here returns
 * exactly what the handlers used before the switch existed; the other branches are the bench's
 * reference points and nothing else.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AuthStrategy } from './config';
import type { Principal } from './keycloak/access-check';
import {
  createClientCredentialsTokens,
  createExchangedTokens,
  exchangeToken,
  type ClientCredentialsTokens,
  type ExchangedTokens,
  type TokenCacheOptions,
} from './keycloak/token-cache';
import { authorizedBearerToken, principalFromContext } from './request-principal';
import type { RouteRule } from './routes';
import type { Clock } from './time';

/** What A and B send as their bearer token under `off`: a placeholder no authorizer ever sees. */
export const NO_AUTH_TOKEN = 'bench-auth-off';

/** Who the handlers see as the caller under `off`, where no authorizer establishes one. */
export const NO_AUTH_PRINCIPAL: Readonly<Principal> = Object.freeze({
  sub: NO_AUTH_TOKEN,
  clientId: NO_AUTH_TOKEN,
  scope: '',
  exp: Number.MAX_SAFE_INTEGER,
  permissions: [],
});

/**
 * The service's own token: `kit` caches it until `exp − skew`; `original` fetches a new one on every
 * call (client credentials); `off` fetches nothing.
 */
export function clientCredentialsTokensFor(strategy: AuthStrategy, options: TokenCacheOptions): ClientCredentialsTokens {
  if (strategy === 'kit') return createClientCredentialsTokens(options);
  const get =
    strategy === 'original' ? async () => (await options.identity.clientCredentials()).access_token : async () => NO_AUTH_TOKEN;
  return { get, invalidate: () => {}, clear: () => {} };
}

/**
 * Tokens exchanged for another audience: `kit` caches them per subject token, audience and scope;
 * `original` exchanges on every call; `off` exchanges nothing.
 */
export function exchangedTokensFor(strategy: AuthStrategy, options: TokenCacheOptions & { maxEntries: number }): ExchangedTokens {
  if (strategy === 'kit') return createExchangedTokens(options);
  const get: ExchangedTokens['get'] =
    strategy === 'original'
      ? (subjectToken, audience, scope) => exchangeToken(options.identity, subjectToken, audience, scope)
      : async () => NO_AUTH_TOKEN;
  const source: ExchangedTokens['source'] = (subjectToken, audience, scope) => ({
    get: () => get(subjectToken, audience, scope),
    invalidate: () => {},
  });
  return { get, invalidate: () => {}, source, clear: () => {} };
}

/**
 * The caller of a request: the principal the authorizer put in the context, re-checked for the route
 * (`kit` and `original`), or {@link NO_AUTH_PRINCIPAL} under `off`, where no route has an authorizer.
 */
export function requestPrincipal(
  strategy: AuthStrategy,
  event: Pick<APIGatewayProxyEvent, 'requestContext'>,
  route: RouteRule,
  now: Clock = Date.now,
): Principal {
  return strategy === 'off' ? NO_AUTH_PRINCIPAL : principalFromContext(event, route, now);
}

/**
 * The bearer token a handler forwards or exchanges: the one the authorizer checked (`kit`, `original`),
 * or the placeholder under `off`, where no authorizer ran.
 */
export function requestBearerToken(strategy: AuthStrategy, event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>): string {
  return strategy === 'off' ? NO_AUTH_TOKEN : authorizedBearerToken(event);
}
