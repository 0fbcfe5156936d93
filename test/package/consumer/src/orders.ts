/**
 * The orders service: behind its own authorizer, it exchanges the token it received for one meant
 * for inventory (RFC 8693) and takes the item out of stock there.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError, createExchangedTokens, type Clock } from 'keycloak-lambda-s2s';
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
} from 'keycloak-lambda-s2s/lambda';
import { routes } from './routes.js';

/** Builds the orders handler from the environment (`INVENTORY_URL` is inventory's base URL). */
export function createOrdersHandler(env: Env, overrides: RuntimeOverrides & { now?: Clock; logger?: Logger } = {}) {
  const settings = readCallerSettings(env, { inventory: 'INVENTORY_URL' });
  const { identity } = createServiceRuntime(settings, overrides);
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger('orders');
  const exchanged = createExchangedTokens({ identity, skewSeconds: settings.tokenExpirySkewSeconds, maxEntries: settings.tokenCacheMaxEntries, now });
  const inventory = createServiceCaller({
    service: 'inventory',
    baseUrl: settings.downstreamUrls.inventory,
    timeoutMs: settings.downstreamTimeoutMs,
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
  });

  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, now }, async ({ correlationId }) => {
      const caller = principalFromContext(event, routes.orders.place, now);
      const { sku } = jsonBody(event);
      if (typeof sku !== 'string' || sku === '') throw new BadRequestError('sku', 'sku must be a non-empty string');
      const adjustment = await postWithFreshTokenOn401(
        inventory,
        'inventory',
        { path: routes.inventory.adjust.path, body: { sku, delta: -1 }, correlationId },
        exchanged.source(authorizedBearerToken(event), 'inventory'),
      );
      return json(200, { placed: sku, by: caller.sub, adjustment });
    });
}
