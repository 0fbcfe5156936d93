/**
 * Zero trust per hop: each route names the clients (`azp`) that may call it. A genuine token of this
 * realm, meant for B and holding every one of B's permissions, is still refused when a client other
 * than service-a obtained it — by authorizer-b's policy (403 before B runs) and, were the policy
 * ever wrong, by B's own re-check (`CALLER_NOT_ALLOWED`, unit-tested).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsGrant } from '../../../scripts/lib/oidc.mjs';
import { accessTokenOf, api, claims, clientToken, endpoints, keycloakAdmin } from '../helpers/stack';

const clientId = `it-caller-probe-${process.pid}-${Date.now()}`;
const secret = `it-caller-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
let internalId: string;

/** A client of its own whose service account holds B's two permissions, so its tokens carry `aud: service-b`. */
beforeAll(async () => {
  await keycloakAdmin('POST', '/clients', {
    clientId,
    name: 'Caller probe of the security tests (removed after them)',
    enabled: true,
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    secret,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
    fullScopeAllowed: true,
    protocol: 'openid-connect',
  });
  const [created] = (await keycloakAdmin('GET', `/clients?clientId=${encodeURIComponent(clientId)}`)) as { id: string }[];
  if (!created) throw new Error(`client ${clientId} was not created`);
  internalId = created.id;
  const serviceAccount = (await keycloakAdmin('GET', `/clients/${internalId}/service-account-user`)) as { id: string };
  const [serviceB] = (await keycloakAdmin('GET', '/clients?clientId=service-b')) as { id: string }[];
  const roles = await Promise.all(['orders.approve', 'inventory.adjust'].map((role) => keycloakAdmin('GET', `/clients/${serviceB?.id}/roles/${role}`)));
  await keycloakAdmin('POST', `/users/${serviceAccount.id}/role-mappings/clients/${serviceB?.id}`, roles);
});

afterAll(async () => {
  if (internalId) await keycloakAdmin('DELETE', `/clients/${internalId}`);
});

const probeToken = async () => accessTokenOf(await clientCredentialsGrant(endpoints, { clientId, clientSecret: secret }), 'probe token');

describe('no unused privilege', () => {
  it("gives B's own token (client credentials, no caller involved) no audience at C: C refuses it with 401", async () => {
    // Prepare
    const ownTokenOfB = await clientToken('service-b');

    // Act
    const answer = await api('POST', '/api/compute', { token: ownTokenOfB, body: { value: 1 } });

    // Assess
    expect(JSON.stringify(claims(ownTokenOfB).aud ?? [])).not.toContain('service-c');
    expect(answer.status).toBe(401);
  });
});

describe('a route accepts only the callers it names', () => {
  it("refuses at B, with 403, a token meant for B holding B's permissions that another client obtained", async () => {
    // Prepare
    const token = await probeToken();

    // Act
    const answer = await api('POST', '/api/inventory/adjust', { token, body: { sku: 'sku-1', delta: 1 } });

    // Assess
    expect([claims(token).aud].flat()).toContain('service-b');
    expect(claims(token)).toMatchObject({ azp: clientId, resource_access: { 'service-b': { roles: expect.arrayContaining(['inventory.adjust']) } } });
    expect(answer.status, answer.text).toBe(403);
  });

  it("serves service-a's token on the same route (the control)", async () => {
    // Act
    const answer = await api('POST', '/api/inventory/adjust', { token: await clientToken('service-a'), body: { sku: 'sku-1', delta: 1 } });

    // Assess
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.caller.azp).toBe('service-a');
  });
});
