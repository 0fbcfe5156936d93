import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_ORDER,
  createServiceADependencies,
  createServiceAHandler,
  type ServiceADependencies,
} from '../../../../functions/service-a/service-a';
import { createKeycloakClient, createServiceIdentity, createClientCredentialsTokens, createExchangedTokens } from 'keycloak-lambda-s2s';
import { type Env, createServiceCaller } from 'keycloak-lambda-s2s/lambda';
import { FIXED_NOW_SECONDS, frozenClock } from '../../helpers/clock';
import { authorizerContext, proxyEvent } from '../../helpers/events';
import { basicHeader, fakeCredentials } from '../../helpers/fake-credentials';
import { createFakeFetch, formOf, jsonResponse, type FetchCall } from '../../helpers/fake-fetch';
import { createFakeLogger } from '../../helpers/fake-logger';
import { signJwt, unsignedJwt } from '../../helpers/jwt';
import { ISSUER, KEYCLOAK_URL, REALM, TOKEN_ENDPOINT, tokenAnswer } from '../../helpers/keycloak';

const API_URL = 'https://api.test/dev';
const B_URL = `${API_URL}/api/process`;
const B_ANSWER = {
  service_b: 'Order 9876 processed by Service B',
  service_c: { result: 20, msg: 'Service C successfully processed request' },
};

type Answer = (call: FetchCall, attempt: number) => Response | Promise<Response>;

/** A token Keycloak issued to service-a: its own (client credentials) or exchanged on a user's behalf. */
function tokenOfA(grant: 'own' | 'exchanged', serial: number): string {
  return unsignedJwt({
    iss: ISSUER,
    sub: grant === 'own' ? 'service-account-service-a' : 'alice-id',
    aud: 'service-b',
    azp: 'service-a',
    typ: 'Bearer',
    exp: FIXED_NOW_SECONDS + 300,
    jti: `${grant}-${serial}`,
  });
}

function setup(world: { token?: Answer; serviceB?: Answer; ownCallRequiresIamCaller?: boolean } = {}) {
  const clock = frozenClock();
  let tokenCalls = 0;
  let callsToB = 0;
  const fake = createFakeFetch((call) => {
    if (call.url === TOKEN_ENDPOINT) {
      tokenCalls++;
      const defaultAnswer: Answer = (c, n) =>
        jsonResponse(tokenAnswer(tokenOfA(formOf(c).grant_type === 'client_credentials' ? 'own' : 'exchanged', n)));
      return (world.token ?? defaultAnswer)(call, tokenCalls);
    }
    if (call.url === B_URL) {
      callsToB++;
      return (world.serviceB ?? (() => jsonResponse(B_ANSWER)))(call, callsToB);
    }
    throw new Error(`unexpected call to ${call.url}`);
  });
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  const identity = createServiceIdentity(keycloak, fakeCredentials('service-a', 'secret-a'));
  const dependencies: ServiceADependencies = {
    now: clock.now,
    ownTokens: createClientCredentialsTokens({ identity, skewSeconds: 30, now: clock.now }),
    exchangedTokens: createExchangedTokens({ identity, skewSeconds: 30, maxEntries: 100, now: clock.now }),
    serviceB: createServiceCaller({ service: 'service-b', baseUrl: API_URL, timeoutMs: 5000, fetch: fake.fetch }),
    ownCallRequiresIamCaller: world.ownCallRequiresIamCaller ?? false,
  };
  const log = createFakeLogger();
  return {
    fake,
    log,
    handler: createServiceAHandler(() => dependencies, log.logger),
    tokenCalls: () => fake.callsTo(TOKEN_ENDPOINT),
    bCalls: () => fake.callsTo(B_URL),
  };
}

