// @ts-check
/**
 * Runs a command with the stack up: reuses a running stack, or brings one up and takes it down
 * again afterwards — when the command fails, and when this launcher is interrupted or terminated
 * (scripts/lib/lifecycle.mjs). Used by `npm test` for the integration tests.
 */
import { spawn } from 'node:child_process';
import { stackConfig } from './lib/config.mjs';
import { guardOutput, onLauncherEnd, say, sayError } from './lib/lifecycle.mjs';
import { StackError, stopSpawning } from './lib/proc.mjs';
import { currentOwner, ownedByThisProcess, stackDown, stackUp } from './lib/stack.mjs';
import { tlsFiles } from './lib/tls.mjs';

guardOutput();
// A stack started for tests uses a short verdict-cache cap, so the revocation test waits seconds, not a
// minute. A stack that is already up keeps its own cap (recorded in .stack/stack.json).
process.env.INTROSPECTION_CACHE_TTL_SECONDS ||= '5';
const config = stackConfig();
const [command, ...args] = process.argv.slice(2);
if (!command) {
  sayError('usage: node scripts/with-stack.mjs <command> [args…]');
  process.exit(2);
}
const progress = (/** @type {string} */ line) => say(`[stack] ${line}`);

const end = onLauncherEnd(async () => {
  stopSpawning();
  if (!ownedByThisProcess(config)) return;
  const stopped = await stackDown(config, progress);
  progress(`stopped ${stopped.join(', ') || 'nothing'}`);
});

let exitCode = 1;
try {
  await stackUp(config, progress, { owner: currentOwner('npm test') });
  exitCode = await new Promise((resolve) => {
    // The command shares this terminal's process group: Ctrl-C reaches it directly.
    // Over TLS the tests call Keycloak too: they trust the stack's own authority.
    const env = config.keycloakTls && !config.externalKeycloakUrl ? { ...process.env, NODE_EXTRA_CA_CERTS: tlsFiles(config).caCert } : process.env;
    const child = spawn(command, args, { stdio: 'inherit', shell: process.platform === 'win32', env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} catch (error) {
  sayError(`[stack] ${error instanceof StackError ? error.message : error}`);
}
await end(exitCode, 'done');
