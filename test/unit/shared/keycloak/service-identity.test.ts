import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ClientAuthenticationError,
  KeycloakUnavailableError,
  TokenExchangeDeniedError,
  createClientCredentialsSource,
  createKeycloakClient,
  createServiceIdentity,
} from 'keycloak-lambda-s2s';
import { basicHeader, fakeCredentials } from '../../helpers/fake-credentials';
import { createFakeFetch, jsonResponse, type Responder } from '../../helpers/fake-fetch';
import { KEYCLOAK_URL, REALM, tokenAnswer } from '../../helpers/keycloak';

const REFUSED = { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' };

/** A fake Keycloak that accepts only `validSecret` for service-b. */
const answerByEndpoint: Responder = (call) =>
  jsonResponse(call.url.endsWith('/introspect') ? { active: false } : tokenAnswer('own-token'));

function keycloakAccepting(validSecret: string, answer: Responder = answerByEndpoint): Responder {
  return (call) => (call.headers.get('authorization') === basicHeader('service-b', validSecret) ? answer(call) : jsonResponse(REFUSED, 401));
}

function identityWith(respond: Responder, secretInStore: string) {
  const fake = createFakeFetch(respond);
  const credentials = fakeCredentials('service-b', secretInStore);
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  return { fake, credentials, identity: createServiceIdentity(keycloak, credentials) };
}

describe('createServiceIdentity', () => {
  it('exposes the client id of its credentials and its Keycloak client', () => {
    // Prepare
    const fake = createFakeFetch(() => jsonResponse({}));
    const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });

    // Act
    const identity = createServiceIdentity(keycloak, fakeCredentials('service-b', 's'));

    // Assess
    expect(identity.clientId).toBe('service-b');
    expect(identity.keycloak).toBe(keycloak);
  });

  it('authenticates every call with the cached secret', async () => {
    // Prepare
    const { identity, fake, credentials } = identityWith(keycloakAccepting('secret-1'), 'secret-1');

    // Act
    await identity.clientCredentials();
    await identity.introspect('t');
    await identity.exchange({ subject_token: 's', audience: 'service-c' });

    // Assess
    expect(fake.calls.map((c) => c.headers.get('authorization'))).toEqual(Array(3).fill(basicHeader('service-b', 'secret-1')));
    expect(credentials.gets).toEqual([false, false, false]);
  });

  describe('when Keycloak answers invalid_client (secret rotated)', () => {
    it('fetches the secret once more, bypassing the cache, and retries once with the new secret', async () => {
      // Prepare: the cached secret is stale; the store already holds the rotated one.
      const { identity, fake, credentials } = identityWith(keycloakAccepting('secret-2'), 'secret-1');
      await credentials.get();
      credentials.rotate('secret-2');
      credentials.gets.length = 0;

      // Act
      const response = await identity.clientCredentials();

      // Assess
      expect(response.access_token).toBe('own-token');
      expect(credentials.gets).toEqual([false, true]);
      expect(fake.calls.map((c) => c.headers.get('authorization'))).toEqual([
        basicHeader('service-b', 'secret-1'),
        basicHeader('service-b', 'secret-2'),
      ]);
    });

    it.each([
      ['introspect', (identity: ReturnType<typeof createServiceIdentity>) => identity.introspect('t')],
      ['exchange', (identity: ReturnType<typeof createServiceIdentity>) => identity.exchange({ subject_token: 's', audience: 'service-c' })],
    ])('retries %s the same way', async (_kind, call) => {
      // Prepare
      const { identity, fake, credentials } = identityWith(keycloakAccepting('secret-2'), 'secret-1');
      await credentials.get();
      credentials.rotate('secret-2');

      // Act
      await call(identity);

      // Assess
      expect(fake.calls).toHaveLength(2);
    });

    it('does not retry when the refetch returned the same secret, and rethrows the refusal', async () => {
      // Prepare: the secret in the store is wrong too.
      const { identity, fake, credentials } = identityWith(keycloakAccepting('secret-other'), 'secret-1');

      // Act
      const attempt = identity.clientCredentials();

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ClientAuthenticationError);
      expect(fake.calls).toHaveLength(1);
      expect(credentials.gets).toEqual([false, true]);
    });

    it('retries only once, even when the new secret is refused too', async () => {
      // Prepare
      const { identity, fake, credentials } = identityWith(keycloakAccepting('secret-3'), 'secret-1');
      await credentials.get();
      credentials.rotate('secret-2');
      credentials.gets.length = 0;

      // Act
      const attempt = identity.clientCredentials();

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ClientAuthenticationError);
      expect(fake.calls).toHaveLength(2);
      expect(credentials.gets).toEqual([false, true]);
    });
  });

  it.each([
    ['Keycloak is unreachable', () => Promise.reject(new TypeError('fetch failed')), KeycloakUnavailableError],
    ['the exchange is refused', () => jsonResponse({ error: 'access_denied' }, 403), TokenExchangeDeniedError],
  ] as const)('neither refetches the secret nor retries when %s', async (_case, respond, errorType) => {
    // Prepare
    const { identity, fake, credentials } = identityWith(respond, 'secret-1');

    // Act
    const attempt = identity.exchange({ subject_token: 's', audience: 'service-c' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(errorType);
    expect(fake.calls).toHaveLength(1);
    expect(credentials.gets).toEqual([false]);
  });
});

