import { beforeAll, describe, expect, it } from 'vitest';
import { ADJUSTMENT, COMPUTE, ORDER, expectRefused, withoutIntrospection } from '../helpers/attack';
import { api, clientToken, devSecret, rawPost, stack } from '../helpers/stack';

// The Authorization header itself is wrong: every case is refused by the authorizer's parser with
// 401 before any Keycloak call, at B and at C alike.

let real: string;
beforeAll(async () => {
  real = await clientToken('service-a');
});

const routes = [
  ['B', '/api/process', ORDER],
  ['C', '/api/compute', COMPUTE],
] as const;

describe.each(routes)('the Authorization header at %s', (_service, path, body) => {
  it('is refused with 401 when it is missing', async () => {
    await withoutIntrospection(async () => expectRefused(await api('POST', path, { body }), 401));
  });

  it('is refused with 401 when it is empty', async () => {
    await withoutIntrospection(async () => expectRefused(await rawPost(stack.apiUrl, path, [['authorization', '']], body), 401));
  });

  it.each([
    ['the scheme alone', 'Bearer'],
    ['the scheme and blanks', 'Bearer    '],
    ['two tokens in one header', () => `Bearer ${real} ${real}`],
    ['a folded duplicate header (RFC 9110 list form)', () => `Bearer ${real}, Bearer ${real}`],
    ['the token without a scheme', () => real],
    ['the Basic scheme with a real client secret', `Basic ${Buffer.from(`service-a:${devSecret('service-a')}`).toString('base64')}`],
    ['the Token scheme', () => `Token ${real}`],
    ['the DPoP scheme', () => `DPoP ${real}`],
    ['the Bearer scheme glued to the token', () => `Bearer${real}`],
    ['a tab instead of a space', () => `Bearer\t${real}`],
    ['a token of forbidden characters', 'Bearer abc$def!ghi'],
    ['a token over 8 KB', `Bearer ${'A'.repeat(8193)}`],
  ])('is refused with 401 for %s', async (_name, value) => {
    const authorization = typeof value === 'function' ? value() : value;
    await withoutIntrospection(async () => expectRefused(await api('POST', path, { authorization, body }), 401, real));
  });

  it('is refused with 401 when a garbage Authorization line comes before a valid one (the first one counts)', async () => {
    const answer = await rawPost(stack.apiUrl, path, [['authorization', 'Bearer garbage'], ['authorization', `Bearer ${real}`]], body);

    expectRefused(answer, 401, real);
  });
});

describe('an Authorization header beyond the HTTP server’s header limit', () => {
  it('is refused by the server with 400 before any function runs', async () => {
    const answer = await rawPost(stack.apiUrl, '/api/process', [['authorization', `Bearer ${'A'.repeat(20_000)}`]], ORDER);

    // Node's 16 KB header limit answers before the authorizer runs; API Gateway's own limit is 10 KB.
    expectRefused(answer, 400);
  });

  it('is about size: the same valid token with a large but allowed header is served (control)', async () => {
    const answer = await api('POST', '/api/inventory/adjust', { token: real, body: ADJUSTMENT, headers: { 'x-padding': 'p'.repeat(8_000) } });

    expect(answer.status).toBe(200);
  });
});
