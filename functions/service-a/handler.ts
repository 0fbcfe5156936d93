import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { clientCredentialsTokensFor, exchangedTokensFor, requestBearerToken, requestPrincipal } from '../../shared/auth-strategy';
import { readAuthStrategy, readCallerSettings, type AuthStrategy, type Env } from '../../shared/config';
import { createServiceCaller, postWithFreshTokenOn401, type ServiceCaller, type TokenSource } from '../../shared/downstream';
import { handleRequest } from '../../shared/handler';
import { header, json } from '../../shared/http';
import type { ClientCredentialsTokens, ExchangedTokens } from '../../shared/keycloak/token-cache';
import { createLogger, logKeycloakRoundTrips, type Logger } from '../../shared/logger';
import { routeTable } from '../../shared/routes';
import { createServiceRuntime, once, type RuntimeOverrides } from '../../shared/runtime';
import type { Clock } from '../../shared/time';

const [asUserRoute] = routeTable['service-a'];
const [processRoute] = routeTable['service-b'];
const SERVICE_B = 'service-b';

/** The order A asks B to process (the original design's example). */
export const DEMO_ORDER = { order_id: 9876, amount: 100 } as const;

/** What A's handlers need; built once per container. */
export interface ServiceADependencies {
  ownTokens: ClientCredentialsTokens;
  exchangedTokens: ExchangedTokens;
  serviceB: ServiceCaller;
  now: Clock;
  /** Bench only (`BENCH_AUTH_STRATEGY`); absent means `kit`, the production path. */
  authStrategy?: AuthStrategy;
}

/** Builds A's dependencies from the environment. */
export function createServiceADependencies(env: Env, overrides: RuntimeOverrides & { now?: Clock } = {}): ServiceADependencies {
  const settings = readCallerSettings(env, 'SERVICE_B_URL');
  const authStrategy = readAuthStrategy(env);
  const { identity } = createServiceRuntime(settings, overrides);
  const now = overrides.now ?? Date.now;
  const skewSeconds = settings.tokenExpirySkewSeconds;
  return {
    now,
    authStrategy,
    ownTokens: clientCredentialsTokensFor(authStrategy, { identity, skewSeconds, now }),
    exchangedTokens: exchangedTokensFor(authStrategy, { identity, skewSeconds, maxEntries: settings.tokenCacheMaxEntries, now }),
    serviceB: createServiceCaller({ service: SERVICE_B, baseUrl: settings.downstreamUrl, timeoutMs: settings.downstreamTimeoutMs, ...(overrides.fetch ? { fetch: overrides.fetch } : {}) }),
  };
}

function callB(serviceB: ServiceCaller, token: TokenSource, correlationId: string): Promise<unknown> {
  return postWithFreshTokenOn401(serviceB, SERVICE_B, { path: processRoute.path, body: DEMO_ORDER, correlationId }, token);
}

/**
 * Service A. `GET /run-service-b`: calls B with A's own identity (client credentials).
 * `GET /run-service-b/as-user` (behind authorizer-a): exchanges the user's token for one meant for B,
 * so the user stays the subject while the audience narrows hop by hop.
 */
export function createServiceAHandler(dependencies: () => ServiceADependencies, logger: Logger = createLogger('service-a')) {
  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger }, async ({ correlationId }) => {
      const { ownTokens, exchangedTokens, serviceB, now, authStrategy = 'kit' } = dependencies();
      if (event.resource === asUserRoute.path) {
        requestPrincipal(authStrategy, event, asUserRoute, now);
        const userToken = requestBearerToken(authStrategy, event);
        return json(200, await callB(serviceB, exchangedTokens.source(userToken, SERVICE_B), correlationId));
      }
      return json(200, await callB(serviceB, ownTokens, correlationId));
    });
}

const logger = createLogger('service-a');

/** Lambda entry point. */
export const handler = createServiceAHandler(
  once(() => createServiceADependencies(process.env, { onKeycloakRoundTrip: logKeycloakRoundTrips(logger) })),
  logger,
);
