import { TokenRejectedError } from '../errors';
import type { IntrospectionResult } from './introspection';

/** Who called, as established from a token this service accepted. */
export interface Principal {
  /** Subject: the user, or the calling service's service-account user. */
  sub: string;
  /** The client the token was issued to (`azp` / `client_id`). */
  clientId: string;
  /** Space-separated OAuth scopes. */
  scope: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** This service's client roles in the token: the permissions the route table checks. */
  permissions: string[];
}

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
  if (typeof result.exp !== 'number' || result.exp <= expected.nowSeconds) {
    throw new TokenRejectedError('TOKEN_EXPIRED', 'Token has expired');
  }
  const clientId = result.azp ?? result.client_id;
  if (typeof result.sub !== 'string' || typeof clientId !== 'string') {
    throw new TokenRejectedError('TOKEN_MALFORMED', 'Token has no subject or client');
  }
  return {
    sub: result.sub,
    clientId,
    scope: result.scope ?? '',
    exp: result.exp,
    permissions: result.resource_access?.[expected.audience]?.roles?.filter((r) => typeof r === 'string') ?? [],
  };
}

/** `aud` as a list: Keycloak serialises a single audience as a string. */
export function audiences(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}
