/**
 * The original write-up's strategy, the bench's reference point: no caches at all. The authorizer
 * introspects every request (no verdict cache, no local JWT check), A fetches a client-credentials
 * token and B exchanges the token it received on every call.
 */
import { acceptIntrospection, epochSeconds, exchangeToken, type ServiceIdentity, type TokenAuthority } from 'keycloak-lambda-s2s';
import type { TokenSource } from 'keycloak-lambda-s2s/lambda';

/** A verdict authority that asks Keycloak about every request. */
export function introspectEveryRequest(identity: ServiceIdentity): TokenAuthority {
  return {
    async authorize(token) {
      const result = await identity.introspect(token);
      return acceptIntrospection(result, { issuer: identity.keycloak.issuer, audience: identity.clientId, nowSeconds: epochSeconds() });
    },
    clear() {},
  };
}

/** A's own token, fetched anew for every call. */
export function clientCredentialsEveryCall(identity: ServiceIdentity): TokenSource {
  return { get: async () => (await identity.clientCredentials()).access_token, invalidate() {} };
}

/** Subject tokens exchanged anew for every call. */
export function exchangeEveryCall(identity: ServiceIdentity) {
  return {
    source: (subjectToken: string, audience: string): TokenSource => ({
      get: () => exchangeToken(identity, subjectToken, audience),
      invalidate() {},
    }),
  };
}
