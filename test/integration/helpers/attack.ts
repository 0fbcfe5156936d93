/**
 * Helpers of the security suite (test/integration/security/): tokens from the foreign realm and
 * the expiry probe, hand-made JWTs, and the one assertion every refused request must pass.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportPKCS8, exportSPKI, generateKeyPair, importJWK, type JWK, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { clientCredentialsGrant, postForm, realmEndpoints } from '../../../scripts/lib/oidc.mjs';
import { type ApiAnswer, accessTokenOf, endpoints, issuer, keycloakAdmin, keycloakCallsDuring, stack } from './stack';

/** Anything that looks like a JWT (three base64url segments starting with a JSON header). */
export const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/;

/** Bodies of the two routes of B and the one of C that a valid token may call. */
export const ORDER = { order_id: 7, amount: 3 };
export const ADJUSTMENT = { sku: 'SKU-1', delta: -2 };
export const COMPUTE = { value: 10 };

/**
 * Asserts what every refused request must show: exactly `status` (never 5xx, never a 2xx Allow),
 * and a body that carries no token — neither the ones presented nor anything JWT-shaped.
 */
export function expectRefused(answer: ApiAnswer, status: 400 | 401 | 403, ...presented: string[]): void {
  expect(answer.status, `status; body: ${answer.text.slice(0, 200)}`).toBe(status);
  expect(answer.text).not.toMatch(JWT_SHAPE);
  for (const token of presented) {
    if (token.length >= 8) expect(answer.text).not.toContain(token);
  }
}

/** Runs `action` and asserts Keycloak was not asked to introspect anything meanwhile: the local check refused. */
export async function withoutIntrospection(action: () => Promise<unknown>): Promise<void> {
  const calls = await keycloakCallsDuring(action);
  expect(calls.introspect, 'introspection calls').toBe(0);
}

interface RealmFile {
  realm: string;
  clients: { clientId: string; secret?: string }[];
}

const foreignRealm = JSON.parse(readFileSync(path.join(path.dirname(stack.realmFile), 'realm-foreign.json'), 'utf8')) as RealmFile;

/** The foreign realm's issuer: same Keycloak, another realm. */
export const foreignIssuer = `${stack.keycloakUrl}/realms/${foreignRealm.realm}`;

async function clientCredentials(realmIssuer: string, clientId: string, secret: string): Promise<string> {
  const realmName = realmIssuer.slice(realmIssuer.lastIndexOf('/') + 1);
  const answer = await clientCredentialsGrant(realmEndpoints(stack.keycloakUrl, realmName), { clientId, clientSecret: secret });
  return accessTokenOf(answer, `token request to ${realmIssuer}`);
}

/** A token of the foreign realm's look-alike `service-a`: aud service-b and service-c, all their roles. */
export function foreignToken(): Promise<string> {
  const secret = foreignRealm.clients.find((c) => c.clientId === 'service-a')?.secret;
  if (!secret) throw new Error('realm-foreign.json has no service-a secret');
  return clientCredentials(foreignIssuer, 'service-a', secret);
}

/** A throw-away client of the services' realm whose tokens live 5 s (unless told otherwise) and name service-b in `aud` without any of B's roles. */
export interface ProbeClient {
  token(): Promise<string>;
  remove(): Promise<void>;
}

/** The access-token lifespan of a {@link ProbeClient}, seconds. */
export const PROBE_TOKEN_LIFESPAN_SECONDS = 5;

/**
 * Creates a {@link ProbeClient} through the admin API: a genuine, short-lived token of this realm,
 * meant for B. It is created by the test and removed after it, not kept in the realm file, so that
 * the realm stays what a deployment is checked against (test/deploy compares the authorizer cache
 * TTL with every token lifespan of the realm). `lifespanSeconds` defaults to {@link PROBE_TOKEN_LIFESPAN_SECONDS}.
 */
