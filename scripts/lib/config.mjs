// @ts-check
/**
 * The stack's ports, URLs and paths: the defaults of the command and port contract (README, "Commands"), each
 * overridable by an environment variable. Scripts and integration tests read this one place.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The realm files of a folder, `realm-<name>.json`, in a stable order.
 * @param {string} dir
 */
export function realmFiles(dir) {
  return readdirSync(dir)
    .filter((name) => /^realm-.+\.json$/.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

/** @param {string} name @param {string} fallback */
const env = (name, fallback) => process.env[name] || fallback;

/** The default ports, in the order {@link stateDirOf} reads them. */
const DEFAULT_PORTS = [8080, 9000, 4566, 3000, 3002];

/**
 * Where a stack keeps its pid files, logs and bundles. A stack is known by its ports, so two stacks
 * on different ports (the *_PORT variables) each get their own folder and never stop or overwrite
 * each other's processes: `.stack/` for the default ports, `.stack/ports-<keycloak>-…-<lambda>/`
 * otherwise; `STACK_STATE_DIR` names one outright (tests use a scratch folder).
 * @param {NodeJS.ProcessEnv} source
 * @param {number[]} ports
 */
function stateDirOf(source, ports) {
  if (source.STACK_STATE_DIR) return path.resolve(source.STACK_STATE_DIR);
  const base = path.join(projectRoot, '.stack');
  return ports.every((port, i) => port === DEFAULT_PORTS[i]) ? base : path.join(base, `ports-${ports.join('-')}`);
}

/**
 * Reads the stack configuration from the environment.
 * @param {NodeJS.ProcessEnv} [source]
 */
export function stackConfig(source = process.env) {
  const host = '127.0.0.1';
  const keycloakPort = Number(source.KEYCLOAK_PORT || 8080);
  const keycloakManagementPort = Number(source.KEYCLOAK_MANAGEMENT_PORT || 9000);
  const secretsPort = Number(source.SECRETS_MANAGER_PORT || 4566);
  const httpPort = Number(source.OFFLINE_HTTP_PORT || 3000);
  const lambdaPort = Number(source.OFFLINE_LAMBDA_PORT || 3002);
  const stage = source.STAGE || 'dev';
  // KEYCLOAK_TLS=on: the local Keycloak serves HTTPS with a certificate the stack makes at start.
  const keycloakTls = source.KEYCLOAK_TLS === 'on';
  return {
    host,
    /** When set, an already running Keycloak is used and none is fetched or started. */
    externalKeycloakUrl: source.KEYCLOAK_URL ? source.KEYCLOAK_URL.replace(/\/+$/, '') : undefined,
    keycloakUrl: (source.KEYCLOAK_URL || `${keycloakTls ? 'https' : 'http'}://${host}:${keycloakPort}`).replace(/\/+$/, ''),
    /** Whether the local Keycloak serves HTTPS (`KEYCLOAK_TLS=on`); see scripts/lib/tls.mjs. */
    keycloakTls,
    keycloakPort,
    keycloakManagementPort,
    keycloakVersion: env('KEYCLOAK_VERSION', '26.7.3'),
    realm: source.KEYCLOAK_REALM || 'microservices',
    adminUser: source.KEYCLOAK_ADMIN_USER || 'admin',
    adminPassword: source.KEYCLOAK_ADMIN_PASSWORD || 'admin',
    secretsPort,
    secretsEndpoint: (source.AWS_ENDPOINT_URL_SECRETS_MANAGER || `http://${host}:${secretsPort}`).replace(/\/+$/, ''),
    region: source.AWS_REGION || 'us-east-1',
    stage,
    /** The authorizers' verdict-cache cap: how long a revoked token may still pass. */
    introspectionCacheTtlSeconds: Number(source.INTROSPECTION_CACHE_TTL_SECONDS || 60),
    /**
     * The local gateway's authorizer result TTL (`resultTtlInSeconds`): follows the verdict cap unless
     * AUTHORIZER_RESULT_TTL_SECONDS is set (serverless.yml, params.dev); 0 when the cache is off.
     */
    authorizerResultTtlSeconds:
      (source.OFFLINE_AUTHORIZER_CACHE || 'on') === 'off'
        ? 0
        : Number(source.AUTHORIZER_RESULT_TTL_SECONDS || source.INTROSPECTION_CACHE_TTL_SECONDS || 60),
    /** `on` (default): serverless offline caches authorizer results as API Gateway does; `off`: it invokes them on every request. */
    authorizerCache: source.OFFLINE_AUTHORIZER_CACHE || 'on',
    httpPort,
    lambdaPort,
    apiUrl: `http://${host}:${httpPort}/${stage}`,
    lambdaUrl: `http://${host}:${lambdaPort}`,
    secretPrefix: source.SECRET_PREFIX || `keycloak-s2s/${stage}`,
    stateDir: stateDirOf(source, [keycloakPort, keycloakManagementPort, secretsPort, httpPort, lambdaPort]),
    cacheDir: path.join(projectRoot, 'keycloak', '.cache'),
    /** The realm the services live in; its dev secrets are seeded into the emulator. */
    realmFile: path.join(projectRoot, 'keycloak', 'realm-microservices.json'),
    /** Every realm Keycloak imports at start: `keycloak/realm-*.json` (the services' realm and test-only ones). */
    realmFiles: realmFiles(path.join(projectRoot, 'keycloak')),
  };
}
