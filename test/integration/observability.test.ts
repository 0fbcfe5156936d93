import { describe, expect, it } from 'vitest';
import { offlineLog, offlineLogOffset, waitForLogLines } from './helpers/offline-log';
import { api, clientToken, devCredentialValues, keycloakCallsDuring, runningStack, sleep, userToken } from './helpers/stack';

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/;

describe('warm requests', () => {
  it('cost no Keycloak round-trip on A’s route once the caches are warm', async () => {
    // Verdicts cached by earlier files would expire during the loop (a designed re-introspection, not a
    // per-request call): on a short-cap test stack, let them all lapse so the warm-up caches fresh ones.
    // The gateway's cached policies of those tokens lapse too (their TTL follows the cap on a test stack).
    const { introspectionCacheTtlSeconds, authorizerResultTtlSeconds } = runningStack();
    const cap = Math.max(introspectionCacheTtlSeconds, authorizerResultTtlSeconds);
    if (cap <= 10) await sleep(cap * 1000 + 250);
    await api('GET', '/run-service-b');
    await api('GET', '/run-service-b');

    const calls = await keycloakCallsDuring(async () => {
      for (let i = 0; i < 10; i += 1) expect((await api('GET', '/run-service-b')).status).toBe(200);
    });

    expect(calls).toEqual({ token: 0, introspect: 0, certs: 0 });
  });

  it('cost no Keycloak round-trip on the delegation route for a user token seen before', async () => {
    const token = await userToken('alice');
    expect((await api('GET', '/run-service-b/as-user', { token })).status).toBe(200);

    const calls = await keycloakCallsDuring(async () => {
      for (let i = 0; i < 10; i += 1) expect((await api('GET', '/run-service-b/as-user', { token })).status).toBe(200);
    });

    expect(calls).toEqual({ token: 0, introspect: 0, certs: 0 });
  });
});

describe('the functions’ logs', () => {
  it('carry the correlation id through A, B and C and never contain a token, an Authorization header or a secret', async () => {
    const correlationId = `it-logs-${Date.now()}`;
    const user = await userToken('alice');
    const own = await clientToken('service-a');
    const since = offlineLogOffset();
    await api('GET', '/run-service-b', { headers: { 'x-correlation-id': correlationId } });
    await api('GET', '/run-service-b/as-user', { token: user, headers: { 'x-correlation-id': correlationId } });
    await api('POST', '/api/process', {
      token: own,
      body: { order_id: 'x y', amount: 1 },
      headers: { 'x-correlation-id': `${correlationId}-own` },
    });
    await api('POST', '/api/process', { authorization: 'Bearer garbage.garbage.garbage', body: {} });
    // Every request above has written its lines before the log is searched for what must not be in it.
    await waitForLogLines(
      'A, B and C under the correlation id, twice',
      (line) => line.message === 'request' && line.correlation_id === correlationId,
      { since, count: 6 },
    );
    await waitForLogLines(
      'B refusing the own-token order',
      (line) => line.service === 'service-b' && line.correlation_id === `${correlationId}-own` && line.status === 400,
      { since },
    );
    await waitForLogLines(
      'authorizer-b refusing the garbage',
      (line) => line.service === 'authorizer-service-b' && line.message === 'unauthorized',
      { since },
    );

    const log = offlineLog();
    const lines = log.split('\n').filter((line) => line.includes(`"correlation_id":"${correlationId}"`));

    const services = new Set(lines.map((line) => (JSON.parse(line) as { service: string }).service));
    expect([...services].sort()).toEqual(['service-a', 'service-b', 'service-c']);
    expect(log).not.toMatch(JWT_SHAPE);
    expect(log).not.toContain(user);
    expect(log).not.toContain(own);
    expect(log).not.toMatch(/bearer [A-Za-z0-9]/i);
    for (const value of devCredentialValues()) expect(log).not.toContain(value);
  });
});
