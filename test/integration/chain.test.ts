import { describe, expect, it } from 'vitest';
import { clientCredentialsGrant } from '../../scripts/lib/oidc.mjs';
import { api, claims, clientToken, devSecret, endpoints, exchangedToken } from './helpers/stack';

describe('the service chain A → B → C on the real stack', () => {
  it('returns the original response shape with result 20 when A is called without a token', async () => {
    const answer = await api('GET', '/run-service-b');

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      service_b: 'Order 9876 processed by Service B',
      service_c: { result: 20, msg: 'Service C successfully processed request' },
    });
  });

  it('lets B see A as the caller and C see B as the caller, with the same subject', async () => {
    const answer = await api('GET', '/run-service-b');

    expect(answer.body.caller.azp).toBe('service-a');
    expect(answer.body.service_c.caller.azp).toBe('service-b');
    expect(answer.body.service_c.caller.sub).toBe(answer.body.caller.sub);
  });

  it('carries the caller’s correlation id through the chain and back', async () => {
    const answer = await api('GET', '/run-service-b', { headers: { 'x-correlation-id': 'it-chain-42' } });

    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-correlation-id')).toBe('it-chain-42');
  });
});

describe('a token is accepted only by the service it was issued for', () => {
  it('accepts A’s own token at B', async () => {
    const token = await clientToken('service-a');

    const answer = await api('POST', '/api/process', { token, body: { order_id: 1, amount: 5 } });

    expect(answer.status).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
  });

  it('rejects A’s own token sent straight to C', async () => {
    const token = await clientToken('service-a');
    expect(claims(token).aud).toBe('service-b');

    const answer = await api('POST', '/api/compute', { token, body: { value: 10 } });

    expect(answer.status).toBe(401);
  });

  it('accepts the token B exchanged for C at C', async () => {
    const forC = await exchangedToken('service-b', await clientToken('service-a'), 'service-c');

    const answer = await api('POST', '/api/compute', { token: forC, body: { value: 21 } });

    expect(answer.status).toBe(200);
    expect(answer.body.result).toBe(42);
  });

  it('rejects the token exchanged for C when it is sent to B', async () => {
    const forC = await exchangedToken('service-b', await clientToken('service-a'), 'service-c');
    expect(claims(forC).aud).toBe('service-c');

    const answer = await api('POST', '/api/process', { token: forC, body: { order_id: 1, amount: 5 } });

    expect(answer.status).toBe(401);
  });

  it('gives C no token of its own: C has no service account (it calls nobody as itself)', async () => {
    const answer = await clientCredentialsGrant(endpoints, { clientId: 'service-c', clientSecret: devSecret('service-c') });

    expect(answer.status).not.toBe(200);
    expect(answer.body.error).toBe('unauthorized_client');
  });
});

describe('requests without a usable token', () => {
  it.each([
    ['B', '/api/process', { order_id: 1, amount: 5 }],
    ['C', '/api/compute', { value: 1 }],
  ])('are refused with 401 at %s when no Authorization header is sent', async (_name, path, body) => {
    const answer = await api('POST', path, { body });

    expect(answer.status).toBe(401);
  });

  it.each([
    ['garbage', 'Bearer not-a-token'],
    ['a JWT-shaped forgery', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['another scheme', 'Basic c2VydmljZS1hOnNlY3JldA=='],
  ])('are refused with 401 at B for %s', async (_name, authorization) => {
    const answer = await api('POST', '/api/process', { authorization, body: { order_id: 1, amount: 5 } });

    expect(answer.status).toBe(401);
  });
});

describe('bad request bodies', () => {
  it('get a 400 naming the field at B', async () => {
    const token = await clientToken('service-a');

    const answer = await api('POST', '/api/process', { token, body: { order_id: 1, amount: -3 } });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'BAD_REQUEST', field: 'amount' });
  });

  it('get a 400 when the body is not JSON', async () => {
    const token = await clientToken('service-a');

    const answer = await api('POST', '/api/process', { token, body: '{not json' });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'BAD_REQUEST', field: 'body' });
  });
});
