// @ts-check
/**
 * The realm doctor's judgements, as pure functions of what Keycloak answered: each returns a check
 * result whose failure says in one sentence what is wrong and, in another, how to fix it.
 * `scripts/doctor.mjs` gathers the facts; the unit tests feed these functions recorded answers.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { audiences } from './oidc.mjs';

/** @typedef {'pass' | 'warn' | 'fail' | 'skip'} CheckStatus */
/** @typedef {{ name: string, status: CheckStatus, detail: string, fix?: string }} CheckResult */

/** @param {string} name @param {string} detail @returns {CheckResult} */
export const pass = (name, detail) => ({ name, status: 'pass', detail });
/** @param {string} name @param {string} detail @param {string} [fix] @returns {CheckResult} */
export const warn = (name, detail, fix) => ({ name, status: 'warn', detail, ...(fix ? { fix } : {}) });
/** @param {string} name @param {string} detail @param {string} fix @returns {CheckResult} */
export const fail = (name, detail, fix) => ({ name, status: 'fail', detail, fix });
/** @param {string} name @param {string} detail @returns {CheckResult} */
export const skip = (name, detail) => ({ name, status: 'skip', detail });

/** The client attribute that turns on standard token exchange (Keycloak 26.2+). */
export const EXCHANGE_ATTRIBUTE = 'standard.token.exchange.enabled';

/**
 * Whether Keycloak names itself with the URL the kit reaches it by: `iss` must match exactly.
 * @param {string} expected `<KEYCLOAK_URL>/realms/<realm>`
 * @param {string | undefined} discovered `issuer` of the realm's discovery document
 * @returns {CheckResult}
 */
export function checkIssuer(expected, discovered) {
  const name = 'issuer';
  if (discovered === expected) return pass(name, `Keycloak issues tokens with iss ${expected}, the URL the kit uses`);
  return fail(
    name,
    `Keycloak issues tokens with iss ${discovered ?? '(none)'} but is reached as ${expected}, so the authorizers, which expect the latter, refuse every token.`,
    'Use one base URL everywhere: start Keycloak with --hostname=<that URL> and set KEYCLOAK_URL to exactly it (http://localhost and http://127.0.0.1 are two different issuers).',
  );
}

/**
 * Whether a client can do what the kit asks of it: exist, be enabled, be confidential (how it
 * authenticates is {@link checkClientAuthenticator}'s), and (for the clients that get their own
 * tokens) have a service account.
 * @param {string} clientId
 * @param {any} client its admin representation, or undefined when missing
 * @param {{ realm: string, serviceAccount: 'required' | 'recommended' | 'unneeded' }} options
 * @returns {CheckResult}
 */
export function checkClient(clientId, client, { realm, serviceAccount }) {
  const name = `client ${clientId}`;
  const create = `Create it as an OpenID Connect client with Client authentication on and Service accounts on (see its definition in keycloak/realm-microservices.json).`;
  if (!client) return fail(name, `Realm ${realm} has no client "${clientId}".`, create);
  if (client.enabled === false) {
    return fail(name, `${clientId} is disabled, so Keycloak refuses all its requests.`, `Enable it (admin console: Clients → ${clientId} → Enabled).`);
  }
  if (client.publicClient) {
    return fail(
      name,
      `${clientId} is a public client, so it cannot authenticate to introspect tokens or to exchange them.`,
      `Make it confidential: Clients → ${clientId} → Settings → Capability config → Client authentication on ("publicClient": false).`,
    );
  }
  if (client.bearerOnly) {
    return fail(name, `${clientId} is bearer-only, so it can neither get nor exchange tokens.`, `Set "bearerOnly": false on ${clientId}.`);
  }
  if (serviceAccount === 'unneeded') {
    if (!client.serviceAccountsEnabled) return pass(name, `${clientId} is a confidential client without a service account: it calls nobody as itself`);
    return warn(
      name,
      `${clientId} has a service account it does not need: its credentials alone can mint tokens of its own.`,
      `Turn off Service accounts (Clients → ${clientId} → Settings → Capability config; "serviceAccountsEnabled": false).`,
    );
  }
  if (!client.serviceAccountsEnabled) {
    const detail = `${clientId} has no service account, so it cannot get tokens of its own (client credentials).`;
    const fix = `Turn on Service accounts (Clients → ${clientId} → Settings → Capability config → Service accounts roles; "serviceAccountsEnabled": true).`;
    return serviceAccount === 'required' ? fail(name, detail, fix) : warn(name, `${detail} The kit does not need one for it today.`, fix);
  }
  return pass(name, `${clientId} is a confidential client with a service account`);
}

