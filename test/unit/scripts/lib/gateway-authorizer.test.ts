import { describe, expect, it, vi } from 'vitest';
import {
  AuthorizerResultCache,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_API_ID,
  createGateway,
  evaluatePolicy,
  gatewaySettings,
  headerIdentity,
  methodArn,
  passesValidationExpression,
  resourceMatches,
  resultTtlSeconds,
} from '../../../../scripts/lib/gateway-authorizer.mjs';
import { frozenClock } from '../../helpers/clock';

// The identity validation expression serverless.yml gives every TOKEN authorizer.
const BEARER_EXPRESSION = '^[Bb][Ee][Aa][Rr][Ee][Rr] +[-A-Za-z0-9._~+/]+=* *$';
const PREFIX = `arn:aws:execute-api:us-east-1:${DEFAULT_ACCOUNT_ID}:${DEFAULT_API_ID}/dev`;
const PROCESS = `${PREFIX}/POST/api/process`;
const ADJUST = `${PREFIX}/POST/api/inventory/adjust`;

const allow = (...resources: string[]) => ({ Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources }] });
const on = gatewaySettings({});
const policyResult = (resources: string[]) => ({ principalId: 'alice', policyDocument: allow(...resources), context: { sub: 'alice' } });

describe('gatewaySettings', () => {
  it('defaults to the cache on and a stable 12-digit account id and 10-character API id', () => {
    const settings = gatewaySettings({});

    expect(settings).toEqual({ cache: true, accountId: DEFAULT_ACCOUNT_ID, apiId: DEFAULT_API_ID, maxEntries: 10_000 });
    expect(settings.accountId).toMatch(/^\d{12}$/);
    expect(settings.apiId).toMatch(/^[a-z0-9]{10}$/);
  });

  it('reads the switch and the ids from the environment', () => {
    const settings = gatewaySettings({ OFFLINE_AUTHORIZER_CACHE: 'off', OFFLINE_GATEWAY_ACCOUNT_ID: '000011112222', OFFLINE_GATEWAY_API_ID: 'abcde12345' });

    expect(settings).toMatchObject({ cache: false, accountId: '000011112222', apiId: 'abcde12345' });
  });

  it.each([
    [{ OFFLINE_AUTHORIZER_CACHE: 'yes' }, 'OFFLINE_AUTHORIZER_CACHE'],
    [{ OFFLINE_GATEWAY_ACCOUNT_ID: 'random-account-id' }, 'OFFLINE_GATEWAY_ACCOUNT_ID'],
    [{ OFFLINE_GATEWAY_API_ID: 'Random-API' }, 'OFFLINE_GATEWAY_API_ID'],
    [{ OFFLINE_AUTHORIZER_CACHE_MAX_ENTRIES: '0' }, 'OFFLINE_AUTHORIZER_CACHE_MAX_ENTRIES'],
  ])('refuses a malformed value, naming the variable (%o)', (env, name) => {
    expect(() => gatewaySettings(env)).toThrow(name);
  });
});

describe('methodArn', () => {
  it('is the execute-api ARN of the stage, method and resource path', () => {
    expect(methodArn({ region: 'us-east-1', accountId: DEFAULT_ACCOUNT_ID, apiId: DEFAULT_API_ID, stage: 'dev', method: 'post', resourcePath: '/api/process' })).toBe(PROCESS);
  });
});

