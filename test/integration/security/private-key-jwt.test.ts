/**
 * private_key_jwt against the real Keycloak: a throwaway `client-jwt` client (its public keys in the
 * client's JWKS, `use.jwks.string` / `jwks.string`), its private key in the Secrets Manager emulator,
 * and the library's own source, identity and Keycloak client. What Keycloak accepts as `aud`, what
 * it refuses and how the kit reports each refusal are checked here, not assumed.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientAuthenticationError,
  createClientCredentialsSource,
  createKeycloakClient,
  createServiceIdentity,
  privateKeyJwt,
  type ClientAuth,
  type FetchLike,
} from 'keycloak-lambda-s2s';
import { putSecret, secretsClient } from '../../../scripts/lib/secrets.mjs';
import { claims, issuer, keycloakAdmin, stack } from '../helpers/stack';

const clientId = `test-private-key-jwt-${randomUUID().slice(0, 8)}`;
const secretId = `${stack.secretPrefix}/${clientId}`;
const emulator = secretsClient(stack);
const first = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const second = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let internalId = '';

async function publicJwk(key: KeyObject, kid: string): Promise<JWK> {
  return { ...(await exportJWK(key)), kid, use: 'sig', alg: 'ES256' };
}

/** Publishes exactly these public keys as the client's JWKS in Keycloak. */
async function publish(keys: { key: KeyObject; kid: string }[]): Promise<void> {
  const representation = await keycloakAdmin('GET', `/clients/${internalId}`);
  const jwks = { keys: await Promise.all(keys.map(({ key, kid }) => publicJwk(key, kid))) };
  await keycloakAdmin('PUT', `/clients/${internalId}`, {
    ...representation,
    attributes: { ...representation.attributes, 'use.jwks.string': 'true', 'jwks.string': JSON.stringify(jwks) },
  });
}

/** Stores the private key in the emulator, in the shape the kit reads. */
async function store(key: KeyObject, kid: string): Promise<void> {
  const value = { client_id: clientId, client_auth: 'private_key_jwt', private_key_jwk: { ...key.export({ format: 'jwk' }), kid } };
  await putSecret(emulator, secretId, JSON.stringify(value));
}

/** A fetch that records what each request to Keycloak carried (header names, form field names). */
function recordingFetch() {
  const seen: { authorization: string | null; fields: string[] }[] = [];
  const fetch: FetchLike = (input, init) => {
    const body = new URLSearchParams(String(init?.body ?? ''));
    seen.push({ authorization: new Headers(init?.headers).get('authorization'), fields: [...body.keys()].sort() });
    return globalThis.fetch(input, init);
  };
  return { fetch, seen };
}

function runtime() {
  const recorder = recordingFetch();
  const keycloak = createKeycloakClient({ baseUrl: stack.keycloakUrl, realm: stack.realm, fetch: recorder.fetch });
  const credentials = createClientCredentialsSource({ secretId, clientId, maxAgeSeconds: 300, client: emulator, method: 'private_key_jwt', audience: keycloak.issuer });
  return { ...recorder, keycloak, identity: createServiceIdentity(keycloak, credentials) };
}

async function refusalOf(call: Promise<unknown>): Promise<ClientAuthenticationError> {
  const error = await call.then(
    () => new Error('Keycloak accepted the assertion'),
    (e: unknown) => e,
  );
  if (!(error instanceof ClientAuthenticationError)) throw error;
  return error;
}

beforeAll(async () => {
  await keycloakAdmin('POST', '/clients', {
    clientId,
    enabled: true,
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
    clientAuthenticatorType: 'client-jwt',
  });
  const [client] = (await keycloakAdmin('GET', `/clients?clientId=${encodeURIComponent(clientId)}`)) as { id: string }[];
  internalId = client?.id ?? '';
  await publish([{ key: first.publicKey, kid: 'key-1' }]);
  await store(first.privateKey, 'key-1');
});

afterAll(async () => {
  if (internalId) await keycloakAdmin('DELETE', `/clients/${internalId}`);
  emulator.destroy();
});

