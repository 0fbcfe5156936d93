/**
 * keycloak-lambda-s2s — the core: Keycloak's protocol calls (client credentials, introspection,
 * standard token exchange, JWKS), the local JWT check, the verdict authority, token and secret
 * caches, route tables and the error model. Nothing here knows API Gateway or Lambda: that glue is
 * `keycloak-lambda-s2s/lambda`. Architecture and data path: docs/architecture.md; every export:
 * docs/api.md.
 * @packageDocumentation
 */
export { ExpiringCache, type ExpiringCacheOptions } from './cache';
export { MAX_TOKEN_LENGTH, parseBearer } from './bearer';
export {
  AuthError,
  BadRequestError,
  CallerNotAllowedError,
  ClientAuthenticationError,
  type ClientAuthenticationReason,
  ConfigError,
  DownstreamRejectedError,
  DownstreamUnavailableError,
  KeycloakProtocolError,
  KeycloakTlsError,
  KeycloakUnavailableError,
  PermissionDeniedError,
  SecretInvalidError,
  SecretNotFoundError,
  SecretsUnavailableError,
  TokenExchangeDeniedError,
  TokenExchangeResultError,
  TokenRejectedError,
  errorCode,
  logSafeError,
  type ErrorCode,
  type TokenRejectionCode,
} from './errors';
export { sha256 } from './hash';
export {
  CLIENT_ASSERTION_ALGORITHMS,
  JWT_BEARER_CLIENT_ASSERTION_TYPE,
  clientSecretBasic,
  privateKeyJwt,
  publicClient,
  type ClientAssertionAlgorithm,
  type ClientAuth,
  type PrivateKeyJwtOptions,
} from './keycloak/client-auth';
export {
  createKeycloakClient,
  type KeycloakCallKind,
  type KeycloakClient,
  type KeycloakClientOptions,
  type KeycloakRoundTrip,
} from './keycloak/client';
export { parseIntrospection, type IntrospectionResult } from './keycloak/introspection';
export { acceptIntrospection } from './keycloak/introspection-check';
export { ALLOWED_ALGORITHMS, createJwtCheck, type JwtCheck, type JwtCheckOptions } from './keycloak/jwt-check';
export { createServiceIdentity, type ServiceIdentity } from './keycloak/service-identity';
export {
  createClientCredentialsTokens,
  createExchangedTokens,
  exchangeToken,
  type ClientCredentialsTokens,
  type ExchangedTokens,
  type TokenCacheOptions,
} from './keycloak/token-cache';
export {
  ACCESS_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
  clientAuthenticationRefusal,
  parseTokenResponse,
  type TokenResponse,
} from './keycloak/token-endpoint';
export { MAX_KEYCLOAK_ANSWER_BYTES, postForm, type FetchLike, type KeycloakAnswer } from './keycloak/transport';
export { assertUnexpired, audiences, principalFromClaims, type Principal } from './principal';
export {
  defineRouteTable,
  defineServiceRoutes,
  routeOf,
  routesAllowed,
  type HttpMethod,
  type RouteRule,
  type RouteTable,
  type ServiceRoutes,
} from './routes';
export {
  CLIENT_AUTH_METHODS,
  createClientCredentialsSource,
  createSecretsManagerClient,
  parseClientCredentials,
  parseClientSecret,
  type ClientAuthMethod,
  type ClientCredentialsSource,
  type ClientCredentialsSourceOptions,
  type ParsedClientCredentials,
} from './secrets';
export { epochSeconds, type Clock } from './time';
export {
  AUTH_MODES,
  NEGATIVE_CACHE_MAX_ENTRIES,
  NEGATIVE_CACHE_TTL_SECONDS,
  createTokenAuthority,
  isTokenRejection,
  type AuthMode,
  type TokenAuthority,
  type TokenAuthorityOptions,
  type VerdictLookup,
} from './token-authority';
