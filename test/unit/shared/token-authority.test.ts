import { describe, expect, it } from 'vitest';
import { NEGATIVE_CACHE_TTL_SECONDS, createTokenAuthority, isTokenRejection, ClientAuthenticationError, KeycloakProtocolError, KeycloakUnavailableError, PermissionDeniedError, TokenRejectedError, type Principal, createKeycloakClient, type JwtCheck, createServiceIdentity, type AuthMode, type VerdictLookup } from 'keycloak-lambda-s2s';
import { FIXED_NOW_SECONDS, frozenClock } from '../helpers/clock';
import { basicHeader, fakeCredentials } from '../helpers/fake-credentials';
import { createFakeFetch, formOf, jsonResponse, type Responder } from '../helpers/fake-fetch';
import { deferred, type Deferred } from '../helpers/deferred';
import { INTROSPECTION_ENDPOINT, ISSUER, KEYCLOAK_URL, REALM } from '../helpers/keycloak';
import { rejectionOf } from '../helpers/errors';

const CACHE_TTL_SECONDS = 60;

function activeAnswer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    active: true,
    iss: ISSUER,
    sub: 'user-1',
    aud: 'service-b',
    azp: 'service-a',
    scope: 'profile email',
    typ: 'Bearer',
    exp: FIXED_NOW_SECONDS + 300,
    resource_access: { 'service-b': { roles: ['orders.approve', 'inventory.adjust'] } },
    ...overrides,
  };
}

const PRINCIPAL: Principal = {
  sub: 'user-1',
  clientId: 'service-a',
  scope: 'profile email',
  exp: FIXED_NOW_SECONDS + 300,
  permissions: ['orders.approve', 'inventory.adjust'],
};

function setup(
  respond: Responder,
  {
    mode = 'introspection',
    jwtCheck,
    service = 'service-b',
    firstTokenByIntrospection,
  }: { mode?: AuthMode; jwtCheck?: JwtCheck; service?: string; firstTokenByIntrospection?: boolean } = {},
) {
  const lookups: VerdictLookup[] = [];
  const clock = frozenClock();
  const fake = createFakeFetch(respond);
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  const identity = createServiceIdentity(keycloak, fakeCredentials(service, `secret-of-${service}`));
  const authority = createTokenAuthority({
    identity,
    mode,
    ...(jwtCheck ? { jwtCheck } : {}),
    issuer: ISSUER,
    cacheTtlSeconds: CACHE_TTL_SECONDS,
    cacheMaxEntries: 100,
    now: clock.now,
    onVerdictLookup: (lookup) => lookups.push(lookup),
    ...(firstTokenByIntrospection === undefined ? {} : { firstTokenByIntrospection }),
  });
  return { clock, fake, authority, lookups, introspections: () => fake.callsTo(INTROSPECTION_ENDPOINT).length };
}

