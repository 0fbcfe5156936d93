// @ts-check
/** Starts and stops `serverless offline` (API Gateway + Lambda emulation) for the stack. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildLibrary } from './build.mjs';
import { tlsFiles } from './tls.mjs';
import { projectRoot } from './config.mjs';
import { StackError, assertPortFree, isPortOpen, startDetached, stopService, waitFor } from './proc.mjs';
import { emulatorEnv } from './secrets.mjs';

const serverlessBin = path.join(projectRoot, 'node_modules', 'serverless', 'bin', 'serverless.js');

/**
 * The environment serverless offline runs in: the stack's URLs, the emulator's dummy AWS
 * credentials (serverless-offline copies every AWS_* variable into the functions), no telemetry,
 * and a bundle folder of this stack's own (in its state folder): serverless-esbuild empties its
 * work folder at start and deletes it on exit, so a `serverless package` or a second stack sharing
 * it would pull the bundles from under the running functions ("Cannot find module").
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 */
export function offlineEnv(config) {
  return {
    ...process.env,
    ...emulatorEnv(config),
    KEYCLOAK_URL: config.keycloakUrl,
    KEYCLOAK_REALM: config.realm,
    INTROSPECTION_CACHE_TTL_SECONDS: String(config.introspectionCacheTtlSeconds),
    // The local gateway (scripts/lib/gateway-authorizer.mjs, docs/local-gateway.md).
    OFFLINE_AUTHORIZER_CACHE: config.authorizerCache,
    OFFLINE_HTTP_PORT: String(config.httpPort),
    OFFLINE_LAMBDA_PORT: String(config.lambdaPort),
    // Over TLS the functions trust the stack's own authority, as a deployment trusts its CA.
    ...(config.keycloakTls && !config.externalKeycloakUrl ? { NODE_EXTRA_CA_CERTS: tlsFiles(config).caCert } : {}),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SERVERLESS_PLATFORM_STAGE: 'offline',
    // serverless-esbuild joins it to the project folder, so it must be relative.
    ESBUILD_WORK_FOLDER: path.relative(projectRoot, path.join(config.stateDir, 'esbuild')),
  };
}

/**
 * Checks, before anything starts, that serverless is installed and both its ports are free.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 */
export async function checkOfflinePrerequisites(config) {
  if (!existsSync(serverlessBin)) {
    throw new StackError('serverless is not installed in node_modules/: run `npm ci` in the project folder first.');
  }
  await assertPortFree('serverless offline (HTTP)', config.host, config.httpPort, 'OFFLINE_HTTP_PORT');
  await assertPortFree('serverless offline (Lambda)', config.host, config.lambdaPort, 'OFFLINE_LAMBDA_PORT');
}

/**
 * Starts serverless offline detached and waits until both its HTTP and Lambda ports answer.
 * `name` names its pid and log files in the state folder; `args` are extra serverless-offline
 * options (the bench's `--noAuth`, `--reloadHandler`); `env` is added to its environment.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 * @param {{ name?: string, args?: string[], env?: Record<string, string> }} [options]
 */
export async function startOffline(config, { name = 'offline', args = [], env = {} } = {}) {
  await checkOfflinePrerequisites(config);
  buildLibrary();
  const service = startDetached({
    name,
    command: process.execPath,
    args: [serverlessBin, 'offline', 'start', '--stage', config.stage, ...args],
    env: { ...offlineEnv(config), ...env },
    cwd: projectRoot,
    stateDir: config.stateDir,
  });
  await waitFor(
    'serverless offline',
    async () => (await isPortOpen(config.host, config.httpPort)) && isPortOpen(config.host, config.lambdaPort),
    { timeoutMs: 120_000, isDead: service.exited },
  );
  return service;
}

/**
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 * @param {string} [name] as given to {@link startOffline}
 * @param {{ report?: (line: string) => void }} [options]
 */
export function stopOffline(config, name = 'offline', options = {}) {
  return stopService(name, config.stateDir, options);
}
