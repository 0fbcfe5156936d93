import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countColdStarts } from '../../../scripts/lib/bench.mjs';
import { LOG_FLUSH_MS, type OfflineInstance, jsonLines, startOfflineInstance, warmUp } from '../helpers/side-stack';
import { keycloakCalls, sleep } from '../helpers/stack';

// A bounded load test of A's route (A → B → C, two authorizers) on loopback: zero failures, and
// Keycloak round-trips bounded by instances and tokens, not by requests. It runs on an offline
// instance of its own with the production cache settings (the main test stack caps verdicts at
// 5 s for the revocation tests), started fresh so that every function instance it has was
// created by this test. Figures are printed, timings are not asserted.
//
// Before the measured run, a ramp brings up the instances the run needs: batches at 1, 2, 5, 10, 20…
// requests in flight, each step repeated until a batch starts no new instance (`cold_start` in the
// functions' log lines). Lambda starts a burst's instances side by side, each on its own CPU; serverless
// offline starts them as worker threads of one process on the machine's 2 cores, and counts a new
// instance's start against the function's timeout, so 50 cold starts at once starve each other past
// their 6 s timeout and every timed-out instance is started anew (docs/local-gateway.md).
//
// Size: LOAD_REQUESTS (default 5000) at LOAD_CONCURRENCY (default 4), under a minute here. The
// worst-case bound grows with the cube of the instance count, so only small concurrency proves the
// per-kind bound; 10,000 at 50 in flight passed with the ramp (about 205 req/s, 0 failures, 70
// introspections). Figures in docs/security.md.

const REQUESTS = Number(process.env.LOAD_REQUESTS || 5000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY || 4);
/** The run stops issuing requests after this, whatever the count: a bound, not an assertion. */
const DEADLINE_MS = 300_000;

// The production defaults of serverless.yml, spelled out so the bound below uses the same numbers.
const INTROSPECTION_CAP_SECONDS = 60;
const TOKEN_LIFESPAN_SECONDS = 300; // realm accessTokenLifespan
const TOKEN_SKEW_SECONDS = 30;
const JWKS_MAX_AGE_SECONDS = 600; // jose cacheMaxAge in shared/keycloak/jwt-check.ts

let load: OfflineInstance;

beforeAll(async () => {
  load = await startOfflineInstance(
    'load',
    {
      INTROSPECTION_CACHE_TTL_SECONDS: String(INTROSPECTION_CAP_SECONDS),
      SECRETS_CACHE_TTL_SECONDS: '300',
      TOKEN_EXPIRY_SKEW_SECONDS: String(TOKEN_SKEW_SECONDS),
    },
    // No idle instance is reaped during the run: each function has at most CONCURRENCY instances.
    { args: ['--terminateIdleLambdaTime', '3600'] },
  );
  // One chain started before the run, so the run does not begin with 4 × 6 cold starts at once. Its
  // Keycloak calls are outside the measured window; the bound still counts every instance.
  await warmUp(load.apiUrl);
}, 180_000);

afterAll(async () => {
  await load?.stop();
});

/** The longest the run can last: it issues requests until the deadline, and the last ones may take their 30 s. */
const LONGEST_RUN_SECONDS = (DEADLINE_MS + 30_000) / 1000;

/**
 * The most Keycloak round-trips the run may cost, fixed before it starts from the settings alone:
 * `instances` per function (each its own caches, like Lambda) over the longest run. Per kind: A's own
 * token, renewed every lifespan − skew, per A instance; B's exchanged token per A token and B
 * instance; each authorizer's verdict per token it sees, renewed every cap; each authorizer's JWKS,
 * refetched after its max age. Nothing found during the run widens it: a refusal the callers retry
 * (A drops its token, B exchanges again) must fit in it, or Keycloak is being called per request.
 */
function keycloakBound(instances: number, seconds: number) {
  const renewals = (period: number) => 1 + Math.floor(seconds / period);
  const ownTokens = instances * renewals(TOKEN_LIFESPAN_SECONDS - TOKEN_SKEW_SECONDS);
  const exchanges = instances * ownTokens;
  const introspections = (instances * ownTokens + instances * exchanges) * renewals(INTROSPECTION_CAP_SECONDS);
  const certs = 2 * instances * renewals(JWKS_MAX_AGE_SECONDS);
  return { token: ownTokens + exchanges, introspect: introspections, certs };
}

const BOUND = keycloakBound(CONCURRENCY, LONGEST_RUN_SECONDS);

/** How many times authorizer-b and authorizer-c refused or failed closed, from the instance's log (reported, not bounded). */
function refusalsIn(log: string) {
  const lines = jsonLines(log).filter((line) => line.message === 'unauthorized' || line.message === 'authorizer failed closed');
  return {
    atB: lines.filter((line) => line.service === 'authorizer-service-b').length,
    atC: lines.filter((line) => line.service === 'authorizer-service-c').length,
  };
}

