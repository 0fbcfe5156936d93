import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createServiceCHandler, parseComputeRequest } from '../../../../functions/service-c/service-c';
import { BadRequestError } from 'keycloak-lambda-s2s';
import { FIXED_NOW_SECONDS, frozenClock } from '../../helpers/clock';
import { authorizerContext, proxyEvent } from '../../helpers/events';
import { createFakeLogger } from '../../helpers/fake-logger';

function setup() {
  const log = createFakeLogger();
  return { log, handler: createServiceCHandler({ logger: log.logger, now: frozenClock().now }) };
}

function computeRequest({
  body = JSON.stringify({ value: 10 }),
  permissions = ['analytics.run'],
  exp = FIXED_NOW_SECONDS + 300,
  authorizer,
}: { body?: string | null; permissions?: string[]; exp?: number; authorizer?: Record<string, unknown> | null } = {}) {
  return proxyEvent({
    httpMethod: 'POST',
    resource: '/api/compute',
    headers: { 'x-correlation-id': 'chain-1' },
    body,
    authorizer: authorizer === undefined ? authorizerContext({ sub: 'user-1', clientId: 'service-b', exp, permissions }) : authorizer,
  });
}

function bodyOf(result: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

describe('parseComputeRequest', () => {
  it.each([[10], [0], [-2.5], [1e12], [-1e12]])('accepts value %s', (value) => {
    // Act
    const request = parseComputeRequest({ value });

    // Assess
    expect(request).toEqual({ value });
  });

  it.each([
    ['missing', {}, 'value must be a finite number'],
    ['a string', { value: '10' }, 'value must be a finite number'],
    ['null', { value: null }, 'value must be a finite number'],
    ['infinite', { value: Number.POSITIVE_INFINITY }, 'value must be a finite number'],
    ['NaN', { value: Number.NaN }, 'value must be a finite number'],
    ['above 1e12', { value: 1e12 + 1 }, 'value must be between -1e12 and 1e12'],
    ['below -1e12', { value: -1e12 - 1 }, 'value must be between -1e12 and 1e12'],
  ])('refuses a value that is %s, naming value', (_case, body, message) => {
    // Act
    let error: unknown;
    try {
      parseComputeRequest(body);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ field: 'value', message });
  });
});

describe('createServiceCHandler', () => {
  it('doubles the value and names the caller', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(computeRequest());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      result: 20,
      msg: 'Service C successfully processed request',
      caller: { sub: 'user-1', azp: 'service-b' },
    });
    expect(result.headers?.['x-correlation-id']).toBe('chain-1');
  });

  it.each([
    ['no body', null, 'body'],
    ['a body that is not JSON', 'value=10', 'body'],
    ['a string value', JSON.stringify({ value: 'ten' }), 'value'],
    ['no value', JSON.stringify({ amount: 10 }), 'value'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(computeRequest({ body }));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ error: 'BAD_REQUEST', field });
  });

  it('answers 401 without an authorizer context', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(computeRequest({ authorizer: null }));

    // Assess
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_MISSING' });
  });

  it('answers 401 when the authorizer context has expired', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(computeRequest({ exp: FIXED_NOW_SECONDS }));

    // Assess
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toMatchObject({ error: 'TOKEN_EXPIRED' });
  });

  it("answers 403 to a caller holding B's permissions but not analytics.run", async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(computeRequest({ permissions: ['orders.approve', 'inventory.adjust'] }));

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ error: 'PERMISSION_DENIED', message: 'Missing permission: analytics.run' });
  });

  it('checks permission before reading the body', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(computeRequest({ permissions: [], body: 'not json' }));

    // Assess
    expect(result.statusCode).toBe(403);
  });

  it('logs one line per request', async () => {
    // Prepare
    const { handler, log } = setup();

    // Act
    await handler(computeRequest());

    // Assess
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'request',
        attributes: { route: 'POST /api/compute', status: 200, outcome: 'success', latency_ms: 0 },
        keys: { correlation_id: 'chain-1' },
      },
    ]);
  });
});

