import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { sha256, createTokenAuthority, createKeycloakClient, type KeycloakCallKind, createServiceIdentity, defineRouteTable } from 'keycloak-lambda-s2s';
import { createAuthorizer, createAuthorizerHandler, type AuthorizerDependencies, type Env } from 'keycloak-lambda-s2s/lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIXED_NOW_MS, FIXED_NOW_SECONDS, frozenClock } from '../../helpers/clock';
import { API_STAGE_PREFIX, lambdaContext, tokenAuthorizerEvent } from '../../helpers/events';
import { basicHeader, fakeCredentials } from '../../helpers/fake-credentials';
import { createFakeFetch, formOf, jsonResponse, type Responder } from '../../helpers/fake-fetch';
import { createFakeLogger } from '../../helpers/fake-logger';
import { createFakeMetrics } from '../../helpers/fake-metrics';
import { deferred } from '../../helpers/deferred';
import { signJwt, testJwks } from '../../helpers/jwt';
import { INTROSPECTION_ENDPOINT, ISSUER, JWKS_URI, KEYCLOAK_URL, REALM } from '../../helpers/keycloak';

const ENV: Env = {
  SERVICE_NAME: 'service-b',
  CLIENT_SECRET_ID: 'dev/keycloak/service-b',
  KEYCLOAK_URL,
  KEYCLOAK_REALM: REALM,
  AUTH_MODE: 'introspection',
};

const B_PERMISSIONS = ['orders.approve', 'inventory.adjust'];

/** A token of the realm (signed with the test key) that B's policy allows, with `overrides` on its claims. */
function tokenForB(overrides: Record<string, unknown> = {}): Promise<string> {
  return signJwt({
    iss: ISSUER,
    sub: 'user-1',
    aud: 'service-b',
    azp: 'service-a',
    typ: 'Bearer',
    iat: FIXED_NOW_SECONDS,
    exp: FIXED_NOW_SECONDS + 300,
    resource_access: { 'service-b': { roles: B_PERMISSIONS } },
    ...overrides,
  });
}

/** A route table of the library's user: two services, the one under test with two routes. */
const ROUTES = defineRouteTable({
  'service-b': {
    process: { method: 'POST', path: '/api/process', permissions: B_PERMISSIONS, callers: ['service-a'] },
    adjust: { method: 'POST', path: '/api/inventory/adjust', permissions: ['inventory.adjust'], callers: ['service-a'] },
  },
  'service-c': { compute: { method: 'POST', path: '/api/compute', permissions: ['analytics.run'], callers: ['service-a'] } },
});

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
    resource_access: { 'service-b': { roles: B_PERMISSIONS } },
    ...overrides,
  };
}

/** The authorizer of service-b with a fake Keycloak behind it. */
function setup(respond: Responder) {
  const clock = frozenClock();
  const fake = createFakeFetch(respond);
  const log = createFakeLogger();
  const metrics = createFakeMetrics();
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  const identity = createServiceIdentity(keycloak, fakeCredentials('service-b', 'secret-b'));
  const dependencies: AuthorizerDependencies = {
    routes: ROUTES['service-b'],
    authority: createTokenAuthority({
      identity,
      mode: 'introspection',
      issuer: ISSUER,
      cacheTtlSeconds: 60,
      cacheMaxEntries: 100,
      now: clock.now,
    }),
    logger: log.logger,
    metrics: metrics.metrics,
    now: clock.now,
  };
  return { fake, log, metrics, handler: createAuthorizerHandler(dependencies) };
}

async function failureOf(promise: Promise<APIGatewayAuthorizerResult>): Promise<Error> {
  const outcome = await promise.then(
    (policy) => ({ policy }),
    (error: unknown) => ({ error }),
  );
  if ('policy' in outcome) throw new Error(`expected a failure, got a policy: ${JSON.stringify(outcome.policy.policyDocument)}`);
  if (!(outcome.error instanceof Error)) throw new Error('expected an Error');
  return outcome.error;
}

