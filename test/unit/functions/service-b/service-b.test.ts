import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createServiceBDependencies,
  createServiceBHandler,
  parseAdjustRequest,
  parseProcessRequest,
  type ServiceBDependencies,
} from '../../../../functions/service-b/service-b';
import { BadRequestError, createKeycloakClient, createServiceIdentity, createExchangedTokens } from 'keycloak-lambda-s2s';
import { type Env, createServiceCaller } from 'keycloak-lambda-s2s/lambda';
import { FIXED_NOW_SECONDS, frozenClock } from '../../helpers/clock';
import { authorizerContext, proxyEvent } from '../../helpers/events';
import { basicHeader, fakeCredentials } from '../../helpers/fake-credentials';
import { createFakeFetch, formOf, jsonResponse, type FetchCall } from '../../helpers/fake-fetch';
import { createFakeLogger } from '../../helpers/fake-logger';
import { signJwt, unsignedJwt } from '../../helpers/jwt';
import { ISSUER, KEYCLOAK_URL, REALM, TOKEN_ENDPOINT, tokenAnswer } from '../../helpers/keycloak';

const API_URL = 'https://api.test/dev';
const C_URL = `${API_URL}/api/compute`;
const B_PERMISSIONS = ['orders.approve', 'inventory.adjust'];
const C_ANSWER = { result: 20, msg: 'Service C successfully processed request', caller: { sub: 'user-1', azp: 'service-b' } };

/** How the fake Keycloak answers a token exchange, and how the fake service C answers a call. */
interface World {
  exchange?: (call: FetchCall, attempt: number) => Response | Promise<Response>;
  serviceC?: (call: FetchCall, attempt: number) => Response | Promise<Response>;
  /** When set, B has an inventory service to forward adjustments to. */
  inventory?: (call: FetchCall) => Response | Promise<Response>;
}

const INVENTORY_URL = 'https://inventory.test/prod';

/** An exchanged token as Keycloak issues it: meant for the asked audience, issued to service-b. */
function exchangedToken(audience: string, serial: number): string {
  return unsignedJwt({ iss: ISSUER, sub: 'user-1', aud: audience, azp: 'service-b', typ: 'Bearer', exp: FIXED_NOW_SECONDS + 300, jti: `x-${serial}` });
}

function setup(world: World = {}) {
  const clock = frozenClock();
  let exchanges = 0;
  let callsToC = 0;
  const fake = createFakeFetch((call) => {
    if (call.url === TOKEN_ENDPOINT) {
      exchanges++;
      return (world.exchange ?? ((c, n) => jsonResponse(tokenAnswer(exchangedToken(formOf(c).audience ?? '', n)))))(call, exchanges);
    }
    if (call.url === C_URL) {
      callsToC++;
      return (world.serviceC ?? (() => jsonResponse(C_ANSWER)))(call, callsToC);
    }
    if (world.inventory && call.url === `${INVENTORY_URL}/inventory/adjustments`) return world.inventory(call);
    throw new Error(`unexpected call to ${call.url}`);
  });
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  const identity = createServiceIdentity(keycloak, fakeCredentials('service-b', 'secret-b'));
  const dependencies: ServiceBDependencies = {
    now: clock.now,
    exchangedTokens: createExchangedTokens({ identity, skewSeconds: 30, maxEntries: 100, now: clock.now }),
    serviceC: createServiceCaller({ service: 'service-c', baseUrl: API_URL, timeoutMs: 5000, fetch: fake.fetch }),
    ...(world.inventory ? { inventory: createServiceCaller({ service: 'inventory', baseUrl: INVENTORY_URL, timeoutMs: 5000, fetch: fake.fetch }) } : {}),
  };
  const log = createFakeLogger();
  return {
    fake,
    log,
    handler: createServiceBHandler(() => dependencies, log.logger),
    exchangeCalls: () => fake.callsTo(TOKEN_ENDPOINT),
    cCalls: () => fake.callsTo(C_URL),
  };
}