describe('headerIdentity', () => {
  it('finds the header whatever the case of its name', () => {
    expect(headerIdentity(['Host', 'x', 'AUTHORIZATION', 'Bearer abc'], 'authorization')).toEqual({ ok: true, value: 'Bearer abc' });
  });

  it('reports a missing header', () => {
    expect(headerIdentity(['host', 'x'], 'authorization')).toEqual({ ok: false, reason: 'missing' });
  });

  it('reports an empty or blank header', () => {
    expect(headerIdentity(['authorization', ''], 'authorization')).toEqual({ ok: false, reason: 'empty' });
    expect(headerIdentity(['authorization', '   '], 'authorization')).toEqual({ ok: false, reason: 'empty' });
  });

  it('refuses a header sent twice, whichever line is valid (fail closed)', () => {
    expect(headerIdentity(['authorization', 'Bearer good', 'authorization', 'Bearer other'], 'authorization')).toEqual({ ok: false, reason: 'repeated' });
    expect(headerIdentity(['Authorization', 'Bearer good', 'authorization', 'Bearer good'], 'authorization')).toEqual({ ok: false, reason: 'repeated' });
  });
});

describe('passesValidationExpression', () => {
  it.each([
    ['Bearer abc.def-ghi_jkl', true],
    ['bearer abc', true],
    ['BEARER abc', true],
    ['Bearer    abc', true],
    ['Bearer abc==', true],
    ['Bearer abc  ', true],
    ['Bearer', false],
    ['Bearer    ', false],
    ['Bearer\tabc', false],
    ['Bearerabc', false],
    ['Token abc', false],
    ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', false],
    ['Bearer abc def', false],
    ['Bearer abc, Bearer def', false],
    ['abc', false],
  ])('%j → %s with the kit’s Bearer expression', (value, expected) => {
    expect(passesValidationExpression(BEARER_EXPRESSION, value)).toBe(expected);
  });

  it('lets every value through when there is no expression', () => {
    expect(passesValidationExpression(undefined, 'anything')).toBe(true);
  });
});

describe('resourceMatches', () => {
  it('matches an exact ARN and nothing else', () => {
    expect(resourceMatches(PROCESS, PROCESS)).toBe(true);
    expect(resourceMatches(PROCESS, ADJUST)).toBe(false);
    expect(resourceMatches(PROCESS, `${PROCESS}/extra`)).toBe(false);
  });

  it('lets `*` alone match every ARN', () => {
    expect(resourceMatches('*', PROCESS)).toBe(true);
  });

  it('lets `*` in the resource part span slashes: the stage wildcard covers every method and path', () => {
    expect(resourceMatches(`${PREFIX}/*`, PROCESS)).toBe(true);
    expect(resourceMatches(`${PREFIX}/*`, ADJUST)).toBe(true);
    expect(resourceMatches(`${PREFIX}/POST/*`, ADJUST)).toBe(true);
    expect(resourceMatches(`${PREFIX}/GET/*`, ADJUST)).toBe(false);
    expect(resourceMatches(`${PREFIX}/*/api/process`, PROCESS)).toBe(true);
  });

  it('lets `?` stand for exactly one character', () => {
    expect(resourceMatches(`${PREFIX}/P?ST/api/process`, PROCESS)).toBe(true);
    expect(resourceMatches(`${PREFIX}/P?T/api/process`, PROCESS)).toBe(false);
  });

  it('keeps region, account and API id wildcards inside their own segment', () => {
    expect(resourceMatches(`arn:aws:execute-api:*:*:${DEFAULT_API_ID}/dev/*`, PROCESS)).toBe(true);
    expect(resourceMatches(`arn:aws:execute-api:us-east-1:999999999999:${DEFAULT_API_ID}/dev/*`, PROCESS)).toBe(false);
    expect(resourceMatches(`arn:aws:execute-api:eu-west-1:*:*`, PROCESS)).toBe(false);
    expect(resourceMatches(`arn:aws:execute-api:us-east-1:*`, PROCESS)).toBe(false);
  });

  it('anchors both ends and treats regular-expression characters literally', () => {
    expect(resourceMatches('POST/api/process', PROCESS)).toBe(false);
    expect(resourceMatches(`${PREFIX}/POST/api/process.*`, PROCESS)).toBe(false);
    expect(resourceMatches(`${PREFIX}/POST/api/pro.ess`, PROCESS)).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(resourceMatches(`${PREFIX}/post/api/process`, PROCESS)).toBe(false);
  });

  it('keeps the two wildcard modes apart for the same pattern text, call after call', () => {
    // `stage*` first as an account segment (a wildcard that may not cross a colon), then as the resource
    // part, where it may: the second use must not get the first one's compiled pattern.
    expect(resourceMatches('arn:aws:execute-api:us-east-1:stage*:x', 'arn:aws:execute-api:us-east-1:stage1:x')).toBe(true);
    expect(resourceMatches('arn:aws:execute-api:us-east-1:123456789012:stage*', 'arn:aws:execute-api:us-east-1:123456789012:stage/GET/a:b')).toBe(true);
    expect(resourceMatches('arn:aws:execute-api:us-east-1:stage*:x', 'arn:aws:execute-api:us-east-1:stage1:x')).toBe(true);
  });

  it('still decides right after more distinct patterns than it keeps compiled', () => {
    for (let i = 0; i < 1100; i += 1) expect(resourceMatches(`${PREFIX}/GET/item${i}`, `${PREFIX}/GET/item${i}`)).toBe(true);
    expect(resourceMatches(`${PREFIX}/GET/item1`, `${PREFIX}/GET/item2`)).toBe(false);
  });

  it('matches nothing for a malformed pattern', () => {
    expect(resourceMatches('not-an-arn', PROCESS)).toBe(false);
  });
});

