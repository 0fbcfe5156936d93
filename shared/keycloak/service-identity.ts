import { ClientAuthenticationError } from '../errors';
import type { ClientCredentialsSource } from '../secrets';
import type { ClientAuth } from './client-auth';
import type { KeycloakClient } from './client';
import type { IntrospectionResult } from './introspection';
import type { TokenResponse } from './token-endpoint';

/** A service acting as its own Keycloak client: every call authenticated with its own secret. */
export interface ServiceIdentity {
  readonly clientId: string;
  readonly keycloak: KeycloakClient;
  clientCredentials(): Promise<TokenResponse>;
  introspect(token: string): Promise<IntrospectionResult>;
  exchange(params: { subject_token: string; audience: string; scope?: string }): Promise<TokenResponse>;
}

/**
 * Binds a Keycloak client to a service's credentials. When Keycloak refuses the credentials
 * (`invalid_client`, e.g. the secret was rotated) the secret is fetched again, bypassing its cache,
 * and the call is retried once — only if the refetch brought a different secret.
 */
export function createServiceIdentity(keycloak: KeycloakClient, credentials: ClientCredentialsSource): ServiceIdentity {
  async function withCredentials<T>(call: (auth: ClientAuth) => Promise<T>): Promise<T> {
    const auth = await credentials.get();
    try {
      return await call(auth);
    } catch (error) {
      if (!(error instanceof ClientAuthenticationError)) throw error;
      const fresh = await credentials.get({ forceFetch: true });
      if (fresh === auth) throw error;
      return call(fresh);
    }
  }

  return {
    clientId: credentials.clientId,
    keycloak,
    clientCredentials: () => withCredentials((auth) => keycloak.clientCredentials(auth)),
    introspect: (token) => withCredentials((auth) => keycloak.introspect(auth, token)),
    exchange: (params) => withCredentials((auth) => keycloak.exchange(auth, params)),
  };
}
