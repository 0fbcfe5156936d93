import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPUTE, ORDER, expectRefused, withoutIntrospection } from '../helpers/attack';
import { api, clientToken, exchangedToken, sleep, stack } from '../helpers/stack';

// Injection strings where the services read input: the Authorization header, the JSON bodies and the
// correlation id header. Nothing is interpreted, echoed or logged as given.

const PAYLOADS = [
  ["SQL", "1' OR '1'='1' --"],
  ['NoSQL operator', '{"$ne":null}'],
  ['JNDI lookup', '${jndi:ldap://127.0.0.1:1389/a}'],
  ['script tag', '<script>alert(1)</script>'],
  ['path traversal', '../../../../etc/passwd'],
  ['template expression', '{{7*7}}${7*7}'],
  ['log line forgery', '"}\\n{"level":"ERROR","message":"forged'],
] as const;

let tokenForB: string;
let tokenForC: string;
beforeAll(async () => {
  tokenForB = await clientToken('service-a');
  tokenForC = await exchangedToken('service-b', tokenForB, 'service-c');
});

describe('an injection string as the bearer token', () => {
  it.each(PAYLOADS)('is refused with 401 and not echoed: %s', async (_name, payload) => {
    await withoutIntrospection(async () => {
      const answer = await api('POST', '/api/process', { authorization: `Bearer ${payload}`, body: ORDER });

      expectRefused(answer, 401);
      expect(answer.text).not.toContain(payload);
    });
  });
});

describe('an injection string in a body', () => {
  it.each(PAYLOADS)('gets 401 without a token, before the body is read: %s', async (_name, payload) => {
    const answer = await api('POST', '/api/process', { body: { order_id: payload, amount: 1 } });

    expectRefused(answer, 401);
    expect(answer.text).not.toContain(payload);
  });

  it.each(PAYLOADS)('gets 400 naming order_id at B with a valid token, and is not echoed: %s', async (_name, payload) => {
    const answer = await api('POST', '/api/process', { token: tokenForB, body: { order_id: payload, amount: 1 } });

    expectRefused(answer, 400, tokenForB);
    expect(answer.body).toMatchObject({ error: 'BAD_REQUEST', field: 'order_id' });
    expect(answer.text).not.toContain(payload);
  });

  it.each([
    ['an operator object for order_id', { order_id: { $gt: '' }, amount: 1 }, 'order_id'],
    ['a string amount', { order_id: 1, amount: '1; DROP TABLE orders' }, 'amount'],
    ['an amount smuggled through __proto__', JSON.parse('{"order_id":1,"__proto__":{"amount":5}}'), 'amount'],
    ['an amount smuggled through constructor.prototype', { order_id: 1, constructor: { prototype: { amount: 5 } } }, 'amount'],
    ['a body that is a JSON array', [{ order_id: 1, amount: 1 }], 'body'],
  ])('gets 400 at B for %s', async (_name, body, field) => {
    const answer = await api('POST', '/api/process', { token: tokenForB, body: JSON.stringify(body) });

    expectRefused(answer, 400, tokenForB);
    expect(answer.body).toMatchObject({ error: 'BAD_REQUEST', field });
  });

  it('gets 400 at C for a string value and does not evaluate it', async () => {
    const answer = await api('POST', '/api/compute', { token: tokenForC, body: { value: '5*2' } });

    expectRefused(answer, 400, tokenForC);
    expect(answer.body).toMatchObject({ error: 'BAD_REQUEST', field: 'value' });
  });

  it('gets 400 at C for a body over 16 KB', async () => {
    const answer = await api('POST', '/api/compute', { token: tokenForC, body: { value: 1, pad: 'x'.repeat(17_000) } });

    expectRefused(answer, 400, tokenForC);
    expect(answer.body).toMatchObject({ error: 'BAD_REQUEST', field: 'body' });
  });

  it('does not pollute later requests: a clean request right after is served as usual', async () => {
    await api('POST', '/api/compute', { token: tokenForC, body: JSON.stringify(JSON.parse('{"__proto__":{"value":1000},"value":1}')) });

    const answer = await api('POST', '/api/compute', { token: tokenForC, body: COMPUTE });

    expect(answer.status).toBe(200);
    expect(answer.body.result).toBe(20);
  });
});

describe('an injection string as the correlation id', () => {
  it.each(PAYLOADS)('is replaced by a fresh id, neither answered nor logged: %s', async (_name, payload) => {
    const marker = `${payload} ${Date.now()}`;

    const answer = await api('GET', '/run-service-b', { headers: { 'x-correlation-id': marker } });
    await sleep(300); // let serverless offline flush its log

    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.text).not.toContain(payload);
    expect(readFileSync(`${stack.stateDir}/offline.log`, 'utf8')).not.toContain(marker);
  });
});
