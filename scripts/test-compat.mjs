// @ts-check
/**
 * `npm run test:compat [-- <keycloak version>]`: the named compatibility subset of the integration
 * tests — the chain, delegation, exchange refusals, the introspection audience rule (through the
 * doctor), the authorizer — on a stack of the given Keycloak version (default: the oldest 26.x this
 * kit supports, 26.2.5), on free ports of its own so that a running stack is neither reused nor
 * disturbed. The stack is brought up for the run and taken down afterwards (scripts/with-stack.mjs).
 * README "Keycloak versions" lists what each version passes.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from './lib/config.mjs';

/** The files of the compatibility subset. */
export const COMPAT_SUBSET = [
  'test/integration/chain.test.ts',
  'test/integration/delegation.test.ts',
  'test/integration/authorizer.test.ts',
  'test/integration/security/real-tokens.test.ts',
  'test/integration/dx/doctor.test.ts',
];

/** @returns {Promise<number>} a loopback port that was free a moment ago */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const version = process.argv[2] || process.env.KEYCLOAK_VERSION || '26.2.5';
/** @type {NodeJS.ProcessEnv} */
const env = {
  ...process.env,
  KEYCLOAK_VERSION: version,
  KEYCLOAK_PORT: String(await freePort()),
  KEYCLOAK_MANAGEMENT_PORT: String(await freePort()),
  SECRETS_MANAGER_PORT: String(await freePort()),
  OFFLINE_HTTP_PORT: String(await freePort()),
  OFFLINE_LAMBDA_PORT: String(await freePort()),
  // One folder per version (its logs stay for a look after a failure), not one per set of free ports.
  STACK_STATE_DIR: path.join(projectRoot, '.stack', `compat-${version}`),
};
delete env.KEYCLOAK_URL;
delete env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
console.log(`[compat] Keycloak ${version}: ${COMPAT_SUBSET.length} test files on ports ${env.KEYCLOAK_PORT} (Keycloak), ${env.OFFLINE_HTTP_PORT} (API); logs in ${env.STACK_STATE_DIR}`);
const child = spawn(
  process.execPath,
  [path.join(projectRoot, 'scripts', 'with-stack.mjs'), 'npx', 'vitest', 'run', '--project', 'integration', '--no-file-parallelism', ...COMPAT_SUBSET],
  { cwd: projectRoot, env, stdio: 'inherit' },
);
// Ctrl-C reaches with-stack directly (same terminal process group); SIGTERM or SIGHUP sent to
// this process alone are passed on, so with-stack still stops its stack.
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGHUP'])) process.on(signal, () => child.kill(signal));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
