import { TokenRejectedError } from './errors';

/** Longest token accepted; Keycloak access tokens are a few KB, anything far larger is an attack. */
export const MAX_TOKEN_LENGTH = 8192;

// RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Extracts the token from an `Authorization: Bearer <token>` value: scheme case-insensitive, exactly
 * one token, bounded size.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function parseBearer(header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw new TokenRejectedError('TOKEN_MISSING', 'No bearer token');
  if (header.length > MAX_TOKEN_LENGTH + 16) throw new TokenRejectedError('TOKEN_MALFORMED', 'Authorization header too long');
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new TokenRejectedError('TOKEN_MALFORMED', 'Authorization is not "Bearer <token>"');
  if (match[1].length > MAX_TOKEN_LENGTH) throw new TokenRejectedError('TOKEN_MALFORMED', 'Token too long');
  return match[1];
}
