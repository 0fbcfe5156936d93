import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADJUSTMENT,
  COMPUTE,
  ORDER,
  PROBE_TOKEN_LIFESPAN_SECONDS,
  type ProbeClient,
  createProbeClient,
  expectRefused,
  foreignToken,
  partsOf,
  userTokenSet,
  withoutIntrospection,
} from '../helpers/attack';
import { clientCredentialsGrant } from '../../../scripts/lib/oidc.mjs';
import {
  api,
  clientToken,
  devPassword,
  devSecret,
  endpoints,
  exchangedToken,
  keycloakAdmin,
  revoke,
  runningStack,
  sleep,
  userToken,
} from '../helpers/stack';

// Genuine tokens of this Keycloak, presented where they do not belong, or after Keycloak stopped
// vouching for them. Every realm change is undone in a finally block and again in afterAll.

/** A token for B on behalf of `username`, as A obtains it. */
async function tokenForB(username: string): Promise<string> {
  return exchangedToken('service-a', await userToken(username), 'service-b');
}

async function clientUuid(clientId: string): Promise<string> {
  const [client] = (await keycloakAdmin('GET', `/clients?clientId=${encodeURIComponent(clientId)}`)) as { id: string }[];
  if (!client) throw new Error(`no client ${clientId}`);
  return client.id;
}

async function userUuid(username: string): Promise<string> {
  const [user] = (await keycloakAdmin('GET', `/users?username=${encodeURIComponent(username)}&exact=true`)) as { id: string }[];
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

async function setClientEnabled(clientId: string, enabled: boolean): Promise<void> {
  const id = await clientUuid(clientId);
  const representation = await keycloakAdmin('GET', `/clients/${id}`);
  await keycloakAdmin('PUT', `/clients/${id}`, { ...representation, enabled });
}

async function setUserEnabled(username: string, enabled: boolean): Promise<void> {
  const id = await userUuid(username);
  const representation = await keycloakAdmin('GET', `/users/${id}`);
  await keycloakAdmin('PUT', `/users/${id}`, { ...representation, enabled });
}

/** Grants (`POST`) or removes (`DELETE`) one of `clientId`'s roles to or from a user. */
async function userClientRole(method: 'POST' | 'DELETE', username: string, clientId: string, role: string): Promise<void> {
  const client = await clientUuid(clientId);
  const representation = await keycloakAdmin('GET', `/clients/${client}/roles/${encodeURIComponent(role)}`);
  await keycloakAdmin(method, `/users/${await userUuid(username)}/role-mappings/clients/${client}`, [representation]);
}

let probe: ProbeClient;
beforeAll(async () => {
  probe = await createProbeClient();
});

afterAll(async () => {
  await probe?.remove();
  // Safety net for a test that failed half-way; each test restores what it changed itself too.
  await setClientEnabled('service-a', true);
  await setUserEnabled('alice', true);
  const roles = (await keycloakAdmin('GET', `/users/${await userUuid('alice')}/role-mappings/clients/${await clientUuid('service-b')}`)) as { name: string }[];
  if (!roles.some((r) => r.name === 'orders.approve')) await userClientRole('POST', 'alice', 'service-b', 'orders.approve');
});

describe('a genuine token presented to a service it was not issued for', () => {
  it('refuses A’s own token at C with 401 (aud is service-b)', async () => {
    const token = await clientToken('service-a');

    await withoutIntrospection(async () => expectRefused(await api('POST', '/api/compute', { token, body: COMPUTE }), 401, token));
  });

  it('refuses the token B obtained for C at B with 401 (aud is service-c)', async () => {
    const token = await exchangedToken('service-b', await clientToken('service-a'), 'service-c');

    await withoutIntrospection(async () => expectRefused(await api('POST', '/api/process', { token, body: ORDER }), 401, token));
  });

  it('refuses the token B obtained for C at A’s delegation route with 401', async () => {
    const token = await exchangedToken('service-b', await clientToken('service-a'), 'service-c');

    await withoutIntrospection(async () => expectRefused(await api('GET', '/run-service-b/as-user', { token }), 401, token));
  });

  it('refuses A’s own token at A’s delegation route with 401 (it is meant for B)', async () => {
    const token = await clientToken('service-a');

    await withoutIntrospection(async () => expectRefused(await api('GET', '/run-service-b/as-user', { token }), 401, token));
  });

  it.each([
    ['B', '/api/process', ORDER],
    ['C', '/api/compute', COMPUTE],
  ] as const)('refuses a user’s token for A at %s with 401', async (_service, path, body) => {
    const token = await userToken('alice');

    await withoutIntrospection(async () => expectRefused(await api('POST', path, { token, body }), 401, token));
  });

  it('cannot be shown C’s own token: C has no service account, so its secret alone mints nothing', async () => {
    const answer = await clientCredentialsGrant(endpoints, { clientId: 'service-c', clientSecret: devSecret('service-c') });

    expect(answer.status).not.toBe(200);
    expect(answer.body).not.toHaveProperty('access_token');
  });
});

describe('a token of another realm on the same Keycloak (another issuer)', () => {
  it('names B and C with all their roles, and differs from ours only by issuer and key (precondition)', async () => {
    const { payload } = partsOf(await foreignToken());

    expect(payload.aud).toEqual(['service-b', 'service-c']);
    expect(payload.azp).toBe('service-a');
    expect(payload.iss).toMatch(/\/realms\/foreign$/);
  });

  it.each([
    ['B', 'POST', '/api/process', ORDER],
    ['B’s second route', 'POST', '/api/inventory/adjust', ADJUSTMENT],
    ['C', 'POST', '/api/compute', COMPUTE],
    ['A’s delegation route', 'GET', '/run-service-b/as-user', undefined],
  ] as const)('is refused with 401 at %s', async (_where, method, path, body) => {
    const token = await foreignToken();

    await withoutIntrospection(async () => expectRefused(await api(method, path, { token, ...(body ? { body } : {}) }), 401, token));
  });
});

describe('tokens that are not access tokens', () => {
  it.each([
    ['refresh token', 'refresh_token'],
    ['ID token', 'id_token'],
  ] as const)('refuses a user’s %s at A’s delegation route and at B with 401', async (_name, kind) => {
    const token = (await userTokenSet('alice', devPassword('alice')))[kind];

    const atA = await api('GET', '/run-service-b/as-user', { token });
    const atB = await api('POST', '/api/process', { token, body: ORDER });

    expectRefused(atA, 401, token);
    expectRefused(atB, 401, token);
  });
});

describe('a valid token lacking permissions', () => {
  it('gets 403 on the route whose permission it lacks and 200 on the other (carol)', async () => {
    const token = await tokenForB('carol');

    expectRefused(await api('POST', '/api/process', { token, body: ORDER }), 403, token);
    expect((await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT })).status).toBe(200);
  });

  it('gets 403 everywhere at B when it holds none of B’s permissions (an explicit Deny)', async () => {
    const token = await probe.token();

    expectRefused(await api('POST', '/api/process', { token, body: ORDER }), 403, token);
    expectRefused(await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT }), 403, token);
  });

  it('gets 403 on a route once the permission was removed from the user in Keycloak', async () => {
    await userClientRole('DELETE', 'alice', 'service-b', 'orders.approve');
    try {
      const token = await tokenForB('alice');

      expectRefused(await api('POST', '/api/process', { token, body: ORDER }), 403, token);
      expect((await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT })).status).toBe(200);
    } finally {
      await userClientRole('POST', 'alice', 'service-b', 'orders.approve');
    }
  });
});