describe('createAuthorizerHandler', () => {
  it('returns an Allow of every route of the service the token permits, with the principal as context', async () => {
    // Prepare
    const { handler } = setup(() => jsonResponse(activeAnswer()));

    // Act
    const policy = await handler(tokenAuthorizerEvent('Bearer token-1'));

    // Assess
    expect(policy.principalId).toBe('user-1');
    expect(policy.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: Object.values(ROUTES['service-b']).map((r) => `${API_STAGE_PREFIX}/${r.method}${r.path}`),
      },
    ]);
    expect(policy.policyDocument.Statement[0]).toMatchObject({ Resource: expect.arrayContaining([`${API_STAGE_PREFIX}/POST/api/process`]) });
    expect(policy.context).toEqual({
      sub: 'user-1',
      clientId: 'service-a',
      scope: 'profile email',
      exp: FIXED_NOW_SECONDS + 300,
      permissions: 'orders.approve inventory.adjust',
      tokenHash: sha256('token-1'),
    });
  });

  it('returns the same policy whichever route of the stage triggered it', async () => {
    // Prepare
    const { handler } = setup(() => jsonResponse(activeAnswer()));

    // Act
    const fromProcess = await handler(tokenAuthorizerEvent('Bearer token-1', `${API_STAGE_PREFIX}/POST/api/process`));
    const fromElsewhere = await handler(tokenAuthorizerEvent('Bearer token-1', `${API_STAGE_PREFIX}/GET/some/other/route`));

    // Assess
    expect(fromElsewhere).toEqual(fromProcess);
  });

  it('introspects once for repeated requests with the same token', async () => {
    // Prepare
    const { handler, fake } = setup(() => jsonResponse(activeAnswer()));

    // Act
    await handler(tokenAuthorizerEvent('Bearer token-1'));
    await handler(tokenAuthorizerEvent('Bearer token-1'));

    // Assess
    expect(fake.callsTo(INTROSPECTION_ENDPOINT)).toHaveLength(1);
  });

  it("returns a Deny of the whole stage to a valid token that permits none of the service's routes", async () => {
    // Prepare
    const { handler } = setup(() => jsonResponse(activeAnswer({ resource_access: { 'service-b': { roles: ['something.else'] } } })));

    // Act
    const policy = await handler(tokenAuthorizerEvent('Bearer token-1'));

    // Assess
    expect(policy.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${API_STAGE_PREFIX}/*`] }]);
  });

  it("denies a token that holds only another service's permissions", async () => {
    // Prepare
    const { handler } = setup(() => jsonResponse(activeAnswer({ resource_access: { 'service-c': { roles: ['analytics.run'] } } })));

    // Act
    const policy = await handler(tokenAuthorizerEvent('Bearer token-1'));

    // Assess
    expect(policy.policyDocument.Statement[0]?.Effect).toBe('Deny');
  });

  describe('throws Unauthorized (401)', () => {
    it.each([
      ['a missing header', ''],
      ['garbage', 'garbage'],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['two tokens', 'Bearer a b'],
    ])('for %s, without calling Keycloak', async (_case, header) => {
      // Prepare
      const { handler, fake } = setup(() => jsonResponse(activeAnswer()));

      // Act
      const error = await failureOf(handler(tokenAuthorizerEvent(header)));

      // Assess
      expect(error.message).toBe('Unauthorized');
      expect(fake.calls).toHaveLength(0);
    });

    it.each([
      ['inactive', { active: false }],
      ['meant for another service', activeAnswer({ aud: 'service-c' })],
      ['of another issuer', activeAnswer({ iss: 'http://keycloak.test:8080/realms/other' })],
    ])('for a token that is %s', async (_case, answer) => {
      // Prepare
      const { handler } = setup(() => jsonResponse(answer));

      // Act
      const error = await failureOf(handler(tokenAuthorizerEvent('Bearer token-1')));

      // Assess
      expect(error.message).toBe('Unauthorized');
    });

    it.each([['', ''], ['not a method ARN', 'arn:aws:lambda:us-east-1:1:function:x']])(
      'for an event whose methodArn is %o',
      async (_case, methodArn) => {
        // Prepare
        const { handler, fake } = setup(() => jsonResponse(activeAnswer()));

        // Act
        const error = await failureOf(handler(tokenAuthorizerEvent('Bearer token-1', methodArn)));

        // Assess
        expect(error.message).toBe('Unauthorized');
        expect(fake.calls).toHaveLength(0);
      },
    );

    it('logs the rejection code but never the token', async () => {
      // Prepare
      const { handler, log } = setup(() => jsonResponse({ active: false }));

      // Act
      await failureOf(handler(tokenAuthorizerEvent('Bearer SECRET-TOKEN-VALUE')));

      // Assess
      expect(log.lines).toEqual([{ level: 'info', message: 'unauthorized', attributes: { code: 'TOKEN_INACTIVE', latency_ms: 0 }, keys: {} }]);
      expect(log.text()).not.toContain('SECRET-TOKEN-VALUE');
    });
  });

  describe('fails closed when it cannot decide', () => {
    it.each([
      ['Keycloak is unreachable', () => Promise.reject(new TypeError('fetch failed')), 'KEYCLOAK_UNAVAILABLE'],
      ['Keycloak times out', () => Promise.reject(new DOMException('timed out', 'TimeoutError')), 'KEYCLOAK_UNAVAILABLE'],
      ['Keycloak answers 503', () => new Response('', { status: 503 }), 'KEYCLOAK_UNAVAILABLE'],
      ['Keycloak answers garbage', () => new Response('<html/>', { status: 200 }), 'KEYCLOAK_BAD_RESPONSE'],
      ['Keycloak refuses our credentials', () => jsonResponse({ error: 'invalid_client' }, 401), 'CLIENT_AUTHENTICATION_FAILED'],
    ] as const)('throws an error that is not Unauthorized when %s, and logs its code', async (_case, respond, code) => {
      // Prepare
      const { handler, log } = setup(respond);

      // Act
      const error = await failureOf(handler(tokenAuthorizerEvent('Bearer token-1')));

      // Assess
      expect(error.message).not.toBe('Unauthorized');
      expect(error.message).toBe('Authorizer unavailable');
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toMatchObject({ level: 'error', message: 'authorizer failed closed', attributes: { code } });
    });

    it('never returns an Allow while Keycloak is down, however often it is asked', async () => {
      // Prepare
      const { handler, fake } = setup(() => Promise.reject(new TypeError('fetch failed')));

      // Act
      const outcomes: PromiseSettledResult<APIGatewayAuthorizerResult>[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        outcomes.push(...(await Promise.allSettled([handler(tokenAuthorizerEvent('Bearer token-1'))])));
      }

      // Assess
      expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'policy'))).toEqual(
        Array(5).fill('Error: Authorizer unavailable'),
      );
      // The failure is never cached: each attempt asks Keycloak again.
      expect(fake.callsTo(INTROSPECTION_ENDPOINT)).toHaveLength(5);
    });
  });

  it('logs one line per decision, with subject, client and effect, never the token', async () => {
    // Prepare
    const { handler, log } = setup(() => jsonResponse(activeAnswer()));

    // Act
    await handler(tokenAuthorizerEvent('Bearer SECRET-TOKEN-VALUE'));

    // Assess
    expect(log.lines).toEqual([
      { level: 'info', message: 'authorized', attributes: { sub: 'user-1', client_id: 'service-a', effect: 'Allow', latency_ms: 0 }, keys: {} },
    ]);
    expect(log.text()).not.toContain('SECRET-TOKEN-VALUE');
  });
});

describe('createAuthorizerHandler without metrics (they are optional)', () => {
  /** service-b's handler with no metrics in its dependencies, and a clock that moves 7 ms per Keycloak call. */
  function withoutMetrics(respond: Responder) {
    const clock = frozenClock();
    const fake = createFakeFetch((call) => {
      clock.advance(7);
      return respond(call);
    });
    const log = createFakeLogger();
    const identity = createServiceIdentity(createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch }), fakeCredentials('service-b', 's'));
    const authority = createTokenAuthority({ identity, mode: 'introspection', issuer: ISSUER, cacheTtlSeconds: 60, cacheMaxEntries: 10, now: clock.now });
    return { log, handler: createAuthorizerHandler({ routes: ROUTES['service-b'], authority, logger: log.logger, now: clock.now }) };
  }

  it.each([
    ['an Allow', () => jsonResponse(activeAnswer()), 'Allow'],
    ['a Deny', () => jsonResponse(activeAnswer({ resource_access: {} })), 'Deny'],
    ['a refusal', () => jsonResponse({ active: false }), 'Error: Unauthorized'],
    ['a fail-closed decision', () => new Response('', { status: 503 }), 'Error: Authorizer unavailable'],
  ] as const)('decides %s as with them', async (_case, respond, expected) => {
    // Prepare
    const { handler } = withoutMetrics(respond);

    // Act
    const outcome = await handler(tokenAuthorizerEvent('Bearer token-1')).then(
      (policy) => policy.policyDocument.Statement[0]?.Effect,
      (error: unknown) => String(error),
    );

    // Assess
    expect(outcome).toBe(expected);
  });

  it('logs how long a fail-closed decision took', async () => {
    // Prepare
    const { handler, log } = withoutMetrics(() => new Response('', { status: 503 }));

    // Act
    await failureOf(handler(tokenAuthorizerEvent('Bearer token-1')));

    // Assess
    expect(log.lines[0]).toMatchObject({ message: 'authorizer failed closed', attributes: { latency_ms: 7 } });
  });
});

