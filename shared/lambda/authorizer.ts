import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { parseBearer } from '../bearer';
import { TokenRejectedError, errorCode, logSafeError } from '../errors';
import { sha256 } from '../hash';
import { createJwtCheck } from '../keycloak/jwt-check';
import { defineServiceRoutes, type RouteTable, type ServiceRoutes } from '../routes';
import type { KeycloakRoundTrip } from '../keycloak/client';
import type { FetchLike } from '../keycloak/transport';
import type { Clock } from '../time';
import { createTokenAuthority, isTokenRejection, type TokenAuthority } from '../token-authority';
import { readAuthorizerSettings, type AuthorizerSettings, type Env } from './config';
import { createLogger, type Logger } from './logger';
import { createServiceMetrics, observeKeycloakRoundTrips, type ServiceMetrics } from './metrics';
import { apiStagePrefix, buildPolicy } from './policy';
import { createServiceRuntime, type RuntimeOverrides } from './runtime';

/** What the authorizer handler needs; built once per container. */
export interface AuthorizerDependencies {
  /** The protected service's routes: the policy allows those the token's permissions open. */
  routes: ServiceRoutes;
  authority: TokenAuthority;
  logger: Logger;
  /** Refusals and fail-closed decisions by code; flushed at the end of each invocation. */
  metrics?: ServiceMetrics;
  now: Clock;
  /** Builds the policy; {@link buildPolicy} unless a test narrows it. */
  policy?: typeof buildPolicy;
  /** Loads what the first request needs ahead of it: the service's secret, and the key set if the first token is checked locally. */
  warmUp?: () => Promise<void>;
}

/** Injectable parts of the authorizer; production uses the defaults. */
export type AuthorizerOverrides = RuntimeOverrides & { now?: Clock; logger?: Logger; metrics?: ServiceMetrics };

/**
 * Builds the authorizer's dependencies from settings: the Keycloak client, the service's
 * credentials, the local JWT check (unless `mode` is `introspection`), the verdict authority and
 * the metrics (service `authorizer-<service>`, namespace `settings.metricsNamespace`): verdict-cache
 * hits and misses, and Keycloak round-trips by kind, which are also logged at debug level unless
 * `overrides.onKeycloakRoundTrip` takes them.
 */
export function createAuthorizerDependencies(
  settings: AuthorizerSettings & { routes: ServiceRoutes },
  overrides: AuthorizerOverrides = {},
): AuthorizerDependencies {
  const routes = defineServiceRoutes(settings.routes, `routes["${settings.service}"]`);
  const service = `authorizer-${settings.service}`;
  const logger = overrides.logger ?? createLogger(service);
  const metrics = overrides.metrics ?? createServiceMetrics({ service, namespace: settings.metricsNamespace, logger });
  const onKeycloakRoundTrip = overrides.onKeycloakRoundTrip ?? observeKeycloakRoundTrips(logger, metrics);
  const now = overrides.now ?? Date.now;
  const { keycloak, identity, credentials } = createServiceRuntime(settings, { ...overrides, onKeycloakRoundTrip });
  const fetch = overrides.fetch ?? globalThis.fetch;
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
          fetch: timedJwksFetch(fetch, now, onKeycloakRoundTrip),
        });
  return {
    routes,
    now,
    logger,
    metrics,
    warmUp: async () => {
      // The secret for introspection; the key set only when the first token will be checked locally.
      // Otherwise the second token's check loads it: on a cold path it would be a second call's CPU.
      const keysAtInit = settings.mode === 'jwt' || !settings.firstTokenByIntrospection;
      await Promise.all([settings.mode === 'jwt' ? undefined : credentials.get(), keysAtInit ? jwtCheck?.prefetchKeys?.() : undefined]);
    },
    authority: createTokenAuthority({
      identity,
      mode: settings.mode,
      ...(jwtCheck ? { jwtCheck } : {}),
      issuer: keycloak.issuer,
      cacheTtlSeconds: settings.introspectionCacheTtlSeconds,
      cacheMaxEntries: settings.introspectionCacheMaxEntries,
      firstTokenByIntrospection: settings.firstTokenByIntrospection,
      now,
      onVerdictLookup: (lookup) => metrics.verdictLookup(lookup),
    }),
  };
}

