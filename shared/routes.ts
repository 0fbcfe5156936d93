/**
 * The one declarative route table: which service serves which route, and which of that service's
 * permissions (Keycloak client roles of the service's client) a caller needs. The authorizer builds
 * its policy from it; handlers and docs read it too. Add a route here and the policy follows.
 */
export interface RouteRule {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, as in serverless.yml. */
  path: string;
  /** All of these client roles of the service are required. */
  permissions: readonly string[];
}

export const routeTable = {
  'service-a': [{ method: 'GET', path: '/run-service-b/as-user', permissions: ['orders.read'] }],
  'service-b': [
    { method: 'POST', path: '/api/process', permissions: ['orders.approve', 'inventory.adjust'] },
    { method: 'POST', path: '/api/inventory/adjust', permissions: ['inventory.adjust'] },
  ],
  'service-c': [{ method: 'POST', path: '/api/compute', permissions: ['analytics.run'] }],
} as const satisfies Record<string, readonly RouteRule[]>;

/** A service named in the route table. */
export type ServiceName = keyof typeof routeTable;

/** The routes of `service` whose permissions are all in `granted`. */
export function routesAllowed(routes: readonly RouteRule[], granted: readonly string[]): RouteRule[] {
  return routes.filter((route) => route.permissions.every((p) => granted.includes(p)));
}
