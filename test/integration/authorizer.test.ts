import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  api,
  clientToken,
  exchangedToken,
  issuer,
  keycloakCallsDuring,
  revoke,
  runningStack,
  sleep,
  userToken,
} from './helpers/stack';

const order = { order_id: 7, amount: 3 };
const adjustment = { sku: 'SKU-1', delta: -2 };

/** A token for B on behalf of `username`, as A would obtain it. */
async function tokenForB(username: string): Promise<string> {
  return exchangedToken('service-a', await userToken(username), 'service-b');
}

describe('route permissions from the one route table', () => {
  it('lets a token with all of B’s permissions reach both of B’s routes', async () => {
    const token = await tokenForB('alice');

    const process = await api('POST', '/api/process', { token, body: order });
    const adjust = await api('POST', '/api/inventory/adjust', { token, body: adjustment });

    expect(process.status).toBe(200);
    expect(adjust.status).toBe(200);
    expect(adjust.body.adjusted).toEqual(adjustment);
  });

  it('gives 403 on the route whose permission is missing and still serves the route the token may call', async () => {
    const token = await tokenForB('carol');

    const process = await api('POST', '/api/process', { token, body: order });
    const adjust = await api('POST', '/api/inventory/adjust', { token, body: adjustment });

    expect(process.status).toBe(403);
    expect(adjust.status).toBe(200);
  });

  it('answers the same whichever route was asked first (the policy does not depend on the route)', async () => {
    const token = await tokenForB('carol');

    const adjust = await api('POST', '/api/inventory/adjust', { token, body: adjustment });
    const process = await api('POST', '/api/process', { token, body: order });

    expect(adjust.status).toBe(200);
    expect(process.status).toBe(403);
  });
});

describe('the introspection cache', () => {
  it('introspects a new token once, however many times it is presented in a row', async () => {
    const token = await tokenForB('alice');

    const calls = await keycloakCallsDuring(async () => {
      for (let i = 0; i < 20; i += 1) {
        expect((await api('POST', '/api/inventory/adjust', { token, body: adjustment })).status).toBe(200);
      }
    });

    expect(calls.introspect).toBe(1);
    expect(calls.token).toBe(0);
  });

  it('stops accepting a revoked token within the verdict cap plus the gateway’s result TTL', async () => {
    // The gateway may serve the policy it cached until its own TTL, and the authorizer its verdict.
    const { revocationDelaySeconds } = runningStack();
    const token = await clientToken('service-a');
    expect((await api('POST', '/api/inventory/adjust', { token, body: adjustment })).status).toBe(200);

    await revoke(token, 'service-a');
    await sleep((revocationDelaySeconds + 1) * 1000);
    const answer = await api('POST', '/api/inventory/adjust', { token, body: adjustment });

    expect(answer.status).toBe(401);
  }, 120_000);
});

describe('the local JWT pre-check', () => {
  it('refuses forged and misdirected tokens without a single Keycloak call', async () => {
    const real = await clientToken('service-a'); // Keycloak round-trips of this line happen before counting
    const warm = await api('POST', '/api/process', { token: real, body: order }); // JWKS now cached in B's authorizer
    expect(warm.status).toBe(200);
    const { kid } = decodeProtectedHeader(real);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ typ: 'Bearer', azp: 'service-a', resource_access: { 'service-b': { roles: ['orders.approve', 'inventory.adjust'] } } })
      .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
      .setIssuer(issuer)
      .setAudience('service-b')
      .setSubject('attacker')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const [header, payload] = forged.split('.');
    const algNone = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const forC = await exchangedToken('service-b', real, 'service-c');

    const calls = await keycloakCallsDuring(async () => {
      for (const token of [forged, algNone, `${header}.${payload}.AAAA`, forC, 'abc.def.ghi']) {
        const answer = await api('POST', '/api/process', { token, body: order });
        expect(answer.status).toBe(401);
      }
    });

    expect(calls).toEqual({ token: 0, introspect: 0, certs: 0 });
  });
});
