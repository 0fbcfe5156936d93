// @ts-check
/**
 * The local stack as one unit: Keycloak, the Secrets Manager emulator and serverless offline.
 * `up` is idempotent (a healthy stack is left as it is, except that serverless offline is restarted
 * when the functions' sources changed since it bundled them) and returns when everything is ready.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkKeycloakPrerequisites, startKeycloak, stopKeycloak, waitForRealm } from '../../keycloak/keycloak.mjs';
import { projectRoot, stackConfig } from './config.mjs';
import { checkOfflinePrerequisites, startOffline, stopOffline } from './offline.mjs';
import { isPortOpen, stopService } from './proc.mjs';
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
 * @param {ReturnType<typeof stackConfig>} config
 * @returns {{ sourcesFingerprint?: string, introspectionCacheTtlSeconds?: number, authorizerResultTtlSeconds?: number } | undefined}
 */
function readMarker(config) {
  try {
    return JSON.parse(readFileSync(markerFile(config), 'utf8'));
  } catch {
    return undefined;
  }
}

/** @param {ReturnType<typeof stackConfig>} config */
function writeMarker(config) {
  const marker = {
    startedAt: new Date().toISOString(),
    apiUrl: config.apiUrl,
    introspectionCacheTtlSeconds: config.introspectionCacheTtlSeconds,
    authorizerResultTtlSeconds: config.authorizerResultTtlSeconds,
    sourcesFingerprint: sourcesFingerprint(),
  };
  writeFileSync(markerFile(config), JSON.stringify(marker, null, 2));
}

/**
 * Whether a stack started by `stackUp` is running and answering.
 * @param {ReturnType<typeof stackConfig>} config
 */
export async function isStackUp(config) {
  if (!existsSync(markerFile(config))) return false;
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
 * Brings the stack up; a stack already up is reused.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} progress
 * @returns {Promise<boolean>} whether this call started it
 */
export async function stackUp(config, progress) {
  if (await isStackUp(config)) {
    if (readMarker(config)?.sourcesFingerprint !== sourcesFingerprint()) {
      // A reused stack must not serve stale bundles to the tests that follow.
      progress('the stack is up, but the functions changed since it bundled them: restarting serverless offline…');
      await stopOffline(config);
      await startOffline(config);
      writeMarker(config);
      progress(`serverless offline: ready at ${config.apiUrl}`);
      await warmUp(config, progress);
    } else {
      progress('the stack is already up');
    }
    return false;
  }
  // Parts of an earlier stack that is no longer whole (one part died) would hold their ports.
  const leftovers = await stackDown(config);
  if (leftovers.length > 0) progress(`stopped what was left of an earlier stack: ${leftovers.join(', ')}`);
  await checkPrerequisites(config);
  try {
    await startKeycloak(config, (line) => progress(`keycloak: ${line}`));
    progress(`keycloak: ready at ${config.keycloakUrl}/realms/${config.realm}`);
    await startSecretsEmulator(config);
    await seedSecrets(config);
    progress(`secrets manager emulator: ready at ${config.secretsEndpoint}, dev secrets seeded under ${config.secretPrefix}/`);
    progress('serverless offline: bundling and starting the functions…');
    await startOffline(config);
    progress(`serverless offline: ready at ${config.apiUrl}`);
    await warmUp(config, progress);
    writeMarker(config);
    return true;
  } catch (error) {
    await stackDown(config);
    throw error;
  }
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
 * One request through the whole chain, so the first caller does not pay for loading every function
 * and warming Keycloak up (on a loaded 2-core machine that once exceeded A's timeout). Not fatal: a
 * chain that does not answer 200 is reported and left to the caller to diagnose.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} progress
 */
async function warmUp(config, progress) {
  try {
    const response = await fetch(`${config.apiUrl}/run-service-b`, { signal: AbortSignal.timeout(60_000) });
    await response.arrayBuffer();
    progress(response.ok ? 'warm-up: A → B → C answered 200' : `warm-up: A → B → C answered ${response.status} (see .stack/offline.log, or run npm run doctor)`);
  } catch (error) {
    progress(`warm-up: A → B → C did not answer (${error instanceof Error ? error.message : error}); see .stack/offline.log`);
  }
}

/**
 * Stops whatever `stackUp` started.
 * @param {ReturnType<typeof stackConfig>} config
 */
export async function stackDown(config) {
  const stopped = [];
  // Extra offline instances a test started (test/integration/helpers/side-stack.ts) and could not stop.
  const extra = existsSync(config.stateDir) ? readdirSync(config.stateDir).filter((name) => /^offline-.+\.pid$/.test(name)) : [];
  for (const pidFile of extra) {
    const name = pidFile.replace(/\.pid$/, '');
    if (await stopService(name, config.stateDir)) stopped.push(`serverless offline (${name.slice('offline-'.length)})`);
  }
  if (await stopOffline(config)) stopped.push('serverless offline');
  if (await stopSecretsEmulator(config)) stopped.push('secrets manager emulator');
  if (await stopKeycloak(config)) stopped.push('keycloak');
  rmSync(markerFile(config), { force: true });
  return stopped;
}
