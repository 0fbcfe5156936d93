import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_LENGTH, parseBearer, TokenRejectedError } from 'keycloak-lambda-s2s';

function rejectionOf(header: string | undefined): TokenRejectedError {
  try {
    parseBearer(header);
  } catch (error) {
    if (error instanceof TokenRejectedError) return error;
    throw error;
  }
  throw new Error(`parseBearer accepted a header of ${header?.length ?? 0} characters`);
}

describe('parseBearer', () => {
  it('returns the token of "Bearer <token>"', () => {
    // Act
    const token = parseBearer('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln');

    // Assess
    expect(token).toBe('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln');
  });

  it.each(['bearer abc', 'BEARER abc', 'BeArEr abc'])('accepts the scheme in any case (%s)', (header) => {
    // Act
    const token = parseBearer(header);

    // Assess
    expect(token).toBe('abc');
  });

  it('accepts every b64token character and trailing "=" padding (RFC 6750 section 2.1)', () => {
    // Prepare
    const token = 'AZaz09-._~+/==';

    // Act
    const parsed = parseBearer(`Bearer ${token}`);

    // Assess
    expect(parsed).toBe(token);
  });

  it('tolerates extra spaces around the token', () => {
    // Act
    const token = parseBearer('Bearer   abc  ');

    // Assess
    expect(token).toBe('abc');
  });

  it.each([[undefined], [''], ['   ']])('rejects a missing header (%o) as TOKEN_MISSING', (header) => {
    // Act
    const error = rejectionOf(header);

    // Assess
    expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_MISSING', message: 'No bearer token' });
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['the scheme without a token', 'Bearer'],
    ['the scheme and a space only', 'Bearer '],
    ['a bare token', 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln'],
    ['two tokens', 'Bearer abc def'],
    ['a character outside b64token', 'Bearer abc$def'],
    ['padding in the middle', 'Bearer ab=c'],
    ['a comma-separated list', 'Bearer abc, Bearer def'],
    ['no space after the scheme', 'Bearerabc'],
  ])('rejects %s as TOKEN_MALFORMED', (_case, header) => {
    // Act
    const error = rejectionOf(header);

    // Assess
    expect(error.code).toBe('TOKEN_MALFORMED');
    expect(error.message).toBe('Authorization is not "Bearer <token>"');
  });

  it('accepts a token of exactly MAX_TOKEN_LENGTH characters', () => {
    // Prepare
    const token = 'a'.repeat(MAX_TOKEN_LENGTH);

    // Act
    const parsed = parseBearer(`Bearer ${token}`);

    // Assess
    expect(parsed).toHaveLength(MAX_TOKEN_LENGTH);
  });

  it('accepts a header of exactly MAX_TOKEN_LENGTH + 16 characters (a longest token and trailing spaces)', () => {
    // Prepare
    const header = `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH)}${' '.repeat(9)}`;

    // Act
    const parsed = parseBearer(header);

    // Assess
    expect({ headerLength: header.length, tokenLength: parsed.length }).toEqual({ headerLength: MAX_TOKEN_LENGTH + 16, tokenLength: MAX_TOKEN_LENGTH });
  });

  it('rejects a header far longer than any token as TOKEN_MALFORMED, without echoing it', () => {
    // Prepare
    const header = `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH * 2)}`;

    // Act
    const error = rejectionOf(header);

    // Assess
    expect(error.code).toBe('TOKEN_MALFORMED');
    expect(error.message).toBe('Authorization header too long');
  });

  // Regression test: this failed before the fix found while writing these tests.
  it('rejects a token one character longer than MAX_TOKEN_LENGTH', () => {
    // Prepare
    const header = `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`;

    // Act
    const error = rejectionOf(header);

    // Assess
    expect({ code: error.code, message: error.message }).toEqual({ code: 'TOKEN_MALFORMED', message: 'Token too long' });
  });
});
