import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
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
  type ServiceMetrics,
} from 'keycloak-lambda-s2s/lambda';
import { routes } from '../routes';

const SERVICE_C = 'service-c';
const INVENTORY = 'inventory';

/**
 * The inventory service's route B forwards stock adjustments to, when `INVENTORY_URL` names one: a
 * fourth service built by a team from the packed library alone (test/package/consumer/,
 * docs/adding-a-service.md). Without it B records the adjustment itself.
 */
export const INVENTORY_ADJUST_PATH = '/inventory/adjustments';

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
  /** Subject tokens exchanged for C (and for inventory). */
  exchangedTokens: Pick<ExchangedTokens, 'source'>;
  serviceC: ServiceCaller;
  /** The inventory service, when `INVENTORY_URL` is set. */
  inventory?: ServiceCaller;
  now: Clock;
}

/**
 * Builds B's dependencies from the environment: `SERVICE_C_URL` is C's base URL, and the optional
 * `INVENTORY_URL` the inventory service's.
 */
export function createServiceBDependencies(env: Env, overrides: RuntimeOverrides & { now?: Clock } = {}): ServiceBDependencies {
  const withInventory = Boolean(env.INVENTORY_URL?.trim());
  const settings = readCallerSettings<string>(env, { [SERVICE_C]: 'SERVICE_C_URL', ...(withInventory ? { [INVENTORY]: 'INVENTORY_URL' } : {}) });
  const { identity } = createServiceRuntime(settings, overrides);
  const now = overrides.now ?? Date.now;
  const callerOf = (service: string) =>
    createServiceCaller({
      service,
      baseUrl: settings.downstreamUrls[service] as string,
      timeoutMs: settings.downstreamTimeoutMs,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    });
  return {
    now,
    exchangedTokens: createExchangedTokens({ identity, skewSeconds: settings.tokenExpirySkewSeconds, maxEntries: settings.tokenCacheMaxEntries, now }),
    serviceC: callerOf(SERVICE_C),
    ...(withInventory ? { inventory: callerOf(INVENTORY) } : {}),
  };
}

/**
 * Service B. `POST /api/process`: validates the order, exchanges the token it received for one meant
 * for C (RFC 8693), and calls C; a 401 from C drops the cached exchanged token and exchanges once more.
 * `POST /api/inventory/adjust`: a route of its own permission (`inventory.adjust`); B forwards the
 * adjustment to the inventory service with a token exchanged for it when one is configured, else
 * records it itself.
 */
export function createServiceBHandler(dependencies: () => ServiceBDependencies, logger: Logger = createLogger('service-b'), metrics?: ServiceMetrics) {
  const { process: processRoute, adjustInventory } = routes['service-b'];
  const { compute } = routes[SERVICE_C];
  return (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, metrics, context }, async ({ correlationId }) => {
      const { exchangedTokens, serviceC, inventory, now } = dependencies();
      if (event.resource === adjustInventory.path) {
        const principal = principalFromContext(event, adjustInventory, now);
        const adjustment = parseAdjustRequest(jsonBody(event));
        const caller = { sub: principal.sub, azp: principal.clientId };
        if (!inventory) return json(200, { adjusted: adjustment, caller });
        const inventoryBody = await postWithFreshTokenOn401(
          inventory,
          INVENTORY,
          { path: INVENTORY_ADJUST_PATH, body: adjustment, correlationId },
          exchangedTokens.source(authorizedBearerToken(event), INVENTORY),
        );
        return json(200, { adjusted: adjustment, inventory: inventoryBody, caller });
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
