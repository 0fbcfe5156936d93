// @ts-check
/**
 * The local stack as one unit: Keycloak, the Secrets Manager emulator and serverless offline.
 * `up` is idempotent (a healthy stack is left as it is, except that serverless offline is restarted
 * when the functions' sources changed since it bundled them) and returns when everything is ready.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkKeycloakPrerequisites, startKeycloak, stopKeycloak, waitForRealm } from '../../keycloak/keycloak.mjs';
import { projectRoot, stackConfig } from './config.mjs';
import { checkOfflinePrerequisites, startOffline, stopOffline } from './offline.mjs';
import { processIdentity } from './identity.mjs';
import { StackError, isPortOpen, stopService } from './proc.mjs';
import { checkSecretsEmulatorPrerequisites, seedSecrets, startSecretsEmulator, stopSecretsEmulator } from './secrets.mjs';

/** @param {ReturnType<typeof stackConfig>} config */
const markerFile = (config) => path.join(config.stateDir, 'stack.json');

/** What serverless offline bundles or runs (its patch, the local gateway): a change to any of these makes a running stack stale. */
const BUNDLED_SOURCES = [
  'functions',
  'authorizer',
  'shared',
  'bench',
  'serverless.yml',
  'package-lock.json',
  'tsconfig.bundle.json',
  'patches',
  'scripts/lib/gateway-authorizer.mjs',
];

/** A hash of the bundled sources' paths and contents. */
export function sourcesFingerprint() {
  const hash = createHash('sha256');
  /** @param {string} relative */
  const visit = (relative) => {
    const absolute = path.join(projectRoot, relative);
    if (!existsSync(absolute)) return;
    if (statSync(absolute).isDirectory()) {
      for (const entry of readdirSync(absolute).sort()) visit(path.join(relative, entry));
      return;
    }
    hash.update(relative).update('\0').update(readFileSync(absolute)).update('\0');
  };
  BUNDLED_SOURCES.forEach(visit);
  return hash.digest('hex');
}

/**
 * The foreground launcher that owns a stack (`npm start`, `npm test`): the stack lives as long as it
 * does. A stack without an owner was started by `npm run stack:up` and runs until `stack:down`.
 * @typedef {{ label: string, pid: number, startTime?: string }} StackOwner
 */

/**
 * What `.stack/stack.json` records about the stack.
 * `starter`: the process that is starting it (while `state` is `starting`).
 * @typedef {{ state?: 'starting' | 'up', owner?: StackOwner, starter?: StackOwner, keycloakVersion?: string, sourcesFingerprint?: string, introspectionCacheTtlSeconds?: number, authorizerResultTtlSeconds?: number }} StackMarker
 */

/**
 * @param {ReturnType<typeof stackConfig>} config
 * @returns {StackMarker | undefined}
 */
