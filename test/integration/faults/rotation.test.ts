import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { putSecret, secretsClient } from '../../../scripts/lib/secrets.mjs';
import { LOG_FLUSH_MS, jsonLines } from '../helpers/side-stack';
import {
  api,
  clientToken,
  devPublicJwk,
  devSecret,
  devSecretValue,
  setClientKeysInKeycloak,
  setClientSecretInKeycloak,
  sleep,
  stack,
  userToken,
} from '../helpers/stack';

// Client credentials rotated while the stack runs, with the stack's own 300 s secrets cache: the
// functions hold the old credentials when Keycloak starts refusing them. service-a sends a secret;
// service-b signs JWTs with a private key (private_key_jwt) and has no secret. (secrets-rotation.test.ts
// covers a rotation done in both places at once, and B's key rotated with two keys published.)

const emulator = secretsClient(stack);
const secretIdOf = (clientId: string) => `${stack.secretPrefix}/${clientId}`;
const newSecret = () => `rotated-${Date.now()}-${Math.random().toString(36).slice(2)}`;

const inSecretsManager = (clientId: string, secret: string) =>
  putSecret(emulator, secretIdOf(clientId), JSON.stringify({ client_id: clientId, client_secret: secret }));

/** A request that needs service-a's secret twice: authorizer-a introspects a new user token, A exchanges it. */
const asUser = async () => api('GET', '/run-service-b/as-user', { token: await userToken('alice') });
/** A request that needs service-b's key: authorizer-b introspects a new token. */
const adjustAtB = async () => api('POST', '/api/inventory/adjust', { token: await clientToken('service-a'), body: { sku: 'R-1', delta: 1 } });

afterEach(async () => {
  // Each test starts from the dev credentials. The functions may still hold rotated ones: their next
  // call is refused once and they refetch (the path under test here).
  await setClientSecretInKeycloak('service-a', devSecret('service-a'));
  await inSecretsManager('service-a', devSecret('service-a'));
  await setClientKeysInKeycloak('service-b', [devPublicJwk('service-b')]);
  await putSecret(emulator, secretIdOf('service-b'), devSecretValue('service-b'));
});

afterAll(() => emulator.destroy());

describe('a client secret rotated while the stack runs', () => {
  it('heals with no failed request when rotated in Keycloak, then in Secrets Manager', async () => {
    expect((await asUser()).status).toBe(200); // warm: service-a's secret is cached in authorizer-a and A

    const secret = newSecret();
    await setClientSecretInKeycloak('service-a', secret);
    await inSecretsManager('service-a', secret);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await asUser()).status);

    expect(statuses).toEqual([200, 200, 200]);
  });

  it('never fails when rotated in Secrets Manager first and in Keycloak second (the order to prefer)', async () => {
    expect((await asUser()).status).toBe(200);

    const secret = newSecret();
    await inSecretsManager('service-a', secret);
    const between = (await asUser()).status; // warm instances still hold the secret Keycloak knows
    await setClientSecretInKeycloak('service-a', secret);
    const after = (await asUser()).status;

    expect([between, after]).toEqual([200, 200]);
  });

  it("fails closed with CLIENT_AUTHENTICATION_FAILED while Keycloak knows only B's new key, and heals at the first request after", async () => {
    expect((await adjustAtB()).status).toBe(200);
    const token = await clientToken('service-a');
    const since = jsonLines(readFileSync(`${stack.stateDir}/offline.log`, 'utf8')).length;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `service-b-rotated-${Date.now()}`;

    // The old key removed too early: B's functions, and the secret they refetch, still hold it.
    await setClientKeysInKeycloak('service-b', [{ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' }]);
    const during = await api('POST', '/api/inventory/adjust', { token, body: { sku: 'R-1', delta: 1 } });
    await putSecret(
      emulator,
      secretIdOf('service-b'),
      JSON.stringify({ client_id: 'service-b', client_auth: 'private_key_jwt', private_key_jwk: { ...privateKey.export({ format: 'jwk' }), kid } }),
    );
    const after = await adjustAtB();

    expect(during.status).toBe(401); // an authorizer failure: 503 behind API Gateway
    await sleep(LOG_FLUSH_MS);
    const failures = jsonLines(readFileSync(`${stack.stateDir}/offline.log`, 'utf8'))
      .slice(since)
      .filter((line) => line.message === 'authorizer failed closed');
    expect(failures.map((line) => line.code)).toEqual(['CLIENT_AUTHENTICATION_FAILED']);
    // Keycloak's reason: the kid of B's (old) key is no longer published. Never a fallback to a secret.
    expect(String((failures[0]?.error as { message?: unknown } | undefined)?.message)).toContain('ASSERTION_KEY_UNKNOWN');
    expect(after.status).toBe(200);
  });
});