describe('createTokenAuthority', () => {
  describe('in introspection mode', () => {
    it("introspects the token with the protected service's own credentials and returns the principal", async () => {
      // Prepare
      const { fake, authority } = setup(() => jsonResponse(activeAnswer()));

      // Act
      const principal = await authority.authorize('token-1');

      // Assess
      expect(principal).toEqual(PRINCIPAL);
      const [call] = fake.calls;
      expect(call?.url).toBe(INTROSPECTION_ENDPOINT);
      expect(call?.headers.get('authorization')).toBe(basicHeader('service-b', 'secret-of-service-b'));
      expect(call && formOf(call)).toMatchObject({ token: 'token-1' });
    });

    it.each([
      ['inactive', { active: false }, 'TOKEN_INACTIVE'],
      ['meant for another service', activeAnswer({ aud: 'service-c' }), 'TOKEN_WRONG_AUDIENCE'],
      ['of another issuer', activeAnswer({ iss: 'http://evil.test/realms/microservices' }), 'TOKEN_WRONG_ISSUER'],
      ['a refresh token', activeAnswer({ typ: 'Refresh' }), 'TOKEN_WRONG_TYPE'],
      ['expired', activeAnswer({ exp: FIXED_NOW_SECONDS }), 'TOKEN_EXPIRED'],
    ])('rejects a token that is $0 with $2', async (_case, answer, code) => {
      // Prepare
      const { authority } = setup(() => jsonResponse(answer));

      // Act
      const error = await rejectionOf(authority.authorize('token-1'));

      // Assess
      expect(error.code).toBe(code);
    });

    it("judges the audience and the permissions by the protected service's own client id (service-c)", async () => {
      // Prepare: C's authorizer; one token meant for C, one for B
      const forC = activeAnswer({ aud: 'service-c', azp: 'service-b', resource_access: { 'service-c': { roles: ['analytics.run'] } } });
      const { fake, authority } = setup((call) => jsonResponse(formOf(call).token === 'token-for-c' ? forC : activeAnswer()), {
        service: 'service-c',
      });

      // Act
      const principal = await authority.authorize('token-for-c');
      const error = await rejectionOf(authority.authorize('token-for-b'));

      // Assess
      expect(principal).toEqual({ ...PRINCIPAL, clientId: 'service-b', permissions: ['analytics.run'] });
      expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_WRONG_AUDIENCE', message: 'Token is not meant for service-c' });
      expect(fake.calls.map((call) => call.headers.get('authorization'))).toEqual([
        basicHeader('service-c', 'secret-of-service-c'),
        basicHeader('service-c', 'secret-of-service-c'),
      ]);
    });

    it('reuses a positive verdict without introspecting again', async () => {
      // Prepare
      const { authority, introspections } = setup(() => jsonResponse(activeAnswer()));
      await authority.authorize('token-1');

      // Act
      const again = await authority.authorize('token-1');

      // Assess
      expect(again).toEqual(PRINCIPAL);
      expect(introspections()).toBe(1);
    });

    it('keeps a positive verdict for the cap when the token lives longer', async () => {
      // Prepare: the token lives 300 s, the cap is 60 s.
      const { clock, authority, introspections } = setup(() => jsonResponse(activeAnswer()));
      await authority.authorize('token-1');

      // Act
      clock.advance(CACHE_TTL_SECONDS * 1000 - 1);
      await authority.authorize('token-1');
      const beforeCap = introspections();
      clock.advance(1);
      await authority.authorize('token-1');

      // Assess
      expect(beforeCap).toBe(1);
      expect(introspections()).toBe(2);
    });

    it('keeps a positive verdict only until exp when the token expires before the cap', async () => {
      // Prepare: the token expires in 20 s, the cap is 60 s.
      let answer = activeAnswer({ exp: FIXED_NOW_SECONDS + 20 });
      const { clock, authority, introspections } = setup(() => jsonResponse(answer));
      await authority.authorize('token-1');
      clock.advanceSeconds(19);
      await authority.authorize('token-1');
      const beforeExp = introspections();
      answer = { active: false };

      // Act
      clock.advanceSeconds(1);
      const error = await rejectionOf(authority.authorize('token-1'));

      // Assess
      expect(beforeExp).toBe(1);
      expect(introspections()).toBe(2);
      expect(error.code).toBe('TOKEN_INACTIVE');
    });

    it(`remembers a negative verdict for ${NEGATIVE_CACHE_TTL_SECONDS} s, then asks Keycloak again`, async () => {
      // Prepare
      let answer: Record<string, unknown> = { active: false };
      const { clock, authority, introspections } = setup(() => jsonResponse(answer));
      await rejectionOf(authority.authorize('token-1'));

      // Act
      clock.advance(NEGATIVE_CACHE_TTL_SECONDS * 1000 - 1);
      const cachedRejection = await rejectionOf(authority.authorize('token-1'));
      const callsWhileCached = introspections();
      answer = activeAnswer();
      clock.advance(1);
      const principal = await authority.authorize('token-1');

      // Assess
      expect(cachedRejection.code).toBe('TOKEN_INACTIVE');
      expect(callsWhileCached).toBe(1);
      expect(principal).toEqual(PRINCIPAL);
      expect(introspections()).toBe(2);
    });

    it('never lets a flood of refused tokens evict an accepted verdict (refusals are cached apart)', async () => {
      // Prepare: a cache of 100 entries, one accepted token, then 300 tokens Keycloak declares inactive
      const { authority, introspections } = setup((call) => jsonResponse(formOf(call).token === 'good' ? activeAnswer() : { active: false }));
      await authority.authorize('good');

      // Act
      for (let i = 0; i < 300; i++) await rejectionOf(authority.authorize(`revoked-${i}`));
      const before = introspections();
      const principal = await authority.authorize('good');

      // Assess
      expect(principal).toEqual(PRINCIPAL);
      expect(introspections()).toBe(before);
    });

    it('makes one introspection for 50 concurrent lookups of one token', async () => {
      // Prepare
      const gate = deferred<void>();
      const { authority, introspections } = setup(async () => {
        await gate.promise;
        return jsonResponse(activeAnswer());
      });

      // Act
      const pending = Array.from({ length: 50 }, () => authority.authorize('token-1'));
      gate.resolve();
      const principals = await Promise.all(pending);

      // Assess
      expect(introspections()).toBe(1);
      expect(principals.every((p) => p.sub === 'user-1')).toBe(true);
    });

    it('keeps the verdicts of different tokens apart', async () => {
      // Prepare
      const { authority, introspections } = setup((call) =>
        jsonResponse(formOf(call).token === 'good' ? activeAnswer() : { active: false }),
      );

      // Act
      const principal = await authority.authorize('good');
      const error = await rejectionOf(authority.authorize('bad'));

      // Assess
      expect(principal.sub).toBe('user-1');
      expect(error.code).toBe('TOKEN_INACTIVE');
      expect(introspections()).toBe(2);
    });

    it.each([
      ['Keycloak is unreachable', () => Promise.reject(new TypeError('fetch failed')), KeycloakUnavailableError],
      ['Keycloak answers 503', () => new Response('', { status: 503 }), KeycloakUnavailableError],
      ['Keycloak answers garbage', () => new Response('<html/>', { status: 200 }), KeycloakProtocolError],
      ['Keycloak refuses our credentials', () => jsonResponse({ error: 'invalid_client' }, 401), ClientAuthenticationError],
    ] as const)('does not cache a failure when %s', async (_case, failure, errorType) => {
      // Prepare
      let attempt = 0;
      const { authority, introspections } = setup(() => (++attempt === 1 ? failure() : jsonResponse(activeAnswer())));

      // Act
      const first = authority.authorize('token-1');
      await expect(first).rejects.toBeInstanceOf(errorType);
      const principal = await authority.authorize('token-1');

      // Assess
      expect(principal).toEqual(PRINCIPAL);
      expect(introspections()).toBe(2);
    });

    it('fails closed, caching nothing, when an identity answers introspection with something that is not an answer', async () => {
      // Prepare: a ServiceIdentity of the library's user whose introspect resolves to nothing usable
      let introspections = 0;
      const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM });
      const identity = {
        ...createServiceIdentity(keycloak, fakeCredentials('service-b', 's')),
        introspect: async () => {
          introspections++;
          return null as never;
        },
      };
      const authority = createTokenAuthority({ identity, mode: 'introspection', issuer: ISSUER, cacheTtlSeconds: 60, cacheMaxEntries: 10, now: frozenClock().now });

      // Act
      const outcomes = [];
      for (let i = 0; i < 2; i++) outcomes.push(await authority.authorize('token-1').then(() => 'accepted', (error: unknown) => error));

      // Assess: not a verdict on the token (a 401), and not remembered as one
      expect(outcomes.map((error) => isTokenRejection(error))).toEqual([false, false]);
      expect(outcomes[0]).toBeInstanceOf(TypeError);
      expect(introspections).toBe(2);
    });

    it('introspects again after clear()', async () => {
      // Prepare
      const { authority, introspections } = setup(() => jsonResponse(activeAnswer()));
      await authority.authorize('token-1');

      // Act
      authority.clear();
      await authority.authorize('token-1');

      // Assess
      expect(introspections()).toBe(2);
    });

    it('asks Keycloak again about a refused token after clear()', async () => {
      // Prepare
      const { authority, introspections } = setup(() => jsonResponse({ active: false }));
      await rejectionOf(authority.authorize('revoked'));

      // Act
      authority.clear();
      await rejectionOf(authority.authorize('revoked'));

      // Assess
      expect(introspections()).toBe(2);
    });

    it('remembers no more refusals than cacheMaxEntries when that is below the refusal bound', async () => {
      // Prepare
      const fake = createFakeFetch(() => jsonResponse({ active: false }));
      const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
      const identity = createServiceIdentity(keycloak, fakeCredentials('service-b', 's'));
      const authority = createTokenAuthority({ identity, mode: 'introspection', issuer: ISSUER, cacheTtlSeconds: 60, cacheMaxEntries: 2, now: frozenClock().now });
      for (const token of ['revoked-1', 'revoked-2', 'revoked-3']) await rejectionOf(authority.authorize(token));

      // Act
      await rejectionOf(authority.authorize('revoked-1'));

      // Assess: the oldest refusal was evicted, so Keycloak is asked again
      expect(fake.callsTo(INTROSPECTION_ENDPOINT)).toHaveLength(4);
    });
  });

  describe('in jwt mode', () => {
    it('accepts on the local check alone, without introspection', async () => {
      // Prepare
      const checked: string[] = [];
      const jwtCheck: JwtCheck = async (token) => {
        checked.push(token);
        return PRINCIPAL;
      };
      const { authority, introspections } = setup(() => jsonResponse(activeAnswer()), { mode: 'jwt', jwtCheck });

      // Act
      const principal = await authority.authorize('token-1');

      // Assess
      expect(principal).toEqual(PRINCIPAL);
      expect(checked).toEqual(['token-1']);
      expect(introspections()).toBe(0);
    });

    it('refuses as TOKEN_EXPIRED a token the local check accepted within its clock tolerance', async () => {
      // Prepare: jose accepts a token up to its clock tolerance past exp; the authority must not hand it out
      const jwtCheck: JwtCheck = async () => ({ ...PRINCIPAL, exp: FIXED_NOW_SECONDS - 3 });
      const { authority } = setup(() => jsonResponse(activeAnswer()), { mode: 'jwt', jwtCheck });

      // Act
      const error = await rejectionOf(authority.authorize('token-1'));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_EXPIRED', message: 'Token has expired' });
    });

    it('refuses as TOKEN_EXPIRED a token whose cached verdict it had accepted, once exp has passed', async () => {
      // Prepare
      const jwtCheck: JwtCheck = async () => ({ ...PRINCIPAL, exp: FIXED_NOW_SECONDS + 20 });
      const { clock, authority } = setup(() => jsonResponse(activeAnswer()), { mode: 'jwt', jwtCheck });
      const before = await authority.authorize('token-1');

      // Act
      clock.advanceSeconds(20);
      const error = await rejectionOf(authority.authorize('token-1'));

      // Assess
      expect(before.exp).toBe(FIXED_NOW_SECONDS + 20);
      expect(error.code).toBe('TOKEN_EXPIRED');
    });

    it('does not cache a local rejection', async () => {
      // Prepare
      let checks = 0;
      const jwtCheck: JwtCheck = async () => {
        checks++;
        throw new TokenRejectedError('TOKEN_MALFORMED', 'Token signature, algorithm or format is invalid');
      };
      const { authority } = setup(() => jsonResponse(activeAnswer()), { mode: 'jwt', jwtCheck });

      // Act
      const first = await rejectionOf(authority.authorize('forged'));
      const second = await rejectionOf(authority.authorize('forged'));

      // Assess
      expect([first.code, second.code]).toEqual(['TOKEN_MALFORMED', 'TOKEN_MALFORMED']);
      expect(checks).toBe(2);
    });

    it('refuses to be built without a JWT check', () => {
      // Act
      const build = () =>
        createTokenAuthority({
          identity: createServiceIdentity(createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM }), fakeCredentials('service-b', 's')),
          mode: 'jwt',
          issuer: ISSUER,
          cacheTtlSeconds: 60,
          cacheMaxEntries: 10,
        });

      // Assess
      expect(build).toThrow('mode jwt needs a jwtCheck');
    });
  });

  describe('in jwt+introspection mode', () => {
    it('lets introspection decide after the local check passed', async () => {
      // Prepare
      const jwtCheck: JwtCheck = async () => PRINCIPAL;
      const { authority, introspections } = setup(() => jsonResponse({ active: false }), { mode: 'jwt+introspection', jwtCheck });

      // Act
      const error = await rejectionOf(authority.authorize('revoked'));

      // Assess
      expect(error.code).toBe('TOKEN_INACTIVE');
      expect(introspections()).toBe(1);
    });

    it('refuses a token the local check rejects without calling Keycloak', async () => {
      // Prepare
      const jwtCheck: JwtCheck = async () => {
        throw new TokenRejectedError('TOKEN_WRONG_AUDIENCE', 'Token is not meant for this service');
      };
      const { authority, fake } = setup(() => jsonResponse(activeAnswer()), { mode: 'jwt+introspection', jwtCheck });

      // Act
      const error = await rejectionOf(authority.authorize('token-for-c'));

      // Assess
      expect(error.code).toBe('TOKEN_WRONG_AUDIENCE');
      expect(fake.calls).toHaveLength(0);
    });

    it('returns the principal introspection established', async () => {
      // Prepare
      const jwtCheck: JwtCheck = async () => ({ ...PRINCIPAL, permissions: [] });
      const { authority } = setup(() => jsonResponse(activeAnswer()), { mode: 'jwt+introspection', jwtCheck });

      // Act
      const principal = await authority.authorize('token-1');

      // Assess
      expect(principal).toEqual(PRINCIPAL);
    });
  });
});

