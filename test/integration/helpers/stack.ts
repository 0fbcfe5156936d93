/**
 * Helpers for integration tests against the real local stack (Keycloak, the Secrets Manager
 * emulator and serverless offline), which `npm test` brings up through scripts/with-stack.mjs.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { decodeJwt, type JWTPayload } from 'jose';
import { stackConfig } from '../../../scripts/lib/config.mjs';
import { devClientKey, signedJwtClients } from '../../../scripts/lib/dev-keys.mjs';
import { createAdminClient } from '../../../scripts/lib/keycloak-admin.mjs';
import { devKeySecrets, devSecrets } from '../../../scripts/lib/secrets.mjs';
import {
  clientCredentialsGrant,
  introspect as introspectAt,
  passwordGrant,
  realmEndpoints,
  revoke as revokeAt,
  tokenExchange,
  type ClientCredentials,
  type KeycloakAnswer,
} from '../../../scripts/lib/oidc.mjs';

export const stack = stackConfig();
export const issuer = `${stack.keycloakUrl}/realms/${stack.realm}`;
/** The stack realm's endpoints, for the dev client (scripts/lib/oidc.mjs, built on the library). */
export const endpoints = realmEndpoints(stack.keycloakUrl, stack.realm);

interface RealmFile {
  clients: { clientId: string; secret?: string; clientAuthenticatorType?: string }[];
  users: { username: string; credentials?: { value: string }[] }[];
}
const realm = JSON.parse(readFileSync(stack.realmFile, 'utf8')) as RealmFile;

/** A client's dev secret from the realm file. */
export function devSecret(clientId: string): string {
  const secret = realm.clients.find((c) => c.clientId === clientId)?.secret;
  if (!secret) throw new Error(`no dev secret for ${clientId}`);
  return secret;
}

/**
 * How the dev client authenticates as `clientId`: its dev secret, or — for a client that authenticates
 * with a signed JWT (`client-jwt` in the realm file) — the stack's dev private key of it.
 */
export function devCredentials(clientId: string): ClientCredentials {
  if (signedJwtClients(realm).includes(clientId)) {
    return { clientId, privateKeyJwk: devClientKey(stack.stateDir, clientId).privateJwk as Record<string, unknown> & { kid: string } };
  }
  return { clientId, clientSecret: devSecret(clientId) };
}

/**
 * Every dev credential value of the services that no output may ever contain: the dev secrets of the
 * clients that have one, and the private parts of the signed-JWT clients' dev keys.
 */
export function devCredentialValues(): string[] {
  return realm.clients.flatMap((client) => {
    if (signedJwtClients(realm).includes(client.clientId)) {
      const { privateJwk } = devClientKey(stack.stateDir, client.clientId);
      return ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((name) => privateJwk[name]).filter((value): value is string => typeof value === 'string');
    }
    return client.secret ? [client.secret] : [];
  });
}

/** A user's dev password from the realm file. */
export function devPassword(username: string): string {
  const password = realm.users.find((u) => u.username === username)?.credentials?.[0]?.value;
  if (!password) throw new Error(`no dev password for ${username}`);
  return password;
}