function bodyOf(result: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

let subjectToken: string;

/** A request as API Gateway hands it to B after authorizer-b allowed it. */
function processRequest({
  body = JSON.stringify({ order_id: 9876, amount: 100 }),
  permissions = B_PERMISSIONS,
  exp = FIXED_NOW_SECONDS + 300,
  headers = {},
  authorizer,
  authorizedToken = subjectToken,
}: {
  body?: string | null;
  permissions?: string[];
  exp?: number;
  headers?: Record<string, string>;
  authorizer?: Record<string, unknown> | null;
  /** The token authorizer-b decided on (its hash is the context's `tokenHash`): the request's own by default. */
  authorizedToken?: string;
} = {}) {
  return proxyEvent({
    httpMethod: 'POST',
    resource: '/api/process',
    headers: { Authorization: `Bearer ${subjectToken}`, 'content-type': 'application/json', ...headers },
    body,
    authorizer: authorizer === undefined ? authorizerContext({ sub: 'user-1', clientId: 'service-a', exp, permissions }) : authorizer,
    authorizedToken,
  });
}

beforeAll(async () => {
  subjectToken = await signJwt({
    iss: ISSUER,
    sub: 'user-1',
    aud: 'service-b',
    azp: 'service-a',
    typ: 'Bearer',
    exp: FIXED_NOW_SECONDS + 600,
    resource_access: { 'service-b': { roles: B_PERMISSIONS } },
  });
});

describe('parseProcessRequest', () => {
  it.each([
    [{ order_id: 9876, amount: 100 }, { order_id: '9876', amount: 100 }],
    [{ order_id: 'ORD-9876_a', amount: 0.5 }, { order_id: 'ORD-9876_a', amount: 0.5 }],
    [{ order_id: 0, amount: 1e9 }, { order_id: '0', amount: 1e9 }],
  ])('accepts %o', (body, expected) => {
    // Act
    const order = parseProcessRequest(body);

    // Assess
    expect(order).toEqual(expected);
  });

  it.each([
    ['missing', { amount: 100 }],
    ['negative', { order_id: -1, amount: 100 }],
    ['fractional', { order_id: 1.5, amount: 100 }],
    ['empty', { order_id: '', amount: 100 }],
    ['of forbidden characters', { order_id: 'a b', amount: 100 }],
    ['too long', { order_id: 'x'.repeat(65), amount: 100 }],
    ['an object', { order_id: { id: 1 }, amount: 100 }],
  ])('refuses an order_id that is %s, naming order_id', (_case, body) => {
    // Act
    const act = () => parseProcessRequest(body);

    // Assess
    expect(act).toThrow(new BadRequestError('order_id', 'order_id must be a non-negative integer or 1-64 letters, digits, "-" or "_"'));
    try {
      act();
    } catch (error) {
      expect((error as BadRequestError).field).toBe('order_id');
    }
  });

  it.each([
    ['missing', { order_id: 1 }],
    ['zero', { order_id: 1, amount: 0 }],
    ['negative', { order_id: 1, amount: -5 }],
    ['a string', { order_id: 1, amount: '100' }],
    ['over 1e9', { order_id: 1, amount: 1e9 + 1 }],
    ['infinite', { order_id: 1, amount: Number.POSITIVE_INFINITY }],
  ])('refuses an amount that is %s, naming amount', (_case, body) => {
    // Act
    const act = () => parseProcessRequest(body);

    // Assess
    expect(act).toThrow(new BadRequestError('amount', 'amount must be a number greater than 0 and at most 1e9'));
  });
});

describe('parseAdjustRequest', () => {
  it('accepts a sku and a non-zero integer delta', () => {
    // Act
    const adjustment = parseAdjustRequest({ sku: 'SKU-1', delta: -3 });

    // Assess
    expect(adjustment).toEqual({ sku: 'SKU-1', delta: -3 });
  });

  it.each([
    ['sku', 'missing', { delta: 1 }],
    ['sku', 'with a space', { sku: 'a b', delta: 1 }],
    ['delta', 'zero', { sku: 'SKU-1', delta: 0 }],
    ['delta', 'fractional', { sku: 'SKU-1', delta: 1.5 }],
    ['delta', 'over 1e6', { sku: 'SKU-1', delta: 1e6 + 1 }],
    ['delta', 'a string', { sku: 'SKU-1', delta: '1' }],
  ])('refuses a %s that is %s, naming it', (field, _case, body) => {
    // Act
    let error: unknown;
    try {
      parseAdjustRequest(body);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).field).toBe(field);
  });
});

