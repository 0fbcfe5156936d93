import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { BadRequestError, KeycloakUnavailableError, TokenExchangeDeniedError } from 'keycloak-lambda-s2s';
import { logSafeError } from 'keycloak-lambda-s2s';
import { correlationIdOf, createLogger, handleRequest, json } from 'keycloak-lambda-s2s/lambda';
import { frozenClock } from '../../helpers/clock';
import { lambdaContext, proxyEvent } from '../../helpers/events';
import { createFakeLogger } from '../../helpers/fake-logger';
import { createFakeMetrics } from '../../helpers/fake-metrics';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('correlationIdOf', () => {
  it("keeps the caller's well-formed x-correlation-id, whatever its header casing", () => {
    // Prepare
    const event = proxyEvent({ headers: { 'X-Correlation-Id': 'req_42:a.b-c' } });

    // Act
    const id = correlationIdOf(event);

    // Assess
    expect(id).toBe('req_42:a.b-c');
  });

  it('accepts an id of 128 characters', () => {
    // Prepare
    const given = 'a'.repeat(128);

    // Act
    const id = correlationIdOf(proxyEvent({ headers: { 'x-correlation-id': given } }));

    // Assess
    expect(id).toBe(given);
  });

  it('creates a UUID when the request has none', () => {
    // Act
    const id = correlationIdOf(proxyEvent({ headers: {} }));

    // Assess
    expect(id).toMatch(UUID);
  });

  it.each([
    ['a line break that could forge a log line', 'abc\n{"level":"ERROR"}'],
    ['a space', 'abc def'],
    ['a quote', 'abc"def'],
    ['129 characters', 'a'.repeat(129)],
    ['nothing', ''],
  ])('replaces a malformed id containing %s with a new UUID', (_case, given) => {
    // Prepare
    const event = proxyEvent({ headers: { 'x-correlation-id': given } });

    // Act
    const id = correlationIdOf(event);

    // Assess
    expect(id).toMatch(UUID);
    expect(id).not.toBe(given);
  });
});

