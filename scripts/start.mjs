// @ts-check
/**
 * `npm start`: the main job. Brings up Keycloak, the Secrets Manager emulator and serverless offline,
 * prints the URLs and ready-to-paste demo calls, then follows the functions' log in the foreground.
 * Ctrl-C stops everything this command started.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { stackConfig } from './lib/config.mjs';
import { StackError } from './lib/proc.mjs';
import { stackDown, stackUp } from './lib/stack.mjs';

const config = stackConfig();
const say = (/** @type {string} */ line) => console.log(`[start] ${line}`);

let startedHere = false;
let stopping = false;

async function shutdown(/** @type {number} */ code) {
  if (stopping) return;
  stopping = true;
  if (startedHere) {
    say('stopping…');
    const stopped = await stackDown(config);
    say(`stopped ${stopped.join(', ') || 'nothing'}`);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  startedHere = await stackUp(config, say);
} catch (error) {
  console.error(`[start] ${error instanceof StackError ? error.message : error}`);
  process.exit(1);
}

const tokenUrl = `${config.keycloakUrl}/realms/${config.realm}/protocol/openid-connect/token`;
console.log(`
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

${startedHere ? 'Following the functions\' log; Ctrl-C stops the stack.' : 'The stack was already up (npm run stack:up); Ctrl-C leaves it running.'}
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
        process.stdout.write(buffer.subarray(0, read));
        offset += read;
      }
    } finally {
      closeSync(fd);
    }
  }, 500);
}
