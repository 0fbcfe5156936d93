import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import {
  ConfigError,
  SecretInvalidError,
  SecretNotFoundError,
  SecretsUnavailableError,
  createClientCredentialsSource,
  createSecretsManagerClient,
  parseClientCredentials,
  parseClientSecret,
  type ClientAuth,
} from 'keycloak-lambda-s2s';
import { basicHeader } from '../helpers/fake-credentials';

const SECRET_ID = 'dev/keycloak/service-b';

function secretString(value: unknown): { SecretString: string } {
  return { SecretString: typeof value === 'string' ? value : JSON.stringify(value) };
}

function authorizationOf(auth: { apply(headers: Headers, body: URLSearchParams): void }): string | null {
  const headers = new Headers();
  auth.apply(headers, new URLSearchParams());
  return headers.get('authorization');
}

function setup() {
  const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const secretsManager = mockClient(client);
  const source = createClientCredentialsSource({ secretId: SECRET_ID, clientId: 'service-b', maxAgeSeconds: 300, client });
  return { secretsManager, source };
}

describe('createClientCredentialsSource', () => {
  let secretsManager: ReturnType<typeof setup>['secretsManager'];
  let source: ReturnType<typeof setup>['source'];

  beforeEach(() => {
    ({ secretsManager, source } = setup());
  });

  it('reads the secret by its id and builds client_secret_basic from it', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretString({ client_id: 'service-b', client_secret: 'secret-1' }));

    // Act
    const auth = await source.get();

    // Assess
    expect(auth.clientId).toBe('service-b');
    expect(authorizationOf(auth)).toBe(basicHeader('service-b', 'secret-1'));
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([SECRET_ID]);
  });

  it('exposes the client id it was configured with', () => {
    // Assess
    expect(source.clientId).toBe('service-b');
  });

  it('reuses the fetched secret within maxAge: one Secrets Manager call for several get()', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretString({ client_secret: 'secret-1' }));

    // Act
    await source.get();
    await source.get();
    await source.get();

    // Assess
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  // Regression test: this failed before the fix found while writing these tests.
  it('makes one Secrets Manager call for 50 concurrent cold get() calls', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretString({ client_secret: 'secret-1' }));

    // Act
    const auths = await Promise.all(Array.from({ length: 50 }, () => source.get()));

    // Assess
    expect(new Set(auths).size).toBe(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('returns the same ClientAuth object while the secret is unchanged, even after forceFetch', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretString({ client_secret: 'secret-1' }));

    // Act
    const first = await source.get();
    const cached = await source.get();
    const refetched = await source.get({ forceFetch: true });

    // Assess
    expect(cached).toBe(first);
    expect(refetched).toBe(first);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('bypasses the cache on forceFetch and returns a new ClientAuth for a rotated secret', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secretString({ client_secret: 'secret-1' }))
      .resolves(secretString({ client_secret: 'secret-2' }));
    const before = await source.get();

    // Act
    const cached = await source.get();
    const after = await source.get({ forceFetch: true });

    // Assess
    expect(cached).toBe(before);
    expect(after).not.toBe(before);
    expect(authorizationOf(after)).toBe(basicHeader('service-b', 'secret-2'));
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps serving the refetched secret from the cache afterwards', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secretString({ client_secret: 'secret-1' }))
      .resolves(secretString({ client_secret: 'secret-2' }));
    await source.get();
    const rotated = await source.get({ forceFetch: true });

    // Act
    const next = await source.get();

    // Assess
    expect(next).toBe(rotated);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fetches again after clear()', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(secretString({ client_secret: 'secret-1' }));
    await source.get();

    // Act
    source.clear();
    await source.get();

    // Assess
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps the same ClientAuth when a refetched value changes around an unchanged client secret', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secretString({ client_secret: 'secret-1' }))
      .resolves(secretString({ client_id: 'service-b', client_secret: 'secret-1' }));
    const first = await source.get();

    // Act
    const refetched = await source.get({ forceFetch: true });

    // Assess
    expect(refetched).toBe(first);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not hand a get() after clear() the fetch that was in flight before it', async () => {
    // Prepare
    const values = ['secret-1', 'secret-2'];
    const releases: Array<() => void> = [];
    secretsManager.on(GetSecretValueCommand).callsFake(async () => {
      const value = values.shift();
      await new Promise<void>((resolve) => releases.push(resolve));
      return secretString({ client_secret: value });
    });
    const before = source.get();
    await vi.waitFor(() => expect(releases).toHaveLength(1));

    // Act
    source.clear();
    const after = source.get();
    await vi.waitFor(() => expect(releases).toHaveLength(2));
    for (const release of releases) release();

    // Assess
    expect(authorizationOf(await before)).toBe(basicHeader('service-b', 'secret-1'));
    expect(authorizationOf(await after)).toBe(basicHeader('service-b', 'secret-2'));
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refuses an unknown method when built, naming the methods it knows', () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'us-east-1' });

    // Act
    const building = () =>
      createClientCredentialsSource({ secretId: SECRET_ID, clientId: 'service-b', maxAgeSeconds: 300, client, method: 'tls_client_auth' as never });

    // Assess
    expect(building).toThrow(new ConfigError('method must be one of client_secret_basic, private_key_jwt'));
  });

  describe('failures', () => {
    it('turns ResourceNotFoundException into SecretNotFoundError naming the secret', async () => {
      // Prepare
      const notFound = new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });
      secretsManager.on(GetSecretValueCommand).rejects(notFound);

      // Act
      const attempt = source.get();

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(SecretNotFoundError);
      await expect(attempt).rejects.toMatchObject({
        code: 'SECRET_NOT_FOUND',
        message: `Secret "${SECRET_ID}" was not found in Secrets Manager`,
        cause: notFound,
      });
    });

    it.each([
      ['a service error', new InternalServiceError({ message: 'internal', $metadata: {} })],
      ['a network failure', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { name: 'TimeoutError' })],
      ['an access denial', Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' })],
    ])('turns %s into SecretsUnavailableError', async (_case, failure) => {
      // Prepare
      secretsManager.on(GetSecretValueCommand).rejects(failure);

      // Act
      const attempt = source.get();

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(SecretsUnavailableError);
      await expect(attempt).rejects.toMatchObject({ code: 'SECRETS_UNAVAILABLE', message: `Secrets Manager could not return "${SECRET_ID}"` });
      // The SDK's failure stays on the error for the log (the message says only which secret).
      await expect(attempt).rejects.toHaveProperty('cause.name', failure.name);
    });

    it('does not cache a failure: the next get() asks Secrets Manager again', async () => {
      // Prepare
      secretsManager
        .on(GetSecretValueCommand)
        .rejectsOnce(new InternalServiceError({ message: 'internal', $metadata: {} }))
        .resolves(secretString({ client_secret: 'secret-1' }));
      await expect(source.get()).rejects.toBeInstanceOf(SecretsUnavailableError);

      // Act
      const auth = await source.get();

      // Assess
      expect(authorizationOf(auth)).toBe(basicHeader('service-b', 'secret-1'));
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it.each([
      ['the value is not JSON', secretString('client_secret=abc'), 'the value is not JSON'],
      ['the value is a JSON array', secretString(['abc']), 'expected a JSON object with client_id and client_secret'],
      ['the value is a JSON number', secretString('42'), 'expected a JSON object with client_id and client_secret'],
      ['client_secret is missing', secretString({ client_id: 'service-b' }), 'client_secret is missing or not a non-empty string'],
      ['client_secret is empty', secretString({ client_secret: '' }), 'client_secret is missing or not a non-empty string'],
      ['client_secret is not a string', secretString({ client_secret: 12345 }), 'client_secret is missing or not a non-empty string'],
      ['client_id names another client', secretString({ client_id: 'service-c', client_secret: 'x' }), `client_id does not match this service's client "service-b"`],
      ['the two fields are swapped', secretString({ client_id: 'S3CR3T-VALUE', client_secret: 'service-b' }), `client_id does not match this service's client "service-b"`],
      ['the secret is binary', { SecretBinary: new Uint8Array([1, 2, 3]) }, 'expected a SecretString'],
    ])('turns a secret where %s into SecretInvalidError with the reason', async (_case, output, reason) => {
      // Prepare
      secretsManager.on(GetSecretValueCommand).resolves(output);

      // Act
      const attempt = source.get();

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(SecretInvalidError);
      await expect(attempt).rejects.toThrow(`Secret "${SECRET_ID}" is invalid: ${reason}`);
    });

    // Regression test: an invalid value stayed in the cache for maxAge (300 s by default), so a
    // fixed secret was ignored until then (found by test/integration/faults/dependencies.test.ts).
    it('does not cache an invalid value: once the secret is fixed, the next get() uses it', async () => {
      // Prepare
      secretsManager
        .on(GetSecretValueCommand)
        .resolvesOnce(secretString('{"client_secret": "cut'))
        .resolves(secretString({ client_id: 'service-b', client_secret: 'secret-1' }));
      await expect(source.get()).rejects.toBeInstanceOf(SecretInvalidError);

      // Act
      const auth = await source.get();

      // Assess
      expect(authorizationOf(auth)).toBe(basicHeader('service-b', 'secret-1'));
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('never puts the secret value in the error', async () => {
      // Prepare
      secretsManager.on(GetSecretValueCommand).resolves(secretString({ client_id: 'service-c', client_secret: 'LEAKED-VALUE' }));

      // Act
      const error = await source.get().catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(JSON.stringify({ message: (error as Error).message, ...(error as object) })).not.toContain('LEAKED-VALUE');
    });
  });
});

