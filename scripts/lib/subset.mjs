// @ts-check
/**
 * Runs a named subset of the integration tests on a stack of its own — free ports, its own state
 * folder, brought up for the run and taken down afterwards (scripts/with-stack.mjs) — so that a
 * running stack is neither reused nor disturbed. Used by `npm run test:compat` (another Keycloak
 * version) and `npm run test:tls` (Keycloak over HTTPS).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from './config.mjs';

/** @returns {Promise<number>} a loopback port that was free a moment ago */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Runs `files` with vitest on a fresh stack whose environment adds `env`; exits with vitest's code.
 * `inOrder` runs them one after the other in the order given (scripts/vitest-in-order.mjs).
 * @param {{ label: string, files: string[], env: NodeJS.ProcessEnv, stateDir: string, inOrder?: boolean }} options
 */
export async function runSubsetOnOwnStack({ label, files, env, stateDir, inOrder = false }) {
  /** @type {NodeJS.ProcessEnv} */
  const stackEnv = {
    ...process.env,
    ...env,
    KEYCLOAK_PORT: String(await freePort()),
    KEYCLOAK_MANAGEMENT_PORT: String(await freePort()),
    SECRETS_MANAGER_PORT: String(await freePort()),
    OFFLINE_HTTP_PORT: String(await freePort()),
    OFFLINE_LAMBDA_PORT: String(await freePort()),
    STACK_STATE_DIR: stateDir,
  };
  delete stackEnv.KEYCLOAK_URL;
  delete stackEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  console.log(`[${label}] ${files.length} test files on ports ${stackEnv.KEYCLOAK_PORT} (Keycloak), ${stackEnv.OFFLINE_HTTP_PORT} (API); logs in ${stateDir}`);
  const child = spawn(
    process.execPath,
    [
      path.join(projectRoot, 'scripts', 'with-stack.mjs'),
      ...(inOrder
        ? [process.execPath, path.join(projectRoot, 'scripts', 'vitest-in-order.mjs')]
        : ['npx', 'vitest', 'run', '--project', 'integration', '--no-file-parallelism']),
      ...files,
    ],
    { cwd: projectRoot, env: stackEnv, stdio: 'inherit' },
  );
  // Ctrl-C reaches with-stack directly (same terminal process group); SIGTERM or SIGHUP sent to
  // this process alone are passed on, so with-stack still stops its stack.
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGHUP'])) process.on(signal, () => child.kill(signal));
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
