/**
 * Environment → typed settings, read in one place (the app's Lambda entry points call these once,
 * at module scope). Each missing or malformed variable fails with one sentence naming it. Nothing
 * else in the library reads `process.env`.
 */
import { ConfigError } from '../errors';
import { checkedBaseUrl } from '../options';
import type { RouteTable, ServiceRoutes } from '../routes';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../secrets';
import { AUTH_MODES, type AuthMode } from '../token-authority';
import { DEFAULT_METRICS_NAMESPACE } from './metrics';

/** Environment variables as Lambda passes them. */
export type Env = Record<string, string | undefined>;

/** Keycloak connection settings shared by every function. */
export interface KeycloakSettings {
  /** `KEYCLOAK_URL`: base URL, one pinned host (Keycloak's `iss` follows it); `https:` unless loopback. */
  baseUrl: string;
  /**
   * `KEYCLOAK_BACKCHANNEL_URL` (optional): where the functions send their Keycloak calls (token,
   * introspection, exchange, JWKS) when that differs from `KEYCLOAK_URL`, e.g. an internal address.
   * Tokens must still carry the `iss` of `KEYCLOAK_URL`.
   */
  backchannelUrl?: string;
  /** `KEYCLOAK_REALM`. */
  realm: string;
  /** `KEYCLOAK_TIMEOUT_MS` (default 3000): timeout of each Keycloak call. */
  timeoutMs: number;
}

/** Settings of a function that authenticates to Keycloak as one service. */
export interface ServiceSettings {
  /** `SERVICE_NAME`: the service this function is (a key of the app's route table, for an authorizer). */
  service: string;
  /** `KEYCLOAK_CLIENT_ID` (default: the service name): the service's Keycloak client, and the audience it accepts. */
  clientId: string;
  /** `CLIENT_SECRET_ID`: Secrets Manager id of the service's credentials (a client secret or a private key). */
  secretId: string;
  /**
   * `CLIENT_AUTH_METHOD` (default `client_secret_basic`): how the service authenticates to Keycloak,
   * `client_secret_basic` or `private_key_jwt`. The secret must name the same method.
   */
  clientAuthMethod: ClientAuthMethod;
  /** `SECRETS_CACHE_TTL_SECONDS` (default 300): how long a fetched secret is reused. */
  secretsMaxAgeSeconds: number;
  /** `SECRETS_TIMEOUT_MS` (default 3000): timeout of each Secrets Manager call. */
  secretsTimeoutMs: number;
  keycloak: KeycloakSettings;
  /** `POWERTOOLS_METRICS_NAMESPACE` (default `KeycloakS2S`): CloudWatch namespace of the function's metrics. */
  metricsNamespace: string;
}

/** Settings of the TOKEN authorizer, deployed once per protected service. */
export interface AuthorizerSettings extends ServiceSettings {
  /** `AUTH_MODE` (default `jwt+introspection`): local JWT check, introspection, or the first then the second. */
  mode: AuthMode;
  /** `JWT_CLOCK_TOLERANCE_SECONDS` (default 5): leeway for `exp` / `nbf` in the local check. */
  clockToleranceSeconds: number;
  /** `JWKS_COOLDOWN_SECONDS` (default 30): least time between JWKS refetches caused by an unknown `kid`. */
  jwksCooldownSeconds: number;
  /** `INTROSPECTION_CACHE_TTL_SECONDS` (default 60): upper bound on how long a revoked token may still pass. */
  introspectionCacheTtlSeconds: number;
  /** `INTROSPECTION_CACHE_MAX_ENTRIES` (default 10000). */
  introspectionCacheMaxEntries: number;
  /**
   * `FIRST_TOKEN_BY_INTROSPECTION` (`true` or `false`, default `true`): on a cold instance, the first
   * plausible token is decided by introspection alone and the key set loads with the next one (see
   * `TokenAuthorityOptions.firstTokenByIntrospection`); `false`: the key set is fetched at module init.
   */
  firstTokenByIntrospection: boolean;
}

/** Settings of a service handler that calls other services. */
export interface CallerSettings<Downstream extends string = string> extends ServiceSettings {
  /** Base URL of each downstream service, read from the variable the app named for it. */
  downstreamUrls: Record<Downstream, string>;
  /** `DOWNSTREAM_TIMEOUT_MS` (default 5000): timeout of a call to a downstream service. */
  downstreamTimeoutMs: number;
  /** `TOKEN_EXPIRY_SKEW_SECONDS` (default 30): a cached token is renewed this long before it expires. */
  tokenExpirySkewSeconds: number;
  /** `TOKEN_CACHE_MAX_ENTRIES` (default 1000): bound of the exchanged-token cache. */
  tokenCacheMaxEntries: number;
}

/** Reads variables and names the missing or malformed one when it fails. */
class EnvReader {
  constructor(private readonly env: Env) {}

  string(name: string, fallback?: string): string {
    const value = this.env[name]?.trim() || fallback;
    if (value === undefined) throw new ConfigError(`Environment variable ${name} is required`);
    return value;
  }