/** The Keycloak client authenticator each of the kit's methods needs. */
export const AUTHENTICATOR_OF_METHOD = /** @type {const} */ ({ client_secret_basic: 'client-secret', private_key_jwt: 'client-jwt' });

/** How the admin console names each authenticator (Clients → … → Credentials → Client Authenticator). */
const AUTHENTICATOR_LABEL = /** @type {Record<string, string>} */ ({
  'client-secret': 'Client Id and Secret',
  'client-jwt': 'Signed JWT',
  'client-secret-jwt': 'Signed JWT with Client Secret',
  'client-x509': 'X509 Certificate',
});

/**
 * How the functions of each service authenticate to Keycloak, read from serverless.yml: the
 * `CLIENT_AUTH_METHOD` of each function under `functions:` (default `client_secret_basic`), grouped by
 * its `SERVICE_NAME`.
 * @param {string} text serverless.yml
 * @returns {Record<string, { functions: { name: string, method: string }[] }>}
 */
export function readClientAuthMethods(text) {
  /** @type {Record<string, { functions: { name: string, method: string }[] }>} */
  const services = {};
  /** @type {{ name: string, service?: string, method?: string } | undefined} */
  let current;
  let inFunctions = false;
  const flush = () => {
    if (current?.service) {
      services[current.service] ??= { functions: [] };
      services[current.service]?.functions.push({ name: current.name, method: current.method ?? 'client_secret_basic' });
    }
    current = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^\S/.test(line)) {
      flush();
      inFunctions = /^functions:\s*$/.test(line);
      continue;
    }
    if (!inFunctions) continue;
    const fn = /^ {2}(\w[\w-]*):\s*$/.exec(line);
    if (fn?.[1]) {
      flush();
      current = { name: fn[1] };
      continue;
    }
    const variable = /^\s+(SERVICE_NAME|CLIENT_AUTH_METHOD):\s*['"]?([^'"\s]+)['"]?\s*$/.exec(line);
    if (current && variable?.[2]) {
      if (variable[1] === 'SERVICE_NAME') current.service = variable[2];
      else current.method = variable[2];
    }
  }
  flush();
  return services;
}

/**
 * Whether a client's authenticator in Keycloak is the one its service's functions are configured for:
 * `client-secret` for `client_secret_basic`, `client-jwt` (Signed JWT) for `private_key_jwt`.
 * @param {string} clientId
 * @param {any} client its admin representation (undefined: reported by {@link checkClient})
 * @param {{ functions: { name: string, method: string }[] } | undefined} configured from {@link readClientAuthMethods}
 * @returns {CheckResult}
 */
export function checkClientAuthenticator(clientId, client, configured) {
  const name = `authenticator ${clientId}`;
  const authenticator = client?.clientAuthenticatorType ?? 'client-secret';
  const label = (/** @type {string} */ type) => `"${AUTHENTICATOR_LABEL[type] ?? type}" (${type})`;
  const functions = configured?.functions ?? [];
  const methods = [...new Set(functions.map((f) => f.method))];
  const list = functions.map((f) => `${f.name}: ${f.method}`).join(', ');
  if (!client) return skip(name, `no client ${clientId}`);
  if (methods.length > 1) {
    return fail(
      name,
      `The functions of ${clientId} disagree on how to authenticate (${list}), so one of them is always refused.`,
      `Give every function with SERVICE_NAME ${clientId} the same CLIENT_AUTH_METHOD in serverless.yml (authorizer and service alike).`,
    );
  }
  const method = methods[0] ?? 'client_secret_basic';
  const expected = AUTHENTICATOR_OF_METHOD[/** @type {keyof typeof AUTHENTICATOR_OF_METHOD} */ (method)];
  if (!expected) {
    return fail(name, `serverless.yml sets CLIENT_AUTH_METHOD ${method} for ${clientId}, which the kit does not know.`, 'Use client_secret_basic or private_key_jwt.');
  }
  const where = functions.length > 0 ? `its functions (${functions.map((f) => f.name).join(', ')})` : 'its functions (none in serverless.yml: the default)';
  if (authenticator !== expected) {
    return fail(
      name,
      `Keycloak authenticates ${clientId} with ${label(authenticator)} but ${where} are configured for ${method} (CLIENT_AUTH_METHOD), so Keycloak refuses every request they make.`,
      method === 'private_key_jwt'
        ? `Set ${clientId}'s Client Authenticator to "Signed JWT" with its public key (Clients → ${clientId} → Credentials, then Keys; docs/private-key-jwt.md), or set CLIENT_AUTH_METHOD=client_secret_basic and store its secret.`
        : `Set ${clientId}'s Client Authenticator to "Client Id and Secret" (Clients → ${clientId} → Credentials), or set CLIENT_AUTH_METHOD=private_key_jwt on its functions and store its private key (docs/private-key-jwt.md).`,
    );
  }
  return pass(name, `Keycloak expects ${label(authenticator)} of ${clientId}, and ${where} are configured for ${method}`);
}

