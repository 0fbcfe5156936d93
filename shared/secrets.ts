import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretInvalidError, SecretNotFoundError, SecretsUnavailableError } from './errors';
import { clientSecretBasic, type ClientAuth } from './keycloak/client-auth';

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
  /** Secret name or ARN. Its value is JSON: `{"client_id": "...", "client_secret": "..."}`. */
  secretId: string;
  /** The Keycloak client this service is; the secret's `client_id` must match it. */
  clientId: string;
  /** How long a fetched secret is reused, in seconds. */
  maxAgeSeconds: number;
  /** The SDK v3 client; tests pass one mocked with aws-sdk-client-mock. */
  client: SecretsManagerClient;
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
}: ClientCredentialsSourceOptions): ClientCredentialsSource {
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
    let clientSecret: string;
    try {
      clientSecret = parseClientSecret(secretId, clientId, raw);
      lastValueInvalid = false;
    } catch (error) {
      lastValueInvalid = true;
      throw error;
    }
    // The fingerprint is the secret itself, held only inside this closure.
    if (current?.fingerprint !== clientSecret) current = { fingerprint: clientSecret, auth: clientSecretBasic(clientId, clientSecret) };
    return current.auth;
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
  const { client_id, client_secret } = value as Record<string, unknown>;
  if (typeof client_secret !== 'string' || client_secret.length === 0) {
    throw new SecretInvalidError(secretId, 'client_secret is missing or not a non-empty string');
  }
  if (client_id !== undefined && client_id !== expectedClientId) {
    // Never echo the value: an operator who swapped the two fields would put the secret here.
    throw new SecretInvalidError(secretId, `client_id does not match this service's client "${expectedClientId}"`);
  }
  return client_secret;
}

/** A Secrets Manager client with bounded timeouts and retries; endpoint and region come from the SDK's env. */
export function createSecretsManagerClient({ timeoutMs }: { timeoutMs: number }): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 1000), requestTimeout: timeoutMs },
  });
}
