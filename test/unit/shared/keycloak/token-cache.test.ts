import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeycloakProtocolError, KeycloakUnavailableError, TokenExchangeDeniedError, TokenExchangeResultError, createKeycloakClient, createServiceIdentity, createClientCredentialsTokens, createExchangedTokens } from 'keycloak-lambda-s2s';
import { FIXED_NOW_SECONDS, frozenClock, type FrozenClock } from '../../helpers/clock';
import { fakeCredentials } from '../../helpers/fake-credentials';
import { createFakeFetch, formOf, jsonResponse, type FetchCall } from '../../helpers/fake-fetch';
import { signJwt, unsignedJwt } from '../../helpers/jwt';
import { ISSUER, KEYCLOAK_URL, REALM, tokenAnswer } from '../../helpers/keycloak';

const SKEW_SECONDS = 30;

/** What the fake Keycloak answers; a function of the call so a test can vary it per request. */
type Answer = (call: FetchCall) => Response | Promise<Response>;

function setup(answer: Answer, clock: FrozenClock = frozenClock()) {
  const fake = createFakeFetch(answer);
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  const identity = createServiceIdentity(keycloak, fakeCredentials('service-b', 'secret-b'));
  const options = { identity, skewSeconds: SKEW_SECONDS, now: clock.now };
  return {
    fake,
    clock,
    ownTokens: createClientCredentialsTokens(options),
    exchangedTokens: createExchangedTokens({ ...options, maxEntries: 100 }),
  };
}

/** A token as Keycloak issues it; `exp` relative to the frozen clock. */
function accessToken(claims: Record<string, unknown> & { expiresIn: number }): Promise<string> {
  const { expiresIn, ...rest } = claims;
  return signJwt({ iss: ISSUER, sub: 'user-1', typ: 'Bearer', iat: FIXED_NOW_SECONDS, exp: FIXED_NOW_SECONDS + expiresIn, ...rest });
}

let exchanges = 0;

/**
 * The fake Keycloak's token exchange: a new token for service-c about the subject token's user and
 * session (`sub`, `sid`, `iss`), issued to service-b, living `expiresIn` seconds; each one distinct.
 */
async function exchangedFor(call: FetchCall, expiresIn = 300): Promise<Response> {
  const { sub, sid, iss } = decodeJwt(formOf(call).subject_token ?? '');
  const claims = { iss, sub, ...(sid ? { sid } : {}), aud: 'service-c', azp: 'service-b', jti: `exchange-${++exchanges}`, expiresIn };
  return jsonResponse(tokenAnswer(await accessToken(claims)));
}

