// @ts-check
/**
 * `npm run doctor`: checks a Keycloak realm for what this kit needs, and explains each failure in
 * one sentence with its fix. Exits 1 when a check fails.
 *
 * The local realm by default; any other with KEYCLOAK_URL, KEYCLOAK_REALM and an administrator's
 * KEYCLOAK_ADMIN_USER / KEYCLOAK_ADMIN_PASSWORD (of the master realm). Each client's authenticator is
 * compared with the CLIENT_AUTH_METHOD serverless.yml gives its functions. Client secrets for the test
 * calls come from the admin API; a client that authenticates with a signed JWT (`client-jwt`) has no
 * secret, so its private key is read where its functions read it, Secrets Manager (`SECRET_PREFIX`/<client>:
 * AWS_ENDPOINT_URL_SECRETS_MANAGER or the local emulator when one answers, else AWS with the SDK's default
 * credentials), and checked against the public keys Keycloak holds. The doctor creates no
 * objects in the realm; its test calls issue a few short-lived tokens. It prints kids, never keys.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  EXCHANGE_ATTRIBUTE,
  checkAudiencePath,
  checkBruteForceProtection,
  checkClient,
  checkClientAuthenticator,
  checkClientKey,
  checkUserFacingScopes,
  checkExchange,
  checkExchangeEnabled,
  checkIntrospection,
  checkIssuer,
  checkLifespan,
  checkServiceToken,
  fail,
  formatReport,
  hasIntrospectionAudienceRule,
  pass,
  publishedKeySource,
  readAuthorizerTtls,
  readClientAuthMethods,
  skip,
} from './lib/doctor-checks.mjs';
import { AdminLoginError, createAdminClient } from './lib/keycloak-admin.mjs';
import { projectRoot, stackConfig } from './lib/config.mjs';
import { audiences, clientCredentialsGrant, credentialsFromSecret, decodeClaims, introspect, realmEndpoints, redactTokens, tokenExchange } from './lib/oidc.mjs';
import { StackError, isPortOpen } from './lib/proc.mjs';
import { secretsClient } from './lib/secrets.mjs';

/** @typedef {import('./lib/doctor-checks.mjs').CheckResult} CheckResult */
/** @typedef {import('./lib/doctor-checks.mjs').AudiencePath} AudiencePath */
/** @typedef {Awaited<ReturnType<typeof createAdminClient>>} AdminClient */

const A = 'service-a';
const B = 'service-b';
const C = 'service-c';

const config = stackConfig();
const endpoints = realmEndpoints(config.keycloakUrl, config.realm);
const print = (/** @type {string} */ line = '') => process.stdout.write(`${redactTokens(line)}\n`);

/**
 * The realm's discovery document, or the check that says why there is none.
 * @returns {Promise<{ issuer?: string } | CheckResult>}
 */
async function discover() {
  let response;
  try {
    response = await fetch(endpoints.discovery, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return fail(
      'realm',
      `Nothing answers at ${config.keycloakUrl} (${cause}).`,
      'Start the local stack (`npm run stack:up`) or set KEYCLOAK_URL to the Keycloak to check.',
    );
  }
  if (response.status === 404) {
    return fail(
      'realm',
      `The Keycloak at ${config.keycloakUrl} has no realm "${config.realm}".`,
      'Set KEYCLOAK_REALM to the realm to check (default microservices), or import the realm first.',
    );
  }
  if (!response.ok) {
    return fail('realm', `The realm's discovery document answered HTTP ${response.status}.`, "Look at Keycloak's log.");
  }
  return /** @type {{ issuer?: string }} */ (await response.json());
}

/**
 * Where the functions' secrets are read: the endpoint AWS_ENDPOINT_URL_SECRETS_MANAGER names, or the
 * local emulator when it answers (both with the emulator's dummy credentials), else AWS Secrets
 * Manager with the SDK's default credentials and region.
 * @returns {Promise<{ client: SecretsManagerClient, where: string }>}
 */
async function secretsReader() {
  // The SDK warns on Node 20 about its future support policy; that notice is not part of the report.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER || (await isPortOpen(config.host, config.secretsPort))) {
    return { client: secretsClient(config), where: config.secretsEndpoint };
  }
  return { client: new SecretsManagerClient({ region: config.region }), where: 'AWS Secrets Manager' };
}

