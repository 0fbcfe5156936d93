import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretInvalidError, SecretNotFoundError, SecretsUnavailableError } from './errors';
import {
  CLIENT_ASSERTION_ALGORITHMS,
  clientSecretBasic,
  privateKeyJwt,
  type ClientAssertionAlgorithm,
  type ClientAuth,
} from './keycloak/client-auth';
import { ConfigError } from './errors';
import type { Clock } from './time';

/** How a service authenticates to Keycloak: a shared secret (HTTP Basic) or a signed JWT (RFC 7523). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'] as const;

/** One of {@link CLIENT_AUTH_METHODS}; wire names of OAuth's `token_endpoint_auth_method`. */
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** A service's Keycloak client credentials, read from Secrets Manager and cached for a while. */
export interface ClientCredentialsSource {
  readonly clientId: string;
  /**
   * The client authentication built from the secret. `forceFetch` bypasses the cache (after Keycloak
   * refused the cached secret). While the secret's value is unchanged the same object is returned, so
   * callers can tell whether a refetch brought anything new.
   */
  get(options?: { forceFetch?: boolean }): Promise<ClientAuth>;
  /** Drops the cached value; for tests. */
  clear(): void;
}

/** Options of {@link createClientCredentialsSource}. */
export interface ClientCredentialsSourceOptions {
  /**
   * Secret name or ARN. Its value is JSON: `{"client_id", "client_secret"}` for `client_secret_basic`;
   * `{"client_id", "client_auth": "private_key_jwt", "private_key_jwk": {…, "kid"}}` (or
   * `"private_key_pem"` with `"kid"`, PKCS#8) for `private_key_jwt`. See {@link parseClientCredentials}.
   */
  secretId: string;
  /** The Keycloak client this service is; the secret's `client_id` must match it. */
  clientId: string;
  /** How long a fetched secret is reused, in seconds. */
  maxAgeSeconds: number;
  /** The SDK v3 client; tests pass one mocked with aws-sdk-client-mock. */
  client: SecretsManagerClient;
  /**
   * The method this service is configured for (default `client_secret_basic`). The secret must name
   * the same one: a mismatch fails closed, never falls back to another method.
   */
  method?: ClientAuthMethod;
  /** `private_key_jwt` only: the assertions' `aud`, the realm's issuer (`KeycloakClient.issuer`). */
  audience?: string;
  /** `private_key_jwt` only: the clock of the assertions' `iat` / `exp`. */
  now?: Clock;
}

/**
 * Reads client credentials through Powertools Parameters' SecretsProvider (its `maxAge` cache and
 * `forceFetch`), validates the JSON shape, and maps SDK failures to typed errors.
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/features/parameters/
 */
export function createClientCredentialsSource({
  secretId,
  clientId,
  maxAgeSeconds,
  client,
  method = 'client_secret_basic',
  audience,
  now,
}: ClientCredentialsSourceOptions): ClientCredentialsSource {
  if (!CLIENT_AUTH_METHODS.includes(method)) throw new ConfigError(`method must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  if (method === 'private_key_jwt' && (typeof audience !== 'string' || audience.trim() === '')) {
    throw new ConfigError('audience (the realm issuer) is required for private_key_jwt');
  }
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  let current: { fingerprint: string; auth: ClientAuth } | undefined;
  // Powertools does not share in-flight fetches: concurrent cold callers wait on one request here.
  const inFlight = new Map<boolean, Promise<ClientAuth>>();
  // Powertools caches the raw value whether or not it parses: after an invalid one, fetch again, so a
  // fixed secret is used at once (a failure is never cached as a success).
  let lastValueInvalid = false;

  async function fetchAuth(forceFetch: boolean): Promise<ClientAuth> {
    let raw: unknown;
    try {
      raw = await provider.get(secretId, { maxAge: maxAgeSeconds, forceFetch: forceFetch || lastValueInvalid });
    } catch (error) {
      const cause = (error as { cause?: { name?: string } }).cause ?? error;
      if ((cause as { name?: string }).name === 'ResourceNotFoundException') throw new SecretNotFoundError(secretId, { cause });
      throw new SecretsUnavailableError(secretId, { cause });
    }
    try {
      const credentials = parseClientCredentials(secretId, { clientId, method }, raw);
      // The fingerprint is the secret itself (or the whole value, for a key), held only inside this closure.
      const fingerprint = credentials.method === 'client_secret_basic' ? credentials.clientSecret : (raw as string);
      if (current?.fingerprint !== fingerprint) {
        const auth =
          credentials.method === 'client_secret_basic'
            ? clientSecretBasic(clientId, credentials.clientSecret)
            : privateKeyJwt(clientId, credentials.key, { kid: credentials.kid, alg: credentials.alg, audience: audience as string, ...(now ? { now } : {}) });
        current = { fingerprint, auth };
      }
      lastValueInvalid = false;
      return current.auth;
    } catch (error) {
      lastValueInvalid = true;
      throw error;
    }
  }

  return {
    clientId,
    get({ forceFetch = false } = {}) {
      let pending = inFlight.get(forceFetch);
      if (!pending) {
        pending = fetchAuth(forceFetch).finally(() => inFlight.delete(forceFetch));
        inFlight.set(forceFetch, pending);
      }
      return pending;
    },
    clear() {
      provider.clearCache();
      inFlight.clear();
      current = undefined;
    },
  };
}

/**
 * Validates a secret value of the shape `{"client_id": "...", "client_secret": "..."}` and returns
 * the client secret. Reasons never include the value.
 */
export function parseClientSecret(secretId: string, expectedClientId: string, raw: unknown): string {
  const value = parseSecretObject(secretId, raw);
  const clientSecret = clientSecretOf(secretId, value);
  checkClientId(secretId, expectedClientId, value.client_id);
  return clientSecret;
}

/** What a secret value holds, once checked: the method it names and that method's material. */
export type ParsedClientCredentials =
  | { method: 'client_secret_basic'; clientSecret: string }
  | { method: 'private_key_jwt'; key: KeyObject; kid: string; alg: ClientAssertionAlgorithm };

/**
 * Validates a secret value and returns the credentials it holds. `client_auth` names the method
 * (absent: `client_secret_basic`, today's `{"client_id","client_secret"}`); it must be the method the
 * service is configured for. A `private_key_jwt` value holds `private_key_jwk` (a private JWK with its
 * `kid`) or `private_key_pem` (PKCS#8) with `kid`, and optionally `alg` (else ES256 for a P-256 key,
 * RS256 for RSA of at least 2048 bits). Each failure is one sentence naming the field; reasons never
 * include the value.
 */
export function parseClientCredentials(
  secretId: string,
  expected: { clientId: string; method: ClientAuthMethod },
  raw: unknown,
): ParsedClientCredentials {
  const value = parseSecretObject(secretId, raw);
  const named = value.client_auth ?? 'client_secret_basic';
  if (typeof named !== 'string' || !(CLIENT_AUTH_METHODS as readonly string[]).includes(named)) {
    throw new SecretInvalidError(secretId, `client_auth must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }
  if (named !== expected.method) {
    throw new SecretInvalidError(
      secretId,
      `client_auth is ${value.client_auth === undefined ? 'absent (client_secret_basic)' : `"${named}"`} but this service is configured for "${expected.method}" (CLIENT_AUTH_METHOD)`,
    );
  }
  checkClientId(secretId, expected.clientId, value.client_id);
  if (named === 'client_secret_basic') return { method: named, clientSecret: clientSecretOf(secretId, value) };
  if (value.client_secret !== undefined) {
    // A key secret carrying a shared secret too would keep a secret alive that Keycloak should not have.
    throw new SecretInvalidError(secretId, 'client_secret must not be present in a private_key_jwt secret');
  }
  return privateKeyOf(secretId, value);
}

