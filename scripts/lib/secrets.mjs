// @ts-check
/**
 * Starts the Secrets Manager emulator (moto_server) and seeds the dev client secrets from the realm
 * file, through the real AWS SDK v3 client.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { devClientKey, signedJwtClients } from './dev-keys.mjs';
import { StackError, assertPortFree, isPortOpen, startDetached, stopService, waitFor } from './proc.mjs';

/** Services whose client secrets the functions read (C makes no Keycloak call of its own). */
export const SERVICES_WITH_SECRETS = ['service-a', 'service-b', 'service-c', 'inventory'];

/**
 * Credentials the SDK needs to sign requests to the emulator; dummy values, never real ones.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 */
export function emulatorEnv(config) {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: config.secretsEndpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: config.region,
  };
}

/** @param {ReturnType<typeof import('./config.mjs').stackConfig>} config */
export function secretsClient(config) {
  return new SecretsManagerClient({
    region: config.region,
    endpoint: config.secretsEndpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/**
 * Checks, before anything starts, that `moto_server` is installed and its port is free.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 */
export async function checkSecretsEmulatorPrerequisites(config) {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
  } catch {
    throw new StackError(
      'The Secrets Manager emulator `moto_server` was not found: install it with `pip install "moto[server]"`.',
    );
  }
  await assertPortFree('the Secrets Manager emulator', config.host, config.secretsPort, 'SECRETS_MANAGER_PORT');
}

/**
 * Starts moto_server on loopback.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 */
export async function startSecretsEmulator(config) {
  await checkSecretsEmulatorPrerequisites(config);
  const service = startDetached({
    name: 'moto',
    command: 'moto_server',
    args: ['-H', config.host, '-p', String(config.secretsPort)],
    stateDir: config.stateDir,
  });
  await waitFor('Secrets Manager emulator', () => isPortOpen(config.host, config.secretsPort), {
    timeoutMs: 30_000,
    isDead: service.exited,
  });
}

/**
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 * @param {{ report?: (line: string) => void }} [options]
 */
export function stopSecretsEmulator(config, options = {}) {
  return stopService('moto', config.stateDir, options);
}

/**
 * The dev client secrets of the realm file, as the functions expect them in Secrets Manager; clients
 * that authenticate with a signed JWT have none (see {@link devKeySecrets}).
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 * @returns {{ secretId: string, value: { client_id: string, client_secret: string } }[]}
 */
export function devSecrets(config) {
  const realm = JSON.parse(readFileSync(config.realmFile, 'utf8'));
  const jwtClients = new Set(signedJwtClients(realm));
  return SERVICES_WITH_SECRETS.filter((clientId) => !jwtClients.has(clientId)).map((clientId) => {
    const client = realm.clients.find((/** @type {{ clientId: string }} */ c) => c.clientId === clientId);
    if (!client?.secret) throw new StackError(`The realm file has no client "${clientId}" with a secret.`);
    return { secretId: `${config.secretPrefix}/${clientId}`, value: { client_id: clientId, client_secret: client.secret } };
  });
}

/**
 * The Secrets Manager values of the realm's clients that authenticate with a signed JWT (`client-jwt`):
 * the stack's dev private key of each (scripts/lib/dev-keys.mjs), in the shape the kit reads.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 * @returns {{ secretId: string, value: { client_id: string, client_auth: 'private_key_jwt', private_key_jwk: Record<string, unknown> } }[]}
 */
export function devKeySecrets(config) {
  const jwtClients = new Set(signedJwtClients(JSON.parse(readFileSync(config.realmFile, 'utf8'))));
  return SERVICES_WITH_SECRETS.filter((clientId) => jwtClients.has(clientId)).map((clientId) => ({
    secretId: `${config.secretPrefix}/${clientId}`,
    value: { client_id: clientId, client_auth: 'private_key_jwt', private_key_jwk: devClientKey(config.stateDir, clientId).privateJwk },
  }));
}

/**
 * Creates (or overwrites) the dev secrets in the emulator.
 * @param {ReturnType<typeof import('./config.mjs').stackConfig>} config
 */
export async function seedSecrets(config) {
  const client = secretsClient(config);
  try {
    for (const { secretId, value } of [...devSecrets(config), ...devKeySecrets(config)]) {
      await putSecret(client, secretId, JSON.stringify(value));
    }
  } finally {
    client.destroy();
  }
}

/**
 * Creates a secret, or sets a new value when it exists.
 * @param {SecretsManagerClient} client
 * @param {string} secretId
 * @param {string} secretString
 */
export async function putSecret(client, secretId, secretString) {
  try {
    await client.send(new CreateSecretCommand({ Name: secretId, SecretString: secretString }));
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString }));
  }
}
