/**
 * A brand-new authorizer instance, which has no key set yet, decides the first plausible token by
 * introspection alone, with no key-set fetch (`firstTokenByIntrospection`, docs/security.md): the
 * real Keycloak must refuse a signature it never made. On the real stack: a serverless
 * offline instance of this file's own with `--reloadHandler`, so that every invocation gets a fresh
 * instance (a new worker, the module loaded anew, no key set), and the local gateway's cache off,
 * so that every request reaches an authorizer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER, expectRefused, lookAlikeClaims, realmSigningKey, signWithForeignKey } from '../helpers/attack';
import { type OfflineInstance, callWithGuard, jsonLines, startOfflineInstance, warmUp } from '../helpers/side-stack';
import { clientToken, keycloakCallsDuring, sleep } from '../helpers/stack';

let offline: OfflineInstance;

beforeAll(async () => {
  offline = await startOfflineInstance('cold-authorizer', { OFFLINE_AUTHORIZER_CACHE: 'off' }, { args: ['--reloadHandler'] });
  // serverless offline's own first-request work (not an instance's) happens once, here.
  await warmUp(offline.apiUrl);
}, 180_000);

afterAll(async () => {
  await offline?.stop();
});

/** How long a call a cold instance started may still run after its 401 left (Keycloak answers in milliseconds). */
const LANDING_MS = 1500;

/**
 * POSTs an order to B on the instance with `token`, and returns the answer, Keycloak's calls until
 * whatever the request started has landed, and the authorizer's log lines written meanwhile.
 */
async function presentToColdB(token: string) {
  const offset = offline.log().length;
  let answer: Awaited<ReturnType<typeof callWithGuard>> | undefined;
  const calls = await keycloakCallsDuring(async () => {
    answer = await callWithGuard(offline.apiUrl, 'POST', '/api/process', { token, body: ORDER });
    await sleep(LANDING_MS);
  });
  const authorizerLines = jsonLines(offline.log().slice(offset)).filter((line) => line.service === 'authorizer-service-b');
  return { answer: answer as NonNullable<typeof answer>, calls, authorizerLines };
}

describe('an authorizer instance that has no key set yet', () => {
  it("refuses a look-alike signed by another key under the realm's kid on Keycloak's answer, after one introspection", async () => {
    // Prepare: right issuer, audience, type and expiry, so the instance cannot tell it from a real token unverified
    const forged = await signWithForeignKey(lookAlikeClaims(), { kid: (await realmSigningKey()).kid });

    // Act
    const { answer, calls, authorizerLines } = await presentToColdB(forged);

    // Assess: Keycloak checked the signature and called the token inactive.
    expectRefused(answer, 401, forged);
    expect(calls.introspect, 'introspections').toBe(1);
    expect(calls.certs, 'key-set fetches').toBe(0);
    expect(authorizerLines.filter((line) => line.message === 'unauthorized').map((line) => line.code)).toEqual(['TOKEN_INACTIVE']);
  });

  it('refuses a token that is not a JWT without asking Keycloak about it', async () => {
    // Act
    const { answer, calls, authorizerLines } = await presentToColdB('not.a.jwt');

    // Assess
    expectRefused(answer, 401);
    expect(calls.introspect, 'introspections').toBe(0);
    expect(authorizerLines.filter((line) => line.message === 'unauthorized').map((line) => line.code)).toEqual(['TOKEN_MALFORMED']);
  });

  it('refuses a look-alike meant for another service without asking Keycloak about it', async () => {
    // Prepare
    const forC = await signWithForeignKey(lookAlikeClaims({ aud: 'service-c' }), { kid: (await realmSigningKey()).kid });

    // Act
    const { answer, calls } = await presentToColdB(forC);

    // Assess
    expectRefused(answer, 401, forC);
    expect(calls.introspect, 'introspections').toBe(0);
  });

  it('accepts a real token: B answers 200 through a cold chain, one introspection at each authorizer', async () => {
    // Prepare
    const token = await clientToken('service-a');

    // Act
    const { answer, calls, authorizerLines } = await presentToColdB(token);

    // Assess: B's authorizer and C's (B's exchanged token), each on a fresh instance: the original's calls, no key set
    expect(answer.status, answer.text.slice(0, 200)).toBe(200);
    expect(calls.introspect, 'introspections').toBe(2);
    expect(calls.certs, 'key-set fetches').toBe(0);
    expect(authorizerLines.filter((line) => line.message === 'authorized').map((line) => line.effect)).toEqual(['Allow']);
  });
});