describe('parseClientSecret', () => {
  it('returns client_secret of a well-formed value', () => {
    // Act
    const secret = parseClientSecret(SECRET_ID, 'service-b', '{"client_id":"service-b","client_secret":"abc"}');

    // Assess
    expect(secret).toBe('abc');
  });

  it('accepts a value without client_id', () => {
    // Act
    const secret = parseClientSecret(SECRET_ID, 'service-b', '{"client_secret":"abc"}');

    // Assess
    expect(secret).toBe('abc');
  });

  it('refuses the secret of another client', () => {
    // Act
    const act = () => parseClientSecret(SECRET_ID, 'service-b', '{"client_id":"service-c","client_secret":"abc"}');

    // Assess
    expect(act).toThrow(new SecretInvalidError(SECRET_ID, 'client_id does not match this service\'s client "service-b"'));
  });

  it('refuses a value that is not a string', () => {
    // Act
    const act = () => parseClientSecret(SECRET_ID, 'service-b', undefined);

    // Assess
    expect(act).toThrow(new SecretInvalidError(SECRET_ID, 'expected a SecretString'));
  });

  it('refuses JSON null', () => {
    // Act
    const act = () => parseClientSecret(SECRET_ID, 'service-b', 'null');

    // Assess
    expect(act).toThrow(`Secret "${SECRET_ID}" is invalid: expected a JSON object with client_id and client_secret`);
  });
});

