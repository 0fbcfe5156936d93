import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { requestPrincipal } from '../../shared/auth-strategy';
import { readAuthStrategy, type AuthStrategy } from '../../shared/config';
import { BadRequestError } from '../../shared/errors';
import { handleRequest } from '../../shared/handler';
import { json, jsonBody } from '../../shared/http';
import { createLogger, type Logger } from '../../shared/logger';
import { routeTable } from '../../shared/routes';
import { once } from '../../shared/runtime';
import type { Clock } from '../../shared/time';

const [computeRoute] = routeTable['service-c'];

/** Validates C's request body: `{ value: <finite number> }`. */
export function parseComputeRequest(body: Record<string, unknown>): { value: number } {
  const { value } = body;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequestError('value', 'value must be a finite number');
  if (Math.abs(value) > 1e12) throw new BadRequestError('value', 'value must be between -1e12 and 1e12');
  return { value };
}

/**
 * Service C, `POST /api/compute`: doubles `value` for a caller the authorizer let through.
 * `authStrategy` is for the bench only; absent, it is `kit`, the production path.
 */
export function createServiceCHandler({ logger, now = Date.now, authStrategy = () => 'kit' }: { logger: Logger; now?: Clock; authStrategy?: () => AuthStrategy }) {
  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, now }, async () => {
      const principal = requestPrincipal(authStrategy(), event, computeRoute, now);
      const { value } = parseComputeRequest(jsonBody(event));
      return json(200, {
        result: value * 2,
        msg: 'Service C successfully processed request',
        caller: { sub: principal.sub, azp: principal.clientId },
      });
    });
}

/** Lambda entry point. */
export const handler = createServiceCHandler({ logger: createLogger('service-c'), authStrategy: once(() => readAuthStrategy(process.env)) });
