import { describe, expect, it } from 'vitest';
import type { Principal, RouteRule } from 'keycloak-lambda-s2s';
import { apiStagePrefix, buildPolicy, resourcePattern } from 'keycloak-lambda-s2s/lambda';
import { FIXED_NOW_SECONDS } from '../../helpers/clock';
import { API_STAGE_PREFIX } from '../../helpers/events';

/** sha256 of the token the policy is for (its value does not matter to the policy). */
const TOKEN_HASH = 'a'.repeat(64);

const ROUTES: RouteRule[] = [
  { method: 'POST', path: '/api/process', permissions: ['orders.approve', 'inventory.adjust'], callers: ['service-a'] },
  { method: 'POST', path: '/api/inventory/adjust', permissions: ['inventory.adjust'], callers: ['service-a'] },
  { method: 'GET', path: '/api/report', permissions: ['reports.read'], callers: ['service-a'] },
];

function principal(permissions: string[]): Principal {
  return { sub: 'user-1', clientId: 'service-a', scope: 'profile email', exp: FIXED_NOW_SECONDS + 300, permissions };
}

describe('apiStagePrefix', () => {
  it.each([
    ['a method ARN with a path', `${API_STAGE_PREFIX}/POST/api/process`],
    ['a method ARN with a wildcard method', `${API_STAGE_PREFIX}/*/api/process`],
    ['a method ARN of the root resource', `${API_STAGE_PREFIX}/GET/`],
  ])('returns arn:…:<apiId>/<stage> of %s', (_case, methodArn) => {
    // Act
    const prefix = apiStagePrefix(methodArn);

    // Assess
    expect(prefix).toBe(API_STAGE_PREFIX);
  });

  it('works in other partitions', () => {
    // Act
    const prefix = apiStagePrefix('arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod/GET/x');

    // Assess
    expect(prefix).toBe('arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod');
  });

  it.each([
    ['an empty string', ''],
    ['garbage', 'not-an-arn'],
    ['an ARN of another service', 'arn:aws:lambda:us-east-1:123456789012:function:authorizer/x'],
    ['an ARN that stops at the stage', API_STAGE_PREFIX],
    ['an ARN without a stage', 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234'],
    ['a method ARN behind other text', `x-${API_STAGE_PREFIX}/POST/api/process`],
  ])('returns undefined for %s', (_case, methodArn) => {
    // Act
    const prefix = apiStagePrefix(methodArn);

    // Assess
    expect(prefix).toBeUndefined();
  });
});

describe('buildPolicy', () => {
  it('allows every route whose permissions the principal holds, and nothing else', () => {
    // Act
    const policy = buildPolicy(principal(['orders.approve', 'inventory.adjust']), ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.policyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: [`${API_STAGE_PREFIX}/POST/api/process`, `${API_STAGE_PREFIX}/POST/api/inventory/adjust`],
        },
      ],
    });
  });

  it('allows only the routes whose every permission is held', () => {
    // Act
    const policy = buildPolicy(principal(['inventory.adjust']), ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${API_STAGE_PREFIX}/POST/api/inventory/adjust`] },
    ]);
  });

  it('denies the whole stage when no route is allowed', () => {
    // Act
    const policy = buildPolicy(principal(['analytics.run']), ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${API_STAGE_PREFIX}/*`] },
    ]);
  });

  it('never uses a wildcard in an Allow', () => {
    // Act
    const policy = buildPolicy(principal(['orders.approve', 'inventory.adjust', 'reports.read']), ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    const resources = policy.policyDocument.Statement.flatMap((s) => ('Resource' in s ? [s.Resource ?? []].flat() : []));
    expect(resources).toHaveLength(3);
    expect(resources.filter((r) => r.includes('*'))).toEqual([]);
  });

  it('names the subject as principalId and passes the principal on as a flat context', () => {
    // Act
    const policy = buildPolicy(principal(['orders.approve', 'inventory.adjust']), ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.principalId).toBe('user-1');
    expect(policy.context).toEqual({
      sub: 'user-1',
      clientId: 'service-a',
      scope: 'profile email',
      exp: FIXED_NOW_SECONDS + 300,
      permissions: 'orders.approve inventory.adjust',
      tokenHash: TOKEN_HASH,
    });
  });

  it('passes an empty permission list as an empty string', () => {
    // Act
    const policy = buildPolicy(principal([]), ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.context?.permissions).toBe('');
  });
});

describe('buildPolicy and callers', () => {
  it("denies the whole stage to a client that is not among any route's callers, whatever permissions it holds", () => {
    // Act
    const policy = buildPolicy({ ...principal(['orders.approve', 'inventory.adjust', 'reports.read']), clientId: 'service-x' }, ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${API_STAGE_PREFIX}/*`] }]);
  });
});

describe('resourcePattern', () => {
  it.each([
    ['/orders', '/orders'],
    ['/orders/{id}', '/orders/*'],
    ['/orders/{id}/lines/{line}', '/orders/*/lines/*'],
    ['/files/{proxy+}', '/files/*'],
  ])('writes %s as %s in a policy resource', (path, pattern) => {
    // Assess
    expect(resourcePattern(path)).toBe(pattern);
  });

  it('lets a route with a path parameter be allowed for every value of it', () => {
    // Act
    const policy = buildPolicy(principal(['orders.read']), { show: { method: 'GET', path: '/orders/{id}', permissions: ['orders.read'], callers: ['service-a'] } }, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: [`${API_STAGE_PREFIX}/GET/orders/*`] });
  });

  it("passes the session id on in the context when the token has one", () => {
    // Act
    const policy = buildPolicy({ ...principal([]), sid: 'session-1' }, ROUTES, API_STAGE_PREFIX, TOKEN_HASH);

    // Assess
    expect(policy.context?.sid).toBe('session-1');
  });
});
