// @ts-check
/**
 * Runs integration test files one vitest run after the other, in the order given, and stops at the
 * first that fails: for a subset whose last file changes the stack (the Keycloak outage test
 * restarts Keycloak with new keys), which vitest's own ordering could otherwise run first.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './lib/config.mjs';

const vitest = path.join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
for (const file of process.argv.slice(2)) {
  const run = spawnSync(process.execPath, [vitest, 'run', '--project', 'integration', file], { cwd: projectRoot, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
