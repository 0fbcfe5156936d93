import type { APIGatewayAuthorizerResult, Statement } from 'aws-lambda';
import type { Principal } from '../principal';
import { routesAllowed, type RouteRule, type ServiceRoutes } from '../routes';

/**
 * The `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>` prefix of a method ARN, or undefined
 * when `methodArn` is not a method ARN.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 */
export function apiStagePrefix(methodArn: string): string | undefined {
  const match = /^(arn:[^:]+:execute-api:[^:]+:[^:]+:[^/]+\/[^/]+)\//.exec(methodArn);
  return match?.[1];
}

/**
 * A policy that does not depend on which route triggered the authorizer: it allows every route of
 * the service that names the principal's client among its callers and whose permissions the
 * principal holds, and nothing else, so API Gateway's authorizer
 * cache (keyed by token, not by route) cannot leak access across routes. With no route allowed,
 * it is an explicit Deny of the whole stage (403). `tokenHash` is `sha256(token)`.
 */
export function buildPolicy(
  principal: Principal,
  routes: ServiceRoutes | readonly RouteRule[],
  prefix: string,
  tokenHash: string,
): APIGatewayAuthorizerResult {
  const allowed = routesAllowed(routes, principal);
  const statement: Statement =
    allowed.length > 0
      ? { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowed.map((r) => `${prefix}/${r.method}${resourcePattern(r.path)}`) }
      : { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${prefix}/*`] };
  return {
    principalId: principal.sub,
    policyDocument: { Version: '2012-10-17', Statement: [statement] },
    // API Gateway context values must be strings, numbers or booleans.
    context: {
      sub: principal.sub,
      clientId: principal.clientId,
      scope: principal.scope,
      exp: principal.exp,
      permissions: principal.permissions.join(' '),
      ...(principal.sid ? { sid: principal.sid } : {}),
      // Binds the decision to the token it was made for: a handler that forwards or exchanges the
      // request's token checks it is this one (see shared/request-principal.ts).
      tokenHash,
    },
  };
}

/**
 * A resource path as it stands in a policy ARN: each path parameter (`{id}`, `{proxy+}`) becomes
 * `*`, since API Gateway matches the request's actual path (`/orders/42`) against the policy.
 */
export function resourcePattern(path: string): string {
  return path.replace(/\{[^/}]+\}/g, '*');
}