/**
 * The public keys Keycloak holds for a signed-JWT client, as the client's attributes say: a JWKS
 * (`use.jwks.string` / `jwks.string`), a JWKS URL (`use.jwks.url` / `jwks.url`, fetched by the caller)
 * or a certificate (`jwt.credential.certificate`).
 * @param {any} client admin representation
 * @returns {{ source: 'jwks.string', keys: Record<string, any>[] } | { source: 'jwks.url', url: string } | { source: 'certificate', keys: Record<string, any>[] } | { source: 'none' } | { source: 'invalid', why: string }}
 */
export function publishedKeySource(client) {
  const attributes = client?.attributes ?? {};
  if (attributes['use.jwks.url'] === 'true' && attributes['jwks.url']) return { source: 'jwks.url', url: String(attributes['jwks.url']) };
  if (attributes['use.jwks.string'] === 'true' && attributes['jwks.string']) {
    try {
      const keys = JSON.parse(String(attributes['jwks.string'])).keys;
      return Array.isArray(keys) ? { source: 'jwks.string', keys } : { source: 'invalid', why: 'its JWKS (jwks.string) has no "keys" list' };
    } catch {
      return { source: 'invalid', why: 'its JWKS (jwks.string) is not JSON' };
    }
  }
  if (attributes['jwt.credential.certificate']) {
    try {
      const certificate = new X509Certificate(Buffer.from(String(attributes['jwt.credential.certificate']), 'base64'));
      return { source: 'certificate', keys: [{ ...certificate.publicKey.export({ format: 'jwk' }) }] };
    } catch {
      return { source: 'invalid', why: 'its certificate (jwt.credential.certificate) cannot be read' };
    }
  }
  return { source: 'none' };
}

/**
 * Whether the private key a signed-JWT client's functions read from Secrets Manager is one Keycloak
 * knows: a published key under the same `kid` whose public half matches. Names kids, never key material.
 * @param {string} clientId
 * @param {{ secretId: string, error?: string, credentials?: { privateKey: import('node:crypto').KeyObject, kid: string } }} secret
 * @param {{ source: string, keys?: Record<string, any>[], why?: string }} published from {@link publishedKeySource} (a JWKS URL already fetched)
 * @returns {CheckResult}
 */
export function checkClientKey(clientId, secret, published) {
  const name = `key ${clientId}`;
  if (secret.error || !secret.credentials) {
    return fail(
      name,
      `The private key of ${clientId} could not be read from Secrets Manager: ${secret.error ?? 'no value'}`,
      `Store it in ${secret.secretId} as {"client_id","client_auth":"private_key_jwt","private_key_pem","kid"} (docs/private-key-jwt.md, step 3).`,
    );
  }
  const register = `Publish the public half of ${secret.secretId}'s key under kid "${secret.credentials.kid}" in ${clientId}'s keys (Clients → ${clientId} → Keys; docs/private-key-jwt.md, step 2).`;
  if (published.source === 'invalid' || published.source === 'none' || !published.keys) {
    return fail(name, `Keycloak holds no usable public key for ${clientId}: ${published.why ?? 'it has neither a JWKS, a JWKS URL nor a certificate'}.`, register);
  }
  const publicKey = createPublicKey(secret.credentials.privateKey);
  const matches = (/** @type {Record<string, any>} */ jwk) => {
    try {
      return createPublicKey({ key: /** @type {import('node:crypto').JsonWebKey} */ (jwk), format: 'jwk' }).equals(publicKey);
    } catch {
      return false;
    }
  };
  const { kid } = secret.credentials;
  if (published.source === 'certificate') {
    // Keycloak derives the kid of a certificate itself: only the key can be compared.
    return published.keys.some(matches)
      ? pass(name, `the certificate Keycloak holds for ${clientId} carries the public half of the key in ${secret.secretId}`)
      : fail(name, `The certificate Keycloak holds for ${clientId} does not carry the public half of the key in ${secret.secretId}, so Keycloak refuses its assertions.`, register);
  }
  const where = published.source === 'jwks.url' ? 'at its JWKS URL' : 'in its JWKS';
  const kids = published.keys.map((k) => k.kid).filter((k) => typeof k === 'string');
  const sameKid = published.keys.filter((k) => k.kid === kid);
  if (sameKid.length === 0) {
    return fail(
      name,
      `Keycloak has no public key of ${clientId} with kid "${kid}" (the kid of the key in ${secret.secretId}) ${where}; it knows ${kids.length > 0 ? kids.map((k) => `"${k}"`).join(', ') : 'no kid'}, so it answers "Unable to load public key".`,
      register,
    );
  }
  if (!sameKid.some(matches)) {
    return fail(
      name,
      `The public key Keycloak holds for ${clientId} under kid "${kid}" ${where} is not the public half of the private key in ${secret.secretId}, so Keycloak refuses its assertions ("Signature on JWT token failed validation").`,
      `Replace that key with the public half of the key in ${secret.secretId}, or put the matching private key into the secret (docs/private-key-jwt.md).`,
    );
  }
  const others = kids.filter((k) => k !== kid);
  return pass(
    name,
    `Keycloak publishes the public half of ${secret.secretId}'s key under kid "${kid}" ${where}${others.length > 0 ? ` (also: ${others.map((k) => `"${k}"`).join(', ')})` : ''}`,
  );
}

