import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADJUSTMENT, ORDER, type ProbeClient, createProbeClient, expectRefused } from '../helpers/attack';
import { LOG_FLUSH_MS, type OfflineInstance, callWithGuard, jsonLines, startOfflineInstance, warmUp } from '../helpers/side-stack';
import { type ApiAnswer, clientToken, exchangedToken, rawPost, sleep, userToken } from '../helpers/stack';

// API Gateway's TOKEN-authorizer behaviour as the local gateway reproduces it (docs/local-gateway.md):
// the result cached per authorizer and identity value for resultTtlInSeconds, the cached policy
// evaluated against each request's own method ARN, and the identity checked before the authorizer
// runs. Each instance here has a gateway TTL long enough that a handful of loopback requests stay
// inside it, so "invoked once" means the cache answered; authorizer invocations are counted from the
// authorizer's own log line (one per invocation: authorized, unauthorized or failed closed).

const GATEWAY_TTL_SECONDS = 15;
const INVOCATION_LINES = new Set(['authorized', 'unauthorized', 'authorizer failed closed']);

/** A token for B on behalf of `username`, as A obtains it. */
async function tokenForB(username: string): Promise<string> {
  return exchangedToken('service-a', await userToken(username), 'service-b');
}

/** Counts authorizer-b's invocations during `action` from the instance's log. */
async function authorizerBInvocations(instance: OfflineInstance, action: () => Promise<unknown>): Promise<number> {
  const since = jsonLines(instance.log()).length;
  await action();
  await sleep(LOG_FLUSH_MS);
  return jsonLines(instance.log())
    .slice(since)
    .filter((line) => line.service === 'authorizer-service-b' && INVOCATION_LINES.has(String(line.message))).length;
}

const adjust = (instance: OfflineInstance, token: string) => callWithGuard(instance.apiUrl, 'POST', '/api/inventory/adjust', { token, body: ADJUSTMENT });
const processOrder = (instance: OfflineInstance, token: string) => callWithGuard(instance.apiUrl, 'POST', '/api/process', { token, body: ORDER });

