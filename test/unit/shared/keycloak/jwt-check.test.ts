import { FlattenedSign, SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeycloakUnavailableError, createJwtCheck, logSafeError, type JwtCheckOptions } from 'keycloak-lambda-s2s';
import { FIXED_NOW_MS, FIXED_NOW_SECONDS, frozenClock } from '../../helpers/clock';
import { createFakeFetch, jsonResponse, type Responder } from '../../helpers/fake-fetch';
import { TEST_KID, signJwt, testJwks, testKeyPair, unsignedJwt } from '../../helpers/jwt';
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

/** A check with only the required options: every default in force. */
function setupWithDefaults(options: Partial<JwtCheckOptions> = {}) {
  const fake = createFakeFetch(() => jsonResponse(jwks));
  const check = createJwtCheck({
    jwksUri: JWKS_URI,
    issuer: ISSUER,
    audience: 'service-b',
    fetch: fake.fetch,
    now: frozenClock().now,
    ...options,
  });
  return { fake, check };
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
      expect(error.cause).toMatchObject({ code: 'ERR_JWT_INVALID' });
      expect(fake.calls).toHaveLength(0);
    });

    it('refuses a token of another issuer as TOKEN_WRONG_ISSUER', async () => {
      // Prepare
      const { check, fake } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ iss: 'http://keycloak.test:8080/realms/other' }))));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'TOKEN_WRONG_ISSUER',
        message: 'Token was issued by another issuer',
      });
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
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'TOKEN_WRONG_AUDIENCE',
        message: 'Token is not meant for this service',
      });
      expect(error.cause).toMatchObject({ claim: 'aud' });
    });

    it('refuses a token expired beyond the clock tolerance as TOKEN_EXPIRED', async () => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ exp: FIXED_NOW_SECONDS - 6 }))));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_EXPIRED', message: 'Token has expired' });
      expect(error.cause).toMatchObject({ code: 'ERR_JWT_EXPIRED' });
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
      expect(error.cause).toMatchObject({ claim: 'nbf' });
    });

    it.each(['exp', 'sub'])('refuses a token without %s', async (claim) => {
      // Prepare
      const { check } = setup();
      const payload = claims();
      delete payload[claim];

      // Act
      const error = await rejectionOf(check(await signJwt(payload)));

      // Assess: jose's required-claims check, before the principal is built
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'TOKEN_MALFORMED',
        message: `Token claim "${claim}" is invalid`,
      });
    });

    it.each([['Refresh'], ['ID'], [undefined]])('refuses a token whose typ is %s as TOKEN_WRONG_TYPE', async (typ) => {
      // Prepare
      const { check } = setup();

      // Act
      const error = await rejectionOf(check(await signJwt(claims({ typ }))));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'TOKEN_WRONG_TYPE',
        message: 'Token is not a Bearer access token',
      });
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

    it.each(['HS256', 'HS384', 'HS512'])(
      'refuses a %s token before any key lookup, even when the JWKS serves the HMAC key that verifies it',
      async (alg) => {
        // Prepare: a symmetric key published in the key set (a misconfigured realm) that the token is signed with
        const secret = new TextEncoder().encode('k'.repeat(64));
        const hmacKey: JWK = { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'hmac-key', use: 'sig', alg };
        const { check, fake } = setup(() => jsonResponse({ keys: [hmacKey, ...jwks.keys] }));
        const token = await new SignJWT(claims()).setProtectedHeader({ alg, kid: 'hmac-key', typ: 'JWT' }).sign(secret);

        // Act
        const error = await rejectionOf(check(token));

        // Assess: the algorithm allow-list refused it, not a failed key lookup
        expect({ code: error.code, cause: (error.cause as { code?: string }).code }).toEqual({
          code: 'TOKEN_MALFORMED',
          cause: 'ERR_JOSE_ALG_NOT_ALLOWED',
        });
        expect(fake.calls).toHaveLength(0);
      },
    );

    // The list is written out, not imported: a test fed from the constant it checks cannot notice the constant changing.
    it.each(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])(
      'accepts a token signed with %s by a key of the realm',
      async (alg) => {
        // Prepare
        const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
        const key = { ...(await exportJWK(publicKey)), kid: `key-${alg}`, use: 'sig', alg };
        const { check } = setup(() => jsonResponse({ keys: [key] }));
        const token = await new SignJWT(claims()).setProtectedHeader({ alg, kid: `key-${alg}`, typ: 'JWT' }).sign(privateKey);

        // Act
        const principal = await check(token);

        // Assess
        expect(principal.sub).toBe('user-1');
      },
    );

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

    // Each of these is refused by jose with its own error code; every one of them must stay a token refusal (401),
    // not "the JWKS could not be fetched" (503), and must cost no more than the one key-set fetch.
    it('refuses a token whose header names no algorithm', async () => {
      // Prepare
      const { check } = setup();
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = `${part({ kid: TEST_KID, typ: 'JWT' })}.${part(claims())}.bm90LWEtc2lnbmF0dXJl`;

      // Act
      const error = await rejectionOf(check(token));

      // Assess
      expect({ code: error.code, cause: (error.cause as { code?: string }).code }).toEqual({ code: 'TOKEN_MALFORMED', cause: 'ERR_JWS_INVALID' });
    });

    it('refuses a token that marks an unknown header extension as critical', async () => {
      // Prepare: RFC 7515 section 4.1.11: a recipient that does not understand a "crit" extension must refuse the token
      const { check } = setup();
      const { privateKey } = await testKeyPair();
      const token = await new SignJWT({ ...claims(), 'x-ext': 1 })
        .setProtectedHeader({ alg: 'RS256', kid: TEST_KID, typ: 'JWT', crit: ['x-ext'], 'x-ext': true })
        .sign(privateKey, { crit: { 'x-ext': true } });

      // Act
      const error = await rejectionOf(check(token));

      // Assess
      expect({ code: error.code, cause: (error.cause as { code?: string }).code }).toEqual({
        code: 'TOKEN_MALFORMED',
        cause: 'ERR_JOSE_NOT_SUPPORTED',
      });
    });

    it("refuses a token signed by the realm's key over an unencoded payload (RFC 7797)", async () => {
      // Prepare: the payload segment is the base64url of the claims, so the unverified peek reads the right issuer,
      // but the header says it was signed as is (b64: false), which a JWT must never do
      const { check } = setup();
      const { privateKey } = await testKeyPair();
      const payload = Buffer.from(JSON.stringify(claims())).toString('base64url');
      const jws = await new FlattenedSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: 'RS256', kid: TEST_KID, b64: false, crit: ['b64'] })
        .sign(privateKey);
      const token = `${jws.protected}.${payload}.${jws.signature}`;

      // Act
      const error = await rejectionOf(check(token));

      // Assess
      expect({ code: error.code, cause: (error.cause as { code?: string }).code }).toEqual({ code: 'TOKEN_MALFORMED', cause: 'ERR_JWT_INVALID' });
    });

    it('refuses, as a token fault and not as an unreachable key set, a token whose kid two keys of the realm share', async () => {
      // Prepare: a key rotation that reused a kid; jose cannot tell which key is meant
      const first = await generateKeyPair('RS256', { extractable: true });
      const second = await generateKeyPair('RS256', { extractable: true });
      const published = async (publicKey: Parameters<typeof exportJWK>[0]) => ({ ...(await exportJWK(publicKey)), kid: 'shared-kid', use: 'sig', alg: 'RS256' });
      const { check } = setup(async () => jsonResponse({ keys: [await published(first.publicKey), await published(second.publicKey)] }));
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'shared-kid', typ: 'JWT' }).sign(first.privateKey);

      // Act
      const error = await rejectionOf(check(token));

      // Assess
      expect({ code: error.code, cause: (error.cause as { code?: string }).code }).toEqual({
        code: 'TOKEN_MALFORMED',
        cause: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
      });
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

  describe('defaults', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('tolerates 5 s of clock skew on exp by default', async () => {
      // Prepare
      const { check } = setupWithDefaults();

      // Act
      const within = await check(await signJwt(claims({ exp: FIXED_NOW_SECONDS - 4 }))).then((p) => p.exp);
      const beyond = await rejectionOf(check(await signJwt(claims({ exp: FIXED_NOW_SECONDS - 6 }))));

      // Assess
      expect({ within, beyond: beyond.code }).toEqual({ within: FIXED_NOW_SECONDS - 4, beyond: 'TOKEN_EXPIRED' });
    });

    it('refetches the JWKS for an unknown kid at most once per 30 s by default', async () => {
      // Prepare: jose times the cooldown with Date.now, so the system clock is the one to move
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(FIXED_NOW_MS);
      const { check, fake } = setupWithDefaults();
      await check(await signJwt(claims()));
      const unknownKid = await signJwt(claims(), { kid: 'rotated-key' });

      // Act
      vi.setSystemTime(FIXED_NOW_MS + 29_000);
      const during = await rejectionOf(check(unknownKid));
      const fetchesDuringCooldown = fake.calls.length;
      vi.setSystemTime(FIXED_NOW_MS + 30_001);
      const after = await rejectionOf(check(unknownKid));

      // Assess
      expect({ during: during.code, after: after.code }).toEqual({ during: 'TOKEN_MALFORMED', after: 'TOKEN_MALFORMED' });
      expect({ fetchesDuringCooldown, fetchesAfter: fake.calls.length }).toEqual({ fetchesDuringCooldown: 1, fetchesAfter: 2 });
    });

    it('honours a configured JWKS cooldown', async () => {
      // Prepare
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(FIXED_NOW_MS);
      const { check, fake } = setupWithDefaults({ jwksCooldownMs: 120_000 });
      await check(await signJwt(claims()));
      const unknownKid = await signJwt(claims(), { kid: 'rotated-key' });

      // Act
      vi.setSystemTime(FIXED_NOW_MS + 119_000);
      await rejectionOf(check(unknownKid));
      const fetchesDuringCooldown = fake.calls.length;
      vi.setSystemTime(FIXED_NOW_MS + 120_001);
      await rejectionOf(check(unknownKid));

      // Assess
      expect({ fetchesDuringCooldown, fetchesAfter: fake.calls.length }).toEqual({ fetchesDuringCooldown: 1, fetchesAfter: 2 });
    });

    it('trusts fetched keys for 10 minutes by default, then fetches them again', async () => {
      // Prepare
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(FIXED_NOW_MS);
      const { check, fake } = setupWithDefaults();
      const token = await signJwt(claims());
      await check(token);

      // Act
      vi.setSystemTime(FIXED_NOW_MS + 599_000);
      await check(token);
      const fetchesWhileFresh = fake.calls.length;
      vi.setSystemTime(FIXED_NOW_MS + 600_001);
      await check(token);

      // Assess
      expect({ fetchesWhileFresh, fetchesAfter: fake.calls.length }).toEqual({ fetchesWhileFresh: 1, fetchesAfter: 2 });
    });

    it.each([
      ['3000 ms by default', {}, 3000],
      ['the configured timeout', { timeoutMs: 1200 }, 1200],
    ] as const)('gives the JWKS fetch %s', async (_case, options, expected) => {
      // Prepare
      const timeout = vi.spyOn(AbortSignal, 'timeout');
      const { check } = setupWithDefaults(options);

      // Act
      await check(await signJwt(claims()));

      // Assess
      expect(timeout.mock.calls).toEqual([[expected]]);
    });

    it('never follows a redirect of the JWKS request', async () => {
      // Prepare
      const { check, fake } = setupWithDefaults();

      // Act
      await check(await signJwt(claims()));

      // Assess
      expect(fake.calls.map((c) => c.redirect)).toEqual(['manual']);
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
      // Why it could not, for the log (logSafeError writes the cause's name and message)
      expect(logSafeError(error).cause).toEqual(expect.objectContaining({ name: expect.any(String), message: expect.any(String) }));
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

  describe('hasKeys', () => {
    it('is false until a key set has loaded, then true', async () => {
      // Prepare
      const answer = deferred<Response>();
      const { check } = setup(() => answer.promise);

      // Act
      const before = check.hasKeys?.();
      const prefetched = check.prefetchKeys?.();
      const whileLoading = check.hasKeys?.();
      answer.resolve(jsonResponse(jwks));
      await prefetched;

      // Assess
      expect([before, whileLoading, check.hasKeys?.()]).toEqual([false, false, true]);
    });

    it('stays false when the key set could not be fetched', async () => {
      // Prepare
      const { check } = setup(() => jsonResponse({ error: 'down' }, 503));

      // Act
      await expect(check.prefetchKeys?.()).rejects.toBeDefined();

      // Assess
      expect(check.hasKeys?.()).toBe(false);
    });
  });

  describe('mayAccept (an unverified look, no call)', () => {
    it('is true for a token whose header and claims the check could accept, whatever its signature', async () => {
      // Prepare
      const { check, jwksFetches } = setup();

      // Act
      const signed = check.mayAccept?.(await signJwt(claims()));
      const forged = check.mayAccept?.(unsignedJwt(claims()));

      // Assess
      expect([signed, forged]).toEqual([true, true]);
      expect(jwksFetches()).toBe(0);
    });

    it.each([
      ['aud as an array holding this service', claims({ aud: ['service-c', 'service-b'] })],
      ['typ in another case', claims({ typ: 'bearer' })],
      ['exp passed within the clock tolerance', claims({ exp: FIXED_NOW_SECONDS - 4 })],
    ])('is true for a token with %s', (_case, payload) => {
      // Prepare
      const { check } = setup();

      // Act
      const verdict = check.mayAccept?.(unsignedJwt(payload));

      // Assess
      expect(verdict).toBe(true);
    });

    it.each([
      ['not a JWT', 'garbage'],
      ['a header that is not JSON', `${Buffer.from('x').toString('base64url')}.${unsignedJwt(claims()).split('.')[1]}.c2ln`],
      ['a payload that is not JSON', `${unsignedJwt(claims()).split('.')[0]}.${Buffer.from('x').toString('base64url')}.c2ln`],
      ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${unsignedJwt(claims()).split('.')[1]}.`],
      ['alg HS256', `${Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url')}.${unsignedJwt(claims()).split('.')[1]}.c2ln`],
      ['no alg', `${Buffer.from(JSON.stringify({ kid: TEST_KID })).toString('base64url')}.${unsignedJwt(claims()).split('.')[1]}.c2ln`],
      ['another issuer', unsignedJwt(claims({ iss: 'http://evil.test/realms/microservices' }))],
      ['another audience', unsignedJwt(claims({ aud: 'service-c' }))],
      ['no audience', unsignedJwt(claims({ aud: undefined }))],
      ['a refresh token', unsignedJwt(claims({ typ: 'Refresh' }))],
      ['no typ', unsignedJwt(claims({ typ: undefined }))],
      ['expired beyond the clock tolerance', unsignedJwt(claims({ exp: FIXED_NOW_SECONDS - 5 }))],
      ['no exp', unsignedJwt(claims({ exp: undefined }))],
      ['an exp that is not a number', unsignedJwt(claims({ exp: 'soon' as unknown as number }))],
    ])('is false for %s', (_case, token) => {
      // Prepare
      const { check } = setup();

      // Act
      const verdict = check.mayAccept?.(token);

      // Assess
      expect(verdict).toBe(false);
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