const ISSUER = 'http://127.0.0.1:8080/realms/microservices';
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecJwk = { ...ecKey.privateKey.export({ format: 'jwk' }), kid: 'b-1' };
const ecPem = String(ecKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));

function jwtSecret(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ client_id: 'service-b', client_auth: 'private_key_jwt', private_key_jwk: ecJwk, ...fields });
}

async function formOf(auth: ClientAuth): Promise<{ headers: Headers; body: URLSearchParams }> {
  const headers = new Headers();
  const body = new URLSearchParams();
  await auth.apply(headers, body);
  return { headers, body };
}

describe('createClientCredentialsSource with private_key_jwt', () => {
  function jwtSetup() {
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const secretsManager = mockClient(client);
    const source = createClientCredentialsSource({
      secretId: SECRET_ID,
      clientId: 'service-b',
      maxAgeSeconds: 300,
      client,
      method: 'private_key_jwt',
      audience: ISSUER,
    });
    return { secretsManager, source };
  }

  it('builds an assertion signer from the key in the secret: no Basic header, an assertion the public key verifies', async () => {
    // Prepare
    const { secretsManager, source } = jwtSetup();
    secretsManager.on(GetSecretValueCommand).resolves(secretString(jwtSecret()));

    // Act
    const { headers, body } = await formOf(await source.get());

    // Assess
    expect(headers.get('authorization')).toBeNull();
    const { payload, protectedHeader } = await jwtVerify(body.get('client_assertion') ?? '', ecKey.publicKey, { audience: ISSUER, issuer: 'service-b' });
    expect(payload.sub).toBe('service-b');
    expect(protectedHeader.kid).toBe('b-1');
  });

  it('returns the same ClientAuth while the key is unchanged and a new one after a rotation', async () => {
    // Prepare
    const { secretsManager, source } = jwtSetup();
    const next = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'b-2' };
    secretsManager.on(GetSecretValueCommand).resolvesOnce(secretString(jwtSecret())).resolves(secretString(jwtSecret({ private_key_jwk: next })));
    const first = await source.get();

    // Act
    const cached = await source.get();
    const rotated = await source.get({ forceFetch: true });

    // Assess
    expect(cached).toBe(first);
    expect(rotated).not.toBe(first);
    expect(decodeProtectedHeader((await formOf(rotated)).body.get('client_assertion') ?? '').kid).toBe('b-2');
  });

  it('fails closed when the secret still holds a client secret: no fallback to Basic', async () => {
    // Prepare
    const { secretsManager, source } = jwtSetup();
    secretsManager.on(GetSecretValueCommand).resolves(secretString({ client_id: 'service-b', client_secret: 'LEAKED-SECRET' }));

    // Act
    const error = await source.get().catch((e: unknown) => e);

    // Assess
    expect(error).toEqual(
      new SecretInvalidError(SECRET_ID, 'client_auth is absent (client_secret_basic) but this service is configured for "private_key_jwt" (CLIENT_AUTH_METHOD)'),
    );
    expect(String((error as Error).message)).not.toContain('LEAKED-SECRET');
  });

  it('fails closed when a secret-configured service finds a key', async () => {
    // Prepare
    const { secretsManager, source } = setup();
    secretsManager.on(GetSecretValueCommand).resolves(secretString(jwtSecret()));

    // Act
    const error = await source.get().catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe(
      `Secret "${SECRET_ID}" is invalid: client_auth is "private_key_jwt" but this service is configured for "client_secret_basic" (CLIENT_AUTH_METHOD)`,
    );
  });

  it.each([
    ['a value that is not a key', () => jwtSecret({ private_key_jwk: undefined, private_key_pem: 'LEAKED-KEY', kid: 'k' }), 'private_key_pem must be a PKCS#8 PEM string'],
    ['an RSA key under 2048 bits', () => jwtSecret({ private_key_jwk: { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }), kid: 'k' } }), 'private_key_jwk must be an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)'],
    ['a key of another curve', () => jwtSecret({ private_key_jwk: { ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' }), kid: 'k' } }), 'private_key_jwk must be an EC P-256 key'],
    ['a key without kid', () => jwtSecret({ private_key_jwk: { ...ecJwk, kid: undefined } }), 'kid is missing'],
  ])('fails at the first use, not before, on %s: one sentence naming the field, the key never in the error', async (_case, value, reason) => {
    // Prepare: building the source reads nothing yet.
    const { secretsManager, source } = jwtSetup();
    const stored = value();
    secretsManager.on(GetSecretValueCommand).resolves(secretString(stored));
    const privateParts = Object.values((JSON.parse(stored).private_key_jwk ?? {}) as Record<string, unknown>).filter((v) => typeof v === 'string' && v.length > 20);

    // Act
    const error = await source.get().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect((error as Error).message).toContain(`Secret "${SECRET_ID}" is invalid: ${reason}`);
    expect((error as Error).message.split('. ')).toHaveLength(1);
    for (const text of [(error as Error).message, JSON.stringify(error)]) {
      expect(text).not.toContain('LEAKED-KEY');
      for (const part of privateParts) expect(text).not.toContain(part);
    }
  });

  it('dates the assertions by the clock it was given', async () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(client).on(GetSecretValueCommand).resolves(secretString(jwtSecret()));
    const at = Date.UTC(2030, 0, 1);
    const source = createClientCredentialsSource({
      secretId: SECRET_ID,
      clientId: 'service-b',
      maxAgeSeconds: 300,
      client,
      method: 'private_key_jwt',
      audience: ISSUER,
      now: () => at,
    });

    // Act
    const { body } = await formOf(await source.get());

    // Assess
    const { payload } = await jwtVerify(body.get('client_assertion') ?? '', ecKey.publicKey, { audience: ISSUER, currentDate: new Date(at) });
    expect(payload.iat).toBe(at / 1000);
  });

  it('refuses a blank audience for private_key_jwt', () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'us-east-1' });

    // Act
    const building = () =>
      createClientCredentialsSource({ secretId: SECRET_ID, clientId: 'service-b', maxAgeSeconds: 300, client, method: 'private_key_jwt', audience: '  ' });

    // Assess
    expect(building).toThrow(new ConfigError('audience (the realm issuer) is required for private_key_jwt'));
  });

  it('names audience when private_key_jwt is configured without it', () => {
    // Prepare
    const client = new SecretsManagerClient({ region: 'us-east-1' });

    // Act
    const building = () => createClientCredentialsSource({ secretId: SECRET_ID, clientId: 'service-b', maxAgeSeconds: 300, client, method: 'private_key_jwt' });

    // Assess
    expect(building).toThrow(new ConfigError('audience (the realm issuer) is required for private_key_jwt'));
  });
});

