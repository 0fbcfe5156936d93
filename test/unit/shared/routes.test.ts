import { describe, expect, it } from 'vitest';
import { ConfigError, defineRouteTable, defineServiceRoutes, routeOf, routesAllowed, type RouteRule, type ServiceRoutes } from 'keycloak-lambda-s2s';
import { thrownBy } from '../helpers/errors';

const ROUTES = {
  list: { method: 'GET', path: '/orders', permissions: ['orders.read'], callers: ['service-a'] },
  create: { method: 'POST', path: '/orders', permissions: ['orders.read', 'orders.write'], callers: ['service-a'] },
  show: { method: 'GET', path: '/orders/{id}', permissions: ['orders.read'], callers: ['service-a'] },
} as const satisfies ServiceRoutes;

describe('defineRouteTable', () => {
  it('returns the table it was given, frozen, so no code can widen a route at run time', () => {
    // Act
    const table = defineRouteTable({ orders: ROUTES });

    // Assess
    expect(table.orders.list.path).toBe('/orders');
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.orders)).toBe(true);
    expect(Object.isFrozen(table.orders.create)).toBe(true);
    expect(Object.isFrozen(table.orders.create.permissions)).toBe(true);
    expect(Object.isFrozen(table.orders.create.callers)).toBe(true);
  });

  it.each([
    ['an empty table', {}, 'routes must name at least one service'],
    ['a service without routes', { orders: {} }, 'routes["orders"] must have at least one route'],
    ['a route without permissions', { orders: { list: { method: 'GET', path: '/orders', permissions: [], callers: ['service-a'] } } }, 'routes["orders"].list.permissions must list at least one permission'],
    ['a permission with a space', { orders: { list: { method: 'GET', path: '/orders', permissions: ['a b'], callers: ['service-a'] } } }, 'routes["orders"].list.permissions must be non-empty strings without spaces'],
    ['an unknown method', { orders: { list: { method: 'TRACE', path: '/orders', permissions: ['x'], callers: ['service-a'] } } }, 'routes["orders"].list.method must be one of GET, POST, PUT, PATCH, DELETE'],
    ['a path without a leading slash', { orders: { list: { method: 'GET', path: 'orders', permissions: ['x'], callers: ['service-a'] } } }, 'routes["orders"].list.path must be an API Gateway resource path starting with /'],
    ['no table at all', null, 'routes must name at least one service'],
    ['a string instead of a table', 'orders', 'routes must name at least one service'],
    ['a service whose routes are a string', { orders: 'GET /orders' }, 'routes["orders"] must have at least one route'],
    ['a service whose routes are null', { orders: null }, 'routes["orders"] must have at least one route'],
    ['a route that is a string', { orders: { list: 'GET /orders' } }, 'routes["orders"].list must be a route'],
    ['a route that is null', { orders: { list: null } }, 'routes["orders"].list must be a route'],
    ['a path that is a list, not a string', { orders: { list: { method: 'GET', path: ['/orders'], permissions: ['x'], callers: ['service-a'] } } }, 'routes["orders"].list.path must be an API Gateway resource path starting with /'],
    ['a relative path', { orders: { list: { method: 'GET', path: 'api/orders', permissions: ['x'], callers: ['service-a'] } } }, 'routes["orders"].list.path must be an API Gateway resource path starting with /'],
    ['a path with a query string', { orders: { list: { method: 'GET', path: '/orders?all=1', permissions: ['x'], callers: ['service-a'] } } }, 'routes["orders"].list.path must be an API Gateway resource path starting with /'],
    ['permissions that are one string, not a list', { orders: { list: { method: 'GET', path: '/orders', permissions: 'orders.read', callers: ['service-a'] } } }, 'routes["orders"].list.permissions must list at least one permission'],
    ['an empty permission after a good one', { orders: { list: { method: 'GET', path: '/orders', permissions: ['orders.read', ''], callers: ['service-a'] } } }, 'routes["orders"].list.permissions must be non-empty strings without spaces'],
    ['a permission that is not a string', { orders: { list: { method: 'GET', path: '/orders', permissions: ['orders.read', 7], callers: ['service-a'] } } }, 'routes["orders"].list.permissions must be non-empty strings without spaces'],
    ['a route without callers', { orders: { list: { method: 'GET', path: '/orders', permissions: ['x'], callers: [] } } }, 'routes["orders"].list.callers must list at least one client allowed to call it'],
    ['callers that are one string, not a list', { orders: { list: { method: 'GET', path: '/orders', permissions: ['x'], callers: 'service-a' } } }, 'routes["orders"].list.callers must list at least one client allowed to call it'],
    ['a caller with a space after a good one', { orders: { list: { method: 'GET', path: '/orders', permissions: ['x'], callers: ['service-a', 'service b'] } } }, 'routes["orders"].list.callers must be client ids: non-empty strings without spaces'],
    ['a caller that is not a string', { orders: { list: { method: 'GET', path: '/orders', permissions: ['x'], callers: ['service-a', null] } } }, 'routes["orders"].list.callers must be client ids: non-empty strings without spaces'],
    [
      'two routes on one method and path',
      { orders: { a: { method: 'GET', path: '/o', permissions: ['x'], callers: ['service-a'] }, b: { method: 'GET', path: '/o', permissions: ['y'], callers: ['service-a'] } } },
      'routes["orders"].b repeats GET /o',
    ],
  ])('refuses %s with one sentence naming the field', (_, table, message) => {
    // Act
    const error = thrownBy(() => defineRouteTable(table as never));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
  });

  it('checks one service alone with defineServiceRoutes', () => {
    // Act
    const error = thrownBy(() => defineServiceRoutes({ list: { method: 'GET', path: '/x', permissions: [], callers: ['service-a'] } }));

    // Assess
    expect(error.message).toBe('routes.list.permissions must list at least one permission');
  });
});

