// @ts-check
/**
 * The one dev client of Keycloak: the calls the developer tools (`npm run demo`, `npm run doctor`,
 * the bench, the integration tests' helpers) make themselves — client credentials, password grant,
 * token exchange, introspection, revocation — all sent through the library's own transport and
 * client authentication (`keycloak-lambda-s2s`), so the tools encode credentials and read answers
 * exactly as the services do. Unlike the services, the tools want Keycloak's answer as it is
 * (status and body) to explain it, so a failure the library would throw becomes an answer here.
 * Tokens are only ever returned to the caller and summarised by their claims; nothing here prints
 * or logs one.
 */
import {
  ACCESS_TOKEN_TYPE,
  AuthError,
  TOKEN_EXCHANGE_GRANT,
  clientSecretBasic,
  parseClientCredentials,
  postForm as postKeycloakForm,
  privateKeyJwt,
  publicClient,
} from 'keycloak-lambda-s2s';
import { createPrivateKey } from 'node:crypto';

export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT };

/** Anything shaped like a JWS compact serialisation (three base64url parts, the first a JSON header). */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/**
 * The text with every JWT-shaped string replaced by a placeholder: the last line of defence of the
 * tools' output, which is built from claims only.
 * @param {string} text
 */
export function redactTokens(text) {
  return text.replace(JWT_SHAPE, '<token redacted>');
}

/**
 * The endpoints of a realm.
 * @param {string} keycloakUrl base URL without a trailing slash
 * @param {string} realm
 */
export function realmEndpoints(keycloakUrl, realm) {
  const issuer = `${keycloakUrl}/realms/${realm}`;
  return {
    issuer,
    discovery: `${issuer}/.well-known/openid-configuration`,
    token: `${issuer}/protocol/openid-connect/token`,
    introspection: `${issuer}/protocol/openid-connect/token/introspect`,
    revocation: `${issuer}/protocol/openid-connect/revoke`,
  };
}

/**
 * A client that authenticates with a signed JWT: its private key, the `kid` Keycloak knows the public
 * half by, and the algorithm (as the library's `parseClientCredentials` returns them).
 * @typedef {{ clientId: string, privateKey: import('node:crypto').KeyObject, kid: string, alg: import('keycloak-lambda-s2s').ClientAssertionAlgorithm }} SigningCredentials
 */

/**
 * A confidential client's credentials: a secret (it never leaves the Authorization header) or, for a
 * client that authenticates with a signed JWT, its private key — a private JWK with `kid` (P-256, ES256),
 * or {@link SigningCredentials}.
 * @typedef {{ clientId: string, clientSecret: string } | { clientId: string, privateKeyJwk: Record<string, unknown> & { kid: string } } | SigningCredentials} ClientCredentials
 */

/**
 * How `credentials` authenticate, in OAuth's words: `client_secret_basic` or `private_key_jwt`.
 * @param {ClientCredentials} credentials
 * @returns {'client_secret_basic' | 'private_key_jwt'}
 */
export function authMethodOf(credentials) {
  return 'clientSecret' in credentials ? 'client_secret_basic' : 'private_key_jwt';
}

/**
 * A service's credentials from its Secrets Manager value, read by the library exactly as the functions
 * read it (`parseClientCredentials`), for the method the value names (`client_auth`; absent: a secret).
 * A value the functions would refuse throws the library's `SecretInvalidError`, whose message names
 * the field and never the value.
 * @param {string} secretId
 * @param {string} clientId
 * @param {unknown} secretString
 * @returns {ClientCredentials}
 */
export function credentialsFromSecret(secretId, clientId, secretString) {
  let named;
  try {
    named = JSON.parse(String(secretString)).client_auth;
  } catch {
    named = undefined; // the library names the problem below
  }
  const method = named === 'private_key_jwt' ? 'private_key_jwt' : 'client_secret_basic';
  const parsed = parseClientCredentials(secretId, { clientId, method }, secretString);
  return parsed.method === 'client_secret_basic'
    ? { clientId, clientSecret: parsed.clientSecret }
    : { clientId, privateKey: parsed.key, kid: parsed.kid, alg: parsed.alg };
}

/** An answer of Keycloak: status and parsed JSON body (an empty object when there is none). */
/** @typedef {{ status: number, body: Record<string, any> }} KeycloakAnswer */

/**
 * POSTs a form to a Keycloak endpoint through the library's transport, authenticated as `client`
 * (`client_secret_basic`, or `private_key_jwt` for credentials with a private key) or as the public
 * client `publicClientId`. A failure the library throws
 * (unreachable, 5xx, not JSON, a redirect) comes back as an answer with status 0 and the library's
 * error code, so the tools can say what went wrong.
 * @param {string} url
 * @param {Record<string, string>} form
 * @param {ClientCredentials | { publicClientId: string } | undefined} client
 * @param {{ timeoutMs?: number, fetch?: typeof globalThis.fetch }} [options]
 * @returns {Promise<KeycloakAnswer>}
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function postForm(url, form, client, { timeoutMs = 5000, fetch = globalThis.fetch } = {}) {
  const auth =
    client === undefined
      ? { clientId: '', apply() {} }
      : 'publicClientId' in client
        ? publicClient(client.publicClientId)
        : 'clientSecret' in client
          ? clientSecretBasic(client.clientId, client.clientSecret)
          : signedJwtAuth(url, client);
  try {
    return await postKeycloakForm(fetch, url, form, auth, timeoutMs);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return { status: 0, body: { error: error.code, error_description: error.message } };
  }
}

/**
 * `private_key_jwt` for `client` (the library's `privateKeyJwt`: a new assertion per request), the
 * assertion's `aud` being the realm issuer that `url` belongs to (`<issuer>/protocol/openid-connect/…`),
 * as the services send it.
 * @param {string} url
 * @param {Exclude<ClientCredentials, { clientSecret: string }>} client
 */
