import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeycloakUnavailableError, createJwtCheck, type JwtCheckOptions } from 'keycloak-lambda-s2s';
import { FIXED_NOW_SECONDS, frozenClock } from '../../helpers/clock';
import { createFakeFetch, jsonResponse, type Responder } from '../../helpers/fake-fetch';
import { TEST_KID, signJwt, testJwks, unsignedJwt } from '../../helpers/jwt';
import { ISSUER } from '../../helpers/keycloak';
import { rejectionOf } from '../../helpers/errors';
import { deferred } from '../../helpers/deferred';

const JWKS_URI = `${ISSUER}/protocol/openid-connect/certs`;

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    sub: 'user-1',
    aud: 'service-b',
    azp: 'service-a',
    typ: 'Bearer',
    scope: 'profile email',
    iat: FIXED_NOW_SECONDS - 10,
    exp: FIXED_NOW_SECONDS + 300,
    resource_access: { 'service-b': { roles: ['orders.approve', 'inventory.adjust'] }, 'service-c': { roles: ['analytics.run'] } },
    ...overrides,
  };
}

let jwks: Awaited<ReturnType<typeof testJwks>>;

beforeAll(async () => {
  jwks = await testJwks();
});

function setup(respond: Responder = () => jsonResponse(jwks), options: Partial<JwtCheckOptions> = {}) {
  const fake = createFakeFetch(respond);
  let jwksFetches = 0;
  const check = createJwtCheck({
    jwksUri: JWKS_URI,
    issuer: ISSUER,
    audience: 'service-b',
    clockToleranceSeconds: 5,
    fetch: fake.fetch,
    now: frozenClock().now,
    onJwksFetch: () => jwksFetches++,
    ...options,
  });
  return { fake, check, jwksFetches: () => jwksFetches };
}