describe('the local gateway with the kit’s authorizers', () => {
  let gateway: OfflineInstance;
  let probe: ProbeClient;

  beforeAll(async () => {
    gateway = await startOfflineInstance('gateway', { OFFLINE_AUTHORIZER_CACHE: 'on', AUTHORIZER_RESULT_TTL_SECONDS: String(GATEWAY_TTL_SECONDS) });
    await warmUp(gateway.apiUrl);
    probe = await createProbeClient(120); // a valid token for B holding none of B's permissions
  }, 240_000);

  afterAll(async () => {
    await probe?.remove();
    await gateway?.stop();
  });

  describe('the result cache', () => {
    it('invokes authorizer-b once for 20 requests with one token, across both of B’s routes', async () => {
      const token = await tokenForB('alice');
      const statuses: number[] = [];

      const invocations = await authorizerBInvocations(gateway, async () => {
        for (let i = 0; i < 10; i += 1) {
          statuses.push((await adjust(gateway, token)).status);
          statuses.push((await processOrder(gateway, token)).status);
        }
      });

      expect(statuses).toEqual(Array(20).fill(200));
      expect(invocations).toBe(1);
    });

    it('keeps one entry per identity value: another token is another invocation', async () => {
      const [first, second] = [await clientToken('service-a'), await clientToken('service-a')];

      const invocations = await authorizerBInvocations(gateway, async () => {
        for (const token of [first, second, first, second]) expect((await adjust(gateway, token)).status).toBe(200);
      });

      expect(invocations).toBe(2);
    });
  });

  describe('the kit’s policy, cached after route X, on route Y of the same service', () => {
    it('serves Y (200) when the token holds Y’s permissions (alice: X = adjust, Y = process)', async () => {
      const token = await tokenForB('alice');
      let x: ApiAnswer | undefined;
      let y: ApiAnswer | undefined;

      const invocations = await authorizerBInvocations(gateway, async () => {
        x = await adjust(gateway, token);
        y = await processOrder(gateway, token);
      });

      expect(x?.status).toBe(200);
      expect(y?.status).toBe(200);
      expect(y?.body.service_c?.result).toBe(20);
      expect(invocations).toBe(1); // Y was decided by the policy cached for X
    });

    it('refuses Y (403) when the token lacks Y’s permissions, and still serves X (carol)', async () => {
      const token = await tokenForB('carol');
      let x: ApiAnswer | undefined;
      let y: ApiAnswer | undefined;
      let xAgain: ApiAnswer | undefined;

      const invocations = await authorizerBInvocations(gateway, async () => {
        x = await adjust(gateway, token);
        y = await processOrder(gateway, token);
        xAgain = await adjust(gateway, token);
      });

      expect(x?.status).toBe(200);
      expectRefused(y!, 403, token);
      expect(xAgain?.status).toBe(200);
      expect(invocations).toBe(1);
    });
  });

  describe('a cached Deny', () => {
    it('stays a Deny for every route of the authorizer until it expires, then the authorizer decides again', async () => {
      const token = await probe.token();
      const answers: ApiAnswer[] = [];

      const whileCached = await authorizerBInvocations(gateway, async () => {
        answers.push(await processOrder(gateway, token));
        answers.push(await adjust(gateway, token));
        answers.push(await processOrder(gateway, token));
        answers.push(await adjust(gateway, token));
      });
      for (const answer of answers) expectRefused(answer, 403, token);
      expect(whileCached).toBe(1);

      await sleep((GATEWAY_TTL_SECONDS + 1) * 1000);
      let afterExpiry: ApiAnswer | undefined;
      const afterwards = await authorizerBInvocations(gateway, async () => {
        afterExpiry = await adjust(gateway, token);
      });

      expectRefused(afterExpiry!, 403, token);
      expect(afterwards).toBe(1);
    }, 60_000);
  });

  // What API Gateway does with each (docs/local-gateway.md, "Bad input"): a value that fails the
  // identityValidationExpression, or no value at all, is 401 without invoking the authorizer; a value
  // that passes it goes to the authorizer, which parses RFC 6750 (scheme case-insensitive, one or more
  // spaces). A repeated Authorization header is not documented for TOKEN authorizers: refused (401,
  // not invoked), the fail-closed reading.
  describe('bad input', () => {
    const served: [string, (token: string) => [string, string][]][] = [
      ['“bearer” in lower case', (t) => [['authorization', `bearer ${t}`]]],
      ['“BEARER” in upper case', (t) => [['authorization', `BEARER ${t}`]]],
      ['“bEaReR” in mixed case', (t) => [['authorization', `bEaReR ${t}`]]],
      ['several spaces after the scheme', (t) => [['authorization', `Bearer    ${t}`]]],
      ['trailing spaces (HTTP strips them)', (t) => [['authorization', `Bearer ${t}   `]]],
      ['leading spaces (HTTP strips them)', (t) => [['authorization', `   Bearer ${t}`]]],
    ];

    it.each(served)('serves %s (200), invoking the authorizer once', async (_name, lines) => {
      const token = await clientToken('service-a');
      let answer: ApiAnswer | undefined;

      const invocations = await authorizerBInvocations(gateway, async () => {
        answer = await rawPost(gateway.apiUrl, '/api/inventory/adjust', lines(token), ADJUSTMENT);
      });

      expect(answer?.status).toBe(200);
      expect(invocations).toBe(1);
    });

    const refused: [string, (token: string) => [string, string][]][] = [
      ['no Authorization header', () => []],
      ['an empty Authorization header', () => [['authorization', '']]],
      ['the scheme alone', () => [['authorization', 'Bearer']]],
      ['a tab instead of a space', (t) => [['authorization', `Bearer\t${t}`]]],
      ['another scheme', (t) => [['authorization', `Token ${t}`]]],
      ['the token without a scheme', (t) => [['authorization', t]]],
      ['two tokens in one header (list form)', (t) => [['authorization', `Bearer ${t}, Bearer ${t}`]]],
      ['two Authorization headers, both valid', (t) => [['authorization', `Bearer ${t}`], ['authorization', `Bearer ${t}`]]],
      ['two Authorization headers, the valid one first', (t) => [['authorization', `Bearer ${t}`], ['authorization', 'Bearer garbage']]],
      ['two Authorization headers, the valid one last', (t) => [['authorization', 'Bearer garbage'], ['Authorization', `Bearer ${t}`]]],
    ];

    it.each(refused)('refuses %s with 401 without invoking the authorizer', async (_name, lines) => {
      const token = await clientToken('service-a');
      let answer: ApiAnswer | undefined;

      const invocations = await authorizerBInvocations(gateway, async () => {
        answer = await rawPost(gateway.apiUrl, '/api/inventory/adjust', lines(token), ADJUSTMENT);
      });

      expectRefused(answer!, 401, token);
      expect(invocations).toBe(0);
    });

    it('still serves the valid token of the cases above on its own (control)', async () => {
      const token = await clientToken('service-a');

      expect((await rawPost(gateway.apiUrl, '/api/inventory/adjust', [['authorization', `Bearer ${token}`]], ADJUSTMENT)).status).toBe(200);
    });
  });
});

