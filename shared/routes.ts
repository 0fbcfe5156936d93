/**
 * Route tables: which routes a service serves and which of its permissions (Keycloak client roles of
 * the service's own client) a caller needs. The app declares its table once and hands it to the
 * factories (`createAuthorizer`, the handlers); the authorizer's policy and the handlers' re-checks
 * are built from it. Routes are found by name, never by position.
 */
import { ConfigError } from './errors';

/** HTTP methods a route may have. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** One route of a service. */
export interface RouteRule {
  method: HttpMethod;
  /** API Gateway resource path, as in serverless.yml (`/orders/{id}` style parameters allowed). */
  path: string;
  /** All of these client roles of the service are required; never empty. */
  permissions: readonly string[];
  /**
   * The clients (`azp`) allowed to call this route; never empty. Zero trust per hop: a token meant
   * for this service, holding the route's permissions, is still refused (403 `CALLER_NOT_ALLOWED`)
   * when another client obtained it. For a token exchanged on a user's behalf, the caller is the
   * client that exchanged it.
   */
  callers: readonly string[];
}

/** A service's routes by name, e.g. `{ process: { method: 'POST', path: '/api/process', … } }`. */
export type ServiceRoutes = Readonly<Record<string, RouteRule>>;

/** Every protected service's routes, by service name (the service's Keycloak client id). */
export type RouteTable = Readonly<Record<string, ServiceRoutes>>;

const PATH = /^\/[A-Za-z0-9._~\-/{}+]*$/;
const PERMISSION = /^[^\s]+$/;

/**
 * Checks a route table and returns it frozen. A table with no service, a service with no route, a
 * route without permissions, an unknown method, a malformed path or two routes of one service on
 * the same method and path each fail with one sentence naming the field.
 */
export function defineRouteTable<T extends RouteTable>(table: T): T {
  if (typeof table !== 'object' || table === null || Object.keys(table).length === 0) {
    throw new ConfigError('routes must name at least one service');
  }
  for (const [service, routes] of Object.entries(table)) defineServiceRoutes(routes, `routes["${service}"]`);
  return Object.freeze(table);
}

/** Checks one service's routes (see {@link defineRouteTable}); `field` names them in errors. */
export function defineServiceRoutes<T extends ServiceRoutes>(routes: T, field = 'routes'): T {
  if (typeof routes !== 'object' || routes === null || Object.keys(routes).length === 0) {
    throw new ConfigError(`${field} must have at least one route`);
  }
  const seen = new Set<string>();
  for (const [name, route] of Object.entries(routes)) {
    const at = `${field}.${name}`;
    if (typeof route !== 'object' || route === null) throw new ConfigError(`${at} must be a route`);
    if (!HTTP_METHODS.includes(route.method)) throw new ConfigError(`${at}.method must be one of ${HTTP_METHODS.join(', ')}`);
    if (typeof route.path !== 'string' || !PATH.test(route.path)) throw new ConfigError(`${at}.path must be an API Gateway resource path starting with /`);
    if (!Array.isArray(route.permissions) || route.permissions.length === 0) {
      throw new ConfigError(`${at}.permissions must list at least one permission`);
    }
    if (!route.permissions.every((p) => typeof p === 'string' && PERMISSION.test(p))) {
      throw new ConfigError(`${at}.permissions must be non-empty strings without spaces`);
    }
    if (!Array.isArray(route.callers) || route.callers.length === 0) {
      throw new ConfigError(`${at}.callers must list at least one client allowed to call it`);
    }
    if (!route.callers.every((c) => typeof c === 'string' && PERMISSION.test(c))) {
      throw new ConfigError(`${at}.callers must be client ids: non-empty strings without spaces`);
    }
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) throw new ConfigError(`${at} repeats ${key}`);
    seen.add(key);
    Object.freeze(route.permissions);
    Object.freeze(route.callers);
    Object.freeze(route);
  }
  return Object.freeze(routes);
}

/**
 * The routes among `routes` that `caller` may call: it is one of the route's callers (`azp`) and
 * holds every one of its permissions.
 */
export function routesAllowed(routes: ServiceRoutes | readonly RouteRule[], caller: { clientId: string; permissions: readonly string[] }): RouteRule[] {
  // Object.values of a list is the list's routes.
  return Object.values(routes).filter((route) => route.callers.includes(caller.clientId) && route.permissions.every((p) => caller.permissions.includes(p)));
}

/** The route of `routes` that matches a request's method and API Gateway resource path, if any. */
export function routeOf(routes: ServiceRoutes, method: string | undefined, resource: string | undefined): RouteRule | undefined {
  return Object.values(routes).find((route) => route.method === method?.toUpperCase() && route.path === resource);
}