describe('createServiceBHandler', () => {
  describe('POST /api/process', () => {
    it("exchanges the caller's token for one meant for C, calls C, and answers with both results", async () => {
      // Prepare
      const { handler, exchangeCalls, cCalls } = setup();

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toEqual({
        service_b: 'Order 9876 processed by Service B',
        service_c: C_ANSWER,
        caller: { sub: 'user-1', azp: 'service-a' },
      });
      expect(exchangeCalls().map(formOf)).toEqual([
        expect.objectContaining({ subject_token: subjectToken, audience: 'service-c' }),
      ]);
      expect(exchangeCalls()[0]?.headers.get('authorization')).toBe(basicHeader('service-b', 'secret-b'));
      expect(cCalls()).toHaveLength(1);
      expect(cCalls()[0]?.headers.get('authorization')).toBe(`Bearer ${exchangedToken('service-c', 1)}`);
      expect(cCalls()[0]?.body).toBe('{"value":10}');
    });

    it("carries the caller's correlation id to C and back", async () => {
      // Prepare
      const { handler, cCalls } = setup();

      // Act
      const result = await handler(processRequest({ headers: { 'x-correlation-id': 'chain-42' } }));

      // Assess
      expect(cCalls()[0]?.headers.get('x-correlation-id')).toBe('chain-42');
      expect(result.headers?.['x-correlation-id']).toBe('chain-42');
    });

    it('reuses the exchanged token for the next request with the same token', async () => {
      // Prepare
      const { handler, exchangeCalls, cCalls } = setup();

      // Act
      await handler(processRequest());
      await handler(processRequest());

      // Assess
      expect(exchangeCalls()).toHaveLength(1);
      expect(cCalls()).toHaveLength(2);
    });

    it('drops the exchanged token after a 401 from C, exchanges once more and retries once', async () => {
      // Prepare
      const { handler, exchangeCalls, cCalls } = setup({
        serviceC: (_call, attempt) => (attempt === 1 ? jsonResponse({ message: 'Unauthorized' }, 401) : jsonResponse(C_ANSWER)),
      });

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(exchangeCalls()).toHaveLength(2);
      expect(cCalls().map((c) => c.headers.get('authorization'))).toEqual([
        `Bearer ${exchangedToken('service-c', 1)}`,
        `Bearer ${exchangedToken('service-c', 2)}`,
      ]);
    });

    it('retries only once: a second 401 from C becomes 502 naming service-c', async () => {
      // Prepare
      const { handler, exchangeCalls, cCalls } = setup({ serviceC: () => jsonResponse({ message: 'Unauthorized' }, 401) });

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(502);
      expect(bodyOf(result)).toMatchObject({ error: 'DOWNSTREAM_REJECTED', service: 'service-c', status: 401 });
      expect(exchangeCalls()).toHaveLength(2);
      expect(cCalls()).toHaveLength(2);
    });

    it('passes a 403 from C on as 403, without retrying', async () => {
      // Prepare
      const { handler, cCalls } = setup({ serviceC: () => jsonResponse({ error: 'PERMISSION_DENIED' }, 403) });

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)).toMatchObject({ error: 'DOWNSTREAM_REJECTED', service: 'service-c', status: 403 });
      expect(cCalls()).toHaveLength(1);
    });

    it.each([
      [403, 'access_denied', 'Client is not within the token audience'],
      [400, 'invalid_request', 'Requested audience not available'],
    ])("answers 403 with keycloak_error when Keycloak refuses the exchange (%i %s), and does not call C", async (status, code, description) => {
      // Prepare
      const { handler, cCalls } = setup({ exchange: () => jsonResponse({ error: code, error_description: description }, status) });

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)).toEqual({
        error: 'TOKEN_EXCHANGE_DENIED',
        message: "The identity provider refused to exchange the token for the next service",
        keycloak_error: code,
      });
      expect(cCalls()).toHaveLength(0);
    });

    it('refuses an exchanged token that is not meant for C, and does not call C', async () => {
      // Prepare
      const { handler, cCalls } = setup({ exchange: () => jsonResponse(tokenAnswer(exchangedToken('service-b', 1))) });

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(500);
      expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_EXCHANGE_INVALID_RESULT' });
      expect(cCalls()).toHaveLength(0);
    });

    it('answers 503 when Keycloak is unreachable', async () => {
      // Prepare
      const { handler, log } = setup({ exchange: () => Promise.reject(new TypeError('fetch failed')) });

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(503);
      expect(bodyOf(result)).toEqual({ error: 'KEYCLOAK_UNAVAILABLE', message: 'The identity provider is unavailable' });
      expect(log.lines.map((l) => l.level)).toEqual(['error', 'info']);
    });

    it('answers 502 when C does not answer in time', async () => {
      // Prepare
      const { handler } = setup({ serviceC: () => Promise.reject(new DOMException('timed out', 'TimeoutError')) });

      // Act
      const result = await handler(processRequest());

      // Assess
      expect(result.statusCode).toBe(502);
      expect(bodyOf(result)).toEqual({ error: 'DOWNSTREAM_UNAVAILABLE', message: 'A downstream service is unavailable' });
    });

    describe('bad requests', () => {
      it.each([
        ['no body', null, 'body'],
        ['a body that is not JSON', '{"order_id":', 'body'],
        ['a JSON array', '[]', 'body'],
        ['no order_id', JSON.stringify({ amount: 100 }), 'order_id'],
        ['a malformed order_id', JSON.stringify({ order_id: 'DROP TABLE', amount: 100 }), 'order_id'],
        ['a negative amount', JSON.stringify({ order_id: 1, amount: -1 }), 'amount'],
        ['a string amount', JSON.stringify({ order_id: 1, amount: '100' }), 'amount'],
      ])('answers 400 naming the field for %s, without calling Keycloak or C', async (_case, body, field) => {
        // Prepare
        const { handler, fake } = setup();

        // Act
        const result = await handler(processRequest({ body }));

        // Assess
        expect(result.statusCode).toBe(400);
        expect(bodyOf(result)).toMatchObject({ error: 'BAD_REQUEST', field });
        expect(fake.calls).toHaveLength(0);
      });
    });

    describe('re-checking the authorizer context', () => {
      it('answers 401 TOKEN_NOT_AUTHORIZED, exchanging nothing, when the request carries a token other than the one authorizer-b checked', async () => {
        // Prepare: authorizer-b decided on another token (a duplicated Authorization header reaching each side differently)
        const { handler, fake } = setup();
        const checkedToken = await signJwt({ iss: ISSUER, sub: 'user-1', aud: 'service-b', azp: 'service-a', typ: 'Bearer', jti: 'checked' });

        // Act
        const result = await handler(processRequest({ authorizedToken: checkedToken }));

        // Assess
        expect(result.statusCode).toBe(401);
        expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_NOT_AUTHORIZED' });
        expect(fake.calls).toHaveLength(0);
      });

      it('answers 401 when there is no authorizer context', async () => {
        // Prepare
        const { handler, fake } = setup();

        // Act
        const result = await handler(processRequest({ authorizer: null }));

        // Assess
        expect(result.statusCode).toBe(401);
        expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_MISSING' });
        expect(fake.calls).toHaveLength(0);
      });

      it('answers 401 when the context has expired (a cached policy outlived the token)', async () => {
        // Prepare
        const { handler } = setup();

        // Act
        const result = await handler(processRequest({ exp: FIXED_NOW_SECONDS }));

        // Assess
        expect(result.statusCode).toBe(401);
        expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_EXPIRED' });
      });

      it('answers 403 when the context lacks a permission of the route', async () => {
        // Prepare
        const { handler, fake } = setup();

        // Act
        const result = await handler(processRequest({ permissions: ['inventory.adjust'] }));

        // Assess
        expect(result.statusCode).toBe(403);
        expect(bodyOf(result)).toEqual({ error: 'PERMISSION_DENIED', message: 'Missing permission: orders.approve' });
        expect(fake.calls).toHaveLength(0);
      });
    });

    it('never logs the subject token or the exchanged token', async () => {
      // Prepare
      const { handler, log } = setup({ serviceC: () => Promise.reject(new TypeError('fetch failed')) });

      // Act
      await handler(processRequest());

      // Assess
      expect(log.text()).not.toContain(subjectToken);
      expect(log.text()).not.toContain(exchangedToken('service-c', 1));
    });
  });

  describe('POST /api/inventory/adjust', () => {
    function adjustRequest(body: unknown, permissions: string[]) {
      return proxyEvent({
        httpMethod: 'POST',
        resource: '/api/inventory/adjust',
        headers: { Authorization: `Bearer ${subjectToken}` },
        body: JSON.stringify(body),
        authorizer: authorizerContext({ sub: 'user-1', clientId: 'service-a', exp: FIXED_NOW_SECONDS + 300, permissions }),
        authorizedToken: subjectToken,
      });
    }

    it('adjusts with inventory.adjust alone, without calling Keycloak or C', async () => {
      // Prepare
      const { handler, fake } = setup();

      // Act
      const result = await handler(adjustRequest({ sku: 'SKU-1', delta: 5 }, ['inventory.adjust']));

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toEqual({ adjusted: { sku: 'SKU-1', delta: 5 }, caller: { sub: 'user-1', azp: 'service-a' } });
      expect(fake.calls).toHaveLength(0);
    });

    it('forwards the adjustment to the inventory service with the token exchanged for inventory, when one is configured', async () => {
      // Prepare
      const { handler, fake } = setup({ inventory: () => jsonResponse({ adjusted: { sku: 'SKU-1', delta: 5 }, by: 'inventory' }) });

      // Act
      const result = await handler(adjustRequest({ sku: 'SKU-1', delta: 5 }, ['inventory.adjust']));

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toEqual({
        adjusted: { sku: 'SKU-1', delta: 5 },
        inventory: { adjusted: { sku: 'SKU-1', delta: 5 }, by: 'inventory' },
        caller: { sub: 'user-1', azp: 'service-a' },
      });
      const [exchange, forward] = fake.calls;
      expect(exchange && formOf(exchange)).toMatchObject({ audience: 'inventory', subject_token: subjectToken });
      expect(forward?.headers.get('authorization')).toBe(`Bearer ${exchangedToken('inventory', 1)}`);
      expect(JSON.parse(forward?.body ?? '')).toEqual({ sku: 'SKU-1', delta: 5 });
    });

    it('forwards nothing to the inventory service when the request carries a token other than the one authorizer-b checked', async () => {
      // Prepare
      const { handler, fake } = setup({ inventory: () => jsonResponse({ adjusted: { sku: 'SKU-1', delta: 5 }, by: 'inventory' }) });
      const event = adjustRequest({ sku: 'SKU-1', delta: 5 }, ['inventory.adjust']);
      event.headers = { Authorization: 'Bearer some-other-token' };

      // Act
      const result = await handler(event);

      // Assess
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_NOT_AUTHORIZED' });
      expect(fake.calls).toHaveLength(0);
    });

    it('answers 403 without inventory.adjust', async () => {
      // Prepare
      const { handler } = setup();

      // Act
      const result = await handler(adjustRequest({ sku: 'SKU-1', delta: 5 }, ['orders.approve']));

      // Assess
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)).toMatchObject({ error: 'PERMISSION_DENIED' });
    });

    it('answers 400 naming delta for a zero delta', async () => {
      // Prepare
      const { handler } = setup();

      // Act
      const result = await handler(adjustRequest({ sku: 'SKU-1', delta: 0 }, ['inventory.adjust']));

      // Assess
      expect(result.statusCode).toBe(400);
      expect(bodyOf(result)).toMatchObject({ error: 'BAD_REQUEST', field: 'delta' });
    });
  });
});