describe('the local gateway with a deliberately route-specific policy builder (the cache-leak bug class)', () => {
  let leaky: OfflineInstance;

  beforeAll(async () => {
    leaky = await startOfflineInstance('gateway-leak', {
      OFFLINE_AUTHORIZER_CACHE: 'on',
      AUTHORIZER_RESULT_TTL_SECONDS: String(GATEWAY_TTL_SECONDS),
      TEST_ONLY_AUTHORIZER_B_HANDLER: 'test/integration/gateway/route-specific-authorizer.handler',
    });
    await warmUp(leaky.apiUrl);
  }, 240_000);

  afterAll(async () => {
    await leaky?.stop();
  });

  it('gets 403 on route Y from the policy it cached for route X, though the token may call Y', async () => {
    const token = await tokenForB('alice');
    let x: ApiAnswer | undefined;
    let y: ApiAnswer | undefined;

    const invocations = await authorizerBInvocations(leaky, async () => {
      x = await adjust(leaky, token);
      y = await processOrder(leaky, token);
    });

    expect(x?.status).toBe(200);
    expectRefused(y!, 403, token);
    expect(invocations).toBe(1);
  });

  it('serves Y when Y is the route that triggers it, and then refuses X: the 403 comes from the cache (control)', async () => {
    const token = await tokenForB('alice');

    const y = await processOrder(leaky, token);
    const x = await adjust(leaky, token);

    expect(y.status).toBe(200);
    expectRefused(x, 403, token);
  });
});

describe('the local gateway after an authorizer invocation times out', () => {
  // Stock serverless-offline 13.9 stops the worker of an invocation that timed out but keeps the
  // instance: the next request it is given goes to the stopped worker, never gets an answer and times
  // out too, and so on for every request that instance serves. Lambda instead replaces the execution
  // environment after a timeout; the patch does the same (docs/local-gateway.md).
  let hanging: OfflineInstance;

  beforeAll(async () => {
    hanging = await startOfflineInstance('gateway-timeout', {
      OFFLINE_AUTHORIZER_CACHE: 'on',
      AUTHORIZER_RESULT_TTL_SECONDS: String(GATEWAY_TTL_SECONDS),
      TEST_ONLY_AUTHORIZER_B_HANDLER: 'test/integration/gateway/hanging-authorizer.handler',
    });
    // One chain, so authorizer-b has exactly one instance: the one the hanging request then gets.
    await warmUp(hanging.apiUrl);
  }, 240_000);

  afterAll(async () => {
    await hanging?.stop();
  });

  it('answers the timed-out request 401, then serves a new token from a fresh instance', async () => {
    const timedOut = await rawPost(hanging.apiUrl, '/api/process', [['Authorization', 'Bearer hang']], ORDER);
    const token = await tokenForB('alice'); // never seen by this instance's gateway cache

    const after = await processOrder(hanging, token);

    expectRefused(timedOut, 401, 'Bearer hang');
    expect(after.status).toBe(200);
    // The hanging invocation ended in an error (its timeout), not in a refusal by the kit.
    expect(hanging.log()).toContain('Authorization function returned an error response: (λ: authorizerB)');
  }, 60_000);
});
