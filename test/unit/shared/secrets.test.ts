import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretInvalidError, SecretNotFoundError, SecretsUnavailableError, createClientCredentialsSource, createSecretsManagerClient, parseClientSecret } from 'keycloak-lambda-s2s';
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

describe('createSecretsManagerClient', () => {
  it('builds an SDK client with at most two attempts', async () => {
    // Act
    const client = createSecretsManagerClient({ timeoutMs: 2000 });

    // Assess
    expect(client).toBeInstanceOf(SecretsManagerClient);
    expect(await client.config.maxAttempts()).toBe(2);
  });
});