describe('createServiceBDependencies', () => {
  const ENV: Env = {
    SERVICE_NAME: 'service-b',
    CLIENT_SECRET_ID: 'dev/keycloak/service-b',
    KEYCLOAK_URL,
    KEYCLOAK_REALM: REALM,
    SERVICE_C_URL: API_URL,
  };

  it('wires Secrets Manager, Keycloak and the call to C from the environment', async () => {
    // Prepare
    const secretsClient = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(secretsClient)
      .on(GetSecretValueCommand, { SecretId: 'dev/keycloak/service-b' })
      .resolves({ SecretString: JSON.stringify({ client_id: 'service-b', client_secret: 'stored-secret' }) });
    const fake = createFakeFetch((call) =>
      call.url === TOKEN_ENDPOINT ? jsonResponse(tokenAnswer(exchangedToken('service-c', 1))) : jsonResponse(C_ANSWER),
    );
    const dependencies = createServiceBDependencies(ENV, { fetch: fake.fetch, secretsClient, now: frozenClock().now });
    const handler = createServiceBHandler(() => dependencies, createFakeLogger().logger);

    // Act
    const result = await handler(processRequest());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(fake.calls.map((c) => c.url)).toEqual([TOKEN_ENDPOINT, C_URL]);
    expect(fake.calls[0]?.headers.get('authorization')).toBe(basicHeader('service-b', 'stored-secret'));
  });

  it('names the missing SERVICE_C_URL', () => {
    // Act
    const build = () => createServiceBDependencies({ ...ENV, SERVICE_C_URL: undefined });

    // Assess
    expect(build).toThrow('Environment variable SERVICE_C_URL is required');
  });
});
