import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parseBearer } from '../bearer';
import { CallerNotAllowedError, PermissionDeniedError, TokenRejectedError } from '../errors';
import { sha256 } from '../hash';
import { header } from './http';
import { assertUnexpired, type Principal } from '../principal';
import type { RouteRule } from '../routes';
import { epochSeconds, type Clock } from '../time';

/**
 * The principal the authorizer put in the request context, re-checked by the handler: the context
 * must exist, must not have expired (API Gateway may serve a cached policy until its TTL), must name
 * one of the route's callers, and must grant the route's permissions.
 */
export function principalFromContext(event: Pick<APIGatewayProxyEvent, 'requestContext'>, route: RouteRule, now: Clock = Date.now): Principal {
  const context = (event.requestContext?.authorizer ?? {}) as Record<string, unknown>;
  const { sub, clientId, scope, permissions, sid } = context;
  // Number(undefined) is NaN already; null and '' would read as 0.
  const exp = context.exp === null || context.exp === '' ? Number.NaN : Number(context.exp);
  if (typeof sub !== 'string' || typeof clientId !== 'string' || !Number.isFinite(exp)) {
    throw new TokenRejectedError('TOKEN_MISSING', 'No authorizer context on this request');
  }
  assertUnexpired(exp, epochSeconds(now));
  // The caller first: a client the route does not name learns nothing about the permissions.
  if (!route.callers.includes(clientId)) throw new CallerNotAllowedError(`Client ${clientId} may not call this route`);
  const granted = typeof permissions === 'string' && permissions ? permissions.split(' ') : [];
  const missing = route.permissions.filter((p) => !granted.includes(p));
  if (missing.length > 0) throw new PermissionDeniedError(`Missing permission: ${missing.join(', ')}`);
  return {
    sub,
    clientId,
    exp,
    scope: typeof scope === 'string' ? scope : '',
    permissions: granted,
    ...(typeof sid === 'string' && sid ? { sid } : {}),
  };
}

/**
 * The request's bearer token, for a handler that forwards or exchanges it — only when it is the very
 * token the authorizer decided on (`tokenHash` in the context). Should a gateway ever hand the
 * authorizer one `Authorization` value and the handler another (duplicate header lines), the handler
 * refuses instead of passing on a token nobody checked.
 */
export function authorizedBearerToken(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>): string {
  const token = parseBearer(header(event, 'authorization'));
  const { tokenHash } = (event.requestContext?.authorizer ?? {}) as Record<string, unknown>;
  if (tokenHash !== sha256(token)) {
    throw new TokenRejectedError('TOKEN_NOT_AUTHORIZED', 'The bearer token is not the one the authorizer checked');
  }
  return token;
}
