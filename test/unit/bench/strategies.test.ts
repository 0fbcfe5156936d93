/**
 * The bench's reference strategies (bench/): built from the library and the demo's app code, never
 * reachable from a production entry.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, createKeycloakClient, createServiceIdentity, sha256 } from 'keycloak-lambda-s2s';
import { principalFromContext, authorizedBearerToken } from 'keycloak-lambda-s2s/lambda';
import { assertBenchOnly } from '../../../bench/guard';
import { benchObservability } from '../../../bench/observability';
import { NO_AUTH_TOKEN, placeholderExchanges, placeholderTokens, withPlaceholderContext } from '../../../bench/off/no-auth';
import { clientCredentialsEveryCall, exchangeEveryCall, introspectEveryRequest } from '../../../bench/original/strategy';
import { routes } from '../../../functions/routes';
import { FIXED_NOW_SECONDS } from '../helpers/clock';
import { proxyEvent } from '../helpers/events';
import { fakeCredentials } from '../helpers/fake-credentials';
import { createFakeFetch, formOf, jsonResponse } from '../helpers/fake-fetch';
import { thrownBy } from '../helpers/errors';
import { unsignedJwt } from '../helpers/jwt';
import { INTROSPECTION_ENDPOINT, ISSUER, KEYCLOAK_URL, REALM, TOKEN_ENDPOINT, tokenAnswer } from '../helpers/keycloak';

function identityOf(clientId: string, respond: Parameters<typeof createFakeFetch>[0]) {
  const fake = createFakeFetch(respond);
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  return { fake, identity: createServiceIdentity(keycloak, fakeCredentials(clientId, `secret-${clientId}`)) };
}

describe('the original strategy', () => {
  it('introspects every request, even a token it accepted a moment ago', async () => {
    // Prepare
    const { fake, identity } = identityOf('service-b', () =>
      jsonResponse({ active: true, typ: 'Bearer', iss: ISSUER, aud: 'service-b', sub: 'u', azp: 'service-a', exp: 4_000_000_000 }),
    );
    const authority = introspectEveryRequest(identity);

    // Act
    for (let i = 0; i < 3; i++) await authority.authorize('token-1');

    // Assess
    expect(fake.callsTo(INTROSPECTION_ENDPOINT)).toHaveLength(3);
  });

  it("still refuses what the kit refuses: a token of another audience", async () => {
    // Prepare
    const { identity } = identityOf('service-b', () =>
      jsonResponse({ active: true, typ: 'Bearer', iss: ISSUER, aud: 'service-c', sub: 'u', azp: 'service-a', exp: 4_000_000_000 }),
    );

    // Act
    const outcome = await introspectEveryRequest(identity).authorize('token-1').catch((error: unknown) => error);

    // Assess
    expect(outcome).toMatchObject({ code: 'TOKEN_WRONG_AUDIENCE' });
  });

  it('fetches a client-credentials token for every call', async () => {
    // Prepare
    let serial = 0;
    const { fake, identity } = identityOf('service-a', () =>
      jsonResponse(tokenAnswer(unsignedJwt({ sub: 'sa', azp: 'service-a', aud: 'service-b', exp: FIXED_NOW_SECONDS + 300, jti: String(++serial) }))),
    );
    const tokens = clientCredentialsEveryCall(identity);

    // Act
    const first = await tokens.get();
    const second = await tokens.get();

    // Assess
    expect(first).not.toBe(second);
    expect(fake.callsTo(TOKEN_ENDPOINT)).toHaveLength(2);
  });

  it('exchanges the subject token for every call', async () => {
    // Prepare
    const { fake, identity } = identityOf('service-b', () =>
      jsonResponse(tokenAnswer(unsignedJwt({ iss: ISSUER, sub: 'u', azp: 'service-b', aud: 'service-c', exp: FIXED_NOW_SECONDS + 300 }))),
    );
    const subjectToken = unsignedJwt({ iss: ISSUER, sub: 'u', azp: 'service-a', aud: 'service-b', exp: FIXED_NOW_SECONDS + 300 });
    const source = exchangeEveryCall(identity).source(subjectToken, 'service-c');

    // Act
    await source.get();
    await source.get();

    // Assess
    const calls = fake.callsTo(TOKEN_ENDPOINT);
    expect(calls).toHaveLength(2);
    expect(calls.map((call) => formOf(call).audience)).toEqual(['service-c', 'service-c']);
  });
});

describe('the off strategy', () => {
  it('hands out the placeholder and calls nobody', async () => {
    // Assess
    expect(await placeholderTokens.get()).toBe(NO_AUTH_TOKEN);
    expect(await placeholderExchanges.source().get()).toBe(NO_AUTH_TOKEN);
  });

  it("gives an event the context an authorizer would have given the placeholder for the route", () => {
    // Prepare
    const event = proxyEvent({ resource: '/api/process', headers: { Authorization: `Bearer ${NO_AUTH_TOKEN}` } });

    // Act
    const served = withPlaceholderContext(event, routes['service-b'].process);

    // Assess
    expect(principalFromContext(served, routes['service-b'].process).permissions).toEqual(['orders.approve', 'inventory.adjust']);
    expect(authorizedBearerToken(served)).toBe(NO_AUTH_TOKEN);
    expect(served.requestContext.authorizer?.tokenHash).toBe(sha256(NO_AUTH_TOKEN));
  });
});

describe('benchObservability', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('logs a Keycloak round-trip where the bench counts it and publishes it as the production metric', () => {
    // Prepare: Powertools publishing for real, and stdout captured
    vi.stubEnv('POWERTOOLS_DEV', '');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });

    // Act
    try {
      const { metrics, onKeycloakRoundTrip } = benchObservability('authorizer-service-b', { POWERTOOLS_METRICS_NAMESPACE: 'BenchTest' });
      onKeycloakRoundTrip('introspect', { durationMs: 3, outcome: 'answered' });
      metrics.flush();
    } finally {
      write.mockRestore();
    }

    // Assess
    const lines = written.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.message === 'keycloak round-trip')).toMatchObject({ service: 'authorizer-service-b', kind: 'introspect' });
    expect(lines.find((line) => '_aws' in line)).toMatchObject({
      service: 'authorizer-service-b',
      kind: 'introspect',
      KeycloakRoundTrips: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'BenchTest' }] },
    });
  });
});

describe('assertBenchOnly', () => {
  it('lets a bench entry load under serverless offline at stage bench', () => {
    // Assess
    expect(() => assertBenchOnly({ IS_OFFLINE: 'true', SERVERLESS_STAGE: 'bench' })).not.toThrow();
  });

  it.each([
    ['a deployed function', {}],
    ['serverless offline at another stage', { IS_OFFLINE: 'true', SERVERLESS_STAGE: 'dev' }],
    ['stage bench outside serverless offline', { SERVERLESS_STAGE: 'bench' }],
  ])('refuses to let a bench entry load in %s', (_, env) => {
    // Act
    const error = thrownBy(() => assertBenchOnly(env));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
  });
});
