import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenExchange } from '../../scripts/lib/oidc.mjs';
import { putSecret, secretsClient } from '../../scripts/lib/secrets.mjs';
import {
  api,
  clientToken,
  devCredentials,
  devPublicJwk,
  devSecret,
  devSecretValue,
  endpoints,
  setClientKeysInKeycloak,
  setClientSecretInKeycloak,
  stack,
  userToken,
} from './helpers/stack';

// Credentials rotated while the stack runs, with its own 300 s secrets cache: service-a's client
// secret changed in Keycloak and in Secrets Manager at once, and service-b's private key
// (private_key_jwt) rotated the way docs/private-key-jwt.md says: a second key published, the secret
// switched, the old key removed.

const emulator = secretsClient(stack);
const secretIdOf = (clientId: string) => `${stack.secretPrefix}/${clientId}`;

async function rotateSecret(clientId: string, secret: string): Promise<void> {
  await setClientSecretInKeycloak(clientId, secret);
  await putSecret(emulator, secretIdOf(clientId), JSON.stringify({ client_id: clientId, client_secret: secret }));
}

/** A request that needs service-a's secret twice: authorizer-a introspects a new user token, A exchanges it. */
const asUser = async () => api('GET', '/run-service-b/as-user', { token: await userToken('alice') });
/** A request that needs service-b's key twice: authorizer-b introspects a new token of A, B exchanges it. */
const processAtB = async (orderId: number) => api('POST', '/api/process', { token: await clientToken('service-a'), body: { order_id: orderId, amount: 1 } });

afterAll(async () => {
  await rotateSecret('service-a', devSecret('service-a'));
  await setClientKeysInKeycloak('service-b', [devPublicJwk('service-b')]);
  await putSecret(emulator, secretIdOf('service-b'), devSecretValue('service-b'));
  emulator.destroy();
});

describe('a client secret rotated in Keycloak and in Secrets Manager while the stack runs (service-a)', () => {
  it('heals without a redeploy: the next request that needs the secret succeeds at once', async () => {
    // Warm up: authorizer-a and A hold the current secret in their caches.
    expect((await asUser()).status).toBe(200);

    await rotateSecret('service-a', `rotated-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    // A new user token forces both an introspection (authorizer-a) and an exchange (A) with service-a's secret.
    const answer = await asUser();

    expect(answer.status).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
  });

  it('keeps working after the secret is rotated back', async () => {
    await rotateSecret('service-a', devSecret('service-a'));

    expect((await asUser()).status).toBe(200);
  });
});

describe("service-b's private key rotated while the stack runs (private_key_jwt, two keys published)", () => {
  const next = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const nextKid = `service-b-next-${Date.now()}`;
  const nextPublic = { ...next.publicKey.export({ format: 'jwk' }), kid: nextKid, use: 'sig', alg: 'ES256' };
  const nextSecret = JSON.stringify({
    client_id: 'service-b',
    client_auth: 'private_key_jwt',
    private_key_jwk: { ...next.privateKey.export({ format: 'jwk' }), kid: nextKid },
  });
  const statuses: number[] = [];

  it('heals with at most one failed request: second key published, the emulator switched, the old key removed', async () => {
    // Prepare: warm, authorizer-b and B hold the dev key.
    expect((await processAtB(1)).status).toBe(200);

    // Act: both keys published; the secret switched to the new one while the functions still hold the old.
    await setClientKeysInKeycloak('service-b', [devPublicJwk('service-b'), nextPublic]);
    await putSecret(emulator, secretIdOf('service-b'), nextSecret);
    for (let i = 0; i < 3; i += 1) statuses.push((await processAtB(10 + i)).status);
    // The old key removed: a function still signing with it is refused once, refetches, and retries with the new one.
    await setClientKeysInKeycloak('service-b', [nextPublic]);
    for (let i = 0; i < 3; i += 1) statuses.push((await processAtB(20 + i)).status);

    // Assess
    expect(statuses.filter((status) => status !== 200).length, `statuses ${statuses.join(', ')}`).toBeLessThanOrEqual(1);
    expect(statuses.at(-1)).toBe(200);
  });

  it('keeps working on the new key alone: the chain answers, and Keycloak refuses the old key', async () => {
    const answer = await processAtB(30);
    const chain = await api('GET', '/run-service-b'); // A → B → C

    expect(answer.status).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
    expect(chain.status).toBe(200);
    // The old key is really gone from Keycloak: an assertion signed with B's dev key is refused.
    const refused = await tokenExchange(endpoints, devCredentials('service-b'), await clientToken('service-a'), 'service-c');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_client');
  });
});