function bodyOf(result: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

function runRequest(headers: Record<string, string> = {}) {
  return proxyEvent({ httpMethod: 'GET', resource: '/run-service-b', headers });
}

/** The same request as API Gateway passes it on after an IAM-signed caller (`aws_iam`) was let in. */
function iamSignedRunRequest() {
  const event = runRequest();
  event.requestContext.identity.userArn = 'arn:aws:iam::123456789012:role/platform-caller';
  return event;
}

let userToken: string;

function asUserRequest({
  permissions = ['orders.read'],
  exp = FIXED_NOW_SECONDS + 300,
  authorizedToken = userToken,
}: { permissions?: string[]; exp?: number; authorizedToken?: string } = {}) {
  return proxyEvent({
    httpMethod: 'GET',
    resource: '/run-service-b/as-user',
    headers: { authorization: `Bearer ${userToken}` },
    authorizer: authorizerContext({ sub: 'alice-id', clientId: 'demo-cli', exp, permissions }),
    authorizedToken,
  });
}

beforeAll(async () => {
  userToken = await signJwt({ iss: ISSUER, sub: 'alice-id', aud: 'service-a', azp: 'web-app', typ: 'Bearer', exp: FIXED_NOW_SECONDS + 600 });
});

describe('createServiceAHandler', () => {
  describe('GET /run-service-b (as service A itself)', () => {
    it("gets A's own token with client credentials, sends the demo order to B and answers with B's result", async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup();

      // Act
      const result = await handler(runRequest());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toEqual(B_ANSWER);
      expect(tokenCalls().map(formOf)).toEqual([{ grant_type: 'client_credentials' }]);
      expect(tokenCalls()[0]?.headers.get('authorization')).toBe(basicHeader('service-a', 'secret-a'));
      expect(bCalls()).toHaveLength(1);
      expect(bCalls()[0]?.headers.get('authorization')).toBe(`Bearer ${tokenOfA('own', 1)}`);
      expect(JSON.parse(bCalls()[0]?.body ?? '')).toEqual(DEMO_ORDER);
    });

    it('sends the original demo order {order_id: 9876, amount: 100}', () => {
      // Assess
      expect(DEMO_ORDER).toEqual({ order_id: 9876, amount: 100 });
    });

    it('carries the correlation id to B', async () => {
      // Prepare
      const { handler, bCalls } = setup();

      // Act
      const result = await handler(runRequest({ 'X-Correlation-Id': 'chain-7' }));

      // Assess
      expect(bCalls()[0]?.headers.get('x-correlation-id')).toBe('chain-7');
      expect(result.headers?.['x-correlation-id']).toBe('chain-7');
    });

    it('reuses its own token across requests', async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup();

      // Act
      await handler(runRequest());
      await handler(runRequest());

      // Assess
      expect(tokenCalls()).toHaveLength(1);
      expect(bCalls()).toHaveLength(2);
    });

    it('makes one Keycloak call for 50 concurrent cold requests', async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup();

      // Act
      const results = await Promise.all(Array.from({ length: 50 }, () => handler(runRequest())));

      // Assess
      expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
      expect(tokenCalls()).toHaveLength(1);
      expect(bCalls()).toHaveLength(50);
    });

    it('drops its token after a 401 from B, gets a new one and retries once', async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup({
        serviceB: (_c, attempt) => (attempt === 1 ? jsonResponse({ message: 'Unauthorized' }, 401) : jsonResponse(B_ANSWER)),
      });

      // Act
      const result = await handler(runRequest());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(tokenCalls()).toHaveLength(2);
      expect(bCalls().map((c) => c.headers.get('authorization'))).toEqual([`Bearer ${tokenOfA('own', 1)}`, `Bearer ${tokenOfA('own', 2)}`]);
    });

    it('retries only once: a second 401 from B becomes 502 naming service-b', async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup({ serviceB: () => jsonResponse({ message: 'Unauthorized' }, 401) });

      // Act
      const result = await handler(runRequest());

      // Assess
      expect(result.statusCode).toBe(502);
      expect(bodyOf(result)).toMatchObject({ error: 'DOWNSTREAM_REJECTED', service: 'service-b', status: 401 });
      expect(tokenCalls()).toHaveLength(2);
      expect(bCalls()).toHaveLength(2);
    });

    it("passes B's 403 on as 403, without retrying", async () => {
      // Prepare
      const { handler, bCalls } = setup({ serviceB: () => jsonResponse({ error: 'TOKEN_EXCHANGE_DENIED' }, 403) });

      // Act
      const result = await handler(runRequest());

      // Assess
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)).toMatchObject({ error: 'DOWNSTREAM_REJECTED', service: 'service-b', status: 403 });
      expect(bCalls()).toHaveLength(1);
    });

    it('answers 502 when B cannot be reached', async () => {
      // Prepare
      const { handler } = setup({ serviceB: () => Promise.reject(new TypeError('fetch failed')) });

      // Act
      const result = await handler(runRequest());

      // Assess
      expect(result.statusCode).toBe(502);
      expect(bodyOf(result)).toEqual({ error: 'DOWNSTREAM_UNAVAILABLE', message: 'A downstream service is unavailable' });
    });

    it('answers 503 when Keycloak is unreachable, without calling B', async () => {
      // Prepare
      const { handler, bCalls } = setup({ token: () => Promise.reject(new TypeError('fetch failed')) });

      // Act
      const result = await handler(runRequest());

      // Assess
      expect(result.statusCode).toBe(503);
      expect(bodyOf(result)).toMatchObject({ error: 'KEYCLOAK_UNAVAILABLE' });
      expect(bCalls()).toHaveLength(0);
    });
  });

  describe('GET /run-service-b/as-user (on behalf of a user)', () => {
    it("exchanges the user's token for one meant for B and calls B with it", async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup();

      // Act
      const result = await handler(asUserRequest());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toEqual(B_ANSWER);
      expect(tokenCalls().map(formOf)).toEqual([
        expect.objectContaining({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: userToken,
          audience: 'service-b',
        }),
      ]);
      expect(bCalls()[0]?.headers.get('authorization')).toBe(`Bearer ${tokenOfA('exchanged', 1)}`);
    });

    it('answers 401 TOKEN_NOT_AUTHORIZED, exchanging and calling nothing, when the request carries a token other than the one the authorizer checked', async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup();
      const checkedToken = await signJwt({ iss: ISSUER, sub: 'alice-id', aud: 'service-a', azp: 'web-app', typ: 'Bearer', jti: 'checked' });

      // Act
      const result = await handler(asUserRequest({ authorizedToken: checkedToken }));

      // Assess
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_NOT_AUTHORIZED' });
      expect({ tokenCalls: tokenCalls().length, bCalls: bCalls().length }).toEqual({ tokenCalls: 0, bCalls: 0 });
    });

    it('drops the exchanged token after a 401 from B, exchanges once more and retries once', async () => {
      // Prepare
      const { handler, tokenCalls, bCalls } = setup({
        serviceB: (_c, attempt) => (attempt === 1 ? jsonResponse({ message: 'Unauthorized' }, 401) : jsonResponse(B_ANSWER)),
      });

      // Act
      const result = await handler(asUserRequest());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(tokenCalls().map((c) => formOf(c).grant_type)).toEqual(Array(2).fill('urn:ietf:params:oauth:grant-type:token-exchange'));
      expect(bCalls()).toHaveLength(2);
    });

    it("answers 403 with keycloak_error when Keycloak refuses the exchange, without calling B", async () => {
      // Prepare
      const { handler, bCalls } = setup({ token: () => jsonResponse({ error: 'access_denied', error_description: 'Client is not within the token audience' }, 403) });

      // Act
      const result = await handler(asUserRequest());

      // Assess
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_EXCHANGE_DENIED', keycloak_error: 'access_denied' });
      expect(bCalls()).toHaveLength(0);
    });

    it('answers 403 when the user lacks orders.read, without calling Keycloak', async () => {
      // Prepare
      const { handler, fake } = setup();

      // Act
      const result = await handler(asUserRequest({ permissions: [] }));

      // Assess
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)).toEqual({ error: 'PERMISSION_DENIED', message: 'Missing permission: orders.read' });
      expect(fake.calls).toHaveLength(0);
    });

    it('answers 401 when the authorizer context has expired', async () => {
      // Prepare
      const { handler } = setup();

      // Act
      const result = await handler(asUserRequest({ exp: FIXED_NOW_SECONDS - 1 }));

      // Assess
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_EXPIRED' });
    });

    it('answers 401 when the Authorization header is missing', async () => {
      // Prepare
      const { handler, fake } = setup();
      const event = asUserRequest();
      event.headers = {};

      // Act
      const result = await handler(event);

      // Assess
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_MISSING' });
      expect(fake.calls).toHaveLength(0);
    });
  });
});