/**
 * A local check as a cold instance has it: `hasKeys` as given, `mayAccept` as given (or absent, for a
 * check that cannot look at a token), `prefetchKeys` counted, and a verdict the test settles by hand.
 */
function coldCheck({ hasKeys = false, mayAccept = true as boolean | 'absent' } = {}) {
  const pending: Deferred<Principal>[] = [];
  let prefetches = 0;
  const check = (() => {
    const verdict = deferred<Principal>();
    pending.push(verdict);
    return verdict.promise;
  }) as JwtCheck;
  check.hasKeys = () => hasKeys;
  if (mayAccept !== 'absent') check.mayAccept = () => mayAccept;
  check.prefetchKeys = async () => {
    prefetches += 1;
  };
  return {
    check,
    checks: () => pending.length,
    prefetches: () => prefetches,
    accept: () => pending.at(-1)?.resolve(PRINCIPAL),
    refuse: () => pending.at(-1)?.reject(new TokenRejectedError('TOKEN_MALFORMED', 'Token signature, algorithm or format is invalid')),
  };
}

/** Lets every pending promise callback and zero-delay timer run (the fake fetch answers in a microtask). */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * An authority on a cold check whose Keycloak answers `respond`, and `decide`: authorizes `token`,
 * lets the calls it starts go out, counts the introspections made before any signature check ended,
 * then ends a signature check the token started, if any, with `verdict`.
 */