export async function createProbeClient(lifespanSeconds: number = PROBE_TOKEN_LIFESPAN_SECONDS): Promise<ProbeClient> {
  const clientId = `it-expiry-probe-${process.pid}-${Date.now()}`;
  const secret = `it-probe-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  await keycloakAdmin('POST', '/clients', {
    clientId,
    name: 'Expiry probe of the security tests (removed after them)',
    enabled: true,
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    secret,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
    fullScopeAllowed: false,
    protocol: 'openid-connect',
    attributes: { 'access.token.lifespan': String(lifespanSeconds) },
    protocolMappers: [
      {
        name: 'audience service-b',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-audience-mapper',
        config: { 'included.client.audience': 'service-b', 'access.token.claim': 'true', 'introspection.token.claim': 'true', 'id.token.claim': 'false' },
      },
    ],
  });
  return {
    token: () => clientCredentials(issuer, clientId, secret),
    async remove() {
      const [client] = (await keycloakAdmin('GET', `/clients?clientId=${encodeURIComponent(clientId)}`)) as { id: string }[];
      if (client) await keycloakAdmin('DELETE', `/clients/${client.id}`);
    },
  };
}

/** A realm user's tokens from the dev-only demo-cli client with scope openid: access, refresh and ID token. */
export async function userTokenSet(username: string, password: string): Promise<{ access_token: string; refresh_token: string; id_token: string }> {
  const answer = await postForm(endpoints.token, { grant_type: 'password', username, password, scope: 'openid' }, { publicClientId: 'demo-cli' });
  if (answer.status !== 200) throw new Error(`password grant failed: ${answer.status}`);
  return answer.body as { access_token: string; refresh_token: string; id_token: string };
}

/** base64url of a JSON value, or of raw text. */
export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** The decoded header and payload of a JWT (no verification). */
export function partsOf(token: string): { header: Record<string, unknown>; payload: JWTPayload; signature: string } {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as JWTPayload,
    signature,
  };
}

/** The realm's current RS256 signing key (public JWK) as published in its JWKS. */
export async function realmSigningKey(): Promise<JWK & { kid: string }> {
  const { keys } = (await (await fetch(`${issuer}/protocol/openid-connect/certs`)).json()) as { keys: (JWK & { kid: string; use?: string })[] };
  const key = keys.find((k) => k.use === 'sig' && k.alg === 'RS256');
  if (!key) throw new Error('no RS256 signing key in the realm JWKS');
  return key;
}

/** The realm's public signing key as SPKI PEM text: what an alg-confusion attacker uses as an HMAC secret. */
export async function realmPublicKeyPem(): Promise<string> {
  return exportSPKI((await importJWK(await realmSigningKey(), 'RS256')) as Parameters<typeof exportSPKI>[0]);
}

/** Claims that make a token look like A's real token for B, issued now, valid 5 minutes. */
export function lookAlikeClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    aud: 'service-b',
    sub: 'attacker',
    azp: 'service-a',
    typ: 'Bearer',
    iat: now,
    exp: now + 300,
    resource_access: { 'service-b': { roles: ['orders.approve', 'inventory.adjust'] } },
    ...overrides,
  };
}

/** Signs `payload` with a freshly generated RSA key the realm has never seen, under `header`. */
export async function signWithForeignKey(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header }).sign(privateKey);
}

/** A signing key the services' realm trusts, added by a test: see {@link addTrustedSigningKey}. */
export interface TrustedSigningKey {
  /** The key's id as the realm's JWKS publishes it. */
  kid: string;
  /** Signs `payload` (RS256, under {@link kid}): a token whose signature every authorizer accepts. */
  sign(payload: JWTPayload): Promise<string>;
  /** Removes the key from the realm. */
  remove(): Promise<void>;
}

/**
 * Adds a passive RSA key of the test's own to the services' realm through the admin API. Keycloak
 * publishes a passive key in the realm's JWKS (and accepts it at introspection) but never signs
 * with it, so the realm's own tokens are unchanged; the test holds its private key, which the
 * realm's active key never leaves Keycloak for. A token signed with it passes the signature check,
 * so whatever refuses it is a check behind the signature: the expiry, `nbf`, `typ`…
 * Remove it after the test ({@link TrustedSigningKey.remove}): it is not in the realm file.
 */
export async function addTrustedSigningKey(): Promise<TrustedSigningKey> {
  const name = `it-trusted-key-${process.pid}-${Date.now()}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const { id: realmId } = (await keycloakAdmin('GET', '')) as { id: string };
  await keycloakAdmin('POST', '/components', {
    name,
    providerId: 'rsa',
    providerType: 'org.keycloak.keys.KeyProvider',
    parentId: realmId,
    config: { priority: ['-100'], enabled: ['true'], active: ['false'], algorithm: ['RS256'], privateKey: [await exportPKCS8(privateKey)] },
  });
  const [component] = (await keycloakAdmin('GET', `/components?name=${encodeURIComponent(name)}`)) as { id: string }[];
  if (!component) throw new Error(`the key ${name} was not added`);
  const { keys } = (await keycloakAdmin('GET', '/keys')) as { keys: { kid: string; providerId: string; status: string }[] };
  const kid = keys.find((key) => key.providerId === component.id)?.kid;
  if (!kid) throw new Error(`the realm lists no key of ${name}`);
  return {
    kid,
    sign: (payload) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey),
    remove: () => keycloakAdmin('DELETE', `/components/${component.id}`),
  };
}
