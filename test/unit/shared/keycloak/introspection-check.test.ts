import { describe, expect, it } from 'vitest';
import { TokenRejectedError, acceptIntrospection, audiences, type IntrospectionResult } from 'keycloak-lambda-s2s';
import { FIXED_NOW_SECONDS } from '../../helpers/clock';
import { ISSUER } from '../../helpers/keycloak';

const EXPECTED = { issuer: ISSUER, audience: 'service-b', nowSeconds: FIXED_NOW_SECONDS };

function activeResult(overrides: Partial<IntrospectionResult> = {}): IntrospectionResult {
  return {
    active: true,
    iss: ISSUER,
    sub: 'user-1',
    aud: 'service-b',
    azp: 'service-a',
    client_id: 'service-a',
    scope: 'profile email',
    exp: FIXED_NOW_SECONDS + 300,
    typ: 'Bearer',
    resource_access: { 'service-b': { roles: ['orders.approve', 'inventory.adjust'] }, 'service-c': { roles: ['analytics.run'] } },
    ...overrides,
  };
}

function rejectionOf(result: IntrospectionResult): TokenRejectedError {
  try {
    acceptIntrospection(result, EXPECTED);
  } catch (error) {
    if (error instanceof TokenRejectedError) return error;
    throw error;
  }
  throw new Error('the token was accepted');
}

describe('acceptIntrospection', () => {
  it('returns the principal of an active Bearer token of the right issuer and audience', () => {
    // Act
    const principal = acceptIntrospection(activeResult(), EXPECTED);

    // Assess
    expect(principal).toEqual({
      sub: 'user-1',
      clientId: 'service-a',
      scope: 'profile email',
      exp: FIXED_NOW_SECONDS + 300,
      permissions: ['orders.approve', 'inventory.adjust'],
    });
  });

  it('rejects an inactive token as TOKEN_INACTIVE', () => {
    // Act
    const error = rejectionOf({ active: false });

    // Assess
    expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_INACTIVE', message: 'Token is not active' });
  });

  describe('type', () => {
    it.each(['Refresh', 'ID', 'Offline'])('rejects a %s token as TOKEN_WRONG_TYPE', (typ) => {
      // Act
      const error = rejectionOf(activeResult({ typ }));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_WRONG_TYPE', message: 'Token is not a Bearer access token' });
    });

    it('rejects a token without any type', () => {
      // Act
      const error = rejectionOf(activeResult({ typ: undefined, token_type: undefined }));

      // Assess
      expect(error.code).toBe('TOKEN_WRONG_TYPE');
    });

    it('falls back to token_type when typ is absent, in any case', () => {
      // Act
      const principal = acceptIntrospection(activeResult({ typ: undefined, token_type: 'bearer' }), EXPECTED);

      // Assess
      expect(principal.sub).toBe('user-1');
    });
  });

  describe('issuer', () => {
    it.each([
      ['another realm', 'http://keycloak.test:8080/realms/other'],
      ['the same realm under another host', 'http://localhost:8080/realms/microservices'],
      ['no issuer', undefined],
    ])('rejects a token of %s as TOKEN_WRONG_ISSUER', (_case, iss) => {
      // Act
      const error = rejectionOf(activeResult({ iss }));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_WRONG_ISSUER', message: 'Token was issued by another issuer' });
    });
  });

  describe('audience', () => {
    it('accepts aud as a single string', () => {
      // Act
      const principal = acceptIntrospection(activeResult({ aud: 'service-b' }), EXPECTED);

      // Assess
      expect(principal.sub).toBe('user-1');
    });

    it('accepts aud as an array containing this service', () => {
      // Act
      const principal = acceptIntrospection(activeResult({ aud: ['account', 'service-b'] }), EXPECTED);

      // Assess
      expect(principal.sub).toBe('user-1');
    });

    it.each([
      ['another service (string)', 'service-c'],
      ['other services (array)', ['service-c', 'account']],
      ['an empty array', []],
      ['no audience', undefined],
      ['a prefix of this service', 'service-'],
    ])('rejects a token meant for %s as TOKEN_WRONG_AUDIENCE', (_case, aud) => {
      // Act
      const error = rejectionOf(activeResult({ aud: aud as IntrospectionResult['aud'] }));

      // Assess
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'TOKEN_WRONG_AUDIENCE',
        message: 'Token is not meant for service-b',
      });
    });
  });

  describe('expiry', () => {
    it('rejects a token whose exp is now as TOKEN_EXPIRED', () => {
      // Act
      const error = rejectionOf(activeResult({ exp: FIXED_NOW_SECONDS }));

      // Assess
      expect(error.code).toBe('TOKEN_EXPIRED');
    });

    it('accepts a token that expires one second from now', () => {
      // Act
      const principal = acceptIntrospection(activeResult({ exp: FIXED_NOW_SECONDS + 1 }), EXPECTED);

      // Assess
      expect(principal.exp).toBe(FIXED_NOW_SECONDS + 1);
    });

    it('rejects a token without exp as TOKEN_EXPIRED', () => {
      // Act
      const error = rejectionOf(activeResult({ exp: undefined }));

      // Assess
      expect(error.code).toBe('TOKEN_EXPIRED');
    });
  });

  describe('subject and client', () => {
    it('uses client_id when azp is absent', () => {
      // Act
      const principal = acceptIntrospection(activeResult({ azp: undefined, client_id: 'service-x' }), EXPECTED);

      // Assess
      expect(principal.clientId).toBe('service-x');
    });

    it.each([
      ['no sub', { sub: undefined }],
      ['neither azp nor client_id', { azp: undefined, client_id: undefined }],
    ])('rejects a token with %s as TOKEN_MALFORMED', (_case, overrides) => {
      // Act
      const error = rejectionOf(activeResult(overrides));

      // Assess
      expect(error.code).toBe('TOKEN_MALFORMED');
    });
  });

  describe('permissions', () => {
    it("takes only this service's client roles, not another service's", () => {
      // Act
      const principal = acceptIntrospection(
        activeResult({ resource_access: { 'service-c': { roles: ['analytics.run'] }, account: { roles: ['view-profile'] } } }),
        EXPECTED,
      );

      // Assess
      expect(principal.permissions).toEqual([]);
    });

    it('is empty when the token has no resource_access or no roles', () => {
      // Act
      const without = acceptIntrospection(activeResult({ resource_access: undefined }), EXPECTED);
      const noRoles = acceptIntrospection(activeResult({ resource_access: { 'service-b': {} } }), EXPECTED);

      // Assess
      expect([without.permissions, noRoles.permissions]).toEqual([[], []]);
    });

    it('drops roles that are not strings', () => {
      // Act
      const principal = acceptIntrospection(
        activeResult({ resource_access: { 'service-b': { roles: ['orders.approve', 42, null] as unknown as string[] } } }),
        EXPECTED,
      );

      // Assess
      expect(principal.permissions).toEqual(['orders.approve']);
    });

    it('defaults scope to the empty string', () => {
      // Act
      const principal = acceptIntrospection(activeResult({ scope: undefined }), EXPECTED);

      // Assess
      expect(principal.scope).toBe('');
    });
  });
});

describe('audiences', () => {
  it.each([
    ['a string', 'service-b', ['service-b']],
    ['an array', ['service-b', 'account'], ['service-b', 'account']],
    ['an array with non-strings', ['service-b', 7, null], ['service-b']],
    ['undefined', undefined, []],
    ['a number', 42, []],
  ])('lists %s', (_case, aud, expected) => {
    // Act
    const list = audiences(aud);

    // Assess
    expect(list).toEqual(expected);
  });
});
