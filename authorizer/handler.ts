import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { parseBearer } from '../shared/bearer';
import { readAuthorizerSettings, readAuthStrategy, type AuthorizerSettings } from '../shared/config';
import { TokenRejectedError, errorCode } from '../shared/errors';
import { describe } from '../shared/handler';
import { sha256 } from '../shared/hash';
import { createLogger, logKeycloakRoundTrips, type Logger } from '../shared/logger';
import { routeTable } from '../shared/routes';
import { createServiceRuntime, once, type RuntimeOverrides } from '../shared/runtime';
import type { Clock } from '../shared/time';
import { createJwtCheck } from '../shared/keycloak/jwt-check';
import { createTokenAuthority, isTokenRejection, type TokenAuthority } from './authorize';
import { apiStagePrefix, buildPolicy } from './policy';

/** What the authorizer handler needs; built once per container. */
export interface AuthorizerDependencies {
  settings: AuthorizerSettings;
  authority: TokenAuthority;
  logger: Logger;
  now: Clock;
}

/**
 * Builds the authorizer's dependencies from the environment. Keycloak round-trips are logged at debug
 * level unless `overrides` count them. The bench's `original` strategy introspects every request:
 * no local JWT check, no verdict cache.
 */
export function createAuthorizerDependencies(env: Record<string, string | undefined>, overrides: RuntimeOverrides & { now?: Clock } = {}): AuthorizerDependencies {
  const settings = readAuthorizerSettings(env);
  const original = readAuthStrategy(env) === 'original';
  const mode = original ? 'introspection' : settings.mode;
  const logger = createLogger(`authorizer-${settings.service}`);
  const onKeycloakRoundTrip = overrides.onKeycloakRoundTrip ?? logKeycloakRoundTrips(logger);
  const { keycloak, identity } = createServiceRuntime(settings, { ...overrides, onKeycloakRoundTrip });
  const now = overrides.now ?? Date.now;
  const jwtCheck =
    mode === 'introspection'
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
    settings,
    now,
    logger,
    authority: createTokenAuthority({
      identity,
      mode,
      ...(jwtCheck ? { jwtCheck } : {}),
      issuer: keycloak.issuer,
      cacheTtlSeconds: settings.introspectionCacheTtlSeconds,
      cacheMaxEntries: settings.introspectionCacheMaxEntries,
      cacheVerdicts: !original,
      now,
    }),
  };
}

/**
 * The TOKEN authorizer. Any token problem → `Unauthorized` (401); a valid token allowed no route of
 * this service → Deny policy (403); Keycloak or Secrets Manager failing → an error that is not
 * `Unauthorized` (API Gateway answers 500 AUTHORIZER_FAILURE, mapped to 503): fail closed, never Allow.
 */
export function createAuthorizerHandler(dependencies: () => AuthorizerDependencies) {
  return async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const { settings, authority, logger, now } = dependencies();
    const started = now();
    try {
      const prefix = apiStagePrefix(event.methodArn ?? '');
      if (!prefix) throw new TokenRejectedError('TOKEN_MALFORMED', 'Event has no method ARN');
      const token = parseBearer(event.authorizationToken);
      const principal = await authority.authorize(token);
      const policy = buildPolicy(principal, routeTable[settings.service], prefix, sha256(token));
      const effect = policy.policyDocument.Statement[0]?.Effect;
      logger.info('authorized', { sub: principal.sub, client_id: principal.clientId, effect, latency_ms: now() - started });
      return policy;
    } catch (error) {
      if (isTokenRejection(error)) {
        logger.info('unauthorized', { code: errorCode(error), latency_ms: now() - started });
        throw new Error('Unauthorized');
      }
      logger.error('authorizer failed closed', { code: errorCode(error), error: describe(error), latency_ms: now() - started });
      throw new Error('Authorizer unavailable');
    }
  };
}

const dependencies = once(() => createAuthorizerDependencies(process.env));

/** Lambda entry point. */
export const handler = createAuthorizerHandler(dependencies);
