import { CallerNotAllowedError, sha256, PermissionDeniedError, TokenRejectedError, type RouteRule } from 'keycloak-lambda-s2s';
import { authorizedBearerToken, principalFromContext } from 'keycloak-lambda-s2s/lambda';
import { describe, expect, it } from 'vitest';
import { FIXED_NOW_SECONDS, frozenClock } from '../../helpers/clock';
import { authorizerContext, proxyEvent } from '../../helpers/events';
import { thrownBy } from '../../helpers/errors';

const ROUTE: RouteRule = { method: 'POST', path: '/api/process', permissions: ['orders.approve', 'inventory.adjust'], callers: ['service-a'] };

describe('principalFromContext', () => {
  it('returns the principal of an unexpired context that grants every permission of the route', () => {
    // Prepare
    const event = proxyEvent({
      authorizer: authorizerContext({
        sub: 'alice-id',
        clientId: 'service-a',
        scope: 'profile email',
        exp: FIXED_NOW_SECONDS + 60,
        permissions: ['orders.approve', 'inventory.adjust', 'extra'],
      }),
    });

    // Act
    const principal = principalFromContext(event, ROUTE, frozenClock().now);

    // Assess
    expect(principal).toEqual({
      sub: 'alice-id',
      clientId: 'service-a',
      exp: FIXED_NOW_SECONDS + 60,
      scope: 'profile email',
      permissions: ['orders.approve', 'inventory.adjust', 'extra'],
    });
  });

  it("carries the session id of a user's token, and none for an empty one", () => {
    // Prepare
    const context = authorizerContext({ exp: FIXED_NOW_SECONDS + 60, permissions: ['orders.approve', 'inventory.adjust'] });

    // Act
    const withSid = principalFromContext(proxyEvent({ authorizer: { ...context, sid: 'session-1' } }), ROUTE, frozenClock().now);
    const emptySid = principalFromContext(proxyEvent({ authorizer: { ...context, sid: '' } }), ROUTE, frozenClock().now);

    // Assess
    expect(withSid.sid).toBe('session-1');
    expect('sid' in emptySid).toBe(false);
  });

  it('reads an empty permissions value as no permission at all', () => {
    // Prepare
    const open: RouteRule = { ...ROUTE, permissions: [] };
    const event = proxyEvent({ authorizer: { sub: 's', clientId: 'service-a', exp: String(FIXED_NOW_SECONDS + 60), permissions: '' } });

    // Act
    const principal = principalFromContext(event, open, frozenClock().now);

    // Assess
    expect(principal.permissions).toEqual([]);
  });

  it('grants no permission from a permissions value that is not a string, refusing with PERMISSION_DENIED (403)', () => {
    // Prepare
    const event = proxyEvent({ authorizer: { sub: 's', clientId: 'service-a', exp: String(FIXED_NOW_SECONDS + 60), permissions: true } });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error.message).toBe('Missing permission: orders.approve, inventory.adjust');
  });

  it('carries no session id that is not a string', () => {
    // Prepare
    const context = authorizerContext({ exp: FIXED_NOW_SECONDS + 60, permissions: ['orders.approve', 'inventory.adjust'] });

    // Act
    const principal = principalFromContext(proxyEvent({ authorizer: { ...context, sid: 1234 } }), ROUTE, frozenClock().now);

    // Assess
    expect('sid' in principal).toBe(false);
  });

  it('reads exp whether API Gateway passed it as a string or a number', () => {
    // Prepare
    const event = proxyEvent({
      authorizer: { sub: 's', clientId: 'service-a', exp: FIXED_NOW_SECONDS + 1, permissions: 'orders.approve inventory.adjust' },
    });

    // Act
    const principal = principalFromContext(event, ROUTE, frozenClock().now);

    // Assess
    expect(principal.exp).toBe(FIXED_NOW_SECONDS + 1);
    expect(principal.scope).toBe('');
  });

  it("refuses a client that is not among the route's callers with CALLER_NOT_ALLOWED, even holding every permission", () => {
    // Prepare
    const event = proxyEvent({
      authorizer: authorizerContext({ clientId: 'service-x', exp: FIXED_NOW_SECONDS + 60, permissions: ['orders.approve', 'inventory.adjust'] }),
    });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toBeInstanceOf(CallerNotAllowedError);
    expect(error).toMatchObject({ code: 'CALLER_NOT_ALLOWED', message: 'Client service-x may not call this route' });
  });

  it('rejects a request without an authorizer context as TOKEN_MISSING (401)', () => {
    // Prepare
    const event = proxyEvent({ authorizer: null });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toBeInstanceOf(TokenRejectedError);
    expect(error).toMatchObject({ code: 'TOKEN_MISSING', message: 'No authorizer context on this request' });
  });

  it.each([
    ['no sub', { clientId: 'c', exp: '9999999999' }],
    ['no clientId', { sub: 's', exp: '9999999999' }],
    ['a non-numeric exp', { sub: 's', clientId: 'c', exp: 'soon' }],
    ['no exp', { sub: 's', clientId: 'c' }],
    ['a null exp', { sub: 's', clientId: 'c', exp: null }],
    ['an empty exp', { sub: 's', clientId: 'c', exp: '' }],
  ])('rejects a context with %s as TOKEN_MISSING', (_case, context) => {
    // Prepare
    const event = proxyEvent({ authorizer: context });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toMatchObject({ code: 'TOKEN_MISSING' });
  });

  it('rejects a context whose exp is now as TOKEN_EXPIRED (401), before checking permissions', () => {
    // Prepare
    const event = proxyEvent({ authorizer: authorizerContext({ exp: FIXED_NOW_SECONDS, permissions: [] }) });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toBeInstanceOf(TokenRejectedError);
    expect(error).toMatchObject({ code: 'TOKEN_EXPIRED', message: 'Token has expired' });
  });

  it('rejects a context that lacks one permission of the route as PERMISSION_DENIED (403), naming it', () => {
    // Prepare
    const event = proxyEvent({ authorizer: authorizerContext({ exp: FIXED_NOW_SECONDS + 60, permissions: ['orders.approve'] }) });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', message: 'Missing permission: inventory.adjust' });
  });

  it('names every missing permission when the context grants none', () => {
    // Prepare
    const event = proxyEvent({ authorizer: authorizerContext({ exp: FIXED_NOW_SECONDS + 60, permissions: [] }) });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toMatchObject({ message: 'Missing permission: orders.approve, inventory.adjust' });
  });

  it('does not take a permission that is only a prefix of the required one', () => {
    // Prepare
    const event = proxyEvent({ authorizer: authorizerContext({ exp: FIXED_NOW_SECONDS + 60, permissions: ['orders', 'inventory.adjust'] }) });

    // Act
    const error = thrownBy(() => principalFromContext(event, ROUTE, frozenClock().now));

    // Assess
    expect(error).toMatchObject({ message: 'Missing permission: orders.approve' });
  });
});