describe('routesAllowed', () => {
  it('returns the routes whose permissions are all granted', () => {
    // Act
    const allowed = routesAllowed(ROUTES, { clientId: 'service-a', permissions: ['orders.read'] });

    // Assess
    expect(allowed.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /orders', 'GET /orders/{id}']);
  });

  it('returns every route when every permission is granted', () => {
    // Act
    const allowed = routesAllowed(ROUTES, { clientId: 'service-a', permissions: ['orders.write', 'orders.read'] });

    // Assess
    expect(allowed).toEqual(Object.values(ROUTES));
  });

  it('returns nothing when no permission is granted', () => {
    // Act
    const allowed = routesAllowed(ROUTES, { clientId: 'service-a', permissions: [] });

    // Assess
    expect(allowed).toEqual([]);
  });

  it('accepts a list of routes too', () => {
    // Prepare
    const list: RouteRule[] = [ROUTES.list, ROUTES.create];

    // Act
    const allowed = routesAllowed(list, { clientId: 'service-a', permissions: ['orders.read'] });

    // Assess
    expect(allowed).toEqual([ROUTES.list]);
  });
});

describe('routesAllowed and callers', () => {
  it("allows nothing to a client that is not among the routes' callers, whatever it holds", () => {
    // Act
    const allowed = routesAllowed(ROUTES, { clientId: 'service-x', permissions: ['orders.read', 'orders.write'] });

    // Assess
    expect(allowed).toEqual([]);
  });

  it.each([
    ['no callers', []],
    ['a caller with a space', ['service a']],
  ])('refuses a route with %s when the table is defined', (_, callers) => {
    // Act
    const error = thrownBy(() => defineRouteTable({ orders: { list: { method: 'GET', path: '/o', permissions: ['x'], callers } } }));

    // Assess
    expect(error.message).toMatch(/^routes\["orders"\]\.list\.callers must /);
  });
});

describe('routeOf', () => {
  it('finds the route of a request by method (any case) and resource path', () => {
    // Act
    const route = routeOf(ROUTES, 'post', '/orders');

    // Assess
    expect(route).toBe(ROUTES.create);
  });

  it('finds nothing for a method or path the service does not serve', () => {
    // Act
    const routes = [routeOf(ROUTES, 'DELETE', '/orders'), routeOf(ROUTES, 'GET', '/other'), routeOf(ROUTES, undefined, undefined)];

    // Assess
    expect(routes).toEqual([undefined, undefined, undefined]);
  });
});
