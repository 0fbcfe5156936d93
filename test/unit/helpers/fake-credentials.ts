import { clientSecretBasic, type ClientAuth, type ClientCredentialsSource } from 'keycloak-lambda-s2s';

/** A {@link ClientCredentialsSource} over an in-memory "secret store" the test can rotate. */
export interface FakeCredentials extends ClientCredentialsSource {
  /** Changes the stored secret; the source sees it only when it fetches (first call or forceFetch). */
  rotate(secret: string): void;
  /** `forceFetch` of every get() call, in order. */
  readonly gets: boolean[];
}

/**
 * Behaves like the real source: caches what it fetched, refetches on `forceFetch`, and returns the
 * same {@link ClientAuth} object while the secret is unchanged.
 */
export function fakeCredentials(clientId: string, secret: string): FakeCredentials {
  let stored = secret;
  let current: { secret: string; auth: ClientAuth } | undefined;
  const gets: boolean[] = [];
  return {
    clientId,
    gets,
    async get({ forceFetch = false } = {}) {
      gets.push(forceFetch);
      if (!current || forceFetch) {
        if (current?.secret !== stored) current = { secret: stored, auth: clientSecretBasic(clientId, stored) };
      }
      return current.auth;
    },
    clear() {
      current = undefined;
    },
    rotate(next) {
      stored = next;
    },
  };
}

/** The `Authorization` header value `client_secret_basic` sends for these credentials. */
export function basicHeader(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}
