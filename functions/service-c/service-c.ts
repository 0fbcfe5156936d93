import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { BadRequestError, type Clock } from 'keycloak-lambda-s2s';
import { handleRequest, json, jsonBody, principalFromContext, type Logger, type ServiceMetrics } from 'keycloak-lambda-s2s/lambda';
import { routes } from '../routes';

/** Validates C's request body: `{ value: <finite number> }`. */
export function parseComputeRequest(body: Record<string, unknown>): { value: number } {
  const { value } = body;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequestError('value', 'value must be a finite number');
  if (Math.abs(value) > 1e12) throw new BadRequestError('value', 'value must be between -1e12 and 1e12');
  return { value };
}

/** Service C, `POST /api/compute`: doubles `value` for a caller the authorizer let through. */
export function createServiceCHandler({ logger, metrics, now = Date.now }: { logger: Logger; metrics?: ServiceMetrics; now?: Clock }) {
  const { compute } = routes['service-c'];
  return (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, metrics, context, now }, async () => {
      const principal = principalFromContext(event, compute, now);
      const { value } = parseComputeRequest(jsonBody(event));
      return json(200, {
        result: value * 2,
        msg: 'Service C successfully processed request',
        caller: { sub: principal.sub, azp: principal.clientId },
      });
    });
}