describe('GET /run-service-b outside serverless offline (the confused-deputy guard)', () => {
  it('refuses a caller that is not IAM-signed with 403 CALLER_NOT_ALLOWED, before any Keycloak call', async () => {
    // Prepare
    const { handler, fake } = setup({ ownCallRequiresIamCaller: true });

    // Act
    const result = await handler(runRequest());

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toMatchObject({ error: 'CALLER_NOT_ALLOWED' });
    expect(fake.calls).toHaveLength(0);
  });

  it('serves an IAM-signed caller', async () => {
    // Prepare
    const { handler } = setup({ ownCallRequiresIamCaller: true });

    // Act
    const result = await handler(iamSignedRunRequest());

    // Assess
    expect(result.statusCode).toBe(200);
  });
});

describe('createServiceADependencies', () => {
  const ENV: Env = {
    SERVICE_NAME: 'service-a',
    CLIENT_SECRET_ID: 'dev/keycloak/service-a',
    KEYCLOAK_URL,
    KEYCLOAK_REALM: REALM,
    SERVICE_B_URL: API_URL,
  };

  it('wires Secrets Manager, Keycloak and the call to B from the environment', async () => {
    // Prepare
    const secretsClient = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(secretsClient)
      .on(GetSecretValueCommand, { SecretId: 'dev/keycloak/service-a' })
      .resolves({ SecretString: JSON.stringify({ client_id: 'service-a', client_secret: 'stored-secret' }) });
    const fake = createFakeFetch((call) => (call.url === TOKEN_ENDPOINT ? jsonResponse(tokenAnswer(tokenOfA('own', 1))) : jsonResponse(B_ANSWER)));
    const dependencies = createServiceADependencies(ENV, { fetch: fake.fetch, secretsClient, now: frozenClock().now });
    const handler = createServiceAHandler(() => dependencies, createFakeLogger().logger);

    // Act
    const result = await handler(iamSignedRunRequest());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(fake.calls.map((c) => c.url)).toEqual([TOKEN_ENDPOINT, B_URL]);
    expect(fake.calls[0]?.headers.get('authorization')).toBe(basicHeader('service-a', 'stored-secret'));
  });

  it('requires an IAM-signed caller on A\'s own route unless it runs under serverless offline', () => {
    // Act
    const deployed = createServiceADependencies(ENV);
    const offline = createServiceADependencies({ ...ENV, IS_OFFLINE: 'true' });

    // Assess
    expect(deployed.ownCallRequiresIamCaller).toBe(true);
    expect(offline.ownCallRequiresIamCaller).toBe(false);
  });

  it('names the missing SERVICE_B_URL', () => {
    // Act
    const build = () => createServiceADependencies({ ...ENV, SERVICE_B_URL: undefined });

    // Assess
    expect(build).toThrow('Environment variable SERVICE_B_URL is required');
  });
});
