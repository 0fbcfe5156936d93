// @ts-check
/** Starts and stops `serverless offline` (API Gateway + Lambda emulation) for the stack. */
import path from 'node:path';
import { projectRoot } from './config.mjs';
import { assertPortFree, isPortOpen, startDetached, stopService, waitFor } from './proc.mjs';
import { emulatorEnv } from './secrets.mjs';

/**
 * The environment serverless offline runs in: the stack's URLs, the emulator's dummy AWS
 * credentials (serverless-offline copies every AWS_* variable into the functions), and no telemetry.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 */
export function offlineEnv(config) {
  return {
    ...process.env,
    ...emulatorEnv(config),
    KEYCLOAK_URL: config.keycloakUrl,
    KEYCLOAK_REALM: config.realm,
    INTROSPECTION_CACHE_TTL_SECONDS: String(config.introspectionCacheTtlSeconds),
    OFFLINE_HTTP_PORT: String(config.httpPort),
    OFFLINE_LAMBDA_PORT: String(config.lambdaPort),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SERVERLESS_PLATFORM_STAGE: 'offline',
  };
}

/**
 * Starts serverless offline detached and waits until both its HTTP and Lambda ports answer.
 * `name` names its pid and log files in the state folder; `args` are extra serverless-offline
 * options (the bench's `--noAuth`, `--reloadHandler`); `env` is added to its environment.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 * @param {{ name?: string, args?: string[], env?: Record<string, string> }} [options]
 */
export async function startOffline(config, { name = 'offline', args = [], env = {} } = {}) {
  await assertPortFree('serverless offline (HTTP)', config.host, config.httpPort);
  await assertPortFree('serverless offline (Lambda)', config.host, config.lambdaPort);
  const service = startDetached({
    name,
    command: process.execPath,
    args: [path.join(projectRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--stage', config.stage, ...args],
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
 */
export function stopOffline(config, name = 'offline') {
  return stopService(name, config.stateDir);
}
