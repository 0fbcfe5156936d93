import { describe, expect, it } from 'vitest';
import { ClientAuthenticationError, KeycloakProtocolError, parseIntrospection } from 'keycloak-lambda-s2s';
import { thrownBy } from '../../helpers/errors';

describe('parseIntrospection', () => {
  it('returns an active answer with all its fields', () => {
    // Prepare
    const body = {
      active: true,
      iss: 'http://127.0.0.1:8080/realms/microservices',
      sub: 'user-1',
      aud: ['service-b', 'account'],
      azp: 'service-a',
      client_id: 'service-a',
      scope: 'profile email',
      exp: 1_900_000_000,
      typ: 'Bearer',
      token_type: 'Bearer',
      resource_access: { 'service-b': { roles: ['orders.approve'] } },
    };

    // Act
    const result = parseIntrospection({ status: 200, body });

    // Assess
    expect(result).toEqual(body);
  });

  it('returns an inactive answer as is, for the caller to reject', () => {
    // Act
    const result = parseIntrospection({ status: 200, body: { active: false } });

    // Assess
    expect(result).toEqual({ active: false });
  });

  it.each([
    ['missing', {}],
    ['a string', { active: 'true' }],
    ['a number', { active: 1 }],
  ])('refuses an answer whose "active" is %s', (_case, body) => {
    // Act
    const error = thrownBy(() => parseIntrospection({ status: 200, body }));

    // Assess
    expect(error).toBeInstanceOf(KeycloakProtocolError);
    expect(error).toMatchObject({ code: 'KEYCLOAK_BAD_RESPONSE', message: 'Introspection answer has no boolean "active"' });
  });

  it("turns 401 into ClientAuthenticationError naming Keycloak's error code", () => {
    // Act
    const error = thrownBy(() => parseIntrospection({ status: 401, body: { error: 'invalid_client', error_description: 'Invalid client credentials' } }));

    // Assess
    expect(error).toBeInstanceOf(ClientAuthenticationError);
    expect(error).toMatchObject({
      code: 'CLIENT_AUTHENTICATION_FAILED',
      message: "Keycloak refused the introspecting client's credentials (invalid_client)",
    });
  });

  it('turns a refused signed client assertion (400 invalid_client) into ClientAuthenticationError with its reason', () => {
    // Act
    const error = thrownBy(() => parseIntrospection({ status: 400, body: { error: 'invalid_client', error_description: 'Token reuse detected' } }));

    // Assess
    expect(error).toBeInstanceOf(ClientAuthenticationError);
    expect(error).toMatchObject({ code: 'CLIENT_AUTHENTICATION_FAILED', reason: 'ASSERTION_REUSED' });
  });

  it('says HTTP 401 when a 401 carries no error code', () => {
    // Act
    const error = thrownBy(() => parseIntrospection({ status: 401, body: {} }));

    // Assess
    expect(error).toMatchObject({ message: "Keycloak refused the introspecting client's credentials (HTTP 401)" });
  });

  it.each([400, 403, 404])('turns HTTP %i into KeycloakProtocolError', (status) => {
    // Act
    const error = thrownBy(() => parseIntrospection({ status, body: { error: 'invalid_request' } }));

    // Assess
    expect(error).toBeInstanceOf(KeycloakProtocolError);
    expect(error).toMatchObject({ message: `Introspection answered HTTP ${status}` });
  });
});
