import type { APIGatewayProxyEvent } from 'aws-lambda';
import { PermissionDeniedError, TokenRejectedError } from './errors';
import type { Principal } from './keycloak/access-check';
import type { RouteRule } from './routes';
import { epochSeconds, type Clock } from './time';

/**
 * The principal the authorizer put in the request context, re-checked by the handler: the context
 * must exist, must not have expired (API Gateway may serve a cached policy until its TTL), and must
 * grant the route's permissions.
 */
export function principalFromContext(event: Pick<APIGatewayProxyEvent, 'requestContext'>, route: RouteRule, now: Clock = Date.now): Principal {
  const context = (event.requestContext?.authorizer ?? {}) as Record<string, unknown>;
  const { sub, clientId, scope, permissions } = context;
  const exp = context.exp === undefined || context.exp === null || context.exp === '' ? Number.NaN : Number(context.exp);
  if (typeof sub !== 'string' || typeof clientId !== 'string' || !Number.isFinite(exp)) {
    throw new TokenRejectedError('TOKEN_MISSING', 'No authorizer context on this request');
  }
  if (exp <= epochSeconds(now)) throw new TokenRejectedError('TOKEN_EXPIRED', 'Token has expired');
  const granted = typeof permissions === 'string' && permissions ? permissions.split(' ') : [];
  const missing = route.permissions.filter((p) => !granted.includes(p));
  if (missing.length > 0) throw new PermissionDeniedError(`Missing permission: ${missing.join(', ')}`);
  return { sub, clientId, exp, scope: typeof scope === 'string' ? scope : '', permissions: granted };
}