/** The access token of a successful token-endpoint answer; throws with Keycloak's error otherwise. */
export function accessTokenOf(answer: KeycloakAnswer, what: string): string {
  const token = answer.body.access_token;
  if (answer.status !== 200 || typeof token !== 'string') throw new Error(`${what} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return token;
}

/** A fresh client-credentials access token of `clientId`, straight from Keycloak. */
export async function clientToken(clientId: string): Promise<string> {
  return accessTokenOf(await clientCredentialsGrant(endpoints, devCredentials(clientId)), 'token request');
}

/** A realm user's access token from the dev-only `demo-cli` client (password grant). */
export async function userToken(username: string): Promise<string> {
  return accessTokenOf(await passwordGrant(endpoints, { clientId: 'demo-cli', username, password: devPassword(username) }), 'password grant');
}

/** Exchanges `subjectToken` as `clientId` for a token meant for `audience`. */
export async function exchangedToken(clientId: string, subjectToken: string, audience: string): Promise<string> {
  const answer = await tokenExchange(endpoints, devCredentials(clientId), subjectToken, audience);
  return accessTokenOf(answer, 'token exchange');
}

/** The claims of a token, for assertions (no verification: it came straight from Keycloak). */
export function claims(token: string): JWTPayload & { azp?: string } {
  return decodeJwt(token);
}

/** An answer of the API: status, parsed body (or text) and the raw text. */
export interface ApiAnswer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** Calls a route of the local API. */
export async function api(
  method: 'GET' | 'POST',
  path: string,
  { token, authorization, body, headers = {} }: { token?: string; authorization?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const allHeaders: Record<string, string> = { ...headers };
  if (token !== undefined) allHeaders.authorization = `Bearer ${token}`;
  if (authorization !== undefined) allHeaders.authorization = authorization;
  if (body !== undefined) allHeaders['content-type'] = 'application/json';
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: allHeaders,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/**
 * POSTs `body` to `baseUrl + path` with raw header lines (repeated names allowed, values as given),
 * which fetch cannot send. The body is parsed as JSON when it is JSON.
 */
export function rawPost(baseUrl: string, path: string, headerLines: [string, string][], body: unknown): Promise<ApiAnswer> {
  const url = new URL(`${baseUrl}${path}`);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: [['host', url.host], ['content-type', 'application/json'], ...headerLines].flat(),
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: response.statusCode ?? 0, body: parsed, text, headers: new Headers() });
        });
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** Keycloak's own request counters (management port /metrics), by endpoint. */
export async function keycloakCalls(): Promise<{ token: number; introspect: number; certs: number }> {
  const text = await (await fetch(`http://${stack.host}:${stack.keycloakManagementPort}/metrics`)).text();
  const sum = (suffix: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('http_server_requests_seconds_count{') && line.includes(`uri="/realms/{realm}/protocol/{protocol}${suffix}"`))
      .reduce((total, line) => total + Number(line.trim().split(' ').pop()), 0);
  return { token: sum('/token'), introspect: sum('/token/introspect'), certs: sum('/certs') };
}

/**
 * Settings of the running stack as `stack:up` recorded them: the authorizers' verdict-cache cap, the
 * local gateway's authorizer result TTL (0: cache off), and what they add up to — the longest a
 * revoked token can still pass (a policy cached by the gateway just before the verdict lapsed).
 */
export function runningStack(): { introspectionCacheTtlSeconds: number; authorizerResultTtlSeconds: number; revocationDelaySeconds: number } {
  const recorded = JSON.parse(readFileSync(`${stack.stateDir}/stack.json`, 'utf8')) as {
    introspectionCacheTtlSeconds?: number;
    authorizerResultTtlSeconds?: number;
  };
  const introspectionCacheTtlSeconds = recorded.introspectionCacheTtlSeconds ?? 60;
  const authorizerResultTtlSeconds = recorded.authorizerResultTtlSeconds ?? introspectionCacheTtlSeconds;
  return { introspectionCacheTtlSeconds, authorizerResultTtlSeconds, revocationDelaySeconds: introspectionCacheTtlSeconds + authorizerResultTtlSeconds };
}

/** Revokes an access token at Keycloak (RFC 7009), authenticated as the client it was issued to. */
export async function revoke(token: string, clientId: string): Promise<void> {
  const answer = await revokeAt(endpoints, devCredentials(clientId), token);
  if (answer.status !== 200) throw new Error(`revocation failed: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type KeycloakCalls = { token: number; introspect: number; certs: number };

/** The round-trips between two {@link settledKeycloakCalls} reads. */
function callsBetween(before: KeycloakCalls, after: KeycloakCalls): KeycloakCalls {
  return { token: after.token - before.token, introspect: after.introspect - before.introspect, certs: after.certs - before.certs };
}

/** How many discovery documents Keycloak has served: the marker of {@link settledKeycloakCalls} (the functions never ask for one). */
async function discoveryCount(): Promise<number> {
  const text = await (await fetch(`http://${stack.host}:${stack.keycloakManagementPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_server_requests_seconds_count{') && line.includes('uri="/realms/{realm}/.well-known/{alias}"'))
    .reduce((total, line) => total + Number(line.trim().split(' ').pop()), 0);
}

/**
 * Keycloak's counters once every request answered so far is in them: Keycloak records a request when
 * its answer is complete, which may be just after the client has read it. A discovery-document fetch
 * made here, after those answers, marks the point; the counters are read once it is counted.
 */
async function settledKeycloakCalls(): Promise<KeycloakCalls> {
  const before = await discoveryCount();
  await (await fetch(`${issuer}/.well-known/openid-configuration`)).arrayBuffer();
  const deadline = Date.now() + 5000;
  while ((await discoveryCount()) <= before) {
    if (Date.now() > deadline) throw new Error("Keycloak's /metrics never counted a discovery fetch: its request counter or uri label changed");
    await sleep(50);
  }
  return keycloakCalls();
}

/**
 * Proves that Keycloak's request counters count what the tests read off them: one token request,
 * one introspection and one key-set fetch made here must raise `token`, `introspect` and `certs` by
 * exactly one each. A counter that stopped counting (a metric or `uri` label Keycloak renamed, a
 * filter here that no longer matches) throws, so that no "0 calls" can pass on a dead counter.
 */
export async function proveKeycloakCounters(): Promise<void> {
  const before = await settledKeycloakCalls();
  const token = await clientToken('service-a');
  const introspection = await introspectAt(endpoints, devCredentials('service-b'), token); // B: the token's audience
  if (introspection.status !== 200 || introspection.body.active !== true) throw new Error(`counter probe: introspection answered ${introspection.status}`);
  const keySet = await fetch(`${issuer}/protocol/openid-connect/certs`);
  if (!keySet.ok) throw new Error(`counter probe: the key set answered ${keySet.status}`);
  await keySet.arrayBuffer();
  const after = await settledKeycloakCalls();
  const counted = callsBetween(before, after);
  if (counted.token !== 1 || counted.introspect !== 1 || counted.certs !== 1) {
    throw new Error(`Keycloak's /metrics counted ${JSON.stringify(counted)} for one token request, one introspection and one key-set fetch: a counter or its uri label changed`);
  }
}

/**
 * Keycloak round-trips that happen while `action` runs, by kind, on counters first proven to count
 * each kind ({@link proveKeycloakCounters}), read once every request answered by then is counted.
 */
export async function keycloakCallsDuring(action: () => Promise<unknown>): Promise<KeycloakCalls> {
  await proveKeycloakCounters();
  const before = await settledKeycloakCalls();
  await action();
  return callsBetween(before, await settledKeycloakCalls());
}

/** The dev admin client of `realm` (scripts/lib/keycloak-admin.mjs); it logs in at each call, as tests change realms. */
function adminOf(realm: string) {
  return createAdminClient({ keycloakUrl: stack.keycloakUrl, realm, user: stack.adminUser, password: stack.adminPassword });
}

/** The version of the stack's Keycloak (admin `/admin/serverinfo`), e.g. "26.7.3". */
export async function keycloakServerVersion(): Promise<string> {
  const login = await passwordGrant(realmEndpoints(stack.keycloakUrl, 'master'), { clientId: 'admin-cli', username: stack.adminUser, password: stack.adminPassword });
  const adminToken = accessTokenOf(login, 'admin login');
  const response = await fetch(`${stack.keycloakUrl}/admin/serverinfo`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (!response.ok) throw new Error(`admin GET /serverinfo failed: ${response.status}`);
  return ((await response.json()) as { systemInfo: { version: string } }).systemInfo.version;
}

/** Calls Keycloak's admin REST API of the stack's realm. */
export async function keycloakAdmin(method: string, path: string, body?: unknown): Promise<any> {
  return keycloakAdminOf(stack.realm, method, path, body);
}

/** Calls Keycloak's admin REST API of any realm; an empty `realm` addresses `/admin/realms` itself (create a realm). */
export async function keycloakAdminOf(realm: string, method: string, path: string, body?: unknown): Promise<any> {
  const admin = await adminOf(realm);
  const answer = await admin.request(method, `${realm ? `/${encodeURIComponent(realm)}` : ''}${path}`, body);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`admin ${method} ${path} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Sets a client's secret in Keycloak to `secret`. */
export async function setClientSecretInKeycloak(clientId: string, secret: string): Promise<void> {
  const [client] = (await keycloakAdmin('GET', `/clients?clientId=${encodeURIComponent(clientId)}`)) as { id: string }[];
  if (!client) throw new Error(`no client ${clientId}`);
  const representation = await keycloakAdmin('GET', `/clients/${client.id}`);
  await keycloakAdmin('PUT', `/clients/${client.id}`, { ...representation, secret });
}

/**
 * The Secrets Manager value the stack seeds for `clientId`: `{"client_id","client_secret"}`, or for a
 * signed-JWT client `{"client_id","client_auth":"private_key_jwt","private_key_jwk"}` with its dev key.
 */
export function devSecretValue(clientId: string): string {
  const seeded = [...devSecrets(stack), ...devKeySecrets(stack)].find((entry) => entry.value.client_id === clientId);
  if (!seeded) throw new Error(`the stack seeds no secret for ${clientId}`);
  return JSON.stringify(seeded.value);
}

/** The public JWK (with `kid`, `use: sig`, `alg: ES256`) of a signed-JWT client's dev key, as the stack gives it to Keycloak. */
export function devPublicJwk(clientId: string): Record<string, unknown> {
  return devClientKey(stack.stateDir, clientId).publicJwk;
}

/** Publishes exactly `keys` (public JWKs) as a signed-JWT client's keys in Keycloak (`use.jwks.string` / `jwks.string`). */
export async function setClientKeysInKeycloak(clientId: string, keys: Record<string, unknown>[]): Promise<void> {
  const [client] = (await keycloakAdmin('GET', `/clients?clientId=${encodeURIComponent(clientId)}`)) as { id: string }[];
  if (!client) throw new Error(`no client ${clientId}`);
  const representation = await keycloakAdmin('GET', `/clients/${client.id}`);
  await keycloakAdmin('PUT', `/clients/${client.id}`, {
    ...representation,
    attributes: { ...representation.attributes, 'use.jwks.string': 'true', 'jwks.string': JSON.stringify({ keys }) },
  });
}
