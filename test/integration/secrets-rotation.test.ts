import { afterAll, describe, expect, it } from 'vitest';
import { putSecret, secretsClient } from '../../scripts/lib/secrets.mjs';
import { api, clientToken, devSecret, setClientSecretInKeycloak, stack } from './helpers/stack';

const emulator = secretsClient(stack);
const secretIdOf = (clientId: string) => `${stack.secretPrefix}/${clientId}`;

async function rotate(clientId: string, secret: string): Promise<void> {
  await setClientSecretInKeycloak(clientId, secret);
  await putSecret(emulator, secretIdOf(clientId), JSON.stringify({ client_id: clientId, client_secret: secret }));
}

describe('a client secret rotated in Keycloak and in Secrets Manager while the stack runs', () => {
  afterAll(async () => {
    await rotate('service-b', devSecret('service-b'));
    emulator.destroy();
  });

  it('heals without a redeploy: the next request that needs the secret succeeds at once', async () => {
    // Warm up: B's authorizer and B hold the current secret in their caches.
    expect((await api('POST', '/api/process', { token: await clientToken('service-a'), body: { order_id: 1, amount: 1 } })).status).toBe(200);

    await rotate('service-b', `rotated-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    // A new token forces both an introspection (authorizer-b) and an exchange (B) with service-b's secret.
    const answer = await api('POST', '/api/process', { token: await clientToken('service-a'), body: { order_id: 2, amount: 1 } });

    expect(answer.status).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
  });

  it('keeps working after the secret is rotated back', async () => {
    await rotate('service-b', devSecret('service-b'));

    const answer = await api('POST', '/api/process', { token: await clientToken('service-a'), body: { order_id: 3, amount: 1 } });

    expect(answer.status).toBe(200);
  });
});
