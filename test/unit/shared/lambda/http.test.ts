import { describe, expect, it } from 'vitest';
import { AuthError, BadRequestError, ClientAuthenticationError, ConfigError, DownstreamRejectedError, DownstreamUnavailableError, KeycloakProtocolError, KeycloakTlsError, KeycloakUnavailableError, PermissionDeniedError, SecretInvalidError, SecretNotFoundError, SecretsUnavailableError, TokenExchangeDeniedError, TokenExchangeResultError, TokenRejectedError } from 'keycloak-lambda-s2s';
import { MAX_BODY_BYTES, errorResponse, header, json, jsonBody } from 'keycloak-lambda-s2s/lambda';

function bodyOf(result: { body: string }): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

function badRequestOf(read: () => unknown): BadRequestError {
  try {
    read();
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error('body was accepted');
}

describe('json', () => {
  it('serialises the body with a JSON content type and no caching', () => {
    // Act
    const result = json(201, { ok: true });

    // Assess
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: '{"ok":true}',
    });
  });

  it('adds the given headers', () => {
    // Act
    const result = json(200, {}, { 'x-correlation-id': 'abc' });

    // Assess
    expect(result.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store', 'x-correlation-id': 'abc' });
  });
});

describe('errorResponse', () => {
  it.each([
    ['a bad request', new BadRequestError('amount', 'amount must be positive'), 400],
    ['a rejected token', new TokenRejectedError('TOKEN_EXPIRED', 'Token has expired'), 401],
    ['a missing permission', new PermissionDeniedError('Missing permission: analytics.run'), 403],
    ['a refused token exchange', new TokenExchangeDeniedError('access_denied', undefined), 403],
    ['a downstream 403', new DownstreamRejectedError('service-c', 403, 'service-c answered HTTP 403'), 403],
    ['a downstream 401', new DownstreamRejectedError('service-c', 401, 'service-c answered HTTP 401'), 502],
    ['a downstream 500', new DownstreamRejectedError('service-c', 500, 'service-c answered HTTP 500'), 502],
    ['an unreachable downstream', new DownstreamUnavailableError('service-c', 'service-c could not be reached'), 502],
    ['an unreachable Keycloak', new KeycloakUnavailableError('Keycloak could not be reached'), 503],
    ["a Keycloak certificate Node refuses", new KeycloakTlsError('refused'), 503],
    ['a Keycloak answer we cannot read', new KeycloakProtocolError('not JSON'), 503],
    ['an unreachable Secrets Manager', new SecretsUnavailableError('dev/service-b'), 503],
    ['a missing secret', new SecretNotFoundError('dev/service-b'), 500],
    ['an invalid secret', new SecretInvalidError('dev/service-b', 'the value is not JSON'), 500],
    ['refused client credentials', new ClientAuthenticationError('refused'), 500],
    ['a bad exchange result', new TokenExchangeResultError('wrong aud'), 500],
    ['a configuration error', new ConfigError('Environment variable X is required'), 500],
  ] as const)('maps $0 to HTTP $2 with its stable code', (_case, error: AuthError, status) => {
    // Act
    const result = errorResponse(error);

    // Assess
    expect(result.statusCode).toBe(status);
    expect(bodyOf(result)).toMatchObject({ error: error.code });
  });

  it.each([
    ['a missing secret', new SecretNotFoundError('prod/keycloak/service-b'), 'The service cannot read its credentials'],
    ['an invalid secret', new SecretInvalidError('prod/keycloak/service-b', 'the value is not JSON'), 'The service cannot read its credentials'],
    ['an unreachable Secrets Manager', new SecretsUnavailableError('prod/keycloak/service-b'), 'The service cannot reach its credentials store'],
    ['a configuration error', new ConfigError('Environment variable CLIENT_SECRET_ID is required'), 'The service is misconfigured'],
    ['an unreachable Keycloak', new KeycloakUnavailableError('Keycloak did not answer within 3000 ms'), 'The identity provider is unavailable'],
    ['refused client credentials', new ClientAuthenticationError('Keycloak refused the client credentials (invalid_client)'), "The identity provider refused the service's own credentials"],
    ['a downstream 500', new DownstreamRejectedError('service-c', 500, 'service-c answered HTTP 500 (SECRET_NOT_FOUND)'), 'A downstream service refused the request'],
    ['a Keycloak certificate Node refuses', new KeycloakTlsError('Keycloak presented a certificate Node refuses (CERT_HAS_EXPIRED)'), 'The identity provider is unavailable'],
    ['a Keycloak answer we cannot read', new KeycloakProtocolError('Keycloak answered HTTP 200 with a body that is not JSON'), 'The identity provider gave an answer the service cannot use'],
    ['a bad exchange result', new TokenExchangeResultError('The exchanged token has aud service-x, not service-c'), 'The identity provider issued a token the service cannot use'],
  ] as const)('answers %s with a generic message: no secret name, no detail (the log has it)', (_case, error: AuthError, message) => {
    // Act
    const result = errorResponse(error);

    // Assess
    expect(bodyOf(result).message).toBe(message);
    expect(result.body).not.toContain('prod/keycloak');
    expect(result.body).not.toContain(error.message);
  });

  it('answers 500 INTERNAL without the message of an error the kit did not throw', () => {
    // Act
    const result = errorResponse(new TypeError("Cannot read properties of undefined (reading 'secret')"));

    // Assess
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({ error: 'INTERNAL', message: 'Internal error' });
  });

  it('answers 500 Internal error, not its message, for an AuthError of a code that has no HTTP meaning of its own', () => {
    // Act
    const result = errorResponse(new AuthError('TOKEN_MISSING', 'detail only the log may see'));

    // Assess
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({ error: 'TOKEN_MISSING', message: 'Internal error' });
  });

  it('names the field of a bad request', () => {
    // Act
    const result = errorResponse(new BadRequestError('order_id', 'order_id is required'));

    // Assess
    expect(bodyOf(result)).toEqual({ error: 'BAD_REQUEST', message: 'order_id is required', field: 'order_id' });
  });

  it("carries Keycloak's OAuth error code when an exchange is refused, but not its description", () => {
    // Act
    const result = errorResponse(new TokenExchangeDeniedError('invalid_request', 'Requested audience not available: service-c'));

    // Assess
    expect(bodyOf(result)).toEqual({
      error: 'TOKEN_EXCHANGE_DENIED',
      message: 'The identity provider refused to exchange the token for the next service',
      keycloak_error: 'invalid_request',
    });
  });

  it('names the service and status of a downstream rejection', () => {
    // Act
    const result = errorResponse(new DownstreamRejectedError('service-c', 500, 'service-c answered HTTP 500'));

    // Assess
    expect(bodyOf(result)).toEqual({
      error: 'DOWNSTREAM_REJECTED',
      message: 'A downstream service refused the request',
      service: 'service-c',
      status: 500,
    });
  });

  it('names the service that refused with a 403', () => {
    // Act
    const result = errorResponse(new DownstreamRejectedError('service-c', 403, 'service-c answered HTTP 403 (PERMISSION_DENIED)'));

    // Assess
    expect(bodyOf(result)).toEqual({ error: 'DOWNSTREAM_REJECTED', message: 'service-c refused the request', service: 'service-c', status: 403 });
  });

  it('adds the given headers', () => {
    // Act
    const result = errorResponse(new PermissionDeniedError('no'), { 'x-correlation-id': 'abc' });

    // Assess
    expect(result.headers).toMatchObject({ 'x-correlation-id': 'abc', 'content-type': 'application/json' });
  });
});