/** The ramp's concurrency steps, up to the run's. */
const RAMP_STEPS = [...new Set([1, 2, 5, 10, 20, 30, 40, 50, 75, 100].filter((step) => step < CONCURRENCY).concat(CONCURRENCY))];
/** A ramp step's batch is repeated until one starts no instance, at most this often. */
const MAX_RAMP_BATCHES = 6;

/** One request to A's route: its status, or the name of the error that ended it. */
async function callA(): Promise<{ status?: number; failure?: string }> {
  try {
    const response = await fetch(`${load.apiUrl}/run-service-b`, { signal: AbortSignal.timeout(30_000) });
    const body = (await response.json().catch(() => undefined)) as { service_c?: { result?: number } } | undefined;
    if (response.status !== 200 || body?.service_c?.result !== 20) return { status: response.status, failure: `HTTP ${response.status}` };
    return { status: response.status };
  } catch (error) {
    return { failure: (error as Error).name };
  }
}

/** `count` requests with `inFlight` at a time. */
async function callsInFlight(count: number, inFlight: number) {
  const results: Awaited<ReturnType<typeof callA>>[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (issued < count) {
        issued += 1;
        results.push(await callA());
      }
    }),
  );
  return results;
}

/** The ramp (see the top of the file): how many requests it made, how many failed, how many instances it started. */
async function rampUp() {
  let requests = 0;
  let failures = 0;
  let coldStarts = 0;
  for (const step of RAMP_STEPS) {
    for (let batch = 0; batch < MAX_RAMP_BATCHES; batch += 1) {
      const since = load.log().length;
      const results = await callsInFlight(3 * step, step);
      await sleep(LOG_FLUSH_MS);
      const started = countColdStarts(load.log().slice(since));
      requests += results.length;
      failures += results.filter((result) => result.failure).length;
      coldStarts += started;
      if (started === 0) break;
    }
  }
  return { requests, failures, coldStarts };
}

describe(`${REQUESTS} requests to A’s route at ${CONCURRENCY} in flight`, () => {
  it('all succeed, and Keycloak is called per instance and token, not per request', async () => {
    const ramp = await rampUp();
    const before = await keycloakCalls();
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const started = Date.now();
    let issued = 0;

    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < REQUESTS && Date.now() - started < DEADLINE_MS) {
          issued += 1;
          const { status, failure } = await callA();
          if (status !== undefined) statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (failure) failures.push(failure);
        }
      }),
    );

    const seconds = (Date.now() - started) / 1000;
    const after = await keycloakCalls();
    const calls = { token: after.token - before.token, introspect: after.introspect - before.introspect, certs: after.certs - before.certs };
    await sleep(LOG_FLUSH_MS); // the refusal count is printed only
    const refusals = refusalsIn(load.log());
    console.log(
      [
        `load: ramp ${RAMP_STEPS.join(' → ')} in flight first: ${ramp.requests} requests, ${ramp.failures} failed, ${ramp.coldStarts} instances started`,
        `load: ${issued} requests to GET /run-service-b at ${CONCURRENCY} in flight in ${seconds.toFixed(1)} s (${(issued / seconds).toFixed(1)} req/s)`,
        `load: statuses ${JSON.stringify(Object.fromEntries(statuses))}, failures ${failures.length}`,
        `load: Keycloak round-trips: token endpoint (client credentials + exchanges) ${calls.token}, introspection ${calls.introspect}, JWKS ${calls.certs}`,
        `load: authorizer refusals retried by the caller: at B ${refusals.atB}, at C ${refusals.atC}`,
        `load: bound for ${CONCURRENCY} instances per function over at most ${LONGEST_RUN_SECONDS} s: token ${BOUND.token}, introspection ${BOUND.introspect}, JWKS ${BOUND.certs}`,
      ].join('\n'),
    );

    expect(issued).toBe(REQUESTS);
    expect(failures).toEqual([]);
    expect([...statuses.keys()]).toEqual([200]);
    expect(calls.token).toBeLessThanOrEqual(BOUND.token);
    expect(calls.introspect).toBeLessThanOrEqual(BOUND.introspect);
    expect(calls.certs).toBeLessThanOrEqual(BOUND.certs);
    // Not per request, whatever the size: far below one round-trip per request.
    expect(calls.token + calls.introspect + calls.certs).toBeLessThan(REQUESTS / 4);
    // At the default size the bound itself is that tight, so the per-kind checks above prove it by kind. The
    // per-instance bound grows with the cube of the instances, so at 50 in flight it cannot (the check above
    // still holds there: the local gateway's cache is shared by every authorizer instance, as in AWS).
    if (CONCURRENCY <= 8) {
      expect(BOUND.token + BOUND.introspect + BOUND.certs, 'bound too loose: raise LOAD_REQUESTS or lower LOAD_CONCURRENCY').toBeLessThan(REQUESTS / 4);
    }
  }, DEADLINE_MS + 240_000); // the ramp comes first
});