describe('handleRequest', () => {
  it("returns the work's response with the correlation id added to its headers", async () => {
    // Prepare
    const { logger } = createFakeLogger();
    const event = proxyEvent({ headers: { 'x-correlation-id': 'corr-1' } });

    // Act
    const result = await handleRequest(event, { logger, now: frozenClock().now }, async () => json(200, { ok: true }, { 'x-extra': '1' }));

    // Assess
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-extra': '1', 'x-correlation-id': 'corr-1' },
      body: '{"ok":true}',
    });
  });

  it('hands the correlation id to the work', async () => {
    // Prepare
    const { logger } = createFakeLogger();
    const seen: string[] = [];

    // Act
    await handleRequest(proxyEvent({ headers: { 'x-correlation-id': 'corr-2' } }), { logger }, async ({ correlationId }) => {
      seen.push(correlationId);
      return json(200, {});
    });

    // Assess
    expect(seen).toEqual(['corr-2']);
  });

  it('writes exactly one log line for a successful request, with route, status, outcome, latency and correlation id', async () => {
    // Prepare
    const fake = createFakeLogger();
    const clock = frozenClock();
    const event = proxyEvent({ httpMethod: 'POST', resource: '/api/process', headers: { 'x-correlation-id': 'corr-3' } });

    // Act
    await handleRequest(event, { logger: fake.logger, now: clock.now }, async () => {
      clock.advance(42);
      return json(200, {});
    });

    // Assess
    expect(fake.lines).toEqual([
      {
        level: 'info',
        message: 'request',
        attributes: { route: 'POST /api/process', status: 200, outcome: 'success', latency_ms: 42 },
        keys: { correlation_id: 'corr-3' },
      },
    ]);
  });

  it('maps a thrown error to its response in one place, keeping the correlation id', async () => {
    // Prepare
    const { logger } = createFakeLogger();
    const event = proxyEvent({ headers: { 'x-correlation-id': 'corr-4' } });

    // Act
    const result = await handleRequest(event, { logger }, async () => {
      throw new BadRequestError('amount', 'amount must be a number');
    });

    // Assess
    expect(result.statusCode).toBe(400);
    expect(result.headers?.['x-correlation-id']).toBe('corr-4');
    expect(JSON.parse(result.body)).toEqual({ error: 'BAD_REQUEST', message: 'amount must be a number', field: 'amount' });
  });

  it('logs a client error once, as a failure with its code', async () => {
    // Prepare
    const fake = createFakeLogger();

    // Act
    await handleRequest(proxyEvent(), { logger: fake.logger, now: frozenClock().now }, async () => {
      throw new BadRequestError('amount', 'amount must be a number');
    });

    // Assess
    expect(fake.lines).toHaveLength(1);
    expect(fake.lines[0]).toMatchObject({ level: 'info', attributes: { status: 400, outcome: 'failure', code: 'BAD_REQUEST' } });
  });

  it('also logs a server error with its description, and the request line once', async () => {
    // Prepare
    const fake = createFakeLogger();

    // Act
    const result = await handleRequest(proxyEvent(), { logger: fake.logger, now: frozenClock().now }, async () => {
      throw new KeycloakUnavailableError('Keycloak could not be reached', { cause: new TypeError('fetch failed') });
    });

    // Assess
    expect(result.statusCode).toBe(503);
    expect(fake.lines.map((l) => `${l.level} ${l.message}`)).toEqual(['error request failed', 'info request']);
    expect(fake.lines[0]?.attributes).toEqual({
      code: 'KEYCLOAK_UNAVAILABLE',
      error: {
        name: 'KeycloakUnavailableError',
        code: 'KEYCLOAK_UNAVAILABLE',
        message: 'Keycloak could not be reached',
        cause: { name: 'TypeError', message: 'fetch failed' },
      },
    });
    expect(fake.lines[1]?.attributes).toMatchObject({ status: 503, outcome: 'failure', code: 'KEYCLOAK_UNAVAILABLE' });
  });

  it("logs the detail of a refused token exchange that the 403 body leaves out (Keycloak's description)", async () => {
    // Prepare
    const fake = createFakeLogger();

    // Act
    const result = await handleRequest(proxyEvent(), { logger: fake.logger, now: frozenClock().now }, async () => {
      throw new TokenExchangeDeniedError('invalid_request', 'Requested audience not available: service-c');
    });

    // Assess
    expect(result.statusCode).toBe(403);
    expect(result.body).not.toContain('Requested audience');
    expect(fake.lines.map((l) => `${l.level} ${l.message}`)).toEqual(['warn token exchange refused', 'info request']);
    expect(JSON.stringify(fake.lines[0]?.attributes)).toContain('Requested audience not available: service-c');
  });

  it('answers 500 INTERNAL for an unexpected error without leaking its message', async () => {
    // Prepare
    const { logger } = createFakeLogger();

    // Act
    const result: APIGatewayProxyResult = await handleRequest(proxyEvent(), { logger }, async () => {
      throw new Error('secret=hunter2');
    });

    // Assess
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('hunter2');
    expect(JSON.parse(result.body)).toEqual({ error: 'INTERNAL', message: 'Internal error' });
  });

  it('logs an unexpected error (500) as a failed request, with its name for the operator', async () => {
    // Prepare
    const fake = createFakeLogger();

    // Act
    await handleRequest(proxyEvent(), { logger: fake.logger }, async () => {
      throw new RangeError('boom');
    });

    // Assess
    expect(fake.lines.map((l) => `${l.level} ${l.message}`)).toEqual(['error request failed', 'info request']);
    expect(fake.lines[0]?.attributes).toMatchObject({ code: 'INTERNAL', error: { name: 'RangeError' } });
  });

  it('logs the route by its resource template, not the concrete path', async () => {
    // Prepare
    const fake = createFakeLogger();
    const event = { ...proxyEvent({ httpMethod: 'GET', resource: '/orders/{id}' }), path: '/orders/42' };

    // Act
    await handleRequest(event, { logger: fake.logger }, async () => json(200, {}));

    // Assess
    expect(fake.lines[0]?.attributes).toMatchObject({ route: 'GET /orders/{id}' });
  });

  it('serves a request Lambda passes no context for, with the real logger', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const logger = createLogger('service-b');

    // Act
    const result = await handleRequest(proxyEvent(), { logger }, async () => json(200, { ok: true }));
    vi.unstubAllEnvs();

    // Assess
    expect(result.statusCode).toBe(200);
  });

  it('resets the keys of the previous invocation before appending the new correlation id', async () => {
    // Prepare
    const fake = createFakeLogger();
    fake.logger.appendKeys({ correlation_id: 'stale', user: 'previous' });

    // Act
    await handleRequest(proxyEvent({ headers: { 'x-correlation-id': 'fresh' } }), { logger: fake.logger }, async () => json(200, {}));

    // Assess
    expect(fake.lines[0]?.keys).toEqual({ correlation_id: 'fresh' });
  });

  it('never logs the Authorization header or the body', async () => {
    // Prepare
    const fake = createFakeLogger();
    const event = proxyEvent({ headers: { authorization: 'Bearer SECRET-TOKEN' }, body: '{"password":"SECRET-BODY"}' });

    // Act
    await handleRequest(event, { logger: fake.logger }, async () => {
      throw new Error('boom');
    });

    // Assess
    expect(fake.text()).not.toContain('SECRET-TOKEN');
    expect(fake.text()).not.toContain('SECRET-BODY');
  });
});