function signedJwtAuth(url, client) {
  const issuer = url.replace(/\/protocol\/openid-connect\/.*$/, '');
  if ('privateKey' in client) return privateKeyJwt(client.clientId, client.privateKey, { kid: client.kid, alg: client.alg, audience: issuer });
  const key = createPrivateKey({ key: /** @type {import('node:crypto').JsonWebKey} */ (client.privateKeyJwk), format: 'jwk' });
  return privateKeyJwt(client.clientId, key, { kid: client.privateKeyJwk.kid, alg: 'ES256', audience: issuer });
}

/**
 * A client-credentials token request as `client`.
 * @param {ReturnType<typeof realmEndpoints>} endpoints
 * @param {ClientCredentials} client
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export function clientCredentialsGrant(endpoints, client) {
  return postForm(endpoints.token, { grant_type: 'client_credentials' }, client);
}

/**
 * A password-grant token request through a public client (the dev-only `demo-cli`).
 * @param {ReturnType<typeof realmEndpoints>} endpoints
 * @param {{ clientId: string, username: string, password: string }} user
 * @param {{ timeoutMs?: number, fetch?: typeof fetch }} [options]
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3
 */
export function passwordGrant(endpoints, { clientId, username, password }, options = {}) {
  return postForm(endpoints.token, { grant_type: 'password', username, password }, { publicClientId: clientId }, options);
}

/**
 * A standard token exchange: `client` trades `subjectToken` for a token meant for `audience`.
 * @param {ReturnType<typeof realmEndpoints>} endpoints
 * @param {ClientCredentials} client
 * @param {string} subjectToken
 * @param {string} audience
 * @see https://www.rfc-editor.org/rfc/rfc8693#section-2.1
 */
export function tokenExchange(endpoints, client, subjectToken, audience) {
  return postForm(
    endpoints.token,
    { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, audience },
    client,
  );
}

/**
 * Introspects `token` as `client`, as an authorizer does.
 * @param {ReturnType<typeof realmEndpoints>} endpoints
 * @param {ClientCredentials} client
 * @param {string} token
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 */
export function introspect(endpoints, client, token) {
  return postForm(endpoints.introspection, { token, token_type_hint: 'access_token' }, client);
}

/**
 * Revokes `token` as the client it was issued to (RFC 7009); Keycloak answers 200 with no body.
 * @param {ReturnType<typeof realmEndpoints>} endpoints
 * @param {ClientCredentials} client
 * @param {string} token
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export function revoke(endpoints, client, token) {
  return postForm(endpoints.revocation, { token, token_type_hint: 'access_token' }, client);
}

/**
 * The payload of a JWT, unverified: the tools only read tokens Keycloak just handed them.
 * @param {string} token
 * @returns {Record<string, any>}
 */
export function decodeClaims(token) {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/**
 * `aud` as a list: Keycloak serialises a single audience as a string.
 * @param {unknown} aud
 * @returns {string[]}
 */
export function audiences(aud) {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a) => typeof a === 'string');
  return [];
}

/**
 * The claims a reader needs to follow a token through the chain, without the token itself.
 * @param {Record<string, any>} claims a token's payload or an introspection answer
 * @param {number} nowSeconds
 */
export function summarizeClaims(claims, nowSeconds) {
  /** @type {string[]} */
  const roles = [];
  for (const [client, access] of Object.entries(claims.resource_access ?? {})) {
    const names = Array.isArray(access?.roles) ? access.roles.filter((/** @type {unknown} */ r) => typeof r === 'string') : [];
    if (names.length > 0) roles.push(`${client}: ${names.join(', ')}`);
  }
  const realmRoles = Array.isArray(claims.realm_access?.roles) ? claims.realm_access.roles : [];
  if (realmRoles.length > 0) roles.push(`realm: ${realmRoles.join(', ')}`);
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  return {
    iss: String(claims.iss ?? '?'),
    sub: String(claims.sub ?? '?'),
    azp: String(claims.azp ?? claims.client_id ?? '?'),
    aud: audiences(claims.aud),
    roles,
    scope: typeof claims.scope === 'string' ? claims.scope.trim() : '',
    exp,
    expiresInSeconds: exp === undefined ? undefined : exp - nowSeconds,
  };
}

/**
 * `exp` as a readable instant with the time left, e.g. `2026-11-25T17:28:46Z (in 300 s)`.
 * @param {number | undefined} exp
 * @param {number | undefined} expiresInSeconds
 */
export function formatExpiry(exp, expiresInSeconds) {
  if (exp === undefined || expiresInSeconds === undefined) return 'no exp';
  const when = new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return expiresInSeconds > 0 ? `${when} (in ${expiresInSeconds} s)` : `${when} (expired ${-expiresInSeconds} s ago)`;
}