describe('createClientCredentialsTokens', () => {
  let ownToken: string;

  beforeAll(async () => {
    ownToken = await accessToken({ aud: 'service-c', azp: 'service-b', expiresIn: 300 });
  });

  it('gets a token with the client credentials grant', async () => {
    // Prepare
    const { fake, ownTokens } = setup(() => jsonResponse(tokenAnswer(ownToken)));

    // Act
    const token = await ownTokens.get();

    // Assess
    expect(token).toBe(ownToken);
    expect(fake.calls.map(formOf)).toEqual([{ grant_type: 'client_credentials' }]);
  });

  it('reuses the token until exp − skew, then fetches a new one', async () => {
    // Prepare
    const { fake, clock, ownTokens } = setup(() => jsonResponse(tokenAnswer(ownToken)));
    await ownTokens.get();

    // Act
    clock.advanceSeconds(300 - SKEW_SECONDS - 1);
    await ownTokens.get();
    const callsJustBefore = fake.calls.length;
    clock.advanceSeconds(1);
    await ownTokens.get();

    // Assess
    expect(callsJustBefore).toBe(1);
    expect(fake.calls).toHaveLength(2);
  });

  it('makes one Keycloak call for 50 concurrent cold get() calls', async () => {
    // Prepare
    const { fake, ownTokens } = setup(() => jsonResponse(tokenAnswer(ownToken)));

    // Act
    const tokens = await Promise.all(Array.from({ length: 50 }, () => ownTokens.get()));

    // Assess
    expect(fake.calls).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set([ownToken]));
  });

  it('fetches a new token after invalidate()', async () => {
    // Prepare
    const { fake, ownTokens } = setup(() => jsonResponse(tokenAnswer(ownToken)));
    await ownTokens.get();

    // Act
    ownTokens.invalidate();
    await ownTokens.get();

    // Assess
    expect(fake.calls).toHaveLength(2);
  });

  it('fetches a new token after clear()', async () => {
    // Prepare
    const { fake, ownTokens } = setup(() => jsonResponse(tokenAnswer(ownToken)));
    await ownTokens.get();

    // Act
    ownTokens.clear();
    await ownTokens.get();

    // Assess
    expect(fake.calls).toHaveLength(2);
  });

  it('does not cache a failure: the next get() asks Keycloak again', async () => {
    // Prepare
    let attempt = 0;
    const { fake, ownTokens } = setup(() => (++attempt === 1 ? new Response('down', { status: 503 }) : jsonResponse(tokenAnswer(ownToken))));

    // Act
    const first = ownTokens.get();
    await expect(first).rejects.toBeInstanceOf(KeycloakUnavailableError);
    const second = await ownTokens.get();

    // Assess
    expect(second).toBe(ownToken);
    expect(fake.calls).toHaveLength(2);
  });

  it('returns but does not reuse a token that is already within the skew of its expiry', async () => {
    // Prepare
    const shortLived = await accessToken({ azp: 'service-b', expiresIn: SKEW_SECONDS });
    const { fake, ownTokens } = setup(() => jsonResponse(tokenAnswer(shortLived)));

    // Act
    const first = await ownTokens.get();
    await ownTokens.get();

    // Assess
    expect(first).toBe(shortLived);
    expect(fake.calls).toHaveLength(2);
  });

  it.each([
    ['is not a JWT', 'opaque-token', 'Token is not a JWT'],
    ['has no exp', unsignedJwt({ sub: 'service-account-service-b' }), 'Token has no exp'],
  ])('refuses a token that %s as KeycloakProtocolError', async (_case, token, message) => {
    // Prepare
    const { ownTokens } = setup(() => jsonResponse(tokenAnswer(token)));

    // Act
    const attempt = ownTokens.get();

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(KeycloakProtocolError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('createExchangedTokens', () => {
  let subjectToken: string;
  let otherSubjectToken: string;
  let tokenForC: string;

  beforeAll(async () => {
    subjectToken = await accessToken({ aud: 'service-b', azp: 'service-a', expiresIn: 600 });
    otherSubjectToken = await accessToken({ sub: 'user-2', aud: 'service-b', azp: 'service-a', expiresIn: 600 });
    tokenForC = await accessToken({ aud: 'service-c', azp: 'service-b', expiresIn: 300 });
  });

  it('exchanges the subject token for one meant for the audience', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));

    // Act
    const token = await exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    expect(token).toBe(tokenForC);
    expect(fake.calls.map(formOf)).toEqual([
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'service-c',
      },
    ]);
  });

  it('passes the scope on when one is asked for', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));

    // Act
    await exchangedTokens.get(subjectToken, 'service-c', 'analytics');

    // Assess
    expect(fake.calls[0] && formOf(fake.calls[0]).scope).toBe('analytics');
  });

  it('reuses the exchanged token for the same subject, audience and scope', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));

    // Act
    await exchangedTokens.get(subjectToken, 'service-c');
    const again = await exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    expect(again).toBe(tokenForC);
    expect(fake.calls).toHaveLength(1);
  });

  it('takes an empty scope for no scope: one exchange for both', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));

    // Act
    await exchangedTokens.get(subjectToken, 'service-c');
    const again = await exchangedTokens.get(subjectToken, 'service-c', '');

    // Assess
    expect(again).toBe(tokenForC);
    expect(fake.calls).toHaveLength(1);
  });

  it('exchanges separately for another subject, another scope or another audience', async () => {
    // Prepare
    const tokenForD = await accessToken({ aud: 'service-d', azp: 'service-b', expiresIn: 300 });
    const { fake, exchangedTokens } = setup(async (call) =>
      formOf(call).audience === 'service-d' ? jsonResponse(tokenAnswer(tokenForD)) : exchangedFor(call),
    );

    // Act
    await exchangedTokens.get(subjectToken, 'service-c');
    await exchangedTokens.get(otherSubjectToken, 'service-c');
    await exchangedTokens.get(subjectToken, 'service-c', 'analytics');
    await exchangedTokens.get(subjectToken, 'service-d');

    // Assess
    expect(fake.calls).toHaveLength(4);
  });

  it('makes one exchange for 50 concurrent cold get() calls', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));

    // Act
    const tokens = await Promise.all(Array.from({ length: 50 }, () => exchangedTokens.get(subjectToken, 'service-c')));

    // Assess
    expect(fake.calls).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set([tokenForC]));
  });

  it('reuses the token until the exchanged exp − skew when it expires first', async () => {
    // Prepare: subject lives 600 s, exchanged token 300 s.
    const { fake, clock, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));
    await exchangedTokens.get(subjectToken, 'service-c');

    // Act
    clock.advanceSeconds(300 - SKEW_SECONDS - 1);
    await exchangedTokens.get(subjectToken, 'service-c');
    const callsJustBefore = fake.calls.length;
    clock.advanceSeconds(1);
    await exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    expect(callsJustBefore).toBe(1);
    expect(fake.calls).toHaveLength(2);
  });

  it('reuses the token only until the subject exp − skew when the subject expires first', async () => {
    // Prepare: subject lives 100 s, exchanged token 300 s.
    const shortSubject = await accessToken({ aud: 'service-b', azp: 'service-a', expiresIn: 100 });
    const { fake, clock, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));
    await exchangedTokens.get(shortSubject, 'service-c');

    // Act
    clock.advanceSeconds(100 - SKEW_SECONDS - 1);
    await exchangedTokens.get(shortSubject, 'service-c');
    const callsJustBefore = fake.calls.length;
    clock.advanceSeconds(1);
    await exchangedTokens.get(shortSubject, 'service-c');

    // Assess
    expect(callsJustBefore).toBe(1);
    expect(fake.calls).toHaveLength(2);
  });

  it('accepts an exchanged token whose aud is an array containing the audience', async () => {
    // Prepare
    const multiAudience = await accessToken({ aud: ['service-c', 'account'], azp: 'service-b', expiresIn: 300 });
    const { exchangedTokens } = setup(() => jsonResponse(tokenAnswer(multiAudience)));

    // Act
    const token = await exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    expect(token).toBe(multiAudience);
  });

  it('refuses an exchanged token that is not meant for the audience, and does not cache it', async () => {
    // Prepare
    const wrongAudience = await accessToken({ aud: 'service-b', azp: 'service-b', expiresIn: 300 });
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(wrongAudience)));

    // Act
    const first = exchangedTokens.get(subjectToken, 'service-c');
    await expect(first).rejects.toBeInstanceOf(TokenExchangeResultError);
    await expect(first).rejects.toThrow('Exchanged token is not meant for service-c');
    const second = exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    await expect(second).rejects.toMatchObject({ code: 'TOKEN_EXCHANGE_INVALID_RESULT' });
    expect(fake.calls).toHaveLength(2);
  });

  it('refuses an exchanged token that was not issued to this service (azp)', async () => {
    // Prepare
    const wrongRequester = await accessToken({ aud: 'service-c', azp: 'service-a', expiresIn: 300 });
    const { exchangedTokens } = setup(() => jsonResponse(tokenAnswer(wrongRequester)));

    // Act
    const attempt = exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TokenExchangeResultError);
    await expect(attempt).rejects.toThrow('Exchanged token was not issued to service-b');
  });

  it('does not cache a refused exchange', async () => {
    // Prepare
    let attempt = 0;
    const { fake, exchangedTokens } = setup(() =>
      ++attempt === 1 ? jsonResponse({ error: 'access_denied', error_description: 'Client not allowed' }, 403) : jsonResponse(tokenAnswer(tokenForC)),
    );

    // Act
    await expect(exchangedTokens.get(subjectToken, 'service-c')).rejects.toBeInstanceOf(TokenExchangeDeniedError);
    const token = await exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    expect(token).toBe(tokenForC);
    expect(fake.calls).toHaveLength(2);
  });

  it('exchanges again after invalidate() of that subject and audience, and only for it', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(exchangedFor);
    await exchangedTokens.get(subjectToken, 'service-c');
    await exchangedTokens.get(otherSubjectToken, 'service-c');

    // Act
    exchangedTokens.invalidate(subjectToken, 'service-c');
    await exchangedTokens.get(subjectToken, 'service-c');
    await exchangedTokens.get(otherSubjectToken, 'service-c');

    // Assess
    expect(fake.calls.map((c) => formOf(c).subject_token === subjectToken)).toEqual([true, false, true]);
  });

  it('exchanges again after clear()', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));
    await exchangedTokens.get(subjectToken, 'service-c');

    // Act
    exchangedTokens.clear();
    await exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    expect(fake.calls).toHaveLength(2);
  });

  it('refuses a subject token that is not a JWT as KeycloakProtocolError, without calling Keycloak', async () => {
    // Prepare
    const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));

    // Act
    const attempt = async () => exchangedTokens.get('opaque-subject', 'service-c');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(KeycloakProtocolError);
    expect(fake.calls).toHaveLength(0);
  });

  // Regression test: this failed before the fix found while writing these tests.
  it('reports a subject token that is not a JWT through the returned promise', async () => {
    // Prepare
    const { exchangedTokens } = setup(() => jsonResponse(tokenAnswer(tokenForC)));

    // Act
    const outcome = await exchangedTokens.get('opaque-subject', 'service-c').then(
      () => 'resolved',
      (error: unknown) => (error instanceof KeycloakProtocolError ? 'rejected' : 'other'),
    );

    // Assess
    expect(outcome).toBe('rejected');
  });

  // Regression test: this failed before the fix found while writing these tests.
  it('refuses an exchanged token that is not a JWT as KeycloakProtocolError', async () => {
    // Prepare
    const { exchangedTokens } = setup(() => jsonResponse(tokenAnswer('opaque-exchanged-token')));

    // Act
    const attempt = exchangedTokens.get(subjectToken, 'service-c');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(KeycloakProtocolError);
  });

  describe('shared by the subject tokens of one caller', () => {
    /** A subject token of `sub`'s session `sid`, obtained by `azp`; `jti` makes each one distinct. */
    let tokenCount = 0;
    const subject = (claims: Record<string, unknown> = {}, expiresIn = 600) =>
      accessToken({ sub: 'user-1', sid: 'session-1', aud: 'service-b', azp: 'service-a', jti: `subject-${++tokenCount}`, expiresIn, ...claims });

    it('makes one exchange for two tokens of the same user, session and client', async () => {
      // Prepare
      const [first, second] = [await subject(), await subject()];
      const { fake, exchangedTokens } = setup(exchangedFor);

      // Act
      const forFirst = await exchangedTokens.get(first, 'service-c');
      const forSecond = await exchangedTokens.get(second, 'service-c');

      // Assess
      expect(first).not.toBe(second);
      expect(forSecond).toBe(forFirst);
      expect(fake.calls).toHaveLength(1);
    });

    it('makes one exchange for two tokens of one service account (client credentials, no session)', async () => {
      // Prepare
      const [first, second] = [await subject({ sid: undefined, sub: 'service-account-a' }), await subject({ sid: undefined, sub: 'service-account-a' })];
      const { fake, exchangedTokens } = setup(exchangedFor);

      // Act
      await exchangedTokens.get(first, 'service-c');
      await exchangedTokens.get(second, 'service-c');

      // Assess
      expect(fake.calls).toHaveLength(1);
    });

    it("never hands one user another user's exchanged token", async () => {
      // Prepare
      const alice = await subject({ sub: 'alice', sid: 'session-a' });
      const bob = await subject({ sub: 'bob', sid: 'session-b' });
      const { fake, exchangedTokens } = setup(exchangedFor);

      // Act
      const [forAlice, forBob] = await Promise.all([exchangedTokens.get(alice, 'service-c'), exchangedTokens.get(bob, 'service-c')]);
      const forBobAgain = await exchangedTokens.get(bob, 'service-c');

      // Assess
      expect(decodeJwt(forAlice).sub).toBe('alice');
      expect(decodeJwt(forBob).sub).toBe('bob');
      expect(forBobAgain).toBe(forBob);
      expect(fake.calls).toHaveLength(2);
    });

    it('exchanges separately for two sessions of one user', async () => {
      // Prepare
      const inFirstSession = await subject({ sid: 'session-1' });
      const inSecondSession = await subject({ sid: 'session-2' });
      const { fake, exchangedTokens } = setup(exchangedFor);

      // Act
      const first = await exchangedTokens.get(inFirstSession, 'service-c');
      const second = await exchangedTokens.get(inSecondSession, 'service-c');

      // Assess
      expect(second).not.toBe(first);
      expect([decodeJwt(first).sid, decodeJwt(second).sid]).toEqual(['session-1', 'session-2']);
      expect(fake.calls).toHaveLength(2);
    });

    it.each([
      ['another client (azp)', { azp: 'service-x' }],
      ['another issuer', { iss: 'https://other.test/realms/microservices' }],
      ['another granted scope', { scope: 'profile email admin' }],
    ])('exchanges separately for a token of the same user and session from %s', async (_, claims) => {
      // Prepare
      const usual = await subject({ scope: 'profile email' });
      const different = await subject({ scope: 'profile email', ...claims });
      const { fake, exchangedTokens } = setup(exchangedFor);

      // Act
      const first = await exchangedTokens.get(usual, 'service-c');
      const second = await exchangedTokens.get(different, 'service-c');

      // Assess
      expect(second).not.toBe(first);
      expect(fake.calls).toHaveLength(2);
    });

    it('keys a subject token without azp by the token itself', async () => {
      // Prepare
      const [first, second] = [await subject({ azp: undefined }), await subject({ azp: undefined })];
      const { fake, exchangedTokens } = setup(exchangedFor);

      // Act
      await exchangedTokens.get(first, 'service-c');
      await exchangedTokens.get(first, 'service-c');
      await exchangedTokens.get(second, 'service-c');

      // Assess
      expect(fake.calls).toHaveLength(2);
    });

    it.each([
      ['iss', { iss: undefined }],
      ['sub', { sub: undefined }],
    ])('never shares an exchange between two subject tokens without %s', async (_claim, claims) => {
      // Prepare: Keycloak's answer copies the subject's claims, so the missing one is refused afterwards.
      const [first, second] = [await subject(claims), await subject(claims)];
      const { fake, exchangedTokens } = setup(exchangedFor);

      // Act
      const results = await Promise.allSettled([exchangedTokens.get(first, 'service-c'), exchangedTokens.get(second, 'service-c')]);

      // Assess
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      expect(fake.calls.map((call) => formOf(call).subject_token).sort()).toEqual([first, second].sort());
    });

    it('does not serve an entry past the exp − skew of the token it was made from, to any token', async () => {
      // Prepare: made from a token that lives 100 s; asked again with one that lives 600 s.
      const shortLived = await subject({}, 100);
      const longLived = await subject({}, 600);
      const { fake, clock, exchangedTokens } = setup(exchangedFor);
      const made = await exchangedTokens.get(shortLived, 'service-c');

      // Act
      clock.advanceSeconds(100 - SKEW_SECONDS - 1);
      const justBefore = await exchangedTokens.get(longLived, 'service-c');
      clock.advanceSeconds(1);
      const after = await exchangedTokens.get(longLived, 'service-c');

      // Assess
      expect(justBefore).toBe(made);
      expect(after).not.toBe(made);
      expect(fake.calls.map((call) => formOf(call).subject_token)).toEqual([shortLived, longLived]);
    });

    it('does not serve an entry to a token past its own exp − skew, and does not cache that exchange', async () => {
      // Prepare: made from a token that lives 600 s; asked with one that lives 100 s.
      const longLived = await subject({}, 600);
      const shortLived = await subject({}, 100);
      const { fake, clock, exchangedTokens } = setup(exchangedFor);
      const made = await exchangedTokens.get(longLived, 'service-c');

      // Act
      clock.advanceSeconds(100 - SKEW_SECONDS - 1);
      const justBefore = await exchangedTokens.get(shortLived, 'service-c');
      clock.advanceSeconds(1);
      const forShortLived = await exchangedTokens.get(shortLived, 'service-c');
      const forLongLived = await exchangedTokens.get(longLived, 'service-c');

      // Assess
      expect(justBefore).toBe(made);
      expect(forShortLived).not.toBe(made);
      expect(forLongLived).toBe(made);
      expect(fake.calls.map((call) => formOf(call).subject_token)).toEqual([longLived, shortLived]);
    });

    it('drops the entry of the caller when invalidate() names another token of that caller', async () => {
      // Prepare
      const [first, second] = [await subject(), await subject()];
      const { fake, exchangedTokens } = setup(exchangedFor);
      const made = await exchangedTokens.get(first, 'service-c');

      // Act
      exchangedTokens.invalidate(second, 'service-c');
      const again = await exchangedTokens.get(first, 'service-c');

      // Assess
      expect(again).not.toBe(made);
      expect(fake.calls).toHaveLength(2);
    });
  });

  describe('checks the exchanged token against the subject token', () => {
    it.each([
      ['iss', 'Exchanged token has another issuer than the subject token'],
      ['sub', 'Exchanged token names another subject than the subject token'],
    ])('refuses an exchanged token without %s even when the subject token has none', async (claim, message) => {
      // Prepare
      const subjectWithout = await accessToken({ aud: 'service-b', azp: 'service-a', expiresIn: 600, [claim]: undefined });
      const exchangedWithout = await accessToken({ aud: 'service-c', azp: 'service-b', expiresIn: 300, [claim]: undefined });
      const { exchangedTokens } = setup(() => jsonResponse(tokenAnswer(exchangedWithout)));

      // Act
      const attempt = exchangedTokens.get(subjectWithout, 'service-c');

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TokenExchangeResultError);
      await expect(attempt).rejects.toThrow(message);
    });

    it.each([
      ['another subject (sub)', { sub: 'someone-else' }, 'Exchanged token names another subject than the subject token'],
      ['no subject', { sub: undefined }, 'Exchanged token names another subject than the subject token'],
      ['another issuer (iss)', { iss: 'https://other.test/realms/microservices' }, 'Exchanged token has another issuer than the subject token'],
    ])('refuses an exchanged token with %s as TokenExchangeResultError, and does not cache it', async (_, claims, message) => {
      // Prepare
      const wrong = await accessToken({ aud: 'service-c', azp: 'service-b', expiresIn: 300, ...claims });
      const { fake, exchangedTokens } = setup(() => jsonResponse(tokenAnswer(wrong)));

      // Act
      const first = exchangedTokens.get(subjectToken, 'service-c');
      await expect(first).rejects.toThrow(message);
      const second = exchangedTokens.get(subjectToken, 'service-c');

      // Assess
      await expect(second).rejects.toBeInstanceOf(TokenExchangeResultError);
      await expect(second).rejects.toMatchObject({ code: 'TOKEN_EXCHANGE_INVALID_RESULT' });
      expect(fake.calls).toHaveLength(2);
    });
  });
});