/**
 * Whether a client may exchange tokens (standard token exchange, RFC 8693).
 * @param {string} clientId
 * @param {any} client its admin representation
 * @param {{ why: string, required: boolean }} options
 * @returns {CheckResult}
 */
export function checkExchangeEnabled(clientId, client, { why, required }) {
  const name = `exchange on ${clientId}`;
  if (client?.attributes?.[EXCHANGE_ATTRIBUTE] === 'true') return pass(name, `${clientId} has standard token exchange on (${why})`);
  const detail = `${clientId} has standard token exchange off, so Keycloak answers its exchanges with "Standard token exchange is not enabled for the requested client" (needed ${why}).`;
  const fix = `Set the client attribute "${EXCHANGE_ATTRIBUTE}": "true" on ${clientId} (admin console: Clients → ${clientId} → Settings → Capability config → Standard Token Exchange).`;
  return required ? fail(name, detail, fix) : warn(name, detail, fix);
}

/**
 * Facts about how a client's tokens may come to name another client in `aud`.
 * @typedef {{ fullScopeAllowed: boolean, scopeMappedRoles: string[], heldRoles?: string[], audienceMapper: boolean }} AudiencePath
 */

/**
 * The one-sentence fix for tokens of `from` that lack `aud: to`.
 * @param {string} from
 * @param {string} to
 * @param {AudiencePath} path
 * @param {string} [holder] who must hold a role of `to`, e.g. `service-account-service-a`
 */
export function audienceFix(from, to, path, holder) {
  if (!path.audienceMapper && !path.fullScopeAllowed && path.scopeMappedRoles.length === 0) {
    return (
      `Add a client scope mapping of ${to}'s roles to ${from} (realm JSON "clientScopeMappings": {"${to}": [{"client": "${from}", "roles": [...]}]}; ` +
      `admin console: Clients → ${from} → Client scopes → ${from}-dedicated → Scope → Assign role → a role of ${to})` +
      `${holder ? ` and give ${holder} that role` : ''}, or add an Audience mapper ("included.client.audience": "${to}") to ${from}-dedicated.`
    );
  }
  const roles = path.scopeMappedRoles.length > 0 ? ` (${path.scopeMappedRoles.join(', ')})` : '';
  const who = holder ?? 'the subject';
  const account = /^service-account-(.+)$/.exec(who);
  const where = account
    ? `admin console: Clients → ${account[1]} → Service accounts roles → Assign role`
    : `admin console: Users → ${who} → Role mapping → Assign role`;
  return `Give ${who} a role of ${to} that ${from}'s scope lets through${roles} (${where}).`;
}

/**
 * Whether anything in `from`'s scope can put `to` into the audience of the tokens it obtains.
 * @param {string} from
 * @param {string} to
 * @param {AudiencePath} path
 * @returns {CheckResult}
 */