/**
 * A signed-JWT client's private key as its functions read it, and the check of it against the public
 * keys Keycloak holds for the client.
 * @param {string} clientId
 * @param {any} client admin representation
 * @returns {Promise<{ result: CheckResult, credentials?: import('./lib/oidc.mjs').ClientCredentials }>}
 */
async function signingCredentials(clientId, client) {
  const secretId = `${config.secretPrefix}/${clientId}`;
  /** @type {{ secretId: string, error?: string, credentials?: any }} */
  const secret = { secretId };
  const { client: reader, where } = await secretsReader();
  try {
    const answer = await reader.send(new GetSecretValueCommand({ SecretId: secretId }));
    secret.credentials = credentialsFromSecret(secretId, clientId, answer.SecretString);
    if (!('privateKey' in secret.credentials)) {
      secret.error = `${secretId} holds a client secret, not a private key (client_auth is not "private_key_jwt").`;
      delete secret.credentials;
    }
  } catch (error) {
    // The library's SecretInvalidError names the field, never the value; an SDK error names the failure.
    const named = /** @type {{ name?: string, message?: string }} */ (error);
    secret.error = named.name === 'SecretInvalidError' ? `${named.message}.` : `${named.name ?? 'Error'} reading ${secretId} at ${where}.`;
  } finally {
    reader.destroy();
  }
  /** @type {{ source: string, keys?: Record<string, any>[], why?: string, url?: string }} */
  let published = publishedKeySource(client);
  if (published.source === 'jwks.url' && published.url) {
    const url = published.url;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      const body = /** @type {{ keys?: unknown }} */ (await response.json());
      published = Array.isArray(body.keys) ? { source: 'jwks.url', keys: body.keys } : { source: 'invalid', why: `its JWKS URL ${url} serves no "keys" list` };
    } catch {
      published = { source: 'invalid', why: `its JWKS URL ${url} could not be fetched` };
    }
  }
  const result = checkClientKey(clientId, secret, published);
  return { result, ...(secret.credentials && result.status === 'pass' ? { credentials: secret.credentials } : {}) };
}

/**
 * How tokens of `from` may come to name `to` in aud: scope mappings, Audience mappers (on the
 * client or in its default client scopes), full scope, and the roles of `to` its service account holds.
 * @param {AdminClient} admin
 * @param {any} from admin representation
 * @param {any} to admin representation
 * @returns {Promise<AudiencePath>}
 */
async function audiencePath(admin, from, to) {
  const scope = await admin.get(`/clients/${from.id}/scope-mappings`);
  /** @type {any[]} */
  const mapped = scope?.clientMappings?.[to.clientId]?.mappings ?? [];
  /** @type {any[]} */
  const mappers = [...(from.protocolMappers ?? [])];
  /** @type {any[]} */
  const defaultScopes = await admin.get(`/clients/${from.id}/default-client-scopes`);
  for (const { id } of defaultScopes) {
    const clientScope = await admin.get(`/client-scopes/${id}`);
    mappers.push(...(clientScope.protocolMappers ?? []));
  }
  const audienceMapper = mappers.some(
    (m) => m.protocolMapper === 'oidc-audience-mapper' && m.config?.['included.client.audience'] === to.clientId && m.config?.['access.token.claim'] !== 'false',
  );
  /** @type {string[]} */
  let heldRoles = [];
  if (from.serviceAccountsEnabled) {
    const account = await admin.get(`/clients/${from.id}/service-account-user`);
    /** @type {any[]} */
    const held = await admin.get(`/users/${account.id}/role-mappings/clients/${to.id}/composite`);
    heldRoles = held.map((r) => r.name);
  }
  return { fullScopeAllowed: from.fullScopeAllowed !== false, scopeMappedRoles: mapped.map((r) => r.name), heldRoles, audienceMapper };
}