function coldSetup(respond: Responder, state: Parameters<typeof coldCheck>[0] = {}, options: { firstTokenByIntrospection?: boolean } = {}) {
  const cold = coldCheck(state);
  const { authority, introspections } = setup(respond, { mode: 'jwt+introspection', jwtCheck: cold.check, ...options });
  const outcomeOf = (token: string) =>
    authority.authorize(token).then(
      (principal) => ({ principal, error: undefined }),
      (error: unknown) => ({ principal: undefined, error: error as Error & { code?: string } }),
    );
  const decide = async (token: string, verdict: 'accept' | 'refuse') => {
    const checksBefore = cold.checks();
    const outcome = outcomeOf(token);
    await settled();
    const introspectedBeforeSignature = introspections();
    const checked = cold.checks() > checksBefore;
    if (checked) cold[verdict]();
    return { ...(await outcome), introspectedBeforeSignature, checked };
  };
  return { authorize: outcomeOf, decide, introspections, checks: cold.checks, prefetches: cold.prefetches };
}

describe('jwt+introspection on a cold instance (no key set yet)', () => {
  it('decides the first plausible token by introspection alone, without a signature check', async () => {
    // Prepare
    const { decide, introspections } = coldSetup(() => jsonResponse(activeAnswer()));

    // Act
    const { principal, checked } = await decide('token-1', 'accept');

    // Assess
    expect(principal).toEqual(PRINCIPAL);
    expect(checked).toBe(false);
    expect(introspections()).toBe(1);
  });

  it("refuses a forgery on Keycloak's word: the inactive answer it gives a signature it never made", async () => {
    // Prepare
    const { decide, introspections } = coldSetup(() => jsonResponse({ active: false }));

    // Act
    const first = await decide('forged', 'refuse');
    const again = await decide('forged', 'refuse');

    // Assess: the refusal is remembered like any of Keycloak's.
    expect([first.error?.code, again.error?.code]).toEqual(['TOKEN_INACTIVE', 'TOKEN_INACTIVE']);
    expect([first.checked, again.checked]).toEqual([false, false]);
    expect(introspections()).toBe(1);
  });

  it('fetches no key set for it, then or after (the next check loads it)', async () => {
    // Prepare
    const { authorize, prefetches } = coldSetup(() => jsonResponse(activeAnswer()));

    // Act
    const { principal } = await authorize('token-1');
    await settled();

    // Assess
    expect(principal).toEqual(PRINCIPAL);
    expect(prefetches()).toBe(0);
  });

  it('fails closed when Keycloak cannot answer for the first token', async () => {
    // Prepare
    const { authorize } = coldSetup(() => jsonResponse({ error: 'down' }, 503));

    // Act
    const { error } = await authorize('token-1');

    // Assess
    expect(error).toBeInstanceOf(KeycloakUnavailableError);
    expect(isTokenRejection(error)).toBe(false);
  });

  it('does it for one token per authority only: a second one, keys still missing, waits for its signature', async () => {
    // Prepare
    const { decide, introspections, prefetches } = coldSetup(() => jsonResponse(activeAnswer()));
    await decide('token-1', 'accept');

    // Act
    const second = await decide('forged-2', 'refuse');

    // Assess
    expect(second.error?.code).toBe('TOKEN_MALFORMED');
    expect(second.checked).toBe(true);
    expect(second.introspectedBeforeSignature).toBe(1);
    expect(introspections()).toBe(1);
    expect(prefetches()).toBe(0);
  });

  it.each([
    ['the check has its keys', { hasKeys: true }, {}],
    ['the token cannot pass the check whatever the keys', { mayAccept: false }, {}],
    ['the check can tell it has no keys but cannot look at a token', { mayAccept: 'absent' as const }, {}],
    ['firstTokenByIntrospection is false', {}, { firstTokenByIntrospection: false }],
  ])('checks the signature first when %s', async (_case, state, options) => {
    // Prepare
    const { decide, introspections, prefetches } = coldSetup(() => jsonResponse(activeAnswer()), state, options);

    // Act
    const { error, checked } = await decide('forged', 'refuse');
    await settled();

    // Assess
    expect(error?.code).toBe('TOKEN_MALFORMED');
    expect(checked).toBe(true);
    expect(introspections()).toBe(0);
    expect(prefetches()).toBe(0);
  });
});

