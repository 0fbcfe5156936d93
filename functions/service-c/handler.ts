import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError } from '../../shared/errors';
import { handleRequest } from '../../shared/handler';
import { json, jsonBody } from '../../shared/http';
import { createLogger, type Logger } from '../../shared/logger';
import { principalFromContext } from '../../shared/request-principal';
import { routeTable } from '../../shared/routes';
import type { Clock } from '../../shared/time';

const [computeRoute] = routeTable['service-c'];

/** Validates C's request body: `{ value: <finite number> }`. */
export function parseComputeRequest(body: Record<string, unknown>): { value: number } {
  const { value } = body;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequestError('value', 'value must be a finite number');
  if (Math.abs(value) > 1e12) throw new BadRequestError('value', 'value must be between -1e12 and 1e12');
  return { value };
}

/** Service C, `POST /api/compute`: doubles `value` for a caller the authorizer let through. */
export function createServiceCHandler({ logger, now = Date.now }: { logger: Logger; now?: Clock }) {
  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, now }, async () => {
      const principal = principalFromContext(event, computeRoute, now);
      const { value } = parseComputeRequest(jsonBody(event));
      return json(200, {
        result: value * 2,
        msg: 'Service C successfully processed request',
        caller: { sub: principal.sub, azp: principal.clientId },
      });
    });
}

/** Lambda entry point. */
export const handler = createServiceCHandler({ logger: createLogger('service-c') });