describe('createAuthorizerHandler observability', () => {
  it("hands the invocation's Lambda context to the logger", async () => {
    // Prepare
    const { handler, log } = setup(() => jsonResponse(activeAnswer()));
    const context = lambdaContext('req-7');

    // Act
    await handler(tokenAuthorizerEvent('Bearer token-1'), context);

    // Assess
    expect(log.contexts).toEqual([context]);
  });

  it('counts a refused token by its code and flushes at the end of the invocation', async () => {
    // Prepare
    const { handler, metrics } = setup(() => jsonResponse({ active: false }));

    // Act
    await failureOf(handler(tokenAuthorizerEvent('Bearer token-1')));
    await failureOf(handler(tokenAuthorizerEvent('Basic abc')));

    // Assess
    expect(metrics.flushed).toEqual([[['authorizerRefused', 'TOKEN_INACTIVE']], [['authorizerRefused', 'TOKEN_MALFORMED']]]);
  });

  it('counts an event without a method ARN as a TOKEN_MALFORMED refusal, asking Keycloak nothing', async () => {
    // Prepare
    const { handler, metrics, fake } = setup(() => jsonResponse(activeAnswer()));

    // Act
    const error = await failureOf(handler({ type: 'TOKEN', authorizationToken: 'Bearer token-1' } as never));

    // Assess
    expect(error.message).toBe('Unauthorized');
    expect(metrics.flushed).toEqual([[['authorizerRefused', 'TOKEN_MALFORMED']]]);
    expect(fake.calls).toHaveLength(0);
  });

  it('counts a Deny policy as a PERMISSION_DENIED refusal', async () => {
    // Prepare
    const { handler, metrics } = setup(() => jsonResponse(activeAnswer({ resource_access: { 'service-b': { roles: ['something.else'] } } })));

    // Act
    await handler(tokenAuthorizerEvent('Bearer token-1'));

    // Assess
    expect(metrics.flushed).toEqual([[['authorizerRefused', 'PERMISSION_DENIED']]]);
  });

  it('counts a fail-closed decision by its code, and nothing for an Allow', async () => {
    // Prepare
    let keycloakUp = false;
    const { handler, metrics } = setup(() => (keycloakUp ? jsonResponse(activeAnswer()) : new Response('', { status: 503 })));

    // Act
    await failureOf(handler(tokenAuthorizerEvent('Bearer token-1')));
    keycloakUp = true;
    await handler(tokenAuthorizerEvent('Bearer token-1'));

    // Assess
    expect(metrics.flushed).toEqual([[['authorizerFailedClosed', 'KEYCLOAK_UNAVAILABLE']], []]);
  });
});