describe('header', () => {
  it('finds a header whatever the casing the caller used', () => {
    // Prepare
    const event = { headers: { 'X-Correlation-ID': 'abc' } };

    // Act
    const value = header(event, 'x-correlation-id');

    // Assess
    expect(value).toBe('abc');
  });

  it('finds a header asked for in another casing', () => {
    // Act
    const value = header({ headers: { authorization: 'Bearer x' } }, 'Authorization');

    // Assess
    expect(value).toBe('Bearer x');
  });

  it('returns undefined for an absent header', () => {
    // Act
    const value = header({ headers: { accept: 'application/json' } }, 'authorization');

    // Assess
    expect(value).toBeUndefined();
  });

  it('returns undefined when the event has no headers at all', () => {
    // Prepare: API Gateway sends `headers: null` for a request without any.
    const event = { headers: null as unknown as Record<string, string> };

    // Act
    const value = header(event, 'authorization');

    // Assess
    expect(value).toBeUndefined();
  });

  it('skips an undefined value and keeps looking', () => {
    // Act
    const value = header({ headers: { Authorization: undefined, authorization: 'Bearer y' } }, 'authorization');

    // Assess
    expect(value).toBe('Bearer y');
  });
});

describe('jsonBody', () => {
  it('parses a JSON object', () => {
    // Act
    const body = jsonBody({ body: '{"order_id":9876,"amount":100}', isBase64Encoded: false });

    // Assess
    expect(body).toEqual({ order_id: 9876, amount: 100 });
  });

  it('decodes a base64-encoded body first', () => {
    // Prepare
    const encoded = Buffer.from('{"value":10}').toString('base64');

    // Act
    const body = jsonBody({ body: encoded, isBase64Encoded: true });

    // Assess
    expect(body).toEqual({ value: 10 });
  });

  it.each([[null], ['']])('refuses a missing body (%o) naming the field "body"', (raw) => {
    // Act
    const error = badRequestOf(() => jsonBody({ body: raw, isBase64Encoded: false }));

    // Assess
    expect({ field: error.field, message: error.message }).toEqual({ field: 'body', message: 'Request body is required' });
  });

  it('refuses a body that is not JSON', () => {
    // Act
    const error = badRequestOf(() => jsonBody({ body: '{"value": 10', isBase64Encoded: false }));

    // Assess
    expect({ field: error.field, message: error.message }).toEqual({ field: 'body', message: 'Request body is not valid JSON' });
  });

  it.each([['[1,2]'], ['42'], ['"text"'], ['null'], ['true']])('refuses JSON that is not an object (%s)', (raw) => {
    // Act
    const error = badRequestOf(() => jsonBody({ body: raw, isBase64Encoded: false }));

    // Assess
    expect({ field: error.field, message: error.message }).toEqual({ field: 'body', message: 'Request body must be a JSON object' });
  });

  it('accepts a body of exactly MAX_BODY_BYTES bytes', () => {
    // Prepare
    const raw = `{"pad":"${'x'.repeat(MAX_BODY_BYTES - 10)}"}`;

    // Act
    const body = jsonBody({ body: raw, isBase64Encoded: false });

    // Assess
    expect(Buffer.byteLength(raw)).toBe(MAX_BODY_BYTES);
    expect(Object.keys(body)).toEqual(['pad']);
  });

  it('refuses a body one byte over MAX_BODY_BYTES, counting bytes rather than characters', () => {
    // Prepare: "é" is two bytes in UTF-8.
    const raw = `{"pad":"${'x'.repeat(MAX_BODY_BYTES - 11)}é"}`;

    // Act
    const error = badRequestOf(() => jsonBody({ body: raw, isBase64Encoded: false }));

    // Assess
    expect(raw.length).toBe(MAX_BODY_BYTES);
    expect(error.message).toBe(`Request body exceeds ${MAX_BODY_BYTES} bytes`);
    expect(error.field).toBe('body');
  });
});
