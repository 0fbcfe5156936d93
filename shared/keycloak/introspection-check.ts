import { TokenRejectedError } from '../errors';
import { assertUnexpired, audiences, principalFromClaims, type Principal } from '../principal';
import type { IntrospectionResult } from './introspection';

/**
 * Accepts an introspection result only when the token is active, a Bearer access token, issued by
 * the expected issuer, meant for this service (`aud`) and unexpired; otherwise throws
 * {@link TokenRejectedError} with the precise code.
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-4
 */
export function acceptIntrospection(
  result: IntrospectionResult,
  expected: { issuer: string; audience: string; nowSeconds: number },
): Principal {
  if (!result.active) throw new TokenRejectedError('TOKEN_INACTIVE', 'Token is not active');
  const type = result.typ ?? result.token_type;
  // Refresh and ID tokens can introspect as active too; only access tokens open a route.
  if (typeof type !== 'string' || type.toLowerCase() !== 'bearer') {
    throw new TokenRejectedError('TOKEN_WRONG_TYPE', 'Token is not a Bearer access token');
  }
  if (result.iss !== expected.issuer) throw new TokenRejectedError('TOKEN_WRONG_ISSUER', 'Token was issued by another issuer');
  if (!audiences(result.aud).includes(expected.audience)) {
    throw new TokenRejectedError('TOKEN_WRONG_AUDIENCE', `Token is not meant for ${expected.audience}`);
  }
  assertUnexpired(result.exp, expected.nowSeconds);
  return principalFromClaims(result as unknown as Record<string, unknown>, expected.audience);
}