describe('a token Keycloak no longer vouches for', () => {
  it('is accepted while valid and refused with 401 once expired (a real 5 s token, past the 5 s clock tolerance)', async () => {
    const token = await probe.token();
    const { iat = 0, exp = 0 } = partsOf(token).payload;
    expect(exp - iat).toBe(PROBE_TOKEN_LIFESPAN_SECONDS);
    // Valid: authenticated (403 = known caller without B's permissions), not 401.
    expectRefused(await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT }), 403, token);

    await sleep(Math.max(0, (exp + 5 + 1) * 1000 - Date.now()));

    await withoutIntrospection(async () => expectRefused(await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT }), 401, token));
  }, 30_000);

  it('is refused with 401 when its client was disabled', async () => {
    const token = await clientToken('service-a');
    await setClientEnabled('service-a', false);
    try {
      expectRefused(await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT }), 401, token);
    } finally {
      await setClientEnabled('service-a', true);
    }
  });

  it('is refused with 401 when its user was disabled', async () => {
    const token = await tokenForB('alice');
    await setUserEnabled('alice', false);
    try {
      expectRefused(await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT }), 401, token);
    } finally {
      await setUserEnabled('alice', true);
    }
  });

  it('is refused with 401 within the cache caps once revoked, though C had accepted it before', async () => {
    // The verdict cap plus the gateway's result TTL: either cache may still hold the earlier Allow.
    const { revocationDelaySeconds } = runningStack();
    const token = await exchangedToken('service-b', await clientToken('service-a'), 'service-c');
    expect((await api('POST', '/api/compute', { token, body: COMPUTE })).status).toBe(200);

    await revoke(token, 'service-b');
    await sleep((revocationDelaySeconds + 1) * 1000);

    expectRefused(await api('POST', '/api/compute', { token, body: COMPUTE }), 401, token);
  }, 120_000);

  it('is refused with 401 within the cache caps once the user’s session was ended, though B had accepted it before', async () => {
    const { revocationDelaySeconds } = runningStack();
    const token = await tokenForB('alice');
    expect((await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT })).status).toBe(200);

    await keycloakAdmin('POST', `/users/${await userUuid('alice')}/logout`);
    await sleep((revocationDelaySeconds + 1) * 1000);

    expectRefused(await api('POST', '/api/inventory/adjust', { token, body: ADJUSTMENT }), 401, token);
  }, 120_000);
});