describe('createServiceIdentity with private_key_jwt (key rotation)', () => {
  it('heals after the key in Secrets Manager is switched: the refused call refetches the key once and retries with a new assertion', async () => {
    // Prepare: Keycloak knows only the new key; the source still caches the old one.
    const oldKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const newKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const secretOf = (key: KeyObject, kid: string) =>
      JSON.stringify({ client_id: 'service-b', client_auth: 'private_key_jwt', private_key_jwk: { ...key.export({ format: 'jwk' }), kid } });
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(client)
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretOf(oldKey.privateKey, 'b-1') })
      .resolves({ SecretString: secretOf(newKey.privateKey, 'b-2') });
    const issuer = `${KEYCLOAK_URL}/realms/${REALM}`;
    const fake = createFakeFetch(async (call) => {
      const assertion = new URLSearchParams(call.body).get('client_assertion') ?? '';
      try {
        await jwtVerify(assertion, newKey.publicKey, { issuer: 'service-b', subject: 'service-b', audience: issuer });
        return jsonResponse(tokenAnswer('own-token'));
      } catch {
        return jsonResponse({ error: 'invalid_client', error_description: 'Unable to load public key' }, 400);
      }
    });
    const credentials = createClientCredentialsSource({
      secretId: 'dev/keycloak/service-b',
      clientId: 'service-b',
      maxAgeSeconds: 300,
      client,
      method: 'private_key_jwt',
      audience: issuer,
    });
    const identity = createServiceIdentity(createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch }), credentials);

    // Act
    const token = await identity.clientCredentials();

    // Assess
    expect(token.access_token).toBe('own-token');
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls.map((c) => c.headers.get('authorization'))).toEqual([null, null]);
  });
});

describe('createServiceIdentity with private_key_jwt: a private key Keycloak does not know', () => {
  it('fails closed at the first call with ASSERTION_KEY_UNKNOWN after one refetch that brings the same key: no retry, never a Basic header, the key never in the error', async () => {
    // Prepare: the secret holds a key whose kid Keycloak has never seen.
    const unknown = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...unknown.privateKey.export({ format: 'jwk' }), kid: 'never-published' };
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const secretsManager = mockClient(client);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ client_id: 'service-b', client_auth: 'private_key_jwt', private_key_jwk: jwk }) });
    const fake = createFakeFetch(() => jsonResponse({ error: 'invalid_client', error_description: 'Unable to load public key' }, 400));
    const issuer = `${KEYCLOAK_URL}/realms/${REALM}`;
    const credentials = createClientCredentialsSource({ secretId: 'dev/keycloak/service-b', clientId: 'service-b', maxAgeSeconds: 300, client, method: 'private_key_jwt', audience: issuer });
    const identity = createServiceIdentity(createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch }), credentials);

    // Act
    const error = await identity.introspect('a-token').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ClientAuthenticationError);
    expect(error).toMatchObject({ code: 'CLIENT_AUTHENTICATION_FAILED', reason: 'ASSERTION_KEY_UNKNOWN' });
    expect(fake.calls).toHaveLength(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(fake.calls.map((c) => c.headers.get('authorization'))).toEqual([null]);
    expect(new URLSearchParams(fake.calls[0]?.body).has('client_secret')).toBe(false);
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(String(jwk.d));
  });
});
