import { describe, expect, it } from 'vitest';
import { routeTable, routesAllowed, type RouteRule } from '../../../shared/routes';

const ROUTES: RouteRule[] = [
  { method: 'GET', path: '/orders', permissions: ['orders.read'] },
  { method: 'POST', path: '/orders', permissions: ['orders.read', 'orders.write'] },
  { method: 'GET', path: '/health', permissions: [] },
];

describe('routeTable', () => {
  it.each([
    ['service-a', { method: 'GET', path: '/run-service-b/as-user', permissions: ['orders.read'] }],
    ['service-b', { method: 'POST', path: '/api/process', permissions: ['orders.approve', 'inventory.adjust'] }],
    ['service-c', { method: 'POST', path: '/api/compute', permissions: ['analytics.run'] }],
  ] as const)('declares the protected route of %s with the permissions it needs', (service, route) => {
    // Act
    const routes = routeTable[service];

    // Assess
    expect(routes).toContainEqual(route);
  });

  it('requires at least one permission on every route, so no route is open to any valid token', () => {
    // Act
    const open = Object.values(routeTable)
      .flat()
      .filter((route: RouteRule) => route.permissions.length === 0);

    // Assess
    expect(open).toEqual([]);
  });
});

describe('routesAllowed', () => {
  it('returns the routes whose permissions are all granted', () => {
    // Act
    const allowed = routesAllowed(ROUTES, ['orders.read']);

    // Assess
    expect(allowed.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /orders', 'GET /health']);
  });

  it('returns every route when every permission is granted', () => {
    // Act
    const allowed = routesAllowed(ROUTES, ['orders.write', 'orders.read']);

    // Assess
    expect(allowed).toEqual(ROUTES);
  });

  it('returns only routes that need no permission when none is granted', () => {
    // Act
    const allowed = routesAllowed(ROUTES, []);

    // Assess
    expect(allowed).toEqual([{ method: 'GET', path: '/health', permissions: [] }]);
  });

  it("allows nothing of service-b to a token with service-c's permission", () => {
    // Act
    const allowed = routesAllowed(routeTable['service-b'], ['analytics.run']);

    // Assess
    expect(allowed).toEqual([]);
  });
});