export function checkAudiencePath(from, to, path) {
  const name = `audience ${from} → ${to}`;
  if (path.audienceMapper) return pass(name, `${from} has an Audience mapper for ${to}`);
  if (path.scopeMappedRoles.length > 0) {
    return pass(name, `${from}'s scope lets ${to}'s roles through (${path.scopeMappedRoles.join(', ')}), so its tokens can name ${to} in aud`);
  }
  if (path.fullScopeAllowed) {
    return warn(
      name,
      `${from} has "Full scope allowed": its tokens can name ${to}, but also carry every other role the subject holds.`,
      `Turn off Full scope allowed on ${from} and map only ${to}'s roles to it (least privilege).`,
    );
  }
  return fail(
    name,
    `Nothing in ${from}'s scope can put ${to} into aud, so Keycloak answers its exchanges for ${to} with "Requested audience not available: ${to}".`,
    audienceFix(from, to, path),
  );
}

/**
 * Whether a service's own client-credentials token names exactly the next service in `aud`.
 * @param {string} clientId
 * @param {string} expectedAudience
 * @param {{ status: number, body: Record<string, any> }} answer the token endpoint's answer
 * @param {Record<string, any> | undefined} claims the token's payload when one was issued
 * @param {{ path: AudiencePath, otherServices: string[] }} facts
 * @returns {CheckResult}
 */
export function checkServiceToken(clientId, expectedAudience, answer, claims, { path, otherServices }) {
  const name = `own token ${clientId}`;
  if (answer.status !== 200 || !claims) {
    return fail(
      name,
      `Keycloak refused ${clientId}'s client-credentials grant (HTTP ${answer.status} ${answer.body.error ?? ''}: ${answer.body.error_description ?? 'no description'}).`,
      /service account/i.test(String(answer.body.error_description))
        ? `Turn on Service accounts for ${clientId}.`
        : `Check that ${clientId} is enabled and confidential, and that the secret the admin API returns is the one in Secrets Manager.`,
    );
  }
  const aud = audiences(claims.aud);
  if (!aud.includes(expectedAudience)) {
    return fail(
      name,
      `${clientId}'s own tokens carry aud ${aud.join(', ') || '(none)'}, not ${expectedAudience}, so ${expectedAudience}'s authorizer refuses them and ${expectedAudience} cannot exchange them ("Client is not within the token audience").`,
      audienceFix(clientId, expectedAudience, path, `service-account-${clientId}`),
    );
  }
  const extra = aud.filter((a) => a !== expectedAudience && otherServices.includes(a));
  if (extra.length > 0) {
    return fail(
      name,
      `${clientId}'s own tokens also carry aud ${extra.join(', ')}, so ${extra.join(' and ')} would accept them directly, skipping ${expectedAudience}.`,
      `Remove the scope mapping (or Audience mapper) that lets ${extra.join(', ')}'s roles into ${clientId}'s tokens, and turn off Full scope allowed on ${clientId}.`,
    );
  }
  return pass(name, `${clientId}'s client-credentials token carries aud ${aud.join(', ')}, azp ${claims.azp}`);
}

/**
 * What a refused token exchange means and how to fix it, from Keycloak's error answer.
 * @param {string} requester the client that asked for the exchange
 * @param {string} audience the audience it asked for
 * @param {string} subject who issued the subject token, e.g. "service-a"
 * @param {{ status: number, body: Record<string, any> }} answer
 * @returns {{ detail: string, fix: string }}
 */
