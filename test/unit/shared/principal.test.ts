import { describe, expect, it } from 'vitest';
import { TokenRejectedError, assertUnexpired, audiences, principalFromClaims } from 'keycloak-lambda-s2s';
import { thrownBy } from '../helpers/errors';

const NOW = 1_900_000_000;

describe('principalFromClaims', () => {
  it("takes the subject, the client, the scope, the expiry, the session and this service's roles", () => {
    // Act
    const principal = principalFromClaims(
      {
        sub: 'user-1',
        azp: 'orders',
        scope: 'profile',
        exp: NOW + 60,
        sid: 'session-1',
        resource_access: { inventory: { roles: ['stock.read', 7, 'stock.reserve'] }, orders: { roles: ['orders.place'] } },
      },
      'inventory',
    );

    // Assess
    expect(principal).toEqual({ sub: 'user-1', clientId: 'orders', scope: 'profile', exp: NOW + 60, sid: 'session-1', permissions: ['stock.read', 'stock.reserve'] });
  });

  it('refuses a token whose only client claim is not a string', () => {
    // Act
    const error = thrownBy(() => principalFromClaims({ sub: 's', client_id: 42, exp: NOW }, 'inventory'));

    // Assess
    expect(error).toMatchObject({ code: 'TOKEN_MALFORMED', message: 'Token has no subject, client or expiry' });
  });

  it('ignores claims of the wrong JSON type: a non-string azp or sid, a null resource_access', () => {
    // Act
    const principal = principalFromClaims({ sub: 's', azp: 42, client_id: 'billing', exp: NOW, sid: 7, resource_access: null }, 'inventory');

    // Assess
    expect(principal).toEqual({ sub: 's', clientId: 'billing', scope: '', exp: NOW, permissions: [] });
  });

  it('names the client from client_id when there is no azp (an RFC 7662 answer), and prefers azp when both are there', () => {
    // Act
    const fromClientId = principalFromClaims({ sub: 's', client_id: 'billing', exp: NOW }, 'inventory');
    const fromBoth = principalFromClaims({ sub: 's', azp: 'orders', client_id: 'billing', exp: NOW }, 'inventory');

    // Assess
    expect(fromClientId.clientId).toBe('billing');
    expect(fromBoth.clientId).toBe('orders');
  });

  it('grants no permission when the token holds no roles of this service', () => {
    // Act
    const principal = principalFromClaims({ sub: 's', azp: 'orders', exp: NOW, resource_access: { orders: { roles: ['x'] } } }, 'inventory');

    // Assess
    expect(principal.permissions).toEqual([]);
    expect(principal).not.toHaveProperty('sid');
  });

  it.each([
    ['no subject', { azp: 'a', exp: NOW }],
    ['an empty subject', { sub: '', azp: 'a', exp: NOW }],
    ['no client', { sub: 's', exp: NOW }],
    ['no expiry', { sub: 's', azp: 'a' }],
    ['an expiry that is a string', { sub: 's', azp: 'a', exp: String(NOW) }],
  ])('refuses claims with %s as a malformed token', (_, claims) => {
    // Act
    const error = thrownBy(() => principalFromClaims(claims, 'inventory'));

    // Assess
    expect(error).toBeInstanceOf(TokenRejectedError);
    expect((error as TokenRejectedError).code).toBe('TOKEN_MALFORMED');
  });
});

describe('assertUnexpired', () => {
  it('accepts an expiry after now', () => {
    // Assess
    expect(() => assertUnexpired(NOW + 1, NOW)).not.toThrow();
  });

  it.each([
    ['now itself', NOW],
    ['a past instant', NOW - 1],
    ['not a number', '1900000001'],
    ['NaN', Number.NaN],
    ['infinity', Number.POSITIVE_INFINITY],
  ])('refuses %s as expired', (_, exp) => {
    // Act
    const error = thrownBy(() => assertUnexpired(exp, NOW));

    // Assess
    expect((error as TokenRejectedError).code).toBe('TOKEN_EXPIRED');
  });
});

describe('audiences', () => {
  it('reads a single audience string and a list alike, ignoring what is not a string', () => {
    // Assess
    expect(audiences('a')).toEqual(['a']);
    expect(audiences(['a', 1, 'b'])).toEqual(['a', 'b']);
    expect(audiences(undefined)).toEqual([]);
  });
});
