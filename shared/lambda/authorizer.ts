import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { parseBearer } from '../bearer';
import { TokenRejectedError, errorCode, logSafeError } from '../errors';
import { sha256 } from '../hash';
import { createJwtCheck } from '../keycloak/jwt-check';
import { defineServiceRoutes, type RouteTable, type ServiceRoutes } from '../routes';
import type { Clock } from '../time';
import { createTokenAuthority, isTokenRejection, type TokenAuthority } from '../token-authority';
import { readAuthorizerSettings, type AuthorizerSettings, type Env } from './config';
import { createLogger, logKeycloakRoundTrips, type Logger } from './logger';
import { apiStagePrefix, buildPolicy } from './policy';
import { createServiceRuntime, type RuntimeOverrides } from './runtime';

/** What the authorizer handler needs; built once per container. */
export interface AuthorizerDependencies {
  /** The protected service's routes: the policy allows those the token's permissions open. */
  routes: ServiceRoutes;
  authority: TokenAuthority;
  logger: Logger;
  now: Clock;
  /** Builds the policy; {@link buildPolicy} unless a test narrows it. */
  policy?: typeof buildPolicy;
  /** Loads the realm's key set and the service's secret side by side, ahead of the first request. */
  warmUp?: () => Promise<void>;
}

/** Injectable parts of the authorizer; production uses the defaults. */
export type AuthorizerOverrides = RuntimeOverrides & { now?: Clock; logger?: Logger };

/**
 * Builds the authorizer's dependencies from settings: the Keycloak client, the service's
 * credentials, the local JWT check (unless `mode` is `introspection`) and the verdict authority.
 * Keycloak round-trips are logged at debug level unless `overrides` count them.
 */
export function createAuthorizerDependencies(
  settings: AuthorizerSettings & { routes: ServiceRoutes },
  overrides: AuthorizerOverrides = {},
): AuthorizerDependencies {
  const routes = defineServiceRoutes(settings.routes, `routes["${settings.service}"]`);
  const logger = overrides.logger ?? createLogger(`authorizer-${settings.service}`);
  const onKeycloakRoundTrip = overrides.onKeycloakRoundTrip ?? logKeycloakRoundTrips(logger);
  const { keycloak, identity, credentials } = createServiceRuntime(settings, { ...overrides, onKeycloakRoundTrip });
  const now = overrides.now ?? Date.now;
  const jwtCheck =
    settings.mode === 'introspection'
      ? undefined
      : createJwtCheck({
          jwksUri: keycloak.jwksUri,
          issuer: keycloak.issuer,
          audience: settings.clientId,
          clockToleranceSeconds: settings.clockToleranceSeconds,
          jwksCooldownMs: settings.jwksCooldownSeconds * 1000,
          timeoutMs: settings.keycloak.timeoutMs,
          now,
          ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
          onJwksFetch: () => onKeycloakRoundTrip('jwks'),
        });
  return {
    routes,
    now,
    logger,
    warmUp: async () => {
      await Promise.all([jwtCheck?.prefetchKeys?.(), settings.mode === 'jwt' ? undefined : credentials.get()]);
    },
    authority: createTokenAuthority({
      identity,
      mode: settings.mode,
      ...(jwtCheck ? { jwtCheck } : {}),
      issuer: keycloak.issuer,
      cacheTtlSeconds: settings.introspectionCacheTtlSeconds,
      cacheMaxEntries: settings.introspectionCacheMaxEntries,
      now,
    }),
  };
}

/** A Lambda TOKEN authorizer. */
export type TokenAuthorizerHandler = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/**
 * The TOKEN authorizer. Any token problem → `Unauthorized` (401); a valid token allowed no route of
 * this service → Deny policy (403); Keycloak or Secrets Manager failing → an error that is not
 * `Unauthorized` (API Gateway answers 500 AUTHORIZER_FAILURE, mapped to 503): fail closed, never Allow.
 * @see docs/architecture.md (the data path of a token)
 */
export function createAuthorizerHandler(dependencies: AuthorizerDependencies): TokenAuthorizerHandler {
  const { routes, authority, logger, now, policy = buildPolicy } = dependencies;
  return async (event) => {
    const started = now();
    try {
      const prefix = apiStagePrefix(event.methodArn ?? '');
      if (!prefix) throw new TokenRejectedError('TOKEN_MALFORMED', 'Event has no method ARN');
      const token = parseBearer(event.authorizationToken);
      const principal = await authority.authorize(token);
      const result = policy(principal, routes, prefix, sha256(token));
      const effect = result.policyDocument.Statement[0]?.Effect;
      logger.info('authorized', { sub: principal.sub, client_id: principal.clientId, effect, latency_ms: now() - started });
      return result;
    } catch (error) {
      if (isTokenRejection(error)) {
        logger.info('unauthorized', { code: errorCode(error), latency_ms: now() - started });
        throw new Error('Unauthorized');
      }
      logger.error('authorizer failed closed', { code: errorCode(error), error: logSafeError(error), latency_ms: now() - started });
      throw new Error('Authorizer unavailable');
    }
  };
}

/** Options of {@link createAuthorizer}. */
export interface CreateAuthorizerOptions {
  /** The app's route table; `SERVICE_NAME` picks this authorizer's service from it. */
  routes: RouteTable;
  /** The environment to read settings from (`process.env` in a Lambda entry point). */
  env: Env;
  overrides?: AuthorizerOverrides;
}

/**
 * A ready TOKEN authorizer for one protected service, configured from the environment (see
 * `readAuthorizerSettings`). Call it at module scope: invalid settings fail the cold start with one
 * sentence naming the variable, warm invocations reuse the caches, and the realm's key set and the
 * service's secret start loading there, side by side (Lambda's init phase), instead of one after the
 * other on the first request's path. A failed warm-up only logs a warning: the first request loads
 * what is missing and fails closed if it cannot. The warm-up calls Keycloak only for the key set.
 * @example export const handler = createAuthorizer({ routes, env: process.env });
 */
export function createAuthorizer({ routes, env, overrides }: CreateAuthorizerOptions): TokenAuthorizerHandler {
  const dependencies = createAuthorizerDependencies(readAuthorizerSettings(env, routes), overrides);
  dependencies.warmUp?.().catch((error: unknown) => dependencies.logger.warn('warm-up failed; the first request retries', { code: errorCode(error) }));
  return createAuthorizerHandler(dependencies);
}
