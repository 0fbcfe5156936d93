/** The inventory service: applies a stock adjustment for a caller its authorizer let through. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError, type Clock } from 'keycloak-lambda-s2s';
import { createLogger, handleRequest, json, jsonBody, principalFromContext, type Logger } from 'keycloak-lambda-s2s/lambda';
import { routes } from './routes.js';

/** `{ sku: non-empty string, delta: non-zero integer }`, or a 400 naming the field. */
export function parseAdjustment(body: Record<string, unknown>): { sku: string; delta: number } {
  const { sku, delta } = body;
  if (typeof sku !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(sku)) throw new BadRequestError('sku', 'sku must be 1-64 letters, digits, "-" or "_"');
  if (typeof delta !== 'number' || !Number.isSafeInteger(delta) || delta === 0) throw new BadRequestError('delta', 'delta must be a non-zero integer');
  return { sku, delta };
}

export function createInventoryHandler({ logger = createLogger('inventory'), now = Date.now }: { logger?: Logger; now?: Clock } = {}) {
  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, now }, async () => {
      const caller = principalFromContext(event, routes.inventory.adjust, now);
      const adjustment = parseAdjustment(jsonBody(event));
      return json(200, { adjusted: adjustment, by: 'inventory', caller: { sub: caller.sub, azp: caller.clientId } });
    });
}