export function explainExchangeFailure(requester, audience, subject, { status, body }) {
  const error = String(body.error ?? 'unknown_error');
  const description = String(body.error_description ?? '');
  const said = `Keycloak answered ${status} ${error}${description ? ` "${description}"` : ''}`;
  if (/not enabled for the requested client/i.test(description)) {
    return {
      detail: `${said}: ${requester} may not exchange tokens at all.`,
      fix: `Set the client attribute "${EXCHANGE_ATTRIBUTE}": "true" on ${requester} (Clients → ${requester} → Capability config → Standard Token Exchange).`,
    };
  }
  if (status === 403 || error === 'access_denied') {
    return {
      detail: `${said}: ${requester} is not in the subject token's aud, and only a client the token was issued for may exchange it.`,
      fix: `Make ${subject}'s tokens name ${requester} in aud (a scope mapping of ${requester}'s roles to ${subject} plus such a role on the subject, or an Audience mapper); see the "own token ${subject}" check.`,
    };
  }
  if (/Requested audience not available/i.test(description)) {
    return {
      detail: `${said}: no role or Audience mapper in ${requester}'s scope puts ${audience} into aud for this subject (the audience parameter only filters the audiences ${requester}'s scope produces).`,
      fix:
        `Add a client scope mapping of ${audience}'s roles to ${requester} (Clients → ${requester} → Client scopes → ${requester}-dedicated → Scope) ` +
        `and make sure the subject (here ${subject === 'user' ? 'the user' : `service-account-${subject}`}) holds such a role, or add an Audience mapper for ${audience} to ${requester}.`,
    };
  }
  if (/Invalid token/i.test(description)) {
    return {
      detail: `${said}: the subject token is expired, revoked, from another realm, or carries another iss than this Keycloak's.`,
      fix: 'Exchange a fresh token of this realm, obtained at exactly the URL the kit uses (same host: localhost ≠ 127.0.0.1).',
    };
  }
  if (status === 401 || error === 'invalid_client' || error === 'unauthorized_client') {
    return {
      detail: `${said}: Keycloak did not accept ${requester}'s own credentials${/Audience not found/i.test(description) ? ` or the audience ${audience}` : ''}.`,
      fix: /Audience not found/i.test(description)
        ? `Create a client named ${audience} in this realm, or ask for an audience that exists.`
        : `Check that ${requester} is enabled and confidential and that its secret in Secrets Manager is the one Keycloak has (for a signed-JWT client: that Keycloak holds its public key, see the "key ${requester}" check).`,
    };
  }
  return { detail: `${said}.`, fix: 'See docs/troubleshooting.md, and Keycloak\'s log for the event of this request.' };
}

/**
 * Judges the doctor's test exchange: B trades A's token for one meant for C.
 * @param {string} requester
 * @param {string} audience
 * @param {string} subject
 * @param {{ status: number, body: Record<string, any> }} answer
 * @param {Record<string, any> | undefined} claims of the issued token
 * @param {Record<string, any>} subjectClaims of the subject token
 * @returns {CheckResult}
 */
export function checkExchange(requester, audience, subject, answer, claims, subjectClaims) {
  const name = `test exchange ${requester} → ${audience}`;
  if (answer.status !== 200 || !claims) {
    const { detail, fix } = explainExchangeFailure(requester, audience, subject, answer);
    return fail(name, detail, fix);
  }
  const aud = audiences(claims.aud);
  if (!aud.includes(audience) || aud.length !== 1) {
    return fail(
      name,
      `The exchanged token carries aud ${aud.join(', ') || '(none)'} instead of only ${audience}.`,
      `Map only ${audience}'s roles to ${requester} and turn off Full scope allowed on ${requester}.`,
    );
  }
  if (claims.azp !== requester || claims.sub !== subjectClaims.sub) {
    return fail(
      name,
      `The exchanged token has azp ${claims.azp} and sub ${claims.sub}; expected azp ${requester} and the subject's sub ${subjectClaims.sub}.`,
      'Check for protocol mappers on the clients that override sub or azp.',
    );
  }
  return pass(name, `${requester} exchanged ${subject}'s token for one with aud ${audience}, azp ${requester}, same sub`);
}

/**
 * Whether a Keycloak version has the introspection audience rule (the CVE-2026-37979 fix): the
 * introspecting client must be in the token's `aud`, else `active: false`. It came with 26.4.12 on
 * the 26.4 line, 26.6.2 on the 26.6 line and every release from 26.7.0 on; 26.5.x and older lines
 * do not have it. Undefined when the version is unknown or not a 26.x/27+ version.
 * @param {string | undefined} version e.g. "26.7.3" (a suffix such as "-SNAPSHOT" is ignored)
 * @returns {boolean | undefined}
 */
export function hasIntrospectionAudienceRule(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!match) return undefined;
  const [major, minor, patch] = match.slice(1).map(Number);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  if (major !== 26) return major > 26;
  if (minor >= 7) return true;
  if (minor === 6) return patch >= 2;
  if (minor === 4) return patch >= 12;
  return false;
}

/** How the rule's releases read in sentences. */
const RULE_RELEASES = 'Keycloak 26.6.2 (26.4.12 on the 26.4 line, every release from 26.7.0)';

/**
 * Judges one introspection against the audience rule of Keycloak ≥ 26.6.2 / 26.4.12: the
 * introspecting client must be in the token's `aud`. With the server's version known, a
 * surprising answer is explained by that version's behaviour.
 * @param {{ introspector: string, token: string, tokenAudience: string[], expectActive: boolean, serverVersion?: string }} facts
 * @param {{ status: number, body: Record<string, any> }} answer
 * @returns {CheckResult}
 */