describe('authorizedBearerToken', () => {
  const withHeader = (authorization: string, tokenHash?: string) =>
    proxyEvent({
      headers: { Authorization: authorization },
      authorizer: { sub: 'user-1', ...(tokenHash !== undefined ? { tokenHash } : {}) },
    });

  it('returns the request’s token when it is the one the authorizer checked', () => {
    expect(authorizedBearerToken(withHeader('Bearer token-1', sha256('token-1')))).toBe('token-1');
  });

  it('refuses a token other than the one the authorizer checked, with TOKEN_NOT_AUTHORIZED', () => {
    const error = thrownBy(() => authorizedBearerToken(withHeader('Bearer token-2', sha256('token-1'))));

    expect(error).toBeInstanceOf(TokenRejectedError);
    expect(error).toMatchObject({ code: 'TOKEN_NOT_AUTHORIZED', message: 'The bearer token is not the one the authorizer checked' });
  });

  it('refuses when the context carries no token hash at all', () => {
    const event = proxyEvent({ headers: { Authorization: 'Bearer token-1' }, authorizer: { sub: 'user-1', tokenHash: 42 } });

    expect((thrownBy(() => authorizedBearerToken(event)) as TokenRejectedError).code).toBe('TOKEN_NOT_AUTHORIZED');
  });

  it('refuses a request without a bearer token with TOKEN_MISSING', () => {
    const event = proxyEvent({ headers: {}, authorizer: { sub: 'user-1', tokenHash: sha256('token-1') } });

    expect((thrownBy(() => authorizedBearerToken(event)) as TokenRejectedError).code).toBe('TOKEN_MISSING');
  });
});
