/**
 * Helpers for integration tests against the real local stack (Keycloak, the Secrets Manager
 * emulator and serverless offline), which `npm test` brings up through scripts/with-stack.mjs.
 */
import { readFileSync } from 'node:fs';
import { decodeJwt, type JWTPayload } from 'jose';
import { stackConfig } from '../../../scripts/lib/config.mjs';

export const stack = stackConfig();
export const issuer = `${stack.keycloakUrl}/realms/${stack.realm}`;
const tokenEndpoint = `${issuer}/protocol/openid-connect/token`;

interface RealmFile {
  clients: { clientId: string; secret?: string }[];
  users: { username: string; credentials?: { value: string }[] }[];
}
const realm = JSON.parse(readFileSync(stack.realmFile, 'utf8')) as RealmFile;

/** A client's dev secret from the realm file. */
export function devSecret(clientId: string): string {
  const secret = realm.clients.find((c) => c.clientId === clientId)?.secret;
  if (!secret) throw new Error(`no dev secret for ${clientId}`);
  return secret;
}

/** A user's dev password from the realm file. */
export function devPassword(username: string): string {
  const password = realm.users.find((u) => u.username === username)?.credentials?.[0]?.value;
  if (!password) throw new Error(`no dev password for ${username}`);
  return password;
}

async function tokenRequest(form: Record<string, string>, basic?: [string, string]): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
  const response = await fetch(tokenEndpoint, { method: 'POST', headers, body: new URLSearchParams(form) });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A fresh client-credentials access token of `clientId`, straight from Keycloak. */
export async function clientToken(clientId: string): Promise<string> {
  return (await tokenRequest({ grant_type: 'client_credentials' }, [clientId, devSecret(clientId)])).access_token as string;
}

/** A realm user's access token from the dev-only `demo-cli` client (password grant). */
export async function userToken(username: string): Promise<string> {
  const body = await tokenRequest({ grant_type: 'password', client_id: 'demo-cli', username, password: devPassword(username) });
  return body.access_token as string;
}

/** Exchanges `subjectToken` as `clientId` for a token meant for `audience`. */
export async function exchangedToken(clientId: string, subjectToken: string, audience: string): Promise<string> {
  const body = await tokenRequest(
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience,
    },
    [clientId, devSecret(clientId)],
  );
  return body.access_token as string;
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

/** Settings of the running stack as `stack:up` recorded them (e.g. the authorizers' cache cap). */
export function runningStack(): { introspectionCacheTtlSeconds: number } {
  const recorded = JSON.parse(readFileSync(`${stack.stateDir}/stack.json`, 'utf8')) as { introspectionCacheTtlSeconds?: number };
  return { introspectionCacheTtlSeconds: recorded.introspectionCacheTtlSeconds ?? 60 };
}

/** Revokes an access token at Keycloak (RFC 7009), authenticated as the client it was issued to. */
export async function revoke(token: string, clientId: string): Promise<void> {
  const response = await fetch(`${issuer}/protocol/openid-connect/revoke`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${devSecret(clientId)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  if (!response.ok) throw new Error(`revocation failed: ${response.status}`);
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keycloak round-trips that happen while `action` runs. */
export async function keycloakCallsDuring(action: () => Promise<unknown>): Promise<{ token: number; introspect: number; certs: number }> {
  const before = await keycloakCalls();
  await action();
  const after = await keycloakCalls();
  return { token: after.token - before.token, introspect: after.introspect - before.introspect, certs: after.certs - before.certs };
}

/** A token of Keycloak's bootstrap admin (dev only), for changing the realm during a test. */
async function adminToken(): Promise<string> {
  const response = await fetch(`${stack.keycloakUrl}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: stack.adminUser, password: stack.adminPassword }),
  });
  if (!response.ok) throw new Error(`admin login failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The version of the stack's Keycloak (admin `/admin/serverinfo`), e.g. "26.7.3". */
export async function keycloakServerVersion(): Promise<string> {
  const response = await fetch(`${stack.keycloakUrl}/admin/serverinfo`, { headers: { authorization: `Bearer ${await adminToken()}` } });
  if (!response.ok) throw new Error(`admin GET /serverinfo failed: ${response.status}`);
  return ((await response.json()) as { systemInfo: { version: string } }).systemInfo.version;
}

/** Calls Keycloak's admin REST API of the stack's realm. */
export async function keycloakAdmin(method: string, path: string, body?: unknown): Promise<any> {
  return keycloakAdminOf(stack.realm, method, path, body);
}

/** Calls Keycloak's admin REST API of any realm; an empty `realm` addresses `/admin/realms` itself (create a realm). */
export async function keycloakAdminOf(realm: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${stack.keycloakUrl}/admin/realms${realm ? `/${realm}` : ''}${path}`, {
    method,
    headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path} failed: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

/** Sets a client's secret in Keycloak to `secret`. */
export async function setClientSecretInKeycloak(clientId: string, secret: string): Promise<void> {
  const [client] = (await keycloakAdmin('GET', `/clients?clientId=${encodeURIComponent(clientId)}`)) as { id: string }[];
  if (!client) throw new Error(`no client ${clientId}`);
  const representation = await keycloakAdmin('GET', `/clients/${client.id}`);
  await keycloakAdmin('PUT', `/clients/${client.id}`, { ...representation, secret });
}
