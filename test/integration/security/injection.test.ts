import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPUTE, ORDER, expectRefused, withoutIntrospection } from '../helpers/attack';
import { offlineLog, offlineLogOffset, waitForLogLines } from '../helpers/offline-log';
import { api, clientToken, exchangedToken } from '../helpers/stack';

// Injection strings where the services read input: the Authorization header, the JSON bodies and the
// correlation id header. Nothing is interpreted, echoed or logged as given. Each payload carries a
// unique plain ASCII marker that JSON escaping leaves as it is, so an echo or a log line of the
// payload, escaped or not, shows the marker; a log is searched only once the line of that very
// request is in it.

/** Payloads built around a marker; the header ones are those an HTTP header can carry (no CR, LF). */
const HEADER_PAYLOADS: [string, (marker: string) => string][] = [
  ['SQL', (marker) => `1' OR '1'='1' -- ${marker}`],
  ['NoSQL operator', (marker) => `{"$ne":"${marker}"}`],
  ['JNDI lookup', (marker) => `\${jndi:ldap://127.0.0.1:1389/${marker}}`],
  ['script tag', (marker) => `<script>alert('${marker}')</script>`],
  ['path traversal', (marker) => `../../../../etc/passwd/${marker}`],
  ['template expression', (marker) => `{{7*7}}\${7*7}${marker}`],
  ['a quoted log line', (marker) => `"}{"level":"ERROR","message":"${marker}`],
  ['a long value', (marker) => `${marker}-${'A'.repeat(4000)}`],
];
const PAYLOADS: [string, (marker: string) => string][] = [
  ...HEADER_PAYLOADS,
  ['log line forgery with CRLF', (marker) => `x\r\n{"level":"ERROR","message":"${marker}"}\r\n`],
];

/** A marker no log or answer can contain unless this test's payload was echoed or logged. */
const newMarker = () => `it-inj-${randomUUID()}`;

let tokenForB: string;
let tokenForC: string;
beforeAll(async () => {
  tokenForB = await clientToken('service-a');
  tokenForC = await exchangedToken('service-b', tokenForB, 'service-c');
});

describe('an injection string as the bearer token', () => {
  it.each(HEADER_PAYLOADS)('is refused with 401 and not echoed: %s', async (_name, payloadOf) => {
    const marker = newMarker();
    const payload = payloadOf(marker);

    await withoutIntrospection(async () => {
      const answer = await api('POST', '/api/process', { authorization: `Bearer ${payload}`, body: ORDER });

      expectRefused(answer, 401);
      expect(answer.text).not.toContain(marker);
    });
  });
});

describe('an injection string in a body', () => {
  it.each(PAYLOADS)('gets 401 without a token, before the body is read: %s', async (_name, payloadOf) => {
    const marker = newMarker();

    const answer = await api('POST', '/api/process', { body: { order_id: payloadOf(marker), amount: 1 } });

    expectRefused(answer, 401);
    expect(answer.text).not.toContain(marker);
  });

  it.each(PAYLOADS)('gets 400 naming order_id at B with a valid token, and is neither echoed nor logged: %s', async (_name, payloadOf) => {
    const marker = newMarker();
    const correlationId = `it-inj-request-${randomUUID()}`;
    const since = offlineLogOffset();

    const answer = await api('POST', '/api/process', { token: tokenForB, body: { order_id: payloadOf(marker), amount: 1 }, headers: { 'x-correlation-id': correlationId } });
    await waitForLogLines('B’s line of the request', (line) => line.service === 'service-b' && line.message === 'request' && line.correlation_id === correlationId, { since });

    expectRefused(answer, 400, tokenForB);
    expect(answer.body).toMatchObject({ error: 'BAD_REQUEST', field: 'order_id' });
    expect(answer.text).not.toContain(marker);
    expect(offlineLog()).not.toContain(marker);
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
  it.each(HEADER_PAYLOADS)('is replaced by a fresh id, neither answered nor logged: %s', async (_name, payloadOf) => {
    const marker = newMarker();
    const since = offlineLogOffset();

    const answer = await api('GET', '/run-service-b', { headers: { 'x-correlation-id': payloadOf(marker) } });
    const fresh = answer.headers.get('x-correlation-id') ?? '';
    // The chain's lines under the fresh id are written: the log is complete for this request.
    const lines = await waitForLogLines('the chain’s lines under the fresh id', (line) => line.message === 'request' && line.correlation_id === fresh, { since, count: 3 });

    expect(answer.status).toBe(200);
    expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(lines.map((line) => line.service))).toEqual(new Set(['service-a', 'service-b', 'service-c']));
    expect(answer.text).not.toContain(marker);
    expect(offlineLog()).not.toContain(marker);
  });

  it('is kept when well-formed, and then logged (the control: the search above finds a logged id)', async () => {
    const marker = newMarker();
    const since = offlineLogOffset();

    const answer = await api('GET', '/run-service-b', { headers: { 'x-correlation-id': marker } });
    await waitForLogLines('the chain’s lines under the given id', (line) => line.message === 'request' && line.correlation_id === marker, { since, count: 3 });

    expect(answer.headers.get('x-correlation-id')).toBe(marker);
    expect(offlineLog()).toContain(marker);
  });
});
