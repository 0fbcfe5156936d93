/**
 * The functions' metrics (CloudWatch EMF lines on stdout, which serverless offline writes into its
 * log) checked against Keycloak's own request counters (`/metrics` on the management port) for the
 * same window. A serverless offline instance of its own, with the local gateway's authorizer cache
 * off, so that every request reaches the authorizers (as it does behind API Gateway whenever the
 * gateway's cache misses) and its log holds only this file's traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_FLUSH_MS, type OfflineInstance, callWithGuard, jsonLines, startOfflineInstance, warmUp } from './helpers/side-stack';
import { waitForLogLines } from './helpers/offline-log';
import { keycloakCallsDuring, sleep, userToken } from './helpers/stack';

const NAMESPACE = 'KeycloakS2SIntegration';

let offline: OfflineInstance;
type Line = Record<string, unknown>;
type Measured = { emf: Line[]; log: Line[]; keycloak: { token: number; introspect: number; certs: number } };
/** The instance's first chain, every function cold: measured in `beforeAll`, asserted by the first test. */
let cold: Measured;

beforeAll(async () => {
  offline = await startOfflineInstance('metrics', {
    OFFLINE_AUTHORIZER_CACHE: 'off',
    POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
    // Long enough that no verdict lapses inside a test (a lapse is a designed miss, not what is measured).
    INTROSPECTION_CACHE_TTL_SECONDS: '120',
  });
  cold = await measure(() => warmUp(offline.apiUrl), 1);
}, 180_000);

afterAll(async () => {
  await offline?.stop();
});

/**
 * The lines of the instance's log written while `action` ran, its EMF lines, and Keycloak's calls
 * meanwhile (on counters proven to count, see `keycloakCallsDuring`). The log is read once the
 * action's `chains` requests to A have each logged A's request line (A answers last: every function
 * of the chain has flushed its metrics by then); a window without A waits for `until` instead.
 */
async function measure(action: () => Promise<unknown>, chains: number, until?: { what: string; match: (line: Line) => boolean }): Promise<Measured> {
  const offset = offline.log().length;
  const keycloak = await keycloakCallsDuring(async () => {
    await action();
    const awaited = until ?? { what: 'A’s request lines', match: (line: Line) => line.service === 'service-a' && line.message === 'request' };
    await waitForLogLines(awaited.what, awaited.match, { since: offset, count: Math.max(chains, 1), log: offline.log });
  });
  await sleep(LOG_FLUSH_MS);
  const log = jsonLines(offline.log().slice(offset));
  return { log, emf: log.filter((line) => typeof line._aws === 'object'), keycloak };
}

/** Keycloak round-trips by kind as the functions' EMF lines count them. */
function roundTrips(emf: Line[]): Record<'token' | 'exchange' | 'introspect' | 'jwks', number> {
  return {
    token: total(emf, 'KeycloakRoundTrips', { kind: 'token' }),
    exchange: total(emf, 'KeycloakRoundTrips', { kind: 'exchange' }),
    introspect: total(emf, 'KeycloakRoundTrips', { kind: 'introspect' }),
    jwks: total(emf, 'KeycloakRoundTrips', { kind: 'jwks' }),
  };
}

/** The sum of `metric` over the EMF lines that match `where` (a value may be one number or an array of them). */
function total(emf: Line[], metric: string, where: Line = {}): number {
  return emf
    .filter((line) => Object.entries(where).every(([key, value]) => line[key] === value))
    .flatMap((line) => (line[metric] === undefined ? [] : [line[metric]].flat()))
    .reduce((sum: number, value) => sum + Number(value), 0);
}

