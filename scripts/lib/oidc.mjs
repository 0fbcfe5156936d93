// @ts-check
/**
 * The OpenID Connect calls the developer tools (`npm run demo`, `npm run doctor`) make to Keycloak
 * themselves: client credentials, password grant, token exchange, introspection. They reproduce the
 * grants the services make, so the tools can show what each hop's token says. Tokens are only ever
 * returned to the caller and summarised by their claims; nothing here prints or logs one.
 */

/** RFC 8693 identifiers. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

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
  };
}

/** A confidential client's credentials; the secret never leaves the Authorization header. */
/** @typedef {{ clientId: string, clientSecret: string }} ClientCredentials */

/** An answer of Keycloak: status and parsed JSON body (an empty object when there is none). */
/** @typedef {{ status: number, body: Record<string, any> }} KeycloakAnswer */

/**
 * POSTs a form to a Keycloak endpoint, authenticated with HTTP Basic when `client` is given.
 * @param {string} url
 * @param {Record<string, string>} form
 * @param {ClientCredentials} [client]
 * @param {{ timeoutMs?: number, fetch?: typeof globalThis.fetch }} [options]
 * @returns {Promise<KeycloakAnswer>}
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function postForm(url, form, client, { timeoutMs = 5000, fetch = globalThis.fetch } = {}) {
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client) {
    const encode = (/** @type {string} */ value) => encodeURIComponent(value);
    headers.authorization = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`;
  }
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  /** @type {Record<string, any>} */
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { error: 'not_json', error_description: `HTTP ${response.status} with a body that is not JSON` };
  }
  return { status: response.status, body };
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
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3
 */
export function passwordGrant(endpoints, { clientId, username, password }) {
  return postForm(endpoints.token, { grant_type: 'password', client_id: clientId, username, password });
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
