import { describe, expect, it } from 'vitest';
import { ClientAuthenticationError, KeycloakProtocolError, TokenExchangeDeniedError, ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT, parseTokenResponse } from 'keycloak-lambda-s2s';
import { thrownBy } from '../../helpers/errors';

describe('RFC 8693 identifiers', () => {
  it('uses the registered grant type and token type URNs', () => {
    // Assess
    expect(TOKEN_EXCHANGE_GRANT).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(ACCESS_TOKEN_TYPE).toBe('urn:ietf:params:oauth:token-type:access_token');
  });
});

describe('parseTokenResponse', () => {
  describe('on 200', () => {
    it('returns the token and its wire fields', () => {
      // Prepare
      const body = {
        access_token: 'eyJ.a.b',
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'profile email',
        issued_token_type: ACCESS_TOKEN_TYPE,
        refresh_expires_in: 0,
        'not-before-policy': 0,
      };

      // Act
      const response = parseTokenResponse({ status: 200, body }, 'token_exchange');

      // Assess
      expect(response).toEqual({
        access_token: 'eyJ.a.b',
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'profile email',
        issued_token_type: ACCESS_TOKEN_TYPE,
      });
    });

    it('accepts token_type in any case', () => {
      // Act
      const response = parseTokenResponse({ status: 200, body: { access_token: 't', token_type: 'bearer' } }, 'client_credentials');

      // Assess
      expect(response.token_type).toBe('bearer');
    });

    it('leaves optional fields undefined when absent or of the wrong type', () => {
      // Act
      const response = parseTokenResponse(
        { status: 200, body: { access_token: 't', token_type: 'Bearer', expires_in: '300', scope: 42, issued_token_type: 42 } },
        'client_credentials',
      );

      // Assess
      expect(response).toEqual({ access_token: 't', token_type: 'Bearer', expires_in: undefined, scope: undefined, issued_token_type: undefined });
    });

    it.each([
      ['no access_token', { token_type: 'Bearer' }],
      ['an empty access_token', { access_token: '', token_type: 'Bearer' }],
      ['a non-string access_token', { access_token: 42, token_type: 'Bearer' }],
    ])('refuses an answer with %s as KeycloakProtocolError', (_case, body) => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 200, body }, 'client_credentials'));

      // Assess
      expect(error).toBeInstanceOf(KeycloakProtocolError);
      expect(error).toMatchObject({ message: 'Token endpoint answered 200 without an access_token' });
    });

    it.each([
      ['DPoP', { access_token: 't', token_type: 'DPoP' }],
      ['missing', { access_token: 't' }],
    ])('refuses a token_type that is %s', (_case, body) => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 200, body }, 'client_credentials'));

      // Assess
      expect(error).toBeInstanceOf(KeycloakProtocolError);
      expect(error).toMatchObject({ message: 'Token endpoint answered a token_type other than Bearer' });
    });
  });

  describe('client authentication refused', () => {
    it.each([
      ['invalid_client', 'client_credentials'],
      ['unauthorized_client', 'client_credentials'],
      ['invalid_client', 'token_exchange'],
      ['unauthorized_client', 'token_exchange'],
    ] as const)('turns 401 %s during %s into ClientAuthenticationError', (code, grant) => {
      // Act
      const error = thrownBy(() =>
        parseTokenResponse({ status: 401, body: { error: code, error_description: 'Invalid client or Invalid client credentials' } }, grant),
      );

      // Assess
      expect(error).toBeInstanceOf(ClientAuthenticationError);
      expect(error).toMatchObject({ code: 'CLIENT_AUTHENTICATION_FAILED', message: `Keycloak refused the client credentials (${code})` });
    });
  });

  describe('signed client assertion refused (Keycloak answers 400 invalid_client)', () => {
    it.each([
      ['Token reuse detected', 'ASSERTION_REUSED'],
      ['Token is not active', 'ASSERTION_EXPIRED'],
      ['Client authentication with signed JWT failed: Signature on JWT token failed validation', 'ASSERTION_SIGNATURE_INVALID'],
      ['Unable to load public key', 'ASSERTION_KEY_UNKNOWN'],
    ] as const)('turns "%s" into ClientAuthenticationError with reason %s, for both grants', (description, reason) => {
      // Act
      const errors = (['client_credentials', 'token_exchange'] as const).map((grant) =>
        thrownBy(() => parseTokenResponse({ status: 400, body: { error: 'invalid_client', error_description: description } }, grant)),
      );

      // Assess
      for (const error of errors) {
        expect(error).toBeInstanceOf(ClientAuthenticationError);
        expect(error).toMatchObject({ code: 'CLIENT_AUTHENTICATION_FAILED', reason, message: `Keycloak refused the client credentials (invalid_client: ${reason})` });
        expect((error as Error).message).not.toContain(description);
      }
    });

    it.each([
      [403, 'invalid_client', 'Token reuse detected'],
      [400, 'invalid_request', 'Token is not active'],
      [400, 'invalid_grant', 'Unable to load public key'],
    ])('takes the description for an assertion refusal only on 400 invalid_client: HTTP %i %s is a refused exchange', (status, code, description) => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status, body: { error: code, error_description: description } }, 'token_exchange'));

      // Assess
      expect(error).toBeInstanceOf(TokenExchangeDeniedError);
      expect(error).toMatchObject({ error: code, errorDescription: description });
    });

    it('picks no reason from a description that is not a string', () => {
      // Act
      const error = thrownBy(() =>
        parseTokenResponse({ status: 400, body: { error: 'invalid_client', error_description: ['Token reuse detected'] } }, 'token_exchange'),
      );

      // Assess
      expect(error).toBeInstanceOf(TokenExchangeDeniedError);
      expect(error).toMatchObject({ error: 'invalid_client', errorDescription: undefined });
    });

    it('gives a 401 (unknown client, wrong credentials) its own reason, whatever the description', () => {
      // Act
      const error = thrownBy(() =>
        parseTokenResponse({ status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed.' } }, 'client_credentials'),
      );

      // Assess
      expect(error).toMatchObject({ reason: 'CLIENT_OR_CREDENTIALS_INVALID' });
    });
  });

  describe('token exchange refused', () => {
    it.each([
      [403, 'access_denied', 'Client is not within the token audience'],
      [400, 'invalid_request', 'Requested audience not available: service-c'],
      [400, 'invalid_request', 'Invalid token'],
      [400, 'invalid_client', 'Public client is not allowed to exchange token'],
    ])('turns HTTP %i %s ("%s") into TokenExchangeDeniedError with the code and description', (status, code, description) => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status, body: { error: code, error_description: description } }, 'token_exchange'));

      // Assess
      expect(error).toBeInstanceOf(TokenExchangeDeniedError);
      expect(error).toMatchObject({ code: 'TOKEN_EXCHANGE_DENIED', error: code, errorDescription: description });
    });

    it('keeps errorDescription undefined when Keycloak sent none', () => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 403, body: { error: 'access_denied' } }, 'token_exchange'));

      // Assess
      expect(error).toMatchObject({ error: 'access_denied', errorDescription: undefined });
    });

    it('keeps errorDescription undefined when Keycloak sent one that is not a string', () => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 400, body: { error: 'invalid_request', error_description: 42 } }, 'token_exchange'));

      // Assess
      expect(error).toMatchObject({ error: 'invalid_request', errorDescription: undefined });
    });

    it.each([
      [302, 'invalid_request'],
      [500, 'server_error'],
      [503, 'temporarily_unavailable'],
    ])('takes only a 4xx for a refusal: HTTP %i %s is a KeycloakProtocolError', (status, code) => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status, body: { error: code } }, 'token_exchange'));

      // Assess
      expect(error).toBeInstanceOf(KeycloakProtocolError);
      expect(error).toMatchObject({ message: `Token endpoint answered HTTP ${status} ${code}` });
    });

    it('does not take a 4xx without an error code for a refusal', () => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 400, body: {} }, 'token_exchange'));

      // Assess
      expect(error).toBeInstanceOf(KeycloakProtocolError);
      expect(error).toMatchObject({ message: 'Token endpoint answered HTTP 400' });
    });
  });

  describe('other failures', () => {
    it('turns a 4xx of the client credentials grant into KeycloakProtocolError naming status and code', () => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 400, body: { error: 'unauthorized_client' } }, 'client_credentials'));

      // Assess
      expect(error).toBeInstanceOf(KeycloakProtocolError);
      expect(error).toMatchObject({ message: 'Token endpoint answered HTTP 400 unauthorized_client' });
    });

    it('turns an unexpected status into KeycloakProtocolError', () => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 302, body: {} }, 'token_exchange'));

      // Assess
      expect(error).toBeInstanceOf(KeycloakProtocolError);
      expect(error).toMatchObject({ message: 'Token endpoint answered HTTP 302' });
    });

    it('ignores a non-string error field', () => {
      // Act
      const error = thrownBy(() => parseTokenResponse({ status: 401, body: { error: { code: 'invalid_client' } } }, 'client_credentials'));

      // Assess
      expect(error).toBeInstanceOf(KeycloakProtocolError);
      expect(error).toMatchObject({ message: 'Token endpoint answered HTTP 401' });
    });
  });
});