function readMarker(config) {
  try {
    return JSON.parse(readFileSync(markerFile(config), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * @param {ReturnType<typeof stackConfig>} config
 * @param {StackMarker} marker
 */
function writeMarker(config, marker) {
  mkdirSync(config.stateDir, { recursive: true });
  const record = {
    ...marker,
    keycloakVersion: config.externalKeycloakUrl ? undefined : config.keycloakVersion,
    updatedAt: new Date().toISOString(),
    apiUrl: config.apiUrl,
    introspectionCacheTtlSeconds: config.introspectionCacheTtlSeconds,
    authorizerResultTtlSeconds: config.authorizerResultTtlSeconds,
  };
  writeFileSync(`${markerFile(config)}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${markerFile(config)}.tmp`, markerFile(config));
}

/**
 * This process as the owner of a stack it starts in the foreground.
 * @param {string} label how the user started it, e.g. "npm start"
 * @returns {StackOwner}
 */
export function currentOwner(label) {
  return { label, pid: process.pid, startTime: processIdentity(process.pid)?.startTime };
}

/**
 * The owner recorded for a stack when that launcher no longer runs (killed with SIGKILL, or a crash
 * that skipped its cleanup): its stack is a leftover. Judged by pid and start time, never pid alone.
 * @param {StackMarker | undefined} marker
 */
function deadOwner(marker) {
  const owner = marker?.owner;
  return owner && !isAlive(owner) ? owner : undefined;
}

/**
 * Whether the recorded launcher still runs: the same pid with the same start time.
 * @param {StackOwner} owner
 */
function isAlive(owner) {
  const now = processIdentity(owner.pid);
  return now !== undefined && (owner.startTime === undefined || now.startTime === owner.startTime);
}

/**
 * Whether the stack in `config.stateDir` is owned by this very process (it started it in the foreground).
 * @param {ReturnType<typeof stackConfig>} config
 */
export function ownedByThisProcess(config) {
  const owner = readMarker(config)?.owner;
  return owner?.pid === process.pid && owner.startTime === processIdentity(process.pid)?.startTime;
}

/**
 * Whether a stack started by `stackUp` is running and answering.
 * @param {ReturnType<typeof stackConfig>} config
 */
export async function isStackUp(config) {
  const marker = readMarker(config);
  // A marker of an earlier version has no state: it was written once the stack was up.
  if (!marker || (marker.state ?? 'up') !== 'up') return false;
  const open = await Promise.all([
    isPortOpen(config.host, config.secretsPort),
    isPortOpen(config.host, config.httpPort),
    // Generous: on a busy machine a slow answer must not make a running stack look down.
    waitForRealm(config, 5000).then(
      () => true,
      () => false,
    ),
  ]);
  return open.every(Boolean);
}

/**
 * Brings the stack up; a stack already up is reused once its chain answers. A stack whose
 * foreground launcher died without cleaning up (SIGKILL) is stopped first, with one line saying so.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} progress
 * @param {{ owner?: StackOwner }} [options] `owner`: the foreground launcher the stack dies with
 * @returns {Promise<boolean>} whether this call started it
 */
export async function stackUp(config, progress, { owner } = {}) {
  await stopLeftovers(config, progress);
  if (await isStackUp(config)) {
    const marker = readMarker(config);
    if (!config.externalKeycloakUrl && marker?.keycloakVersion && marker.keycloakVersion !== config.keycloakVersion) {
      throw new StackError(
        `The stack on these ports runs Keycloak ${marker.keycloakVersion}, not the ${config.keycloakVersion} KEYCLOAK_VERSION asks for: ` +
          `stop it first (npm run stack:down) or use other ports (the *_PORT variables).`,
      );
    }
    const by = marker?.owner ? ` (started by \`${marker.owner.label}\`, pid ${marker.owner.pid})` : '';
    if (marker?.sourcesFingerprint !== sourcesFingerprint()) {
      // A reused stack must not serve stale bundles to the tests that follow.
      progress('the stack is up, but the functions changed since it bundled them: restarting serverless offline…');
      await restartOffline(config, marker, progress);
    } else if (!(await chainAnswers(config, 1))) {
      // Its bundles deleted, a function broken: the ports answer, the chain does not.
      progress(`the stack is up${by}, but A → B → C does not answer 200: restarting serverless offline…`);
      await restartOffline(config, marker, progress);
    } else {
      progress(`the stack is already up${by}`);
      return false;
    }
    await requireChain(config, progress);
    return false;
  }
  const marker = readMarker(config);
  const starter = marker?.starter;
  if (marker?.state === 'starting' && starter && starter.pid !== process.pid && isAlive(starter)) {
    // Stopping its parts now would pull a stack from under a launcher that is still starting it.
    throw new StackError(
      `\`${starter.label}\` (pid ${starter.pid}) is starting a stack on these ports right now: wait until it is up, ` +
        `or stop it, or use other ports (the *_PORT variables).`,
    );
  }
  // Parts of an earlier stack that is no longer whole (one part died) would hold their ports.
  const leftovers = await stackDown(config, progress);
  if (leftovers.length > 0) progress(`stopped what was left of an earlier stack: ${leftovers.join(', ')}`);
  await checkPrerequisites(config);
  // Written before anything starts: a launcher killed half-way is recognised by the next command.
  writeMarker(config, { state: 'starting', owner, starter: owner ?? currentOwner('npm run stack:up') });
  try {
    await startKeycloak(config, (line) => progress(`keycloak: ${line}`));
    progress(`keycloak: ready at ${config.keycloakUrl}/realms/${config.realm}`);
    await startSecretsEmulator(config);
    await seedSecrets(config);
    progress(`secrets manager emulator: ready at ${config.secretsEndpoint}, dev secrets seeded under ${config.secretPrefix}/`);
    progress('serverless offline: bundling and starting the functions…');
    await startOffline(config);
    progress(`serverless offline: ready at ${config.apiUrl}`);
    if (!(await chainAnswers(config, 3, progress))) {
      progress('A → B → C does not answer 200: restarting serverless offline once…');
      await stopOffline(config);
      await startOffline(config);
      await requireChain(config, progress);
    }
    writeMarker(config, { state: 'up', owner, sourcesFingerprint: sourcesFingerprint() });
    return true;
  } catch (error) {
    await stackDown(config, progress);
    throw error;
  }
}

/**
 * Stops a stack whose foreground launcher no longer runs, saying so in one line.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} progress
 */
export async function stopLeftovers(config, progress) {
  const owner = deadOwner(readMarker(config));
  if (!owner) return;
  const stopped = await stackDown(config, progress);
  progress(
    `\`${owner.label}\` (pid ${owner.pid}) ended without stopping its stack; stopped what it left running: ` +
      `${stopped.join(', ') || 'nothing was still running'}`,
  );
}

/**
 * @param {ReturnType<typeof stackConfig>} config
 * @param {StackMarker | undefined} marker
 * @param {(line: string) => void} progress
 */
async function restartOffline(config, marker, progress) {
  await stopOffline(config);
  await startOffline(config);
  writeMarker(config, { ...marker, state: 'up', sourcesFingerprint: sourcesFingerprint() });
  progress(`serverless offline: ready at ${config.apiUrl}`);
}

/**
 * Fails with one sentence when the chain does not answer 200.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} progress
 */
async function requireChain(config, progress) {
  if (await chainAnswers(config, 3, progress)) return;
  throw new StackError(
    `The stack's processes run but A → B → C (${config.apiUrl}/run-service-b) does not answer 200 even after a restart ` +
      `of serverless offline: see ${path.join(config.stateDir, 'offline.log')}, or run npm run doctor.`,
  );
}

/**
 * Checks that the chain answers: `GET /run-service-b` → 200 with C's result, through both
 * authorizers, the exchange and the emulator. The first request of a cold stack also loads every
 * function, which on a loaded 2-core machine can exceed A's timeout once: hence a few attempts.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {number} attempts
 * @param {(line: string) => void} [progress]
 */
export async function chainAnswers(config, attempts, progress = () => {}) {
  /** @type {string[]} */
  const seen = [];
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      const response = await fetch(`${config.apiUrl}/run-service-b`, { signal: AbortSignal.timeout(60_000) });
      const body = await response.text();
      if (response.ok && /"result":\s*20\b/.test(body)) {
        progress('A → B → C answered 200');
        return true;
      }
      seen.push(String(response.status));
    } catch (error) {
      seen.push(error instanceof Error ? error.message : String(error));
    }
  }
  progress(`A → B → C did not answer 200 (${seen.join(', ')}); see ${path.join(config.stateDir, 'offline.log')}`);
  return false;
}

/**
 * Fails with one sentence, before anything starts, when a part cannot start: a port in use, no JDK,
 * no Maven for the first fetch, an unusable realm file, no `moto_server`, no `npm ci`.
 * @param {ReturnType<typeof stackConfig>} config
 */
export async function checkPrerequisites(config) {
  if (!config.externalKeycloakUrl) await checkKeycloakPrerequisites(config);
  await checkSecretsEmulatorPrerequisites(config);
  await checkOfflinePrerequisites(config);
}

/**
 * Stops whatever `stackUp` started, verifying each process's recorded identity first; stale or
 * damaged pid files are reported through `report`, and nothing foreign is signalled.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} [report]
 */
export async function stackDown(config, report = () => {}) {
  const stopped = [];
  // Extra offline instances a test started (test/integration/helpers/side-stack.ts) and could not stop.
  const extra = existsSync(config.stateDir) ? readdirSync(config.stateDir).filter((name) => /^offline-.+\.pid$/.test(name)) : [];
  for (const pidFile of extra) {
    const name = pidFile.replace(/\.pid$/, '');
    if (await stopService(name, config.stateDir, { report })) stopped.push(`serverless offline (${name.slice('offline-'.length)})`);
  }
  if (await stopOffline(config, 'offline', { report })) stopped.push('serverless offline');
  if (await stopSecretsEmulator(config, { report })) stopped.push('secrets manager emulator');
  if (await stopKeycloak(config, { report })) stopped.push('keycloak');
  rmSync(markerFile(config), { force: true });
  return stopped;
}
