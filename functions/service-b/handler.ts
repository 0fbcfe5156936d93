import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { exchangedTokensFor, requestBearerToken, requestPrincipal } from '../../shared/auth-strategy';
import { readAuthStrategy, readCallerSettings, type AuthStrategy, type Env } from '../../shared/config';
import { createServiceCaller, postWithFreshTokenOn401, type ServiceCaller } from '../../shared/downstream';
import { BadRequestError } from '../../shared/errors';
import { handleRequest } from '../../shared/handler';
import { header, json, jsonBody } from '../../shared/http';
import type { ExchangedTokens } from '../../shared/keycloak/token-cache';
import { createLogger, logKeycloakRoundTrips, type Logger } from '../../shared/logger';
import { routeTable } from '../../shared/routes';
import { createServiceRuntime, once, type RuntimeOverrides } from '../../shared/runtime';
import type { Clock } from '../../shared/time';

const [processRoute, adjustRoute] = routeTable['service-b'];
const [computeRoute] = routeTable['service-c'];
const SERVICE_C = 'service-c';

/** Validates B's request body: `{ order_id: string | integer, amount: positive number }`. */
export function parseProcessRequest(body: Record<string, unknown>): { order_id: string; amount: number } {
  const { order_id, amount } = body;
  const orderId = typeof order_id === 'number' && Number.isSafeInteger(order_id) && order_id >= 0 ? String(order_id) : order_id;
  if (typeof orderId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(orderId)) {
    throw new BadRequestError('order_id', 'order_id must be a non-negative integer or 1-64 letters, digits, "-" or "_"');
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0 || amount > 1e9) {
    throw new BadRequestError('amount', 'amount must be a number greater than 0 and at most 1e9');
  }
  return { order_id: orderId, amount };
}

/** Validates an inventory adjustment: `{ sku: string, delta: non-zero integer }`. */
export function parseAdjustRequest(body: Record<string, unknown>): { sku: string; delta: number } {
  const { sku, delta } = body;
  if (typeof sku !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(sku)) {
    throw new BadRequestError('sku', 'sku must be 1-64 letters, digits, "-" or "_"');
  }
  if (typeof delta !== 'number' || !Number.isSafeInteger(delta) || delta === 0 || Math.abs(delta) > 1e6) {
    throw new BadRequestError('delta', 'delta must be a non-zero integer between -1e6 and 1e6');
  }
  return { sku, delta };
}

/** What B's handler needs; built once per container. */
export interface ServiceBDependencies {
  exchangedTokens: ExchangedTokens;
  serviceC: ServiceCaller;
  now: Clock;
  /** Bench only (`BENCH_AUTH_STRATEGY`); absent means `kit`, the production path. */
  authStrategy?: AuthStrategy;
}

/** Builds B's dependencies from the environment. */
export function createServiceBDependencies(env: Env, overrides: RuntimeOverrides & { now?: Clock } = {}): ServiceBDependencies {
  const settings = readCallerSettings(env, 'SERVICE_C_URL');
  const authStrategy = readAuthStrategy(env);
  const { identity } = createServiceRuntime(settings, overrides);
  const now = overrides.now ?? Date.now;
  return {
    now,
    authStrategy,
    exchangedTokens: exchangedTokensFor(authStrategy, { identity, skewSeconds: settings.tokenExpirySkewSeconds, maxEntries: settings.tokenCacheMaxEntries, now }),
    serviceC: createServiceCaller({ service: SERVICE_C, baseUrl: settings.downstreamUrl, timeoutMs: settings.downstreamTimeoutMs, ...(overrides.fetch ? { fetch: overrides.fetch } : {}) }),
  };
}

/**
 * Service B. `POST /api/process`: validates the order, exchanges the token it received for one meant
 * for C (RFC 8693), and calls C; a 401 from C drops the cached exchanged token and exchanges once more.
 * `POST /api/inventory/adjust`: a route of its own permission (`inventory.adjust`), served by B alone.
 */
export function createServiceBHandler(dependencies: () => ServiceBDependencies, logger: Logger = createLogger('service-b')) {
  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, now: Date.now }, async ({ correlationId }) => {
      const { exchangedTokens, serviceC, now, authStrategy = 'kit' } = dependencies();
      if (event.resource === adjustRoute.path) {
        const principal = requestPrincipal(authStrategy, event, adjustRoute, now);
        const adjustment = parseAdjustRequest(jsonBody(event));
        return json(200, { adjusted: adjustment, caller: { sub: principal.sub, azp: principal.clientId } });
      }
      const principal = requestPrincipal(authStrategy, event, processRoute, now);
      const order = parseProcessRequest(jsonBody(event));
      const subjectToken = requestBearerToken(authStrategy, event);
      const serviceCBody = await postWithFreshTokenOn401(
        serviceC,
        SERVICE_C,
        { path: computeRoute.path, body: { value: 10 }, correlationId },
        exchangedTokens.source(subjectToken, SERVICE_C),
      );
      return json(200, {
        service_b: `Order ${order.order_id} processed by Service B`,
        service_c: serviceCBody,
        caller: { sub: principal.sub, azp: principal.clientId },
      });
    });
}

const logger = createLogger('service-b');

/** Lambda entry point. */
export const handler = createServiceBHandler(
  once(() => createServiceBDependencies(process.env, { onKeycloakRoundTrip: logKeycloakRoundTrips(logger) })),
  logger,
);
