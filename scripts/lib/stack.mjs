// @ts-check
/**
 * The local stack as one unit: Keycloak, the Secrets Manager emulator and serverless offline.
 * `up` is idempotent (a healthy stack is left as it is) and returns when everything is ready.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startKeycloak, stopKeycloak, waitForRealm } from '../../keycloak/keycloak.mjs';
import { stackConfig } from './config.mjs';
import { startOffline, stopOffline } from './offline.mjs';
import { isPortOpen, stopService } from './proc.mjs';
import { seedSecrets, startSecretsEmulator, stopSecretsEmulator } from './secrets.mjs';

/** @param {ReturnType<typeof stackConfig>} config */
const markerFile = (config) => path.join(config.stateDir, 'stack.json');

/**
 * Whether a stack started by `stackUp` is running and answering.
 * @param {ReturnType<typeof stackConfig>} config
 */
export async function isStackUp(config) {
  if (!existsSync(markerFile(config))) return false;
  const open = await Promise.all([
    isPortOpen(config.host, config.secretsPort),
    isPortOpen(config.host, config.httpPort),
    waitForRealm(config, 1000).then(
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
    progress('the stack is already up');
    return false;
  }
  try {
    await startKeycloak(config, (line) => progress(`keycloak: ${line}`));
    progress(`keycloak: ready at ${config.keycloakUrl}/realms/${config.realm}`);
    await startSecretsEmulator(config);
    await seedSecrets(config);
    progress(`secrets manager emulator: ready at ${config.secretsEndpoint}, dev secrets seeded under ${config.secretPrefix}/`);
    progress('serverless offline: bundling and starting the functions…');
    await startOffline(config);
    progress(`serverless offline: ready at ${config.apiUrl}`);
    writeFileSync(markerFile(config), JSON.stringify({
        startedAt: new Date().toISOString(),
        apiUrl: config.apiUrl,
        introspectionCacheTtlSeconds: config.introspectionCacheTtlSeconds,
      }));
    return true;
  } catch (error) {
    await stackDown(config);
    throw error;
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

/**
 * Prints where each part of the stack writes its log.
 * @param {ReturnType<typeof stackConfig>} config
 */
export function logFiles(config) {
  return ['keycloak', 'moto', 'offline']
    .map((name) => path.join(config.stateDir, `${name}.log`))
    .filter((file) => existsSync(file) && readFileSync(file).length >= 0);
}