function parseSecretObject(secretId: string, raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string') throw new SecretInvalidError(secretId, 'expected a SecretString');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new SecretInvalidError(secretId, 'the value is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecretInvalidError(secretId, 'expected a JSON object with client_id and client_secret');
  }
  return value as Record<string, unknown>;
}

function checkClientId(secretId: string, expectedClientId: string, clientId: unknown): void {
  if (clientId !== undefined && clientId !== expectedClientId) {
    // Never echo the value: an operator who swapped the two fields would put the secret here.
    throw new SecretInvalidError(secretId, `client_id does not match this service's client "${expectedClientId}"`);
  }
}

function clientSecretOf(secretId: string, value: Record<string, unknown>): string {
  const { client_secret } = value;
  if (typeof client_secret !== 'string' || client_secret.length === 0) {
    throw new SecretInvalidError(secretId, 'client_secret is missing or not a non-empty string');
  }
  return client_secret;
}

function privateKeyOf(secretId: string, value: Record<string, unknown>): ParsedClientCredentials {
  const { private_key_jwk: jwk, private_key_pem: pem } = value;
  if ((jwk === undefined) === (pem === undefined)) {
    throw new SecretInvalidError(secretId, 'exactly one of private_key_jwk and private_key_pem is required for private_key_jwt');
  }
  const field = jwk !== undefined ? 'private_key_jwk' : 'private_key_pem';
  let key: KeyObject;
  let kid: unknown = value.kid;
  let alg: unknown = value.alg;
  if (jwk !== undefined) {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new SecretInvalidError(secretId, 'private_key_jwk must be a JSON object (a private JWK)');
    const fields = jwk as Record<string, unknown>;
    if (typeof fields.d !== 'string') throw new SecretInvalidError(secretId, 'private_key_jwk is not a private key (it has no "d")');
    kid ??= fields.kid;
    alg ??= fields.alg;
    key = importedKey(secretId, field, () => createPrivateKey({ key: fields as import('node:crypto').JsonWebKey, format: 'jwk' }));
  } else {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN PRIVATE KEY-----')) {
      throw new SecretInvalidError(secretId, 'private_key_pem must be a PKCS#8 PEM string (-----BEGIN PRIVATE KEY-----)');
    }
    key = importedKey(secretId, field, () => createPrivateKey({ key: pem, format: 'pem' }));
  }
  if (typeof kid !== 'string' || kid.trim() === '') throw new SecretInvalidError(secretId, `kid is missing (in ${field} or beside it): Keycloak selects the public key by it`);
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const natural: ClientAssertionAlgorithm | undefined =
    type === 'ec' && details.namedCurve === 'prime256v1' ? 'ES256' : type === 'rsa' && (details.modulusLength ?? 0) >= 2048 ? 'RS256' : undefined;
  if (!natural) throw new SecretInvalidError(secretId, `${field} must be an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)`);
  if (alg !== undefined && alg !== natural) {
    throw new SecretInvalidError(secretId, `alg must be ${natural} for this key (one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')})`);
  }
  return { method: 'private_key_jwt', key, kid, alg: natural };
}

function importedKey(secretId: string, field: string, load: () => KeyObject): KeyObject {
  try {
    return load();
  } catch {
    // The crypto error is dropped on purpose: it may quote the value it could not read.
    throw new SecretInvalidError(secretId, `${field} is not a readable private key`);
  }
}

/** A Secrets Manager client with bounded timeouts and retries; endpoint and region come from the SDK's env. */
export function createSecretsManagerClient({ timeoutMs }: { timeoutMs: number }): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 1000), requestTimeout: timeoutMs },
  });
}
