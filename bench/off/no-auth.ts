/**
 * The bench's `off` strategy, the baseline the kit's cost is measured against: serverless offline
 * runs with `--noAuth` (no authorizer on any route), A and B send a placeholder instead of a token,
 * and the demo's handlers see the authorizer context an authorizer would have given the placeholder.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { sha256, type RouteRule } from 'keycloak-lambda-s2s';
import type { TokenSource } from 'keycloak-lambda-s2s/lambda';

/** What A and B send as their bearer token: a placeholder no authorizer ever sees. */
export const NO_AUTH_TOKEN = 'bench-auth-off';

/** A token source that hands out the placeholder and calls nobody. */
export const placeholderTokens: TokenSource = { get: async () => NO_AUTH_TOKEN, invalidate() {} };

/** Exchanges nothing: every audience gets the placeholder. */
export const placeholderExchanges = { source: (): TokenSource => placeholderTokens };

/**
 * The event as an authorizer would have passed it on for the placeholder: a context naming one of
 * `route`'s callers and granting its permissions, bound to the placeholder token.
 */
export function withPlaceholderContext(event: APIGatewayProxyEvent, route: RouteRule): APIGatewayProxyEvent {
  const authorizer = {
    sub: NO_AUTH_TOKEN,
    clientId: route.callers[0],
    scope: '',
    exp: Number.MAX_SAFE_INTEGER,
    permissions: route.permissions.join(' '),
    tokenHash: sha256(NO_AUTH_TOKEN),
  };
  return { ...event, requestContext: { ...event.requestContext, authorizer } };
}
