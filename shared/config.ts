import { ConfigError } from './errors';
import { routeTable, type ServiceName } from './routes';

/** Environment variables as Lambda passes them. */
export type Env = Record<string, string | undefined>;

/** Keycloak connection settings shared by every function. */
export interface KeycloakSettings {
  /** `KEYCLOAK_URL`: base URL, one pinned host (Keycloak's `iss` follows it). */
  baseUrl: string;
  /**
   * `KEYCLOAK_BACKCHANNEL_URL` (optional): where the functions send their Keycloak calls (token,
   * introspection, exchange, JWKS) when that differs from `KEYCLOAK_URL`, e.g. an internal address.
   * Tokens must still carry the `iss` of `KEYCLOAK_URL`.
   */
  backchannelUrl?: string;
  /** `KEYCLOAK_REALM` (default `microservices`). */
  realm: string;
  /** `KEYCLOAK_TIMEOUT_MS` (default 3000): timeout of each Keycloak call. */
  timeoutMs: number;
}

/** Settings of a function that authenticates to Keycloak as one service. */
export interface ServiceSettings {
  /** `SERVICE_NAME`: the service in the route table (`service-a`, `service-b`, `service-c`). */
  service: ServiceName;
  /** `KEYCLOAK_CLIENT_ID` (default: the service name): the service's Keycloak client, and the audience it accepts. */
  clientId: string;
  /** `CLIENT_SECRET_ID`: Secrets Manager id of `{"client_id","client_secret"}`. */
  secretId: string;
  /** `SECRETS_CACHE_TTL_SECONDS` (default 300): how long a fetched secret is reused. */
  secretsMaxAgeSeconds: number;
  /** `SECRETS_TIMEOUT_MS` (default 3000): timeout of each Secrets Manager call. */
  secretsTimeoutMs: number;
  keycloak: KeycloakSettings;
}

/** How the authorizer validates a token; see README "Authorizer". */
export type AuthMode = 'introspection' | 'jwt' | 'jwt+introspection';
const AUTH_MODES: readonly AuthMode[] = ['introspection', 'jwt', 'jwt+introspection'];

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
}

/** Settings of a service handler that calls another service. */
export interface CallerSettings extends ServiceSettings {
  /** Base URL of the downstream service (`SERVICE_B_URL` for A, `SERVICE_C_URL` for B). */
  downstreamUrl: string;
  /** `DOWNSTREAM_TIMEOUT_MS` (default 5000): timeout of the call to the downstream service. */
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