describe('private_key_jwt on the real Keycloak', () => {
  it('gets a token and introspects with a signed assertion (aud = the realm issuer): no Authorization header, no secret on the wire', async () => {
    // Prepare
    const { identity, seen } = runtime();

    // Act
    const token = await identity.clientCredentials();
    const introspection = await identity.introspect(token.access_token);

    // Assess
    expect(claims(token.access_token)).toMatchObject({ iss: issuer, azp: clientId });
    expect(typeof introspection.active).toBe('boolean');
    expect(seen).toHaveLength(2);
    for (const request of seen) {
      expect(request.authorization).toBeNull();
      expect(request.fields).toEqual(expect.arrayContaining(['client_assertion', 'client_assertion_type', 'client_id']));
      expect(request.fields).not.toContain('client_secret');
    }
  });

  it('refuses a replayed assertion: ClientAuthenticationError ASSERTION_REUSED', async () => {
    // Prepare: one assertion, applied to two requests.
    const signer = privateKeyJwt(clientId, first.privateKey, { kid: 'key-1', alg: 'ES256', audience: issuer });
    const form = new URLSearchParams();
    await signer.apply(new Headers(), form);
    const replaying: ClientAuth = {
      clientId,
      apply(_headers, body) {
        for (const [name, value] of form) body.set(name, value);
      },
    };
    const { keycloak } = runtime();
    await keycloak.clientCredentials(replaying);

    // Act
    const error = await refusalOf(keycloak.clientCredentials(replaying));

    // Assess
    expect(error).toMatchObject({ code: 'CLIENT_AUTHENTICATION_FAILED', reason: 'ASSERTION_REUSED' });
  });

  it.each([
    ['an expired assertion', 'ASSERTION_EXPIRED', () => privateKeyJwt(clientId, first.privateKey, { kid: 'key-1', alg: 'ES256', audience: issuer, now: () => Date.now() - 600_000 })],
    ['an assertion signed by another key', 'ASSERTION_SIGNATURE_INVALID', () => privateKeyJwt(clientId, stranger.privateKey, { kid: 'key-1', alg: 'ES256', audience: issuer })],
    ['a kid Keycloak does not know', 'ASSERTION_KEY_UNKNOWN', () => privateKeyJwt(clientId, stranger.privateKey, { kid: 'key-unknown', alg: 'ES256', audience: issuer })],
    ["another client's iss and sub", 'CLIENT_OR_CREDENTIALS_INVALID', () => privateKeyJwt('service-a', first.privateKey, { kid: 'key-1', alg: 'ES256', audience: issuer })],
  ] as const)('refuses %s at the token and introspection endpoints: reason %s', async (_case, reason, signer) => {
    // Prepare
    const { keycloak } = runtime();

    // Act
    const atToken = await refusalOf(keycloak.clientCredentials(signer()));
    const atIntrospection = await refusalOf(keycloak.introspect(signer(), 'any-token'));

    // Assess
    expect(atToken.reason).toBe(reason);
    expect(atIntrospection.reason).toBe(reason);
  });

  it('rotates without a failed request: second key published, emulator switched, first key removed', async () => {
    // Prepare: warm, with the first key cached.
    const { identity } = runtime();
    await identity.clientCredentials();
    await publish([
      { key: first.publicKey, kid: 'key-1' },
      { key: second.publicKey, kid: 'key-2' },
    ]);
    await store(second.privateKey, 'key-2');

    // Act
    const whileBoth = await identity.clientCredentials();
    await publish([{ key: second.publicKey, kid: 'key-2' }]);
    const afterRemoval = await identity.clientCredentials();
    const afterRemovalAgain = await identity.clientCredentials();

    // Assess
    for (const token of [whileBoth, afterRemoval, afterRemovalAgain]) expect(claims(token.access_token).azp).toBe(clientId);
    await expect(runtime().identity.clientCredentials()).resolves.toMatchObject({ token_type: expect.stringMatching(/bearer/i) });
  });
});