describe('evaluatePolicy', () => {
  it('allows an ARN a statement allows', () => {
    expect(evaluatePolicy(allow(PROCESS, ADJUST), ADJUST)).toBe('allow');
  });

  it('denies an ARN no statement allows (implicit deny)', () => {
    expect(evaluatePolicy(allow(PROCESS), ADJUST)).toBe('deny');
  });

  it('lets an explicit Deny win over an Allow of the same ARN', () => {
    const policy = { Statement: [...allow(`${PREFIX}/*`).Statement, { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: ADJUST }] };

    expect(evaluatePolicy(policy, ADJUST)).toBe('deny');
    expect(evaluatePolicy(policy, PROCESS)).toBe('allow');
  });

  it('denies every route under a stage-wide Deny', () => {
    const policy = { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${PREFIX}/*`] }] };

    expect(evaluatePolicy(policy, PROCESS)).toBe('deny');
    expect(evaluatePolicy(policy, ADJUST)).toBe('deny');
  });

  it('accepts a single statement object and a single Resource string', () => {
    expect(evaluatePolicy({ Statement: { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: PROCESS } }, PROCESS)).toBe('allow');
  });

  it('counts only statements whose Action covers execute-api:Invoke', () => {
    expect(evaluatePolicy({ Statement: [{ Action: 's3:GetObject', Effect: 'Allow', Resource: PROCESS }] }, PROCESS)).toBe('deny');
    expect(evaluatePolicy({ Statement: [{ Action: 'execute-api:*', Effect: 'Allow', Resource: PROCESS }] }, PROCESS)).toBe('allow');
    expect(evaluatePolicy({ Statement: [{ Action: ['*'], Effect: 'Allow', Resource: PROCESS }] }, PROCESS)).toBe('allow');
    expect(evaluatePolicy({ Statement: [{ Effect: 'Allow', Resource: PROCESS }] }, PROCESS)).toBe('deny');
  });

  it('requires the exact Effect words (a lower-case "allow" allows nothing)', () => {
    expect(evaluatePolicy({ Statement: [{ Action: 'execute-api:Invoke', Effect: 'allow', Resource: PROCESS }] }, PROCESS)).toBe('deny');
  });

  it('fails closed on statements it does not evaluate (NotResource)', () => {
    expect(evaluatePolicy({ Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', NotResource: ADJUST }] }, PROCESS)).toBe('deny');
    expect(evaluatePolicy({ Statement: [...allow(PROCESS).Statement, { Action: 'execute-api:Invoke', Effect: 'Deny', NotResource: ADJUST }] }, PROCESS)).toBe('deny');
  });

  it('denies with no policy at all', () => {
    expect(evaluatePolicy(undefined, PROCESS)).toBe('deny');
    expect(evaluatePolicy({}, PROCESS)).toBe('deny');
  });
});

describe('resultTtlSeconds', () => {
  const token = { payloadVersion: '1.0', type: 'token' };

  it('is the authorizer’s resultTtlInSeconds, number or string', () => {
    expect(resultTtlSeconds({ ...token, resultTtlInSeconds: 60 }, on)).toBe(60);
    expect(resultTtlSeconds({ ...token, resultTtlInSeconds: '5' }, on)).toBe(5);
  });

  it('defaults to 300 and stops at 3600, as API Gateway does', () => {
    expect(resultTtlSeconds(token, on)).toBe(300);
    expect(resultTtlSeconds({ ...token, resultTtlInSeconds: 7200 }, on)).toBe(3600);
  });

  it('is 0 (no caching) for 0, for the switch off, and for authorizers other than REST TOKEN ones', () => {
    expect(resultTtlSeconds({ ...token, resultTtlInSeconds: 0 }, on)).toBe(0);
    expect(resultTtlSeconds({ ...token, resultTtlInSeconds: 60 }, gatewaySettings({ OFFLINE_AUTHORIZER_CACHE: 'off' }))).toBe(0);
    expect(resultTtlSeconds({ payloadVersion: '1.0', type: 'request', resultTtlInSeconds: 60 }, on)).toBe(0);
    expect(resultTtlSeconds({ payloadVersion: '2.0', resultTtlInSeconds: 60 }, on)).toBe(0);
  });
});

describe('AuthorizerResultCache', () => {
  it('returns a stored result until its TTL has passed, then forgets it', () => {
    const clock = frozenClock();
    const cache = new AuthorizerResultCache({ now: clock.now });
    cache.set('authorizerB', 'Bearer t', policyResult([PROCESS]), 5);

    clock.advance(4_999);
    expect(cache.get('authorizerB', 'Bearer t')).toEqual(policyResult([PROCESS]));
    clock.advance(1);
    expect(cache.get('authorizerB', 'Bearer t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps one entry per authorizer and identity value (the exact string)', () => {
    const cache = new AuthorizerResultCache();
    cache.set('authorizerB', 'Bearer t', policyResult([PROCESS]), 60);

    expect(cache.get('authorizerC', 'Bearer t')).toBeUndefined();
    expect(cache.get('authorizerB', 'bearer t')).toBeUndefined();
    expect(cache.get('authorizerB', 'Bearer t')).toBeDefined();
  });

  it('never holds the identity value itself', () => {
    const key = AuthorizerResultCache.key('authorizerB', 'Bearer secret-token-value');

    expect(key).not.toContain('secret-token-value');
    expect(key).toMatch(/^authorizerB\0[0-9a-f]{64}$/);
  });

  it('hands out copies, so a caller changing its result cannot change the cache', () => {
    const cache = new AuthorizerResultCache();
    cache.set('a', 'Bearer t', policyResult([PROCESS]), 60);

    const first = cache.get('a', 'Bearer t')!;
    first.context!.sub = 'mallory';

    expect(cache.get('a', 'Bearer t')!.context!.sub).toBe('alice');
  });

  it('stores nothing for a TTL of 0', () => {
    const cache = new AuthorizerResultCache();
    cache.set('a', 'Bearer t', policyResult([PROCESS]), 0);

    expect(cache.size).toBe(0);
  });

  it('drops the least recently used entry beyond its bound', () => {
    const cache = new AuthorizerResultCache({ maxEntries: 2 });
    cache.set('a', 'one', policyResult([PROCESS]), 60);
    cache.set('a', 'two', policyResult([PROCESS]), 60);
    cache.get('a', 'one');
    cache.set('a', 'three', policyResult([PROCESS]), 60);

    expect(cache.get('a', 'two')).toBeUndefined();
    expect(cache.get('a', 'one')).toBeDefined();
    expect(cache.get('a', 'three')).toBeDefined();
  });

  it('empties on clear()', () => {
    const cache = new AuthorizerResultCache();
    cache.set('a', 'one', policyResult([PROCESS]), 60);
    cache.clear();

    expect(cache.size).toBe(0);
  });
});

describe('createGateway().resultFor', () => {
  it('invokes the authorizer once per identity within the TTL and serves the rest from the cache', async () => {
    const clock = frozenClock();
    const gateway = createGateway({ settings: on, now: clock.now });
    const invoke = vi.fn(async () => policyResult([PROCESS]));

    const answers = [];
    for (let i = 0; i < 20; i += 1) answers.push(await gateway.resultFor('authorizerB', 'Bearer t', 60, invoke));

    expect(invoke).toHaveBeenCalledTimes(1);
    expect(answers.map((a) => a.fromCache)).toEqual([false, ...Array(19).fill(true)]);
    clock.advanceSeconds(60);
    await gateway.resultFor('authorizerB', 'Bearer t', 60, invoke);
    expect(invoke).toHaveBeenCalledTimes(2);
  });

  it('caches a Deny policy like an Allow', async () => {
    const gateway = createGateway({ settings: on });
    const deny = { principalId: 'dave', policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${PREFIX}/*`] }] } };
    const invoke = vi.fn(async () => deny);

    await gateway.resultFor('authorizerB', 'Bearer d', 60, invoke);
    const second = await gateway.resultFor('authorizerB', 'Bearer d', 60, invoke);

    expect(invoke).toHaveBeenCalledTimes(1);
    expect(evaluatePolicy(second.result.policyDocument, PROCESS)).toBe('deny');
    expect(evaluatePolicy(second.result.policyDocument, ADJUST)).toBe('deny');
  });

  it('does not cache an Unauthorized or a failure: the next request invokes the authorizer again', async () => {
    const gateway = createGateway({ settings: on });
    const invoke = vi.fn(async () => {
      throw new Error('Unauthorized');
    });

    await expect(gateway.resultFor('authorizerB', 'Bearer x', 60, invoke)).rejects.toThrow('Unauthorized');
    await expect(gateway.resultFor('authorizerB', 'Bearer x', 60, invoke)).rejects.toThrow('Unauthorized');

    expect(invoke).toHaveBeenCalledTimes(2);
  });

  it('does not cache an answer without principalId or policy', async () => {
    const gateway = createGateway({ settings: on });
    const invoke = vi.fn(async () => ({ policyDocument: allow(PROCESS) }));

    await gateway.resultFor('authorizerB', 'Bearer x', 60, invoke);
    await gateway.resultFor('authorizerB', 'Bearer x', 60, invoke);

    expect(invoke).toHaveBeenCalledTimes(2);
  });

  it('invokes the authorizer on every request with a TTL of 0', async () => {
    const gateway = createGateway({ settings: on });
    const invoke = vi.fn(async () => policyResult([PROCESS]));

    for (let i = 0; i < 3; i += 1) await gateway.resultFor('authorizerB', 'Bearer t', 0, invoke);

    expect(invoke).toHaveBeenCalledTimes(3);
  });

  it('evaluates a cached route-specific policy against each request: the second route is denied', async () => {
    const gateway = createGateway({ settings: on });
    const routeSpecific = vi.fn(async (arn: string) => policyResult([arn]));

    const first = await gateway.resultFor('authorizerB', 'Bearer t', 60, () => routeSpecific(ADJUST));
    const second = await gateway.resultFor('authorizerB', 'Bearer t', 60, () => routeSpecific(PROCESS));

    expect(evaluatePolicy(first.result.policyDocument, ADJUST)).toBe('allow');
    expect(second.fromCache).toBe(true);
    expect(evaluatePolicy(second.result.policyDocument, PROCESS)).toBe('deny');
  });
});
