import { TokenRejectedError } from './errors';

/** Who called, as established from a token this service accepted. */
export interface Principal {
  /** Subject: the user, or the calling service's service-account user. */
  sub: string;
  /** The client the token was issued to (`azp`, else `client_id`): the caller the route table names. */
  clientId: string;
  /** Space-separated OAuth scopes. */
  scope: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** This service's client roles in the token: the permissions the route table checks. */
  permissions: string[];
  /** Keycloak's session id (`sid`) when the token belongs to a user session. */
  sid?: string;
}

/**
 * The one place where token claims become a {@link Principal}, for locally verified JWTs and
 * introspection answers alike. `audience` is the accepting service's client id: its client roles
 * (`resource_access[audience].roles`) are the permissions. A token without a subject, a client or an
 * expiry is malformed.
 */
export function principalFromClaims(claims: Record<string, unknown>, audience: string): Principal {
  const { sub, azp, client_id, scope, exp, sid } = claims;
  // Keycloak access tokens name their client in `azp`; RFC 7662 answers in `client_id`.
  const clientId = typeof azp === 'string' ? azp : typeof client_id === 'string' ? client_id : undefined;
  if (typeof sub !== 'string' || sub === '' || !clientId || typeof exp !== 'number') {
    throw new TokenRejectedError('TOKEN_MALFORMED', 'Token has no subject, client or expiry');
  }
  const access = claims.resource_access as Record<string, { roles?: unknown } | undefined> | undefined;
  const roles = typeof access === 'object' && access !== null ? access[audience]?.roles : undefined;
  return {
    sub,
    clientId,
    scope: typeof scope === 'string' ? scope : '',
    exp,
    permissions: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [],
    ...(typeof sid === 'string' && sid ? { sid } : {}),
  };
}

/**
 * The one expiry check: throws `TOKEN_EXPIRED` unless `exp` (seconds) is a number after `nowSeconds`.
 * Used on introspection answers, on cached verdicts and on the authorizer context a handler reads.
 */
export function assertUnexpired(exp: unknown, nowSeconds: number): asserts exp is number {
  // Number.isFinite is false for anything that is not a number.
  if (!Number.isFinite(exp) || (exp as number) <= nowSeconds) {
    throw new TokenRejectedError('TOKEN_EXPIRED', 'Token has expired');
  }
}

/** `aud` as a list: Keycloak serialises a single audience as a string. */
export function audiences(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}