/** The JWKS fetch, reported as a `jwks` round-trip with its duration and outcome like the client's calls. */
function timedJwksFetch(fetch: FetchLike, now: Clock, onRoundTrip: NonNullable<RuntimeOverrides['onKeycloakRoundTrip']>): FetchLike {
  return async (input, init) => {
    const started = now();
    let outcome: KeycloakRoundTrip['outcome'] = 'failed';
    try {
      const response = await fetch(input, init);
      if (response.status < 300) outcome = 'answered';
      return response;
    } finally {
      onRoundTrip('jwks', { durationMs: now() - started, outcome });
    }
  };
}

/**
 * A Lambda TOKEN authorizer. Lambda passes the invocation's `context`: its logger then adds
 * `cold_start`, `function_name` and `function_request_id` to every line.
 */
export type TokenAuthorizerHandler = (event: APIGatewayTokenAuthorizerEvent, context?: Context) => Promise<APIGatewayAuthorizerResult>;

/**
 * The TOKEN authorizer. Any token problem → `Unauthorized` (401); a valid token allowed no route of
 * this service → Deny policy (403); Keycloak or Secrets Manager failing → an error that is not
 * `Unauthorized` (API Gateway answers 500 AUTHORIZER_FAILURE, mapped to 503): fail closed, never Allow.
 * @see docs/architecture.md (the data path of a token)
 */
export function createAuthorizerHandler(dependencies: AuthorizerDependencies): TokenAuthorizerHandler {
  const { routes, authority, logger, metrics, now, policy = buildPolicy } = dependencies;
  return async (event, context) => {
    const started = now();
    if (context) logger.addContext(context);
    try {
      const prefix = apiStagePrefix(event.methodArn);
      if (!prefix) throw new TokenRejectedError('TOKEN_MALFORMED', 'Event has no method ARN');
      const token = parseBearer(event.authorizationToken);
      const principal = await authority.authorize(token);
      const result = policy(principal, routes, prefix, sha256(token));
      const effect = result.policyDocument.Statement[0]?.Effect;
      logger.info('authorized', { sub: principal.sub, client_id: principal.clientId, effect, latency_ms: now() - started });
      if (effect === 'Deny') metrics?.authorizerRefused('PERMISSION_DENIED');
      return result;
    } catch (error) {
      const code = errorCode(error);
      if (isTokenRejection(error)) {
        logger.info('unauthorized', { code, latency_ms: now() - started });
        metrics?.authorizerRefused(code);
        throw new Error('Unauthorized');
      }
      logger.error('authorizer failed closed', { code, error: logSafeError(error), latency_ms: now() - started });
      metrics?.authorizerFailedClosed(code);
      throw new Error('Authorizer unavailable');
    } finally {
      metrics?.flush();
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
 * sentence naming the variable, warm invocations reuse the caches, and the service's secret starts
 * loading there (Lambda's init phase) instead of on the first request's path. The realm's key set
 * loads there too when the first token will be checked locally (`AUTH_MODE=jwt`, or
 * `FIRST_TOKEN_BY_INTROSPECTION=false`); by default the first token is decided by introspection and
 * the key set loads with the next one. A failed warm-up only logs a warning: the first request
 * loads what is missing and fails closed if it cannot. The warm-up calls Keycloak only for the key set.
 * @example export const handler = createAuthorizer({ routes, env: process.env });
 */
export function createAuthorizer({ routes, env, overrides }: CreateAuthorizerOptions): TokenAuthorizerHandler {
  const dependencies = createAuthorizerDependencies(readAuthorizerSettings(env, routes), overrides);
  dependencies.warmUp?.().catch((error: unknown) => dependencies.logger.warn('warm-up failed; the first request retries', { code: errorCode(error) }));
  return createAuthorizerHandler(dependencies);
}
