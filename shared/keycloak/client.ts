import type { ClientAuth } from './client-auth';
import { parseIntrospection, type IntrospectionResult } from './introspection';
import {
  ACCESS_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
  parseTokenResponse,
  type TokenResponse,
} from './token-endpoint';
import { assertIntegerInRange, assertNonEmptyString, checkedBaseUrl } from '../options';
import type { Clock } from '../time';
import { postForm, type FetchLike } from './transport';

/** Options of {@link createKeycloakClient}. */
export interface KeycloakClientOptions {
  /**
   * Keycloak's base URL, e.g. `https://sso.example.com` (one pinned host: `iss` follows it). Must be
   * `https:`; plain `http:` is accepted for loopback hosts (a local run) or with `allowInsecureHttp`.
   */
  baseUrl: string;
  /** Where the calls go when that differs from `baseUrl` (an internal address); the issuer stays `baseUrl`'s. */
  backchannelUrl?: string;
  /** Realm name, e.g. `microservices`. */
  realm: string;
  /** Timeout of every call, in milliseconds (default 3000, at most 30000). */
  timeoutMs?: number;
  /** Accept `http:` URLs to hosts other than loopback (a network you vouch for). Default false. */
  allowInsecureHttp?: boolean;
  fetch?: FetchLike;
  /** Clock timing each round-trip (default `Date.now`). */
  now?: Clock;
  /**
   * Called after each round-trip with its kind, how long it took and whether Keycloak answered;
   * used for metrics and for counting calls in tests. It must not throw.
   */
  onRoundTrip?: (kind: KeycloakCallKind, roundTrip: KeycloakRoundTrip) => void;
}

/** The kinds of Keycloak round-trip, the cost this kit minimises. */
export type KeycloakCallKind = 'token' | 'introspect' | 'exchange' | 'jwks';

/** What one Keycloak round-trip cost and how it ended (for metrics: latency and error rate by kind). */
export interface KeycloakRoundTrip {
  /** Wall time of the call in milliseconds, by the client's clock. */
  durationMs: number;
  /**
   * `answered`: Keycloak sent a readable answer (a grant, an introspection, or a refusal such as
   * `invalid_grant`, judged afterwards); `failed`: Keycloak was unreachable, timed out, answered a
   * 5xx or a redirect, or sent a body that is not JSON — what a Keycloak error rate counts.
   */
  outcome: 'answered' | 'failed';
}

/** The Keycloak protocol calls of this kit, shared by A, B, C and the authorizer. */
export interface KeycloakClient {
  /** The realm's issuer, `<baseUrl>/realms/<realm>`. */
  readonly issuer: string;
  /** The realm's JWKS URL (on the back channel when one is set). */
  readonly jwksUri: string;
  /** Client credentials grant: a token for the authenticating client itself. */
  clientCredentials(auth: ClientAuth, params?: { scope?: string }): Promise<TokenResponse>;
  /** Token introspection, authenticated as the protected service. */
  introspect(auth: ClientAuth, token: string): Promise<IntrospectionResult>;
  /** Standard token exchange (V2): the subject's access token for one meant for `audience`. */
  exchange(auth: ClientAuth, params: { subject_token: string; audience: string; scope?: string }): Promise<TokenResponse>;
}

/**
 * Creates the Keycloak client. Endpoints follow Keycloak's fixed paths, so no discovery round-trip
 * is spent at cold start.
 * @see https://www.keycloak.org/securing-apps/oidc-layers
 */
export function createKeycloakClient({
  baseUrl,
  backchannelUrl,
  realm,
  timeoutMs = 3000,
  fetch = globalThis.fetch,
  now = Date.now,
  onRoundTrip = () => {},
  allowInsecureHttp = false,
}: KeycloakClientOptions): KeycloakClient {
  const base = checkedBaseUrl('baseUrl', baseUrl, { allowInsecureHttp });
  const backchannel = backchannelUrl === undefined ? base : checkedBaseUrl('backchannelUrl', backchannelUrl, { allowInsecureHttp });
  assertNonEmptyString('realm', realm);
  assertIntegerInRange('timeoutMs', timeoutMs, 1, 30_000);
  const realmPath = `/realms/${encodeURIComponent(realm)}`;
  const issuer = `${base}${realmPath}`;
  const endpointBase = `${backchannel}${realmPath}/protocol/openid-connect`;
  const tokenEndpoint = `${endpointBase}/token`;
  const introspectionEndpoint = `${tokenEndpoint}/introspect`;

  const post = async (kind: KeycloakCallKind, url: string, form: Record<string, string>, auth: ClientAuth) => {
    const started = now();
    let outcome: KeycloakRoundTrip['outcome'] = 'failed';
    try {
      const answer = await postForm(fetch, url, form, auth, timeoutMs);
      outcome = 'answered';
      return answer;
    } finally {
      onRoundTrip(kind, { durationMs: now() - started, outcome });
    }
  };

  return {
    issuer,
    jwksUri: `${endpointBase}/certs`,

    async clientCredentials(auth, params = {}) {
      const form: Record<string, string> = { grant_type: 'client_credentials' };
      if (params.scope) form.scope = params.scope;
      return parseTokenResponse(await post('token', tokenEndpoint, form, auth), 'client_credentials');
    },

    async introspect(auth, token) {
      // token_type_hint narrows Keycloak's lookup; RFC 7662 section 2.1.
      const form = { token, token_type_hint: 'access_token' };
      return parseIntrospection(await post('introspect', introspectionEndpoint, form, auth));
    },

    async exchange(auth, { subject_token, audience, scope }) {
      const form: Record<string, string> = {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        audience,
      };
      if (scope) form.scope = scope;
      return parseTokenResponse(await post('exchange', tokenEndpoint, form, auth), 'token_exchange');
    },
  };
}