export function checkIntrospection({ introspector, token, tokenAudience, expectActive, serverVersion }, answer) {
  const name = `${introspector} introspects ${token}`;
  if (answer.status !== 200) {
    return fail(
      name,
      `Keycloak refused ${introspector}'s introspection (HTTP ${answer.status} ${answer.body.error ?? ''}).`,
      `Check that ${introspector} is enabled and confidential and that its secret is right (for a signed-JWT client: its key, see the "key ${introspector}" check).`,
    );
  }
  const active = answer.body.active === true;
  if (active === expectActive) {
    return pass(name, `${introspector} introspecting ${token} gets active: ${active}${expectActive ? '' : ' (it is not in the token\'s aud)'}`);
  }
  const aud = tokenAudience.join(', ') || 'none';
  const server = serverVersion ? ` (this server is Keycloak ${serverVersion})` : '';
  if (expectActive) {
    return fail(
      name,
      `${introspector} introspecting ${token} gets active: false although the token is valid: since ${RULE_RELEASES} the introspecting client must be in the token's aud (${aud})${server}.`,
      `Make the token name ${introspector} in aud (see the "own token" and "audience" checks above): ${introspector}'s authorizer introspects with ${introspector}'s own credentials.`,
    );
  }
  const rule = hasIntrospectionAudienceRule(serverVersion);
  if (rule === false) {
    // Expected of that version: the kit stays safe because the authorizers check aud themselves.
    return warn(
      name,
      `${introspector} introspecting ${token} gets active: true although ${introspector} is not in its aud (${aud}): Keycloak ${serverVersion} predates the introspection audience rule of ${RULE_RELEASES}, so on this server introspection alone does not keep a token to the service it was issued for; the authorizers still refuse it because they check aud themselves.`,
      'Upgrade Keycloak to 26.6.2 or newer (or 26.4.12 on the 26.4 line); the kit is tested with 26.7.3.',
    );
  }
  return fail(
    name,
    `${introspector} introspecting ${token} gets active: true although ${introspector} is not in its aud (${aud})${server}: ${rule ? 'this version should refuse it (introspection audience rule), so check the realm and the server' : `Keycloak is older than ${RULE_RELEASES}, so introspection alone does not keep a token to the service it was issued for`}.`,
    'Upgrade Keycloak to 26.6.2 or newer (the kit is tested with 26.7.3); the authorizers still check aud themselves.',
  );
}

/**
 * The authorizer cache TTLs of serverless.yml: every numeric value (or `${env:…, [env:…,] default}`) given to
 * `introspectionCacheTtlSeconds` or `authorizerResultTtlSeconds`, with its line.
 * @param {string} text serverless.yml
 * @param {NodeJS.ProcessEnv} [env] where `${env:NAME, default}` is resolved
 * @returns {{ name: string, seconds: number, line: number }[]}
 */
