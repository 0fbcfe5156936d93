// @ts-check
/**
 * `npm start`: the main job. Brings up Keycloak, the Secrets Manager emulator and serverless offline,
 * prints the URLs and ready-to-paste demo calls, then follows the functions' log in the foreground.
 * However it ends (Ctrl-C, SIGTERM, SIGHUP, a closed output pipe, an error) it stops everything it
 * started (scripts/lib/lifecycle.mjs); a stack that `npm run stack:up` started is left running.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { stackConfig } from './lib/config.mjs';
import { guardOutput, onLauncherEnd, say as write, sayError } from './lib/lifecycle.mjs';
import { StackError, stopSpawning } from './lib/proc.mjs';
import { currentOwner, ownedByThisProcess, stackDown, stackUp } from './lib/stack.mjs';

guardOutput();
const config = stackConfig();
const say = (/** @type {string} */ line) => write(`[start] ${line}`);

const end = onLauncherEnd(async (reason) => {
  stopSpawning();
  // Only a stack this launcher started (the marker names it as owner), also one still starting.
  if (!ownedByThisProcess(config)) return;
  say(`stopping (${reason})…`);
  const stopped = await stackDown(config, say);
  say(`stopped ${stopped.join(', ') || 'nothing'}`);
}, { interruptCode: 0 });

/** @type {boolean} */
let startedHere;
try {
  startedHere = await stackUp(config, say, { owner: currentOwner('npm start') });
} catch (error) {
  sayError(`[start] ${error instanceof StackError ? error.message : error}`);
  await end(1, 'start failed');
  throw error; // not reached: end() exits
}

const tokenUrl = `${config.keycloakUrl}/realms/${config.realm}/protocol/openid-connect/token`;
write(`
Ready.
  API (serverless offline)   ${config.apiUrl}
    A  GET  /run-service-b           public; A calls B with its own identity
    A  GET  /run-service-b/as-user   Bearer user token; A exchanges it for B, B for C
    B  POST /api/process             behind authorizer-b
    C  POST /api/compute             behind authorizer-c
  Keycloak                   ${config.keycloakUrl}/admin  (dev admin ${config.adminUser} / ${config.adminPassword}, realm ${config.realm})
  Secrets Manager emulator   ${config.secretsEndpoint}

Try it:
  curl -s ${config.apiUrl}/run-service-b

  TOKEN=$(curl -s -d client_id=demo-cli -d grant_type=password -d username=alice -d password=dev-only-alice-password \\
    ${tokenUrl} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s -H "Authorization: Bearer $TOKEN" ${config.apiUrl}/run-service-b/as-user

  npm run demo      both flows hop by hop: each token's claims and each authorizer's decision
  npm run doctor    checks the realm for what this kit needs, with a fix for each failure
  (in another terminal, with the same *_PORT variables as this one)

${startedHere ? 'Following the functions\' log; Ctrl-C stops the stack.' : 'The stack was already up (npm run stack:up, or another npm start); Ctrl-C here leaves it running.'}
`);

followLog(path.join(config.stateDir, 'offline.log'));

/**
 * Prints what the file gains, like `tail -f`.
 * @param {string} file
 */
function followLog(file) {
  let offset = existsSync(file) ? statSync(file).size : 0;
  const buffer = Buffer.alloc(64 * 1024);
  setInterval(() => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size < offset) offset = 0;
    if (size === offset) return;
    const fd = openSync(file, 'r');
    try {
      let read;
      while ((read = readSync(fd, buffer, 0, buffer.length, offset)) > 0) {
        write(buffer.subarray(0, read).toString('utf8').replace(/\n$/, ''));
        offset += read;
      }
    } finally {
      closeSync(fd);
    }
  }, 500);
}