  /** An integer in `[min, max]`, or `fallback` when unset. */
  integer(name: string, fallback: number, min = 1, max = 86_400_000): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`Environment variable ${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  /** `true` or `false` (any case), or `fallback` when unset. */
  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (raw !== 'true' && raw !== 'false') throw new ConfigError(`Environment variable ${name} must be true or false`);
    return raw === 'true';
  }

  /** A base URL (`https:`, or `http:` on a loopback host), or undefined when unset or empty. */
  optionalUrl(name: string): string | undefined {
    return this.env[name]?.trim() ? this.url(name) : undefined;
  }

  url(name: string): string {
    return checkedBaseUrl(`Environment variable ${name}`, this.string(name));
  }
}

function keycloakSettings(read: EnvReader): KeycloakSettings {
  const backchannelUrl = read.optionalUrl('KEYCLOAK_BACKCHANNEL_URL');
  return {
    baseUrl: read.url('KEYCLOAK_URL'),
    ...(backchannelUrl ? { backchannelUrl } : {}),
    realm: read.string('KEYCLOAK_REALM'),
    timeoutMs: read.integer('KEYCLOAK_TIMEOUT_MS', 3000, 100, 30_000),
  };
}

/**
 * The CloudWatch namespace of a function's metrics: `POWERTOOLS_METRICS_NAMESPACE`, default
 * `KeycloakS2S` (letters, digits and `. - _ / # :`, at most 255 characters).
 */
export function readMetricsNamespace(env: Env): string {
  const namespace = new EnvReader(env).string('POWERTOOLS_METRICS_NAMESPACE', DEFAULT_METRICS_NAMESPACE);
  if (!/^[A-Za-z0-9._\-/#:]{1,255}$/.test(namespace)) {
    throw new ConfigError('Environment variable POWERTOOLS_METRICS_NAMESPACE must be 1-255 letters, digits or . - _ / # :');
  }
  return namespace;
}

function clientAuthMethod(read: EnvReader): ClientAuthMethod {
  const method = read.string('CLIENT_AUTH_METHOD', 'client_secret_basic') as ClientAuthMethod;
  if (!CLIENT_AUTH_METHODS.includes(method)) {
    throw new ConfigError(`Environment variable CLIENT_AUTH_METHOD must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }
  return method;
}

/** Reads the settings every function that is a Keycloak client has. */
export function readServiceSettings(env: Env): ServiceSettings {
  const read = new EnvReader(env);
  const service = read.string('SERVICE_NAME');
  return {
    service,
    clientId: read.string('KEYCLOAK_CLIENT_ID', service),
    secretId: read.string('CLIENT_SECRET_ID'),
    clientAuthMethod: clientAuthMethod(read),
    secretsMaxAgeSeconds: read.integer('SECRETS_CACHE_TTL_SECONDS', 300, 1, 86_400),
    secretsTimeoutMs: read.integer('SECRETS_TIMEOUT_MS', 3000, 100, 30_000),
    keycloak: keycloakSettings(read),
    metricsNamespace: readMetricsNamespace(env),
  };
}

/**
 * Reads the authorizer's settings; `SERVICE_NAME` must be a service of `routes`. Returns the
 * settings and that service's routes.
 */
export function readAuthorizerSettings(env: Env, routes: RouteTable): AuthorizerSettings & { routes: ServiceRoutes } {
  const read = new EnvReader(env);
  const settings = readServiceSettings(env);
  if (!Object.hasOwn(routes, settings.service)) {
    throw new ConfigError(`Environment variable SERVICE_NAME must be one of ${Object.keys(routes).join(', ')}`);
  }
  const mode = read.string('AUTH_MODE', 'jwt+introspection') as AuthMode;
  if (!AUTH_MODES.includes(mode)) throw new ConfigError(`Environment variable AUTH_MODE must be one of ${AUTH_MODES.join(', ')}`);
  return {
    ...settings,
    routes: routes[settings.service] as ServiceRoutes,
    mode,
    clockToleranceSeconds: read.integer('JWT_CLOCK_TOLERANCE_SECONDS', 5, 0, 60),
    jwksCooldownSeconds: read.integer('JWKS_COOLDOWN_SECONDS', 30, 1, 3600),
    introspectionCacheTtlSeconds: read.integer('INTROSPECTION_CACHE_TTL_SECONDS', 60, 1, 3600),
    introspectionCacheMaxEntries: read.integer('INTROSPECTION_CACHE_MAX_ENTRIES', 10_000, 1, 1_000_000),
    firstTokenByIntrospection: read.boolean('FIRST_TOKEN_BY_INTROSPECTION', true),
  };
}

/**
 * Reads the settings of a service handler that calls other services: `downstream` maps each
 * downstream service's name to the variable holding its base URL, e.g. `{ 'orders': 'ORDERS_URL' }`.
 */
export function readCallerSettings<Downstream extends string>(env: Env, downstream: Record<Downstream, string>): CallerSettings<Downstream> {
  const read = new EnvReader(env);
  const names = Object.keys(downstream) as Downstream[];
  if (names.length === 0) throw new ConfigError('downstream must name at least one service and its URL variable');
  const downstreamUrls = Object.fromEntries(names.map((name) => [name, read.url(downstream[name])])) as Record<Downstream, string>;
  return {
    ...readServiceSettings(env),
    downstreamUrls,
    downstreamTimeoutMs: read.integer('DOWNSTREAM_TIMEOUT_MS', 5000, 100, 900_000),
    tokenExpirySkewSeconds: read.integer('TOKEN_EXPIRY_SKEW_SECONDS', 30, 0, 3600),
    tokenCacheMaxEntries: read.integer('TOKEN_CACHE_MAX_ENTRIES', 1000, 1, 1_000_000),
  };
}