/**
 * A token's claims when the answer carries one.
 * @param {{ status: number, body: Record<string, any> }} answer
 */
function claimsOf(answer) {
  return answer.status === 200 && typeof answer.body.access_token === 'string' ? decodeClaims(answer.body.access_token) : undefined;
}

/**
 * The shortest access-token lifespan the kit's tokens can get: the realm's, or a client's override.
 * @param {AdminClient} admin
 * @param {any[]} clients admin representations of the clients that obtain tokens
 */
async function shortestLifespan(admin, clients) {
  const realm = await admin.get('');
  let seconds = Number(realm.accessTokenLifespan);
  let source = "the realm's Access Token Lifespan";
  for (const client of clients) {
    const override = Number(client?.attributes?.['access.token.lifespan']);
    if (Number.isFinite(override) && override > 0 && override < seconds) {
      seconds = override;
      source = `${client.clientId}'s access.token.lifespan`;
    }
  }
  return { seconds, source };
}

/** Runs every check; later checks are skipped when what they need is missing. */
async function diagnose() {
  /** @type {CheckResult[]} */
  const results = [];
  const discovered = await discover();
  if ('status' in discovered) return [discovered];
  results.push(pass('realm', `realm "${config.realm}" is served at ${config.keycloakUrl}`));
  results.push(checkIssuer(endpoints.issuer, discovered.issuer));

  /** @type {AdminClient} */
  let admin;
  /** @type {string | undefined} */
  let serverVersion;
  try {
    admin = await createAdminClient({ keycloakUrl: config.keycloakUrl, realm: config.realm, user: config.adminUser, password: config.adminPassword });
    results.push(pass('admin login', `logged in as "${config.adminUser}" to read the realm's configuration`));
    serverVersion = await admin.serverVersion().catch(() => undefined);
    if (serverVersion) {
      const rule = hasIntrospectionAudienceRule(serverVersion);
      results.push(
        pass(
          'server version',
          `Keycloak ${serverVersion}: introspection audience rule ${rule ? 'on (a client introspects only tokens that name it in aud)' : 'absent (from 26.6.2, or 26.4.12 on the 26.4 line)'}`,
        ),
      );
    }
  } catch (error) {
    if (!(error instanceof AdminLoginError)) throw error;
    results.push(fail('admin login', error.detail, `${error.fix} The doctor reads clients, mappings and secrets through the admin API and changes nothing.`));
    return results;
  }

  /** @type {Record<string, any>} */
  const clients = { [A]: await admin.client(A), [B]: await admin.client(B), [C]: await admin.client(C) };
  const clientResults = {
    [A]: checkClient(A, clients[A], { realm: config.realm, serviceAccount: 'required' }),
    [B]: checkClient(B, clients[B], { realm: config.realm, serviceAccount: 'required' }),
    [C]: checkClient(C, clients[C], { realm: config.realm, serviceAccount: 'unneeded' }),
  };
  results.push(...Object.values(clientResults));
  // How each service's functions are configured to authenticate, against what Keycloak expects of its client.
  const methods = readClientAuthMethods(readFileSync(path.join(projectRoot, 'serverless.yml'), 'utf8'));
  for (const clientId of [A, B, C]) results.push(checkClientAuthenticator(clientId, clients[clientId], methods[clientId]));
  results.push(checkUserFacingScopes(await admin.get('/clients')));
  results.push(checkBruteForceProtection(await admin.get('')));
  /** @type {Record<string, import('./lib/oidc.mjs').ClientCredentials | undefined>} */
  const credentials = {};
  for (const clientId of [A, B, C]) {
    const client = clients[clientId];
    const usable = client && client.enabled !== false && !client.publicClient && !client.bearerOnly;
    if (usable && client.clientAuthenticatorType === 'client-jwt') {
      // No secret in Keycloak: the test calls sign with the key the functions read, once it checks out.
      const { result, credentials: signing } = await signingCredentials(clientId, client);
      results.push(result);
      credentials[clientId] = signing;
      continue;
    }
    const secret = usable ? await admin.clientSecret(client.id) : undefined;
    credentials[clientId] = secret ? { clientId, clientSecret: secret } : undefined;
  }

  if (clients[B]) {
    results.push(checkExchangeEnabled(B, clients[B], { why: 'to exchange the token it receives for one meant for service-c', required: true }));
  }
  if (clients[A]) {
    results.push(
      checkExchangeEnabled(A, clients[A], { why: "for the delegation flow only: A exchanges a user's token for one meant for service-b", required: false }),
    );
  }
  const pathAB = clients[A] && clients[B] ? await audiencePath(admin, clients[A], clients[B]) : undefined;
  const pathBC = clients[B] && clients[C] ? await audiencePath(admin, clients[B], clients[C]) : undefined;
  if (pathBC) results.push(checkAudiencePath(B, C, pathBC));

  // A's own token, as service A gets it.
  const credentialsA = credentials[A];
  let tokenA;
  if (credentialsA && pathAB) {
    const answer = await clientCredentialsGrant(endpoints, credentialsA);
    const claims = claimsOf(answer);
    const result = checkServiceToken(A, B, answer, claims, { path: pathAB, otherServices: [C] });
    results.push(result);
    if (claims) tokenA = { token: String(answer.body.access_token), claims, good: result.status === 'pass' };
  } else {
    results.push(skip(`own token ${A}`, `needs the clients ${A} and ${B} and ${A}'s credentials`));
  }

  // The introspection audience rule: B may introspect A's token, C may not.
  for (const [introspector, expectActive] of /** @type {const} */ ([[B, true], [C, false]])) {
    const name = `${introspector} introspects A's token`;
    const introspectorCredentials = credentials[introspector];
    if (!tokenA || !introspectorCredentials) {
      results.push(skip(name, `needs a token of ${A} and ${introspector}'s credentials`));
      continue;
    }
    const answer = await introspect(endpoints, introspectorCredentials, tokenA.token);
    results.push(
      checkIntrospection({ introspector, token: "A's token", tokenAudience: audiences(tokenA.claims.aud), expectActive, serverVersion }, answer),
    );
  }

  // A real test exchange, as service B makes it, and who may introspect its result.
  const credentialsB = credentials[B];
  const exchangeName = `test exchange ${B} → ${C}`;
  if (tokenA && credentialsB) {
    const answer = await tokenExchange(endpoints, credentialsB, tokenA.token, C);
    const claims = claimsOf(answer);
    results.push(checkExchange(B, C, A, answer, claims, tokenA.claims));
    const credentialsC = credentials[C];
    if (claims && credentialsC) {
      const forC = String(answer.body.access_token);
      const tokenAudience = audiences(claims.aud);
      results.push(checkIntrospection({ introspector: C, token: 'the token for C', tokenAudience, expectActive: true, serverVersion }, await introspect(endpoints, credentialsC, forC)));
      results.push(checkIntrospection({ introspector: B, token: 'the token for C', tokenAudience, expectActive: false, serverVersion }, await introspect(endpoints, credentialsB, forC)));
    }
  } else {
    results.push(skip(exchangeName, `needs a token of ${A} and ${B}'s credentials`));
  }

  const lifespan = await shortestLifespan(admin, [clients[A], clients[B]]);
  const ttls = readAuthorizerTtls(readFileSync(path.join(projectRoot, 'serverless.yml'), 'utf8'), process.env);
  results.push(checkLifespan(lifespan.seconds, ttls, lifespan.source));
  return results;
}

async function main() {
  print(`Realm doctor · realm "${config.realm}" at ${config.keycloakUrl} (admin "${config.adminUser}")`);
  print(`Checks what this kit needs: clients ${A}, ${B}, ${C}; audiences; token exchange ("${EXCHANGE_ATTRIBUTE}"); introspection; lifespans.`);
  print();
  const results = await diagnose();
  print(formatReport(results));
  if (results.some((r) => r.status === 'fail')) {
    print('Troubleshooting guide: docs/troubleshooting.md');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  const message = error instanceof StackError ? error.message : `The doctor failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${redactTokens(message)}\n`);
  process.exit(1);
});