describe('onVerdictLookup', () => {
  it('reports a miss for the lookup that decided and a hit for each one served from the cache', async () => {
    // Prepare
    const { authority, lookups } = setup(() => jsonResponse(activeAnswer()));

    // Act
    await authority.authorize('token-1');
    await authority.authorize('token-1');
    await authority.authorize('token-1');

    // Assess
    expect(lookups).toEqual(['miss', 'hit', 'hit']);
  });

  it('reports a hit for a refusal served from the cache', async () => {
    // Prepare
    const { authority, lookups } = setup(() => jsonResponse({ active: false }));

    // Act
    await rejectionOf(authority.authorize('revoked'));
    await rejectionOf(authority.authorize('revoked'));

    // Assess
    expect(lookups).toEqual(['miss', 'hit']);
  });

  it('reports a miss when the decision failed, and again at the next lookup (failures are not cached)', async () => {
    // Prepare
    const { authority, lookups } = setup(() => {
      throw new TypeError('fetch failed');
    });

    // Act
    await authority.authorize('token-1').catch(() => undefined);
    await authority.authorize('token-1').catch(() => undefined);

    // Assess
    expect(lookups).toEqual(['miss', 'miss']);
  });

  it('counts lookups that joined a decision in flight as hits: one miss for 5 concurrent lookups', async () => {
    // Prepare
    const gate = deferred<void>();
    const { authority, lookups } = setup(async () => {
      await gate.promise;
      return jsonResponse(activeAnswer());
    });

    // Act
    const pending = Array.from({ length: 5 }, () => authority.authorize('token-1'));
    gate.resolve();
    await Promise.all(pending);

    // Assess
    expect(lookups.filter((lookup) => lookup === 'miss')).toHaveLength(1);
    expect(lookups.filter((lookup) => lookup === 'hit')).toHaveLength(4);
  });
});

describe('isTokenRejection', () => {
  it('is true for a TokenRejectedError', () => {
    // Assess
    expect(isTokenRejection(new TokenRejectedError('TOKEN_INACTIVE', 'x'))).toBe(true);
  });

  it.each([
    ['Keycloak unavailable', new KeycloakUnavailableError('x')],
    ['a missing permission', new PermissionDeniedError('x')],
    ['a plain Error', new Error('Unauthorized')],
  ])('is false for %s', (_case, error) => {
    // Assess
    expect(isTokenRejection(error)).toBe(false);
  });
});
