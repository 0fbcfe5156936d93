/** Where the fake Keycloak of the unit tests "lives"; no request ever leaves the process. */
export const KEYCLOAK_URL = 'https://keycloak.test:8443';
export const REALM = 'microservices';
export const ISSUER = `${KEYCLOAK_URL}/realms/${REALM}`;
export const TOKEN_ENDPOINT = `${ISSUER}/protocol/openid-connect/token`;
export const INTROSPECTION_ENDPOINT = `${TOKEN_ENDPOINT}/introspect`;
export const JWKS_URI = `${ISSUER}/protocol/openid-connect/certs`;

/** A successful token-endpoint answer for `access_token`. */
export function tokenAnswer(access_token: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { access_token, token_type: 'Bearer', expires_in: 300, scope: 'profile email', ...extra };
}