export function readAuthorizerTtls(text, env = {}) {
  /** @type {{ name: string, seconds: number, line: number }[]} */
  const found = [];
  text.split('\n').forEach((raw, index) => {
    const match = /^\s*(introspectionCacheTtlSeconds|authorizerResultTtlSeconds):\s*(.+?)\s*(?:#.*)?$/.exec(raw);
    if (!match?.[1] || !match[2]) return;
    const [name, value] = [match[1], match[2]];
    // `${env:A, 60}` or a chain of fallbacks `${env:A, env:B, 60}`: the first variable set, else the default.
    const fromEnv = /^\$\{((?:env:\w+,\s*)+)'?(\d+)'?\}$/.exec(value);
    const names = fromEnv?.[1] ? [...fromEnv[1].matchAll(/env:(\w+)/g)].map((m) => /** @type {string} */ (m[1])) : [];
    const setName = names.find((n) => env[n]);
    const seconds = fromEnv ? Number((setName && env[setName]) || fromEnv[2]) : Number(value.replace(/^['"]|['"]$/g, ''));
    if (Number.isFinite(seconds)) found.push({ name, seconds, line: index + 1 });
  });
  return found;
}

/**
 * Whether no authorizer cache can hold a verdict longer than a token lives.
 * @param {number} lifespanSeconds the shortest access-token lifespan of the realm and its clients
 * @param {{ name: string, seconds: number, line: number }[]} ttls from {@link readAuthorizerTtls}
 * @param {string} lifespanSource where the lifespan comes from, for the message
 * @returns {CheckResult}
 */
export function checkLifespan(lifespanSeconds, ttls, lifespanSource) {
  const name = 'lifespan vs TTLs';
  if (ttls.length === 0) {
    return warn(name, 'serverless.yml sets neither introspectionCacheTtlSeconds nor authorizerResultTtlSeconds, so there was nothing to compare.');
  }
  const tooLong = ttls.filter((t) => t.seconds > lifespanSeconds);
  if (tooLong.length > 0) {
    const names = [...new Set(tooLong.map((t) => t.name))];
    const list = names
      .map((n) => {
        const found = tooLong.filter((t) => t.name === n);
        const lines = found.map((t) => t.line).join(', ');
        return `${n} ${Math.max(...found.map((t) => t.seconds))} s (serverless.yml line${found.length > 1 ? 's' : ''} ${lines})`;
      })
      .join(' and ');
    return fail(
      name,
      `${list} exceed${names.length === 1 ? 's' : ''} the access-token lifespan of ${lifespanSeconds} s (${lifespanSource}), so a cached Allow could outlive the token it was given for.`,
      `Lower ${names.join(' and ')} to at most ${lifespanSeconds} (or raise the realm's Access Token Lifespan).`,
    );
  }
  const max = Math.max(...ttls.map((t) => t.seconds));
  return pass(name, `the longest authorizer TTL (${max} s) is within the access-token lifespan (${lifespanSeconds} s, ${lifespanSource})`);
}

/**
 * The report: one line per check, the fix under each failure or warning, and a summary.
 * @param {CheckResult[]} results
 */
export function formatReport(results) {
  const mark = { pass: '✓', warn: '!', fail: '✗', skip: '–' };
  const width = Math.max(...results.map((r) => r.name.length), 10);
  /** @type {string[]} */
  const lines = [];
  for (const r of results) {
    lines.push(`  ${mark[r.status]} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.fix && (r.status === 'fail' || r.status === 'warn')) lines.push(`    ${' '.repeat(width)}  fix: ${r.fix}`);
  }
  const count = (/** @type {CheckStatus} */ status) => results.filter((r) => r.status === status).length;
  const parts = [`${count('pass')} passed`, `${count('fail')} failed`];
  if (count('warn')) parts.push(`${count('warn')} warning${count('warn') === 1 ? '' : 's'}`);
  if (count('skip')) parts.push(`${count('skip')} skipped`);
  lines.push('', `${count('fail') === 0 ? '✓' : '✗'} ${parts.join(', ')}.`);
  return lines.join('\n');
}

/** Keycloak's own clients of every realm: not the kit's to judge. */
const BUILT_IN_CLIENTS = new Set(['account', 'account-console', 'admin-cli', 'broker', 'realm-management', 'security-admin-console']);

/**
 * Whether a client that obtains users' tokens keeps them narrow. With Keycloak's default "Full scope
 * allowed", a user's token carries every client role the user holds — so the audience of every
 * service the user has a role in — and the kit's audience guarantee then rests on who holds roles,
 * not on the route a token was meant for.
 * @param {any[]} clients admin representations of the realm's clients
 * @returns {CheckResult}
 */
export function checkUserFacingScopes(clients) {
  const name = 'user-facing clients';
  const wide = clients
    .filter((client) => !BUILT_IN_CLIENTS.has(client.clientId) && client.enabled !== false)
    .filter((client) => client.publicClient || client.standardFlowEnabled || client.directAccessGrantsEnabled || client.implicitFlowEnabled)
    .filter((client) => client.fullScopeAllowed !== false)
    .map((client) => client.clientId);
  if (wide.length === 0) return pass(name, 'every client that obtains users\' tokens has Full scope allowed off: a user\'s token names only the services its client is mapped to');
  return warn(
    name,
    `${wide.join(', ')} obtain${wide.length === 1 ? 's' : ''} users' tokens with Full scope allowed on: such a token carries every client role of the user, so the audience of every service the user holds a role in.`,
    `Turn Full scope allowed off (Clients → <client> → Client scopes → <client>-dedicated → Scope; "fullScopeAllowed": false) and map only the roles the client's first hop needs.`,
  );
}

/**
 * Whether the realm locks out password guessing.
 * @param {any} realm the realm's admin representation
 * @returns {CheckResult}
 */
export function checkBruteForceProtection(realm) {
  const name = 'brute-force protection';
  if (realm?.bruteForceProtected === true) return pass(name, 'the realm locks an account out after repeated failed logins');
  return warn(
    name,
    'The realm has brute-force detection off: a user\'s password can be guessed without limit.',
    'Turn it on (Realm settings → Security defenses → Brute force detection; "bruteForceProtected": true).',
  );
}
