// @ts-check
/**
 * `npm run stack:up` / `npm run stack:down`: the local stack, detached. `up` owns nothing: the
 * stack outlives this command, until `stack:down`. Both first stop what a killed `npm start` left.
 */
import { stackConfig } from './lib/config.mjs';
import { StackError } from './lib/proc.mjs';
import { stackDown, stackUp, stopLeftovers } from './lib/stack.mjs';

const config = stackConfig();
const command = process.argv[2];
const progress = (/** @type {string} */ line) => console.log(`[stack] ${line}`);

try {
  if (command === 'up') {
    await stackUp(config, progress);
    console.log(`[stack] up: API ${config.apiUrl}, Keycloak ${config.keycloakUrl}, logs in ${config.stateDir}/`);
  } else if (command === 'down') {
    await stopLeftovers(config, progress);
    const stopped = await stackDown(config, progress);
    console.log(stopped.length ? `[stack] stopped ${stopped.join(', ')}` : '[stack] nothing was running');
  } else {
    throw new StackError('usage: node scripts/stack.mjs up|down');
  }
} catch (error) {
  console.error(`[stack] ${error instanceof StackError ? error.message : error}`);
  process.exit(1);
}