describe('createJwtCheck', () => {
  it("returns the principal of a token signed by the realm's key, with this service's roles as permissions", async () => {
    // Prepare
    const { check } = setup();
    const token = await signJwt(claims());

    // Act
    const principal = await check(token);

    // Assess
    expect(principal).toEqual({
      sub: 'user-1',
      clientId: 'service-a',
      scope: 'profile email',
      exp: FIXED_NOW_SECONDS + 300,
      permissions: ['orders.approve', 'inventory.adjust'],
    });
  });

  it('fetches the JWKS from the realm once and reuses it', async () => {
    // Prepare
    const { check, fake, jwksFetches } = setup();
    const token = await signJwt(claims());

    // Act
    await check(token);
    await check(token);

    // Assess
    expect(fake.calls.map((c) => c.url)).toEqual([JWKS_URI]);
    expect(jwksFetches()).toBe(1);
  });

  it('accepts aud as an array containing this service', async () => {
    // Prepare
    const { check } = setup();

    // Act
    const principal = await check(await signJwt(claims({ aud: ['account', 'service-b'] })));

    // Assess
    expect(principal.sub).toBe('user-1');
  });

  it('has no permissions when the token carries no roles of this service', async () => {
    // Prepare
    const { check } = setup();

    // Act
    const principal = await check(await signJwt(claims({ resource_access: { 'service-c': { roles: ['analytics.run'] } } })));

    // Assess
    expect(principal.permissions).toEqual([]);
  });

  describe('refusals that cost no JWKS fetch', () => {
    it('refuses a token that is not a JWT as TOKEN_MALFORMED', async () => {
      // Prepare
      const { check, fake } = setup();

      // Act
      const error = await rejectionOf(check('not-a-jwt'));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_MALFORMED', message: 'Token is not a JWT' });
      expect(fake.calls).toHaveLength(0);
    });

    it('refuses a token of another issuer as TOKEN_WRONG_ISSUER', async () => {
      // Prepare
      const { check, fake } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ iss: 'http://keycloak.test:8080/realms/other' }))));

      // Assess
      expect(error.code).toBe('TOKEN_WRONG_ISSUER');
      expect(fake.calls).toHaveLength(0);
    });
  });

  describe('claims', () => {
    it('refuses a token meant for another service as TOKEN_WRONG_AUDIENCE', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ aud: 'service-c' }))));

      // Assess
      expect(error.code).toBe('TOKEN_WRONG_AUDIENCE');
    });

    it('refuses a token expired beyond the clock tolerance as TOKEN_EXPIRED', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ exp: FIXED_NOW_SECONDS - 6 }))));

      // Assess
      expect(error.code).toBe('TOKEN_EXPIRED');
    });

    it('accepts a token expired within the clock tolerance', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const principal = await check(await signJwt(claims({ exp: FIXED_NOW_SECONDS - 4 })));

      // Assess
      expect(principal.exp).toBe(FIXED_NOW_SECONDS - 4);
    });

    it('refuses a token not valid before a time beyond the tolerance', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ nbf: FIXED_NOW_SECONDS + 60 }))));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_MALFORMED', message: 'Token claim "nbf" is invalid' });
    });

    it.each(['exp', 'sub'])('refuses a token without %s', async (claim) => {
      // Prepare
      const { check } = setup();
      const payload = claims();
      delete payload[claim];

      // Act
      const error = await rejectionOf(check(await signJwt(payload)));

      // Assess
      expect(error.code).toBe('TOKEN_MALFORMED');
    });

    it.each([['Refresh'], ['ID'], [undefined]])('refuses a token whose typ is %s as TOKEN_WRONG_TYPE', async (typ) => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ typ }))));

      // Assess
      expect(error.code).toBe('TOKEN_WRONG_TYPE');
    });

    it('refuses a token without azp as TOKEN_MALFORMED', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ azp: undefined }))));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'TOKEN_MALFORMED',
        message: 'Token has no subject, client or expiry',
      });
    });
  });

  describe('signature and algorithm', () => {
    it('refuses a token signed by another key under the same kid', async () => {
      // Prepare
      const { check } = setup();
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: TEST_KID }).sign(privateKey);

      // Act
      const error = await rejectionOf(check(forged));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'TOKEN_MALFORMED',
        message: 'Token signature, algorithm or format is invalid',
      });
    });

    it('refuses a token whose kid is not in the JWKS', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims(), { kid: 'unknown-kid' })));

      // Assess
      expect(error.code).toBe('TOKEN_MALFORMED');
    });

    it('refuses an HMAC-signed token, even with a key that would verify', async () => {
      // Prepare
      const { check } = setup();
      const hs256 = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: TEST_KID }).sign(new TextEncoder().encode('k'.repeat(32)));

      // Act
      const error = await rejectionOf(check(hs256));

      // Assess
      expect(error.code).toBe('TOKEN_MALFORMED');
    });

    it('refuses an unsigned token (alg none)', async () => {
      // Prepare
      const { check } = setup();
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const none = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims())}.`;

      // Act
      const error = await rejectionOf(check(none));

      // Assess
      expect(error.code).toBe('TOKEN_MALFORMED');
    });

    it('refuses a token whose signature part is garbage', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(unsignedJwt(claims())));

      // Assess
      expect(error.code).toBe('TOKEN_MALFORMED');
    });

    it('ignores an encryption key that shares the kid of the signing key', async () => {
      // Prepare
      const other = await generateKeyPair('RSA-OAEP', { extractable: true });
      const encryptionKey = { ...(await exportJWK(other.publicKey)), kid: TEST_KID, use: 'enc', alg: 'RSA-OAEP' };
      const signingKeys = jwks.keys.filter((k) => k.use === 'sig');
      const { check } = setup(() => jsonResponse({ keys: [encryptionKey, ...signingKeys] }));

      // Act
      const principal = await check(await signJwt(claims()));

      // Assess
      expect(principal.sub).toBe('user-1');
    });
  });

  describe('when the JWKS cannot be fetched', () => {
    it.each([
      ['Keycloak is unreachable', () => Promise.reject(new TypeError('fetch failed'))],
      ['Keycloak answers 503', () => new Response('', { status: 503 })],
      ['the JWKS is not JSON', () => new Response('<html/>', { status: 200 })],
    ] as const)('fails with KeycloakUnavailableError, not a token rejection, when %s', async (_case, respond) => {
      // Prepare
      const { check } = setup(respond);
      const token = await signJwt(claims());

      // Act
      const error = await check(token).then(
        () => undefined,
        (e: unknown) => e,
      );

      // Assess
      expect(error).toBeInstanceOf(KeycloakUnavailableError);
      expect(error).toMatchObject({ code: 'KEYCLOAK_UNAVAILABLE', message: 'Keycloak JWKS could not be fetched' });
    });

    it("fails with KEYCLOAK_TLS_FAILED when Keycloak's certificate is not trusted", async () => {
      // Prepare
      const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }) });
      const { check } = setup(() => Promise.reject(refused));
      const token = await signJwt(claims());

      // Act
      const error = await check(token).then(
        () => undefined,
        (e: unknown) => e,
      );

      // Assess
      expect(error).toMatchObject({ code: 'KEYCLOAK_TLS_FAILED' });
    });
  });

  describe('prefetchKeys', () => {
    it('loads the key set before any token arrives, and the first check uses it without another fetch', async () => {
      // Prepare
      const { check, jwksFetches } = setup();
      const token = await signJwt(claims());

      // Act
      await check.prefetchKeys?.();
      const fetchesBeforeCheck = jwksFetches();
      const principal = await check(token);

      // Assess
      expect(fetchesBeforeCheck).toBe(1);
      expect(principal.sub).toBe('user-1');
      expect(jwksFetches()).toBe(1);
    });

    it('shares one fetch with a check that arrives while it is in flight', async () => {
      // Prepare
      const answer = deferred<Response>();
      const { check, jwksFetches } = setup(() => answer.promise);
      const token = await signJwt(claims());

      // Act
      const prefetched = check.prefetchKeys?.();
      const checked = check(token);
      answer.resolve(jsonResponse(jwks));
      await prefetched;
      const principal = await checked;

      // Assess
      expect(principal.sub).toBe('user-1');
      expect(jwksFetches()).toBe(1);
    });

    it('does not fetch again once keys are loaded', async () => {
      // Prepare
      const { check, jwksFetches } = setup();
      await check.prefetchKeys?.();

      // Act
      await check.prefetchKeys?.();

      // Assess
      expect(jwksFetches()).toBe(1);
    });

    it('rejects when the key set cannot be fetched, and the next check fetches again', async () => {
      // Prepare
      let calls = 0;
      const { check, jwksFetches } = setup(() => (++calls === 1 ? jsonResponse({ error: 'down' }, 503) : jsonResponse(jwks)));
      const token = await signJwt(claims());

      // Act
      const prefetched = check.prefetchKeys?.();
      await expect(prefetched).rejects.toBeDefined();
      const principal = await check(token);

      // Assess
      expect(principal.sub).toBe('user-1');
      expect(jwksFetches()).toBe(2);
    });
  });
});
