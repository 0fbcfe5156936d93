import { ClientAuthenticationError, KeycloakProtocolError } from '../errors';
import { clientAuthenticationRefusal } from './token-endpoint';
import type { KeycloakAnswer } from './transport';

/**
 * The fields of an introspection answer this kit reads; wire names as in RFC 7662 and Keycloak.
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export interface IntrospectionResult {
  active: boolean;
  iss?: string;
  sub?: string;
  aud?: string | string[];
  azp?: string;
  client_id?: string;
  sid?: string;
  scope?: string;
  exp?: number;
  nbf?: number;
  typ?: string;
  token_type?: string;
  resource_access?: Record<string, { roles?: string[] }>;
}

/**
 * Judges an introspection answer. A 200 with `active` is returned as is (the caller checks issuer,
 * audience and expiry); a refused client authentication and anything malformed throw.
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export function parseIntrospection({ status, body }: KeycloakAnswer): IntrospectionResult {
  const refused = clientAuthenticationRefusal({ status, body }, "the introspecting client's credentials");
  if (refused) throw refused;
  if (status === 401) {
    throw new ClientAuthenticationError(`Keycloak refused the introspecting client's credentials (${String(body.error ?? 'HTTP 401')})`);
  }
  if (status !== 200) {
    throw new KeycloakProtocolError(`Introspection answered HTTP ${status}`);
  }
  if (typeof body.active !== 'boolean') {
    throw new KeycloakProtocolError('Introspection answer has no boolean "active"');
  }
  return body as unknown as IntrospectionResult;
}