describe('parseClientCredentials', () => {
  const JWT = { clientId: 'service-b', method: 'private_key_jwt' } as const;

  it('reads a private JWK with its kid and picks ES256 for a P-256 key', () => {
    // Act
    const parsed = parseClientCredentials(SECRET_ID, JWT, jwtSecret());

    // Assess
    expect(parsed).toMatchObject({ method: 'private_key_jwt', kid: 'b-1', alg: 'ES256' });
  });

  it('reads a PKCS#8 PEM with the kid beside it, and RS256 for an RSA key', () => {
    // Prepare
    const rsaPem = String(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));

    // Act
    const ec = parseClientCredentials(SECRET_ID, JWT, jwtSecret({ private_key_jwk: undefined, private_key_pem: ecPem, kid: 'pem-1' }));
    const rsa = parseClientCredentials(SECRET_ID, JWT, jwtSecret({ private_key_jwk: undefined, private_key_pem: rsaPem, kid: 'rsa-1' }));

    // Assess
    expect(ec).toMatchObject({ kid: 'pem-1', alg: 'ES256' });
    expect(rsa).toMatchObject({ kid: 'rsa-1', alg: 'RS256' });
  });

  it('keeps reading today\'s client secret shape', () => {
    // Act
    const parsed = parseClientCredentials(SECRET_ID, { clientId: 'service-b', method: 'client_secret_basic' }, '{"client_id":"service-b","client_secret":"abc"}');

    // Assess
    expect(parsed).toEqual({ method: 'client_secret_basic', clientSecret: 'abc' });
  });

  it.each([
    ['an unknown client_auth', { client_auth: 'tls_client_auth' }, 'client_auth must be one of client_secret_basic, private_key_jwt'],
    ['a public JWK', { private_key_jwk: { ...ecJwk, d: undefined } }, 'private_key_jwk is not a private key (it has no "d")'],
    ['a JWK that is not an object', { private_key_jwk: 'LEAKED-KEY' }, 'private_key_jwk must be a JSON object (a private JWK)'],
    ['a JWK that is not a key', { private_key_jwk: { kty: 'EC', crv: 'P-256', d: 'LEAKED-KEY', x: 'x', y: 'y', kid: 'k' } }, 'private_key_jwk is not a readable private key'],
    ['a PEM that is not PKCS#8', { private_key_jwk: undefined, private_key_pem: 'LEAKED-KEY', kid: 'k' }, 'private_key_pem must be a PKCS#8 PEM string (-----BEGIN PRIVATE KEY-----)'],
    ['a broken PEM', { private_key_jwk: undefined, private_key_pem: '-----BEGIN PRIVATE KEY-----\nLEAKEDKEY\n-----END PRIVATE KEY-----', kid: 'k' }, 'private_key_pem is not a readable private key'],
    ['no key', { private_key_jwk: undefined }, 'exactly one of private_key_jwk and private_key_pem is required for private_key_jwt'],
    ['two keys', { private_key_pem: ecPem }, 'exactly one of private_key_jwk and private_key_pem is required for private_key_jwt'],
    ['a missing kid', { private_key_jwk: { ...ecJwk, kid: undefined } }, 'kid is missing (in private_key_jwk or beside it): Keycloak selects the public key by it'],
    ['an alg that does not fit the key', { alg: 'RS256' }, 'alg must be ES256 for this key (one of ES256, RS256)'],
    ['a client secret beside the key', { client_secret: 'LEAKED-KEY' }, 'client_secret must not be present in a private_key_jwt secret'],
    ['another client id', { client_id: 'service-c' }, 'client_id does not match this service\'s client "service-b"'],
    ['a JWK that is null', { private_key_jwk: null }, 'private_key_jwk must be a JSON object (a private JWK)'],
    ['a PEM that is not a string', { private_key_jwk: undefined, private_key_pem: 12345, kid: 'k' }, 'private_key_pem must be a PKCS#8 PEM string (-----BEGIN PRIVATE KEY-----)'],
    ['a blank kid', { private_key_jwk: { ...ecJwk, kid: '  ' } }, 'kid is missing (in private_key_jwk or beside it): Keycloak selects the public key by it'],
  ])('names the field of %s, never its value', (_case, fields, reason) => {
    // Act
    const act = () => parseClientCredentials(SECRET_ID, JWT, jwtSecret(fields));

    // Assess
    expect(act).toThrow(new SecretInvalidError(SECRET_ID, reason));
    try {
      act();
    } catch (error) {
      expect(JSON.stringify({ message: (error as Error).message, ...(error as object) })).not.toMatch(/LEAKED|"d"\s*:/);
    }
  });

  it('refuses a key of the wrong size or curve', () => {
    // Prepare
    const small = String(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const p384 = { ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' }), kid: 'k' };

    // Act
    const attempts = [
      () => parseClientCredentials(SECRET_ID, JWT, jwtSecret({ private_key_jwk: undefined, private_key_pem: small, kid: 'k' })),
      () => parseClientCredentials(SECRET_ID, JWT, jwtSecret({ private_key_jwk: p384 })),
    ];

    // Assess
    expect(attempts[0]).toThrow('private_key_pem must be an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)');
    expect(attempts[1]).toThrow('private_key_jwk must be an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)');
  });

  it('refuses an RSA-PSS key however long: Keycloak verifies RS256 with a plain RSA key', () => {
    // Prepare
    const pss = String(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));

    // Act
    const act = () => parseClientCredentials(SECRET_ID, JWT, jwtSecret({ private_key_jwk: undefined, private_key_pem: pss, kid: 'k' }));

    // Assess
    expect(act).toThrow('private_key_pem must be an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)');
  });

  it('accepts an alg that names the key\'s own algorithm', () => {
    // Act
    const parsed = parseClientCredentials(SECRET_ID, JWT, jwtSecret({ alg: 'ES256' }));

    // Assess
    expect(parsed).toMatchObject({ method: 'private_key_jwt', kid: 'b-1', alg: 'ES256' });
  });
});

describe('createSecretsManagerClient', () => {
  it('builds an SDK client with at most two attempts', async () => {
    // Act
    const client = createSecretsManagerClient({ timeoutMs: 2000 });

    // Assess
    expect(client).toBeInstanceOf(SecretsManagerClient);
    expect(await client.config.maxAttempts()).toBe(2);
  });

  it('gives each Secrets Manager call timeoutMs, and at most 1 s to connect', async () => {
    // Act
    const slow = createSecretsManagerClient({ timeoutMs: 2000 });
    const fast = createSecretsManagerClient({ timeoutMs: 500 });

    // Assess: the SDK's HTTP handler resolves the options it was built with.
    const configOf = (client: SecretsManagerClient) =>
      (client.config.requestHandler as unknown as { configProvider: Promise<{ connectionTimeout?: number; requestTimeout?: number }> }).configProvider;
    expect(await configOf(slow)).toMatchObject({ connectionTimeout: 1000, requestTimeout: 2000 });
    expect(await configOf(fast)).toMatchObject({ connectionTimeout: 500, requestTimeout: 500 });
  });
});
