// @ts-check
/**
 * Runs a command with the stack up: reuses a running stack, or brings one up and takes it down
 * again afterwards (even when the command fails). Used by `npm test` for the integration tests.
 */
import { spawn } from 'node:child_process';
import { stackConfig } from './lib/config.mjs';
import { StackError } from './lib/proc.mjs';
import { stackDown, stackUp } from './lib/stack.mjs';

// A stack started for tests uses a short verdict-cache cap, so the revocation test waits seconds, not a
// minute. A stack that is already up keeps its own cap (recorded in .stack/stack.json).
process.env.INTROSPECTION_CACHE_TTL_SECONDS ||= '5';
const config = stackConfig();
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-stack.mjs <command> [args…]');
  process.exit(2);
}

let startedHere = false;
let exitCode = 1;
try {
  startedHere = await stackUp(config, (line) => console.log(`[stack] ${line}`));
  exitCode = await new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} catch (error) {
  console.error(`[stack] ${error instanceof StackError ? error.message : error}`);
} finally {
  if (startedHere) {
    const stopped = await stackDown(config);
    console.log(`[stack] stopped ${stopped.join(', ')}`);
  }
}
process.exit(exitCode);