describe('the metrics the functions publish', () => {
  it('count a cold chain’s round-trips by kind, each kind at least what one chain must cost, as Keycloak counted them', () => {
    // A cold A → B → C costs A's own token, B's exchange for C and an introspection at each of
    // authorizer-b and -c, which decide their first token without a key set (the warm-up may retry a
    // chain a starved machine timed out: more, never less; a retry's new token loads a key set).
    const counted = roundTrips(cold.emf);

    expect(counted.token, 'token').toBeGreaterThanOrEqual(1);
    expect(counted.exchange, 'exchange').toBeGreaterThanOrEqual(1);
    expect(counted.introspect, 'introspect').toBeGreaterThanOrEqual(2);
    expect(counted.token + counted.exchange).toBe(cold.keycloak.token);
    expect(counted.introspect).toBe(cold.keycloak.introspect);
    expect(counted.jwks).toBe(cold.keycloak.certs);
  });

  it('count the round-trips of a delegation by kind, exactly, as Keycloak counted them', async () => {
    // Prepare: a user token none of the instance's caches has seen (its own request is outside the window)
    const token = await userToken('alice');

    // Act
    const { emf, keycloak } = await measure(async () => {
      expect((await callWithGuard(offline.apiUrl, 'GET', '/run-service-b/as-user', { token })).status).toBe(200);
      expect((await callWithGuard(offline.apiUrl, 'GET', '/run-service-b')).status).toBe(200);
    }, 2);

    // Assess: the delegation cost an introspection at each of the three authorizers and an exchange at A and
    // at B; A's own chain, warm, nothing. Key sets: authorizer-a decides its first token without one, and
    // authorizer-b and -c load theirs now, for their second token, unless a chain the warm-up retried
    // already made them: at most 2, counted alike on both sides.
    const { jwks, ...calls } = roundTrips(emf);
    expect(calls).toEqual({ token: 0, exchange: 2, introspect: 3 });
    expect(keycloak).toEqual({ token: 2, introspect: 3, certs: jwks });
    expect(jwks).toBeLessThanOrEqual(2);
    expect(total(emf, 'KeycloakErrors')).toBe(0);
    expect(emf.filter((line) => line.KeycloakLatency !== undefined).length).toBeGreaterThan(0);
    // Each new decision is a verdict-cache miss of the authorizer that made it.
    expect(total(emf, 'VerdictCacheMisses')).toBe(keycloak.introspect);
  });

  it('show a warm chain as verdict-cache hits at both authorizers and no Keycloak round-trip', async () => {
    // Prepare
    expect((await callWithGuard(offline.apiUrl, 'GET', '/run-service-b')).status).toBe(200);

    // Act
    const { emf, keycloak } = await measure(async () => {
      for (let i = 0; i < 5; i += 1) expect((await callWithGuard(offline.apiUrl, 'GET', '/run-service-b')).status).toBe(200);
    }, 5);

    // Assess
    expect(keycloak).toEqual({ token: 0, introspect: 0, certs: 0 });
    expect(total(emf, 'KeycloakRoundTrips')).toBe(0);
    expect(total(emf, 'VerdictCacheHits', { service: 'authorizer-service-b' })).toBe(5);
    expect(total(emf, 'VerdictCacheHits', { service: 'authorizer-service-c' })).toBe(5);
    expect(total(emf, 'VerdictCacheMisses')).toBe(0);
  });

  it('count refusals by code, in the namespace the environment names, with bounded dimensions only', async () => {
    // Act
    const { emf } = await measure(
      async () => {
        const garbage = await callWithGuard(offline.apiUrl, 'POST', '/api/process', { token: 'garbage.garbage.garbage', body: {} });
        expect(garbage.status).toBe(401);
      },
      0,
      { what: 'authorizer-b’s refusal', match: (line) => line.service === 'authorizer-service-b' && line.message === 'unauthorized' },
    );

    // Assess
    const refusals = emf.filter((line) => line.AuthorizerRefusals !== undefined);
    expect(refusals).toEqual([expect.objectContaining({ service: 'authorizer-service-b', code: 'TOKEN_MALFORMED', AuthorizerRefusals: 1 })]);
    for (const line of emf) {
      const [directive] = (line._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> }).CloudWatchMetrics;
      expect(directive?.Namespace).toBe(NAMESPACE);
      for (const dimension of directive?.Dimensions.flat() ?? []) expect(['service', 'kind', 'code']).toContain(dimension);
    }
  });
});

describe('the functions’ log lines', () => {
  it('carry the Lambda context: cold start and the function request id, in the handlers and the authorizers', async () => {
    // Act
    const { log } = await measure(async () => {
      expect((await callWithGuard(offline.apiUrl, 'GET', '/run-service-b')).status).toBe(200);
    }, 1);

    // Assess
    const requestLines = log.filter((line) => line.message === 'request' || line.message === 'authorized');
    expect(new Set(requestLines.map((line) => line.service))).toEqual(new Set(['service-a', 'service-b', 'service-c', 'authorizer-service-b', 'authorizer-service-c']));
    for (const line of requestLines) {
      expect(line).toMatchObject({ cold_start: false, function_request_id: expect.any(String), function_name: expect.any(String) });
    }
    // Each function's first invocation (the warm-up) was its cold start.
    const coldStarts = jsonLines(offline.log()).filter((line) => line.cold_start === true && (line.message === 'request' || line.message === 'authorized'));
    expect([...new Set(coldStarts.map((line) => line.service))]).toEqual(
      expect.arrayContaining(['service-a', 'service-b', 'service-c', 'authorizer-service-b', 'authorizer-service-c']),
    );
  });
});
