/**
 * Keycloak over HTTPS (`npm run test:tls`, `KEYCLOAK_TLS=on`): the stack made a certificate authority
 * at start, and the functions trust it through `NODE_EXTRA_CA_CERTS`, as a deployment trusts its CA.
 * A function that does not trust the certificate fails closed with its own code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OfflineInstance, callWithGuard, startOfflineInstance, warmUp } from './helpers/side-stack';
import { api, stack } from './helpers/stack';

// Only a stack that serves Keycloak over HTTPS can show this; `npm run test:tls` runs it on one
// (the main suite's stack speaks plain HTTP on loopback, where no certificate is involved).
describe.runIf(stack.keycloakTls)('Keycloak over HTTPS', () => {
  let untrusting: OfflineInstance;

  beforeAll(async () => {
    // The same functions, without the stack's authority among the ones they trust.
    untrusting = await startOfflineInstance('untrusting', { NODE_EXTRA_CA_CERTS: '' });
    // Starting a second instance loads the machine: let the stack's chain answer once before the tests.
    await warmUp(stack.apiUrl);
  }, 240_000);

  afterAll(async () => {
    await untrusting?.stop();
  });

  it('serves the chain A → B → C with every Keycloak call over HTTPS', async () => {
    // Act
    const answer = await api('GET', '/run-service-b');

    // Assess
    expect(stack.keycloakUrl.startsWith('https://')).toBe(true);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
  });

  it('fails closed with 503 KEYCLOAK_TLS_FAILED where the functions do not trust the certificate', async () => {
    // Act
    const answer = await callWithGuard(untrusting.apiUrl, 'GET', '/run-service-b');

    // Assess
    expect(answer.status, answer.text).toBe(503);
    expect(answer.body).toEqual({ error: 'KEYCLOAK_TLS_FAILED', message: 'The identity provider is unavailable' });
  });
});