describe('handleRequest observability', () => {
  it("hands the invocation's Lambda context to the logger before the work runs", async () => {
    // Prepare
    const fake = createFakeLogger();
    const context = lambdaContext('req-1');
    let contextsSeenByWork = 0;

    // Act
    await handleRequest(proxyEvent(), { logger: fake.logger, context }, async () => {
      contextsSeenByWork = fake.contexts.length;
      return json(200, {});
    });

    // Assess
    expect(fake.contexts).toEqual([context]);
    expect(contextsSeenByWork).toBe(1);
  });

  it('counts an error response by its code and status, then flushes the metrics', async () => {
    // Prepare
    const { logger } = createFakeLogger();
    const fake = createFakeMetrics();

    // Act
    await handleRequest(proxyEvent(), { logger, metrics: fake.metrics }, async () => {
      throw new BadRequestError('amount', 'amount must be a number');
    });
    await handleRequest(proxyEvent(), { logger, metrics: fake.metrics }, async () => {
      throw new KeycloakUnavailableError('Keycloak could not be reached');
    });

    // Assess
    expect(fake.flushed).toEqual([[['requestErrored', 'BAD_REQUEST', 400]], [['requestErrored', 'KEYCLOAK_UNAVAILABLE', 503]]]);
  });

  it('records nothing for a successful request but still flushes what the work recorded', async () => {
    // Prepare
    const { logger } = createFakeLogger();
    const fake = createFakeMetrics();

    // Act
    await handleRequest(proxyEvent(), { logger, metrics: fake.metrics }, async () => {
      fake.metrics.keycloakRoundTrip('exchange', { durationMs: 7, outcome: 'answered' });
      return json(200, {});
    });

    // Assess
    expect(fake.flushed).toEqual([[['keycloakRoundTrip', 'exchange', { durationMs: 7, outcome: 'answered' }]]]);
  });
});

describe('describe', () => {
  it('describes a non-Error by its string form', () => {
    // Act
    const described = logSafeError('plain failure');

    // Assess
    expect(described).toEqual({ message: 'plain failure' });
  });

  it('describes an error without a cause by name, code and message only', () => {
    // Act
    const described = logSafeError(new RangeError('out of range'));

    // Assess
    expect(described).toEqual({ name: 'RangeError', code: 'INTERNAL', message: 'out of range' });
  });
});
