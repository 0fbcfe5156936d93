import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { putSecret, secretsClient } from '../../../scripts/lib/secrets.mjs';
import { LOG_FLUSH_MS, jsonLines } from '../helpers/side-stack';
import { api, clientToken, devSecret, setClientSecretInKeycloak, sleep, stack, userToken } from '../helpers/stack';

// Client secrets rotated while the stack runs, with the stack's own 300 s secrets cache: the
// functions hold the old secret when Keycloak starts refusing it. (secrets-rotation.test.ts covers
// service-b rotated in both places at once.)

const emulator = secretsClient(stack);
const secretIdOf = (clientId: string) => `${stack.secretPrefix}/${clientId}`;
const newSecret = () => `rotated-${Date.now()}-${Math.random().toString(36).slice(2)}`;

const inSecretsManager = (clientId: string, secret: string) =>
  putSecret(emulator, secretIdOf(clientId), JSON.stringify({ client_id: clientId, client_secret: secret }));

/** A request that needs service-a's secret twice: authorizer-a introspects a new user token, A exchanges it. */
const asUser = async () => api('GET', '/run-service-b/as-user', { token: await userToken('alice') });
/** A request that needs service-b's secret: authorizer-b introspects a new token. */
const adjustAtB = async () => api('POST', '/api/inventory/adjust', { token: await clientToken('service-a'), body: { sku: 'R-1', delta: 1 } });

afterEach(async () => {
  // Each test starts from the dev secrets. The functions may still hold a rotated one: their next
  // call is refused once and they refetch (the path under test here).
  for (const clientId of ['service-a', 'service-b']) {
    await setClientSecretInKeycloak(clientId, devSecret(clientId));
    await inSecretsManager(clientId, devSecret(clientId));
  }
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

  it('fails closed with CLIENT_AUTHENTICATION_FAILED while only Keycloak knows the new secret, and heals at the first request after', async () => {
    expect((await adjustAtB()).status).toBe(200);
    const token = await clientToken('service-a');
    const since = jsonLines(readFileSync(`${stack.stateDir}/offline.log`, 'utf8')).length;

    const secret = newSecret();
    await setClientSecretInKeycloak('service-b', secret);
    const during = await api('POST', '/api/inventory/adjust', { token, body: { sku: 'R-1', delta: 1 } });
    await inSecretsManager('service-b', secret);
    const after = await adjustAtB();

    expect(during.status).toBe(401); // an authorizer failure: 503 behind API Gateway
    await sleep(LOG_FLUSH_MS);
    const codes = jsonLines(readFileSync(`${stack.stateDir}/offline.log`, 'utf8'))
      .slice(since)
      .filter((line) => line.message === 'authorizer failed closed')
      .map((line) => line.code);
    expect(codes).toEqual(['CLIENT_AUTHENTICATION_FAILED']);
    expect(after.status).toBe(200);
  });
});