describe('createAuthorizer', () => {
  it('records verdict-cache hits and misses and each Keycloak round-trip, JWKS included, with its duration', async () => {
    // Prepare
    const jwks = await testJwks();
    const token = await tokenForB();
    const clock = frozenClock();
    const fake = createFakeFetch((call) => {
      clock.advance(call.url.endsWith('/certs') ? 5 : 9);
      return jsonResponse(call.url.endsWith('/certs') ? jwks : activeAnswer());
    });
    const metrics = createFakeMetrics();
    const handler = createAuthorizer({
      routes: ROUTES,
      env: { ...ENV, AUTH_MODE: undefined },
      overrides: { fetch: fake.fetch, secretsClient: secretsClientWith('stored-secret'), now: clock.now, logger: createFakeLogger().logger, metrics: metrics.metrics },
    });

    // Act: the first token is decided by introspection; the second one's check loads the key set.
    await handler(tokenAuthorizerEvent(`Bearer ${token}`));
    await handler(tokenAuthorizerEvent(`Bearer ${token}`));
    await handler(tokenAuthorizerEvent(`Bearer ${await tokenForB({ sub: 'user-2' })}`));

    // Assess
    expect(metrics.flushed).toEqual([
      [
        ['keycloakRoundTrip', 'introspect', { durationMs: 9, outcome: 'answered' }],
        ['verdictLookup', 'miss'],
      ],
      [['verdictLookup', 'hit']],
      [
        ['keycloakRoundTrip', 'jwks', { durationMs: 5, outcome: 'answered' }],
        ['keycloakRoundTrip', 'introspect', { durationMs: 9, outcome: 'answered' }],
        ['verdictLookup', 'miss'],
      ],
    ]);
  });

  function secretsClientWith(secret: string, service = 'service-b'): SecretsManagerClient {
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(client)
      .on(GetSecretValueCommand, { SecretId: `dev/keycloak/${service}` })
      .resolves({ SecretString: JSON.stringify({ client_id: service, client_secret: secret }) });
    return client;
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a JWKS round-trip that got no usable answer as failed', async () => {
    // Prepare
    const answers = [() => Promise.reject(new TypeError('fetch failed')), () => new Response('', { status: 503 }), () => new Response('', { status: 300 })];
    const fake = createFakeFetch(() => (answers.shift() ?? (() => new Response('', { status: 503 })))());
    const metrics = createFakeMetrics();
    const handler = createAuthorizer({
      routes: ROUTES,
      env: { ...ENV, AUTH_MODE: 'jwt', JWKS_COOLDOWN_SECONDS: '1' },
      overrides: { fetch: fake.fetch, secretsClient: secretsClientWith('stored-secret'), now: frozenClock().now, logger: createFakeLogger().logger, metrics: metrics.metrics },
    });
    const token = await signJwt({ iss: ISSUER, sub: 'user-1', aud: 'service-b', azp: 'service-a', typ: 'Bearer', exp: FIXED_NOW_SECONDS + 300 });

    // Act
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (let i = 0; i < 2; i++) await failureOf(handler(tokenAuthorizerEvent(`Bearer ${token}`)));

    // Assess: the warm-up's fetch and one per request
    expect(metrics.calls.filter((c) => c[0] === 'keycloakRoundTrip').map((c) => c[2])).toEqual([
      { durationMs: 0, outcome: 'failed' },
      { durationMs: 0, outcome: 'failed' },
      { durationMs: 0, outcome: 'failed' },
    ]);
  });

  it('in jwt mode, loads the key set at creation and never the secret', async () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const secrets = mockClient(client).on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ client_id: 'service-b', client_secret: 's' }) });
    const jwks = await testJwks();
    const fake = createFakeFetch(() => jsonResponse(jwks));

    // Act
    createAuthorizer({
      routes: ROUTES,
      env: { ...ENV, AUTH_MODE: 'jwt' },
      overrides: { fetch: fake.fetch, secretsClient: client, now: frozenClock().now, logger: createFakeLogger().logger },
    });
    await new Promise((resolve) => setTimeout(resolve, 0));

    // Assess
    expect(fake.calls.map((c) => c.url)).toEqual([JWKS_URI]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('logs and publishes metrics as authorizer-<service> by default, also when Lambda passes no context', async () => {
    // Prepare
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const handler = createAuthorizer({
      routes: ROUTES,
      env: { ...ENV, POWERTOOLS_METRICS_NAMESPACE: 'UnitTest' },
      overrides: { fetch: createFakeFetch(() => jsonResponse(activeAnswer())).fetch, secretsClient: secretsClientWith('stored-secret'), now: frozenClock().now },
    });

    // Act
    const policy = await handler(tokenAuthorizerEvent('Bearer token-1'));
    write.mockRestore();

    // Assess
    expect(policy.policyDocument.Statement[0]?.Effect).toBe('Allow');
    const lines = written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.message === 'authorized')).toMatchObject({ service: 'authorizer-service-b', effect: 'Allow' });
    expect(lines.find((line) => '_aws' in line)).toMatchObject({ service: 'authorizer-service-b', _aws: { CloudWatchMetrics: [{ Namespace: 'UnitTest' }] } });
  });

  it("wires service-c's settings into the local check in jwt mode: its audience, clock tolerance, JWKS cooldown and Keycloak timeout", async () => {
    // Prepare: jose times the JWKS cooldown with Date.now, so the system clock is the one to move
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(FIXED_NOW_MS);
    const timeouts = vi.spyOn(AbortSignal, 'timeout');
    const jwks = await testJwks();
    const claims = { iss: ISSUER, sub: 'user-1', azp: 'service-a', typ: 'Bearer', exp: FIXED_NOW_SECONDS + 300 };
    const forC = await signJwt({ ...claims, aud: 'service-c', resource_access: { 'service-c': { roles: ['analytics.run'] } } });
    const forB = await signJwt({ ...claims, aud: 'service-b', resource_access: { 'service-b': { roles: B_PERMISSIONS } } });
    const notYetValid = await signJwt({ ...claims, aud: 'service-c', nbf: FIXED_NOW_SECONDS + 3 });
    const unknownKid = await signJwt({ ...claims, aud: 'service-c' }, { kid: 'rotated-key' });
    const fake = createFakeFetch(() => jsonResponse(jwks));
    const handler = createAuthorizer({
      routes: ROUTES,
      env: {
        ...ENV,
        SERVICE_NAME: 'service-c',
        CLIENT_SECRET_ID: 'dev/keycloak/service-c',
        AUTH_MODE: 'jwt',
        JWKS_COOLDOWN_SECONDS: '45',
        JWT_CLOCK_TOLERANCE_SECONDS: '0',
        KEYCLOAK_TIMEOUT_MS: '1500',
      },
      overrides: {
        fetch: fake.fetch,
        secretsClient: secretsClientWith('stored-secret', 'service-c'),
        now: frozenClock().now,
        logger: createFakeLogger().logger,
      },
    });

    // Act
    const policy = await handler(tokenAuthorizerEvent(`Bearer ${forC}`));
    const refusedForB = await failureOf(handler(tokenAuthorizerEvent(`Bearer ${forB}`)));
    const refusedNotYetValid = await failureOf(handler(tokenAuthorizerEvent(`Bearer ${notYetValid}`)));
    vi.setSystemTime(FIXED_NOW_MS + 44_000);
    await failureOf(handler(tokenAuthorizerEvent(`Bearer ${unknownKid}`)));
    const fetchesDuringCooldown = fake.calls.length;
    vi.setSystemTime(FIXED_NOW_MS + 45_001);
    await failureOf(handler(tokenAuthorizerEvent(`Bearer ${unknownKid}`)));

    // Assess
    expect(policy.policyDocument.Statement[0]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: [`${API_STAGE_PREFIX}/POST/api/compute`],
    });
    expect(policy.context).toMatchObject({ permissions: 'analytics.run' });
    expect({ forB: refusedForB.message, notYetValid: refusedNotYetValid.message }).toEqual({ forB: 'Unauthorized', notYetValid: 'Unauthorized' });
    expect({ fetchesDuringCooldown, fetchesAfter: fake.calls.length }).toEqual({ fetchesDuringCooldown: 1, fetchesAfter: 2 });
    expect(timeouts.mock.calls).toEqual([[1500], [1500]]);
  });

  it('wires settings, Secrets Manager and Keycloak: introspection mode authorizes with the stored secret', async () => {
    // Prepare
    const fake = createFakeFetch(() => jsonResponse(activeAnswer()));
    const roundTrips: KeycloakCallKind[] = [];
    const handler = createAuthorizer({
      routes: ROUTES,
      env: ENV,
      overrides: {
        fetch: fake.fetch,
        secretsClient: secretsClientWith('stored-secret'),
        onKeycloakRoundTrip: (kind) => roundTrips.push(kind),
        now: frozenClock().now,
        logger: createFakeLogger().logger,
        metrics: createFakeMetrics().metrics,
      },
    });

    // Act
    const policy = await handler(tokenAuthorizerEvent('Bearer token-1'));

    // Assess
    expect(policy.policyDocument.Statement[0]?.Effect).toBe('Allow');
    expect(fake.calls.map((c) => c.url)).toEqual([INTROSPECTION_ENDPOINT]);
    expect(fake.calls[0]?.headers.get('authorization')).toBe(basicHeader('service-b', 'stored-secret'));
    expect(roundTrips).toEqual(['introspect']);
  });

  it('judges expiry by the clock it is given', async () => {
    // Prepare: an answer valid for 300 s, a clock 400 s later
    const clock = frozenClock();
    clock.advanceSeconds(400);
    const handler = createAuthorizer({
      routes: ROUTES,
      env: ENV,
      overrides: {
        fetch: createFakeFetch(() => jsonResponse(activeAnswer())).fetch,
        secretsClient: secretsClientWith('stored-secret'),
        now: clock.now,
        logger: createFakeLogger().logger,
      },
    });

    // Act
    const failure = await failureOf(handler(tokenAuthorizerEvent('Bearer token-1')));

    // Assess
    expect(failure.message).toBe('Unauthorized');
  });

  it('in the default jwt+introspection mode, decides the first token by introspection, then checks each later one against the realm JWKS (loaded by the first such check) before introspecting it', async () => {
    // Prepare
    const jwks = await testJwks();
    const [first, second] = [await tokenForB(), await tokenForB({ sub: 'user-2' })];
    const fake = createFakeFetch((call) => jsonResponse(call.url.endsWith('/certs') ? jwks : activeAnswer()));
    const roundTrips: KeycloakCallKind[] = [];
    const handler = createAuthorizer({
      routes: ROUTES,
      env: { ...ENV, AUTH_MODE: undefined },
      overrides: {
        fetch: fake.fetch,
        secretsClient: secretsClientWith('stored-secret'),
        onKeycloakRoundTrip: (kind) => roundTrips.push(kind),
        now: frozenClock().now,
        logger: createFakeLogger().logger,
        metrics: createFakeMetrics().metrics,
      },
    });

    // Act
    const firstPolicy = await handler(tokenAuthorizerEvent(`Bearer ${first}`));
    const callsForFirst = fake.calls.map((c) => c.url);
    const secondPolicy = await handler(tokenAuthorizerEvent(`Bearer ${second}`));

    // Assess
    expect([firstPolicy, secondPolicy].map((policy) => policy.policyDocument.Statement[0]?.Effect)).toEqual(['Allow', 'Allow']);
    expect(callsForFirst).toEqual([INTROSPECTION_ENDPOINT]);
    expect(fake.calls.map((c) => c.url)).toEqual([INTROSPECTION_ENDPOINT, JWKS_URI, INTROSPECTION_ENDPOINT]);
    expect(fake.calls.filter((c) => c.url === INTROSPECTION_ENDPOINT).map((c) => formOf(c).token)).toEqual([first, second]);
    expect(roundTrips).toEqual(['introspect', 'jwks', 'introspect']);
  });

  describe('at creation (Lambda init)', () => {
    /** A jwt+introspection authorizer whose Secrets Manager, JWKS and introspection answers the test holds back or sets. */
    async function held({
      laterCerts = async () => jsonResponse(await testJwks()),
      introspection = () => jsonResponse(activeAnswer()),
      env = {},
    }: { laterCerts?: () => Response | Promise<Response>; introspection?: () => Response; env?: Record<string, string> } = {}) {
      const jwks = deferred<Response>();
      let certsCalls = 0;
      const secret = deferred<void>();
      const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const secretCalls: string[] = [];
      mockClient(client)
        .on(GetSecretValueCommand)
        .callsFake(async () => {
          secretCalls.push('secret');
          await secret.promise;
          return { SecretString: JSON.stringify({ client_id: 'service-b', client_secret: 'stored-secret' }) };
        });
      const fake = createFakeFetch((call) => {
        if (!call.url.endsWith('/certs')) return introspection();
        return ++certsCalls === 1 ? jwks.promise : laterCerts();
      });
      const logger = createFakeLogger();
      const handler = createAuthorizer({
        routes: ROUTES,
        env: { ...ENV, AUTH_MODE: undefined, ...env },
        overrides: { fetch: fake.fetch, secretsClient: client, now: frozenClock().now, logger: logger.logger },
      });
      return { handler, fake, jwks, secret, secretCalls, logger };
    }

    const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

    /** A look-alike of a realm token whose signature is broken. */
    const forgedToken = async (tail = 'AAAAAAAA') => `${(await tokenForB()).slice(0, -8)}${tail}`;

    it('starts loading the secret before any request, and calls Keycloak for nothing', async () => {
      // Prepare
      const { fake, secretCalls } = await held();

      // Act
      await flush();

      // Assess: the key set waits for the first decision; no introspection without a token.
      expect(fake.calls).toEqual([]);
      expect(secretCalls).toEqual(['secret']);
    });

    it.each([
      ['FIRST_TOKEN_BY_INTROSPECTION=false', { FIRST_TOKEN_BY_INTROSPECTION: 'false' }, ['secret']],
      ['AUTH_MODE=jwt', { AUTH_MODE: 'jwt' }, []],
    ])('with %s, starts loading the key set too, before any request', async (_case, env, secretsAtInit) => {
      // Prepare
      const { fake, secretCalls } = await held({ env });

      // Act
      await flush();

      // Assess
      expect(fake.calls.map((c) => c.url)).toEqual([JWKS_URI]);
      expect(secretCalls).toEqual(secretsAtInit);
    });

    it.each([
      ['', {}],
      [', FIRST_TOKEN_BY_INTROSPECTION=false as well', { FIRST_TOKEN_BY_INTROSPECTION: 'false' }],
    ])('in introspection mode%s, loads only the secret: no key set is fetched, then or later', async (_case, env) => {
      // Prepare
      const fake = createFakeFetch(() => jsonResponse(activeAnswer()));
      const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const secrets = mockClient(client)
        .on(GetSecretValueCommand)
        .resolves({ SecretString: JSON.stringify({ client_id: 'service-b', client_secret: 'stored-secret' }) });
      const logger = createFakeLogger();
      const handler = createAuthorizer({
        routes: ROUTES,
        env: { ...ENV, ...env },
        overrides: { fetch: fake.fetch, secretsClient: client, now: frozenClock().now, logger: logger.logger },
      });

      // Act
      await flush();
      const secretCallsAtInit = secrets.commandCalls(GetSecretValueCommand).length;
      const policy = await handler(tokenAuthorizerEvent('Bearer opaque-token'));
      await flush();

      // Assess
      expect(secretCallsAtInit).toBe(1);
      expect(policy.policyDocument.Statement[0]?.Effect).toBe('Allow');
      expect(fake.calls.map((c) => c.url)).toEqual([INTROSPECTION_ENDPOINT]);
      expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
    });

    it('serves the first request with the secret the warm-up loaded and one introspection, and fetches no key set behind it', async () => {
      // Prepare
      const { handler, fake, secret, secretCalls } = await held();

      // Act
      const decided = handler(tokenAuthorizerEvent(`Bearer ${await tokenForB()}`));
      secret.resolve();
      const policy = await decided;
      await flush();

      // Assess: nothing left running that Lambda could freeze halfway.
      expect(policy.policyDocument.Statement[0]?.Effect).toBe('Allow');
      expect(fake.calls.map((c) => c.url)).toEqual([INTROSPECTION_ENDPOINT]);
      expect(secretCalls).toEqual(['secret']);
    });

    it("refuses a forged first token on Keycloak's inactive answer, then a second forgery locally, with no call", async () => {
      // Prepare: Keycloak answers for a signature it did not make as it does, inactive.
      const { handler, fake, jwks, secret } = await held({ introspection: () => jsonResponse({ active: false }) });
      secret.resolve();

      // Act
      const first = await failureOf(handler(tokenAuthorizerEvent(`Bearer ${await forgedToken()}`)));
      await flush();
      jwks.resolve(jsonResponse(await testJwks()));
      const second = await failureOf(handler(tokenAuthorizerEvent(`Bearer ${await forgedToken('BBBBBBBB')}`)));

      // Assess
      expect([first.message, second.message]).toEqual(['Unauthorized', 'Unauthorized']);
      expect(fake.calls.map((c) => c.url)).toEqual([INTROSPECTION_ENDPOINT, JWKS_URI]);
    });

    it('with FIRST_TOKEN_BY_INTROSPECTION=false, checks the first token\'s signature first, while the key set loads', async () => {
      // Prepare
      const { handler, fake, jwks, secret } = await held({ env: { FIRST_TOKEN_BY_INTROSPECTION: 'false' } });
      secret.resolve();

      // Act
      const attempt = handler(tokenAuthorizerEvent(`Bearer ${await forgedToken()}`));
      await flush();
      jwks.resolve(jsonResponse(await testJwks()));

      // Assess
      await expect(attempt).rejects.toThrow('Unauthorized');
      expect(fake.calls.map((c) => c.url)).toEqual([JWKS_URI]);
    });

    it('logs a failed warm-up as a warning with its code, and the first request loads the keys again', async () => {
      // Prepare
      const { handler, fake, jwks, secret, logger } = await held({ env: { FIRST_TOKEN_BY_INTROSPECTION: 'false' } });
      jwks.resolve(jsonResponse({ error: 'down' }, 503));
      secret.resolve();
      await flush();

      // Act
      const policy = await handler(tokenAuthorizerEvent(`Bearer ${await tokenForB()}`));

      // Assess
      expect(logger.lines.filter((line) => line.level === 'warn').map((line) => [line.message, line.attributes.code])).toEqual([
        ['warm-up failed; the first request retries', 'KEYCLOAK_UNAVAILABLE'],
      ]);
      expect(policy.policyDocument.Statement[0]?.Effect).toBe('Allow');
      expect(fake.calls.map((c) => c.url)).toEqual([JWKS_URI, JWKS_URI, INTROSPECTION_ENDPOINT]);
    });

    it('answers the first token without the key set, and fails closed for the next one while the key set cannot be fetched', async () => {
      // Prepare
      const { handler, fake, jwks, secret } = await held();
      secret.resolve();
      jwks.resolve(jsonResponse({ error: 'down' }, 503));

      // Act
      const first = await handler(tokenAuthorizerEvent(`Bearer ${await tokenForB()}`));
      const second = await failureOf(handler(tokenAuthorizerEvent(`Bearer ${await tokenForB({ sub: 'user-2' })}`)));

      // Assess: the second token's check asked for the key set; no introspection without it.
      expect(first.policyDocument.Statement[0]?.Effect).toBe('Allow');
      expect(second.message).toBe('Authorizer unavailable');
      expect(fake.calls.map((c) => c.url)).toEqual([INTROSPECTION_ENDPOINT, JWKS_URI]);
    });
  });

  it.each([
    ['a missing variable', { ...ENV, CLIENT_SECRET_ID: undefined }, 'Environment variable CLIENT_SECRET_ID is required'],
    ['a missing Keycloak URL', { ...ENV, KEYCLOAK_URL: undefined }, 'Environment variable KEYCLOAK_URL is required'],
    ['a service the route table does not know', { ...ENV, SERVICE_NAME: 'service-z' }, 'Environment variable SERVICE_NAME must be one of service-b, service-c'],
    ['plain http to a host that is not loopback', { ...ENV, KEYCLOAK_URL: 'http://sso.example.com' }, 'Environment variable KEYCLOAK_URL must be an https: URL (plain http: is accepted for loopback hosts only)'],
    ['a cache cap out of range', { ...ENV, INTROSPECTION_CACHE_TTL_SECONDS: '86400' }, 'Environment variable INTROSPECTION_CACHE_TTL_SECONDS must be an integer from 1 to 3600'],
  ])('fails when it is created, not at the first request, on %s', (_, env, message) => {
    // Act
    const create = () => createAuthorizer({ routes: ROUTES, env });

    // Assess
    expect(create).toThrow(message);
  });

  it('fails when it is created on a route table without routes for the service', () => {
    // Act
    const create = () => createAuthorizer({ routes: { 'service-b': {} }, env: ENV });

    // Assess
    expect(create).toThrow('routes["service-b"] must have at least one route');
  });
});
