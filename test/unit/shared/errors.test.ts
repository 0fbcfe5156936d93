import { describe, expect, it } from 'vitest';
import { AuthError, BadRequestError, CallerNotAllowedError, ClientAuthenticationError, ConfigError, DownstreamRejectedError, DownstreamUnavailableError, KeycloakProtocolError, KeycloakTlsError, KeycloakUnavailableError, PermissionDeniedError, SecretInvalidError, SecretNotFoundError, SecretsUnavailableError, TokenExchangeDeniedError, TokenExchangeResultError, TokenRejectedError, errorCode } from 'keycloak-lambda-s2s';

describe('errors', () => {
  it.each([
    [new ConfigError('x'), 'ConfigError', 'CONFIG_INVALID'],
    [new BadRequestError('amount', 'x'), 'BadRequestError', 'BAD_REQUEST'],
    [new TokenRejectedError('TOKEN_EXPIRED', 'x'), 'TokenRejectedError', 'TOKEN_EXPIRED'],
    [new PermissionDeniedError('x'), 'PermissionDeniedError', 'PERMISSION_DENIED'],
    [new CallerNotAllowedError('x'), 'CallerNotAllowedError', 'CALLER_NOT_ALLOWED'],
    [new KeycloakTlsError('x'), 'KeycloakTlsError', 'KEYCLOAK_TLS_FAILED'],
    [new KeycloakUnavailableError('x'), 'KeycloakUnavailableError', 'KEYCLOAK_UNAVAILABLE'],
    [new KeycloakProtocolError('x'), 'KeycloakProtocolError', 'KEYCLOAK_BAD_RESPONSE'],
    [new ClientAuthenticationError('x'), 'ClientAuthenticationError', 'CLIENT_AUTHENTICATION_FAILED'],
    [new TokenExchangeDeniedError('access_denied', undefined), 'TokenExchangeDeniedError', 'TOKEN_EXCHANGE_DENIED'],
    [new TokenExchangeResultError('x'), 'TokenExchangeResultError', 'TOKEN_EXCHANGE_INVALID_RESULT'],
    [new SecretNotFoundError('s'), 'SecretNotFoundError', 'SECRET_NOT_FOUND'],
    [new SecretInvalidError('s', 'r'), 'SecretInvalidError', 'SECRET_INVALID'],
    [new SecretsUnavailableError('s'), 'SecretsUnavailableError', 'SECRETS_UNAVAILABLE'],
    [new DownstreamUnavailableError('service-c', 'x'), 'DownstreamUnavailableError', 'DOWNSTREAM_UNAVAILABLE'],
    [new DownstreamRejectedError('service-c', 502, 'x'), 'DownstreamRejectedError', 'DOWNSTREAM_REJECTED'],
    [new AuthError('CONFIG_INVALID', 'x'), 'AuthError', 'CONFIG_INVALID'],
  ] as const)('an error named $1 has the stable code $2 and is an AuthError', (error, name, code) => {
    // Prepare: the error is built by the table.

    // Act
    const actual = { name: error.name, code: error.code, isAuthError: error instanceof AuthError, isError: error instanceof Error };

    // Assess
    expect(actual).toEqual({ name, code, isAuthError: true, isError: true });
  });

  it('reads a client-authentication refusal it was not told the reason of as REFUSED', () => {
    // Act
    const error = new ClientAuthenticationError('Keycloak refused the client credentials');

    // Assess
    expect(error.reason).toBe('REFUSED');
  });

  it('keeps the cause it was given', () => {
    // Prepare
    const cause = new TypeError('fetch failed');

    // Act
    const error = new KeycloakUnavailableError('Keycloak could not be reached', { cause });

    // Assess
    expect(error.cause).toBe(cause);
  });

  it('names the offending field of a bad request', () => {
    // Act
    const error = new BadRequestError('order_id', 'order_id is required');

    // Assess
    expect(error.field).toBe('order_id');
    expect(error.message).toBe('order_id is required');
  });

  it("carries Keycloak's error code and description when an exchange is refused", () => {
    // Act
    const error = new TokenExchangeDeniedError('invalid_request', 'Requested audience not available');

    // Assess
    expect(error.error).toBe('invalid_request');
    expect(error.errorDescription).toBe('Requested audience not available');
    expect(error.message).toBe('Token exchange refused by Keycloak: invalid_request (Requested audience not available)');
  });

  it('leaves the description out of the message when Keycloak gave none', () => {
    // Act
    const error = new TokenExchangeDeniedError('access_denied', undefined);

    // Assess
    expect(error.message).toBe('Token exchange refused by Keycloak: access_denied');
  });

  it('names the secret, but no value, in secret errors', () => {
    // Act
    const messages = [
      new SecretNotFoundError('dev/service-b').message,
      new SecretInvalidError('dev/service-b', 'the value is not JSON').message,
      new SecretsUnavailableError('dev/service-b').message,
    ];

    // Assess
    expect(messages).toEqual([
      'Secret "dev/service-b" was not found in Secrets Manager',
      'Secret "dev/service-b" is invalid: the value is not JSON',
      'Secrets Manager could not return "dev/service-b"',
    ]);
  });

  it('records the service and status of a downstream rejection', () => {
    // Act
    const error = new DownstreamRejectedError('service-c', 403, 'service-c answered HTTP 403');

    // Assess
    expect({ service: error.service, status: error.status }).toEqual({ service: 'service-c', status: 403 });
  });

  describe('errorCode', () => {
    it('returns the code of an error the kit threw on purpose', () => {
      // Act
      const code = errorCode(new PermissionDeniedError('Missing permission: analytics.run'));

      // Assess
      expect(code).toBe('PERMISSION_DENIED');
    });

    it.each([[new Error('boom')], [new TypeError('x is undefined')], ['a string'], [undefined]])(
      'returns INTERNAL for anything else (%o)',
      (thrown) => {
        // Act
        const code = errorCode(thrown);

        // Assess
        expect(code).toBe('INTERNAL');
      },
    );
  });
});