  /** An integer of at least `min` (default 1), or `fallback` when unset. */
  integer(name: string, fallback: number, min = 1): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new ConfigError(`Environment variable ${name} must be an integer of at least ${min}`);
    return value;
  }

  /** An http(s) URL, or undefined when the variable is unset or empty. */
  optionalUrl(name: string): string | undefined {
    return this.env[name]?.trim() ? this.url(name) : undefined;
  }

  url(name: string): string {
    const value = this.string(name);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`Environment variable ${name} must be an absolute URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`Environment variable ${name} must be an http(s) URL`);
    return value.replace(/\/+$/, '');
  }
}

function keycloakSettings(read: EnvReader): KeycloakSettings {
  const backchannelUrl = read.optionalUrl('KEYCLOAK_BACKCHANNEL_URL');
  return {
    baseUrl: read.url('KEYCLOAK_URL'),
    ...(backchannelUrl ? { backchannelUrl } : {}),
    realm: read.string('KEYCLOAK_REALM', 'microservices'),
    timeoutMs: read.integer('KEYCLOAK_TIMEOUT_MS', 3000),
  };
}

function serviceSettings(read: EnvReader): ServiceSettings {
  const service = read.string('SERVICE_NAME');
  if (!Object.hasOwn(routeTable, service)) {
    throw new ConfigError(`Environment variable SERVICE_NAME must be one of ${Object.keys(routeTable).join(', ')}`);
  }
  return {
    service: service as ServiceName,
    clientId: read.string('KEYCLOAK_CLIENT_ID', service),
    secretId: read.string('CLIENT_SECRET_ID'),
    secretsMaxAgeSeconds: read.integer('SECRETS_CACHE_TTL_SECONDS', 300),
    secretsTimeoutMs: read.integer('SECRETS_TIMEOUT_MS', 3000),
    keycloak: keycloakSettings(read),
  };
}

/** Reads the authorizer's settings. */
export function readAuthorizerSettings(env: Env): AuthorizerSettings {
  const read = new EnvReader(env);
  const mode = read.string('AUTH_MODE', 'jwt+introspection') as AuthMode;
  if (!AUTH_MODES.includes(mode)) throw new ConfigError(`Environment variable AUTH_MODE must be one of ${AUTH_MODES.join(', ')}`);
  return {
    ...serviceSettings(read),
    mode,
    clockToleranceSeconds: read.integer('JWT_CLOCK_TOLERANCE_SECONDS', 5, 0),
    jwksCooldownSeconds: read.integer('JWKS_COOLDOWN_SECONDS', 30),
    introspectionCacheTtlSeconds: read.integer('INTROSPECTION_CACHE_TTL_SECONDS', 60),
    introspectionCacheMaxEntries: read.integer('INTROSPECTION_CACHE_MAX_ENTRIES', 10_000),
  };
}

/** Reads the settings of a service handler that calls `downstreamVariable`'s service. */
export function readCallerSettings(env: Env, downstreamVariable: 'SERVICE_B_URL' | 'SERVICE_C_URL'): CallerSettings {
  const read = new EnvReader(env);
  return {
    ...serviceSettings(read),
    downstreamUrl: read.url(downstreamVariable),
    downstreamTimeoutMs: read.integer('DOWNSTREAM_TIMEOUT_MS', 5000),
    tokenExpirySkewSeconds: read.integer('TOKEN_EXPIRY_SKEW_SECONDS', 30),
    tokenCacheMaxEntries: read.integer('TOKEN_CACHE_MAX_ENTRIES', 1000),
  };
}

/**
 * How much of the kit's auth the functions run. Only `npm run bench` (scripts/bench.mjs) selects
 * anything but `kit`, to measure the kit against its alternatives through the same stack:
 * - `kit`: the production path, and the only value outside the bench.
 * - `original`: the original write-up's strategy, without caches: the authorizer introspects every
 *   request (no verdict cache, no local JWT check), A fetches a client-credentials token and B
 *   exchanges the token it received on every call.
 * - `off`: no auth at all, the baseline: serverless offline runs with `--noAuth` (no authorizer on
 *   any route), A and B fetch and exchange nothing, B and C expect no authorizer context. The
 *   authorizer itself has no `off` behaviour: invoked anyway, it decides as the kit does.
 */
export type AuthStrategy = 'kit' | 'original' | 'off';
const AUTH_STRATEGIES: readonly AuthStrategy[] = ['kit', 'original', 'off'];

/**
 * Reads the bench-only `BENCH_AUTH_STRATEGY` (unset: `kit`). It is honoured only under serverless
 * offline (`IS_OFFLINE=true`) at stage bench (`SERVERLESS_STAGE=bench`), the one stage whose
 * environment serverless.yml gives these variables. Set anywhere else, e.g. by hand on a deployed
 * function, it is a configuration error: a deployment can never run without auth or its caches.
 */
export function readAuthStrategy(env: Env): AuthStrategy {
  const strategy = env.BENCH_AUTH_STRATEGY?.trim();
  if (!strategy) return 'kit';
  if (env.IS_OFFLINE !== 'true' || env.SERVERLESS_STAGE !== 'bench') {
    throw new ConfigError('Environment variable BENCH_AUTH_STRATEGY is honoured only by serverless offline at stage bench (npm run bench): remove it');
  }
  if (!AUTH_STRATEGIES.includes(strategy as AuthStrategy)) {
    throw new ConfigError(`Environment variable BENCH_AUTH_STRATEGY must be one of ${AUTH_STRATEGIES.join(', ')}`);
  }
  return strategy as AuthStrategy;
}
