import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError, createExchangedTokens, type Clock, type ExchangedTokens } from 'keycloak-lambda-s2s';
import {
  authorizedBearerToken,
  createLogger,
  createServiceCaller,
  createServiceRuntime,
  handleRequest,
  json,
  jsonBody,
  postWithFreshTokenOn401,
  principalFromContext,
  readCallerSettings,
  type Env,
  type Logger,
  type RuntimeOverrides,
  type ServiceCaller,
} from 'keycloak-lambda-s2s/lambda';
import { routes } from '../routes';

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
  /** Subject tokens exchanged for C. */
  exchangedTokens: Pick<ExchangedTokens, 'source'>;
  serviceC: ServiceCaller;
  now: Clock;
}

/** Builds B's dependencies from the environment (`SERVICE_C_URL` is C's base URL). */
export function createServiceBDependencies(env: Env, overrides: RuntimeOverrides & { now?: Clock } = {}): ServiceBDependencies {
  const settings = readCallerSettings(env, { [SERVICE_C]: 'SERVICE_C_URL' });
  const { identity } = createServiceRuntime(settings, overrides);
  const now = overrides.now ?? Date.now;
  return {
    now,
    exchangedTokens: createExchangedTokens({ identity, skewSeconds: settings.tokenExpirySkewSeconds, maxEntries: settings.tokenCacheMaxEntries, now }),
    serviceC: createServiceCaller({
      service: SERVICE_C,
      baseUrl: settings.downstreamUrls[SERVICE_C],
      timeoutMs: settings.downstreamTimeoutMs,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    }),
  };
}

/**
 * Service B. `POST /api/process`: validates the order, exchanges the token it received for one meant
 * for C (RFC 8693), and calls C; a 401 from C drops the cached exchanged token and exchanges once more.
 * `POST /api/inventory/adjust`: a route of its own permission (`inventory.adjust`), served by B alone.
 */
export function createServiceBHandler(dependencies: () => ServiceBDependencies, logger: Logger = createLogger('service-b')) {
  const { process: processRoute, adjustInventory } = routes['service-b'];
  const { compute } = routes[SERVICE_C];
  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, now: Date.now }, async ({ correlationId }) => {
      const { exchangedTokens, serviceC, now } = dependencies();
      if (event.resource === adjustInventory.path) {
        const principal = principalFromContext(event, adjustInventory, now);
        const adjustment = parseAdjustRequest(jsonBody(event));
        return json(200, { adjusted: adjustment, caller: { sub: principal.sub, azp: principal.clientId } });
      }
      const principal = principalFromContext(event, processRoute, now);
      const order = parseProcessRequest(jsonBody(event));
      const subjectToken = authorizedBearerToken(event);
      const serviceCBody = await postWithFreshTokenOn401(
        serviceC,
        SERVICE_C,
        { path: compute.path, body: { value: 10 }, correlationId },
        exchangedTokens.source(subjectToken, SERVICE_C),
      );
      return json(200, {
        service_b: `Order ${order.order_id} processed by Service B`,
        service_c: serviceCBody,
        caller: { sub: principal.sub, azp: principal.clientId },
      });
    });
}
