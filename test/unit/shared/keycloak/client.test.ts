import { describe, expect, it, vi } from 'vitest';
import { ConfigError, KeycloakUnavailableError, TokenExchangeDeniedError, clientSecretBasic, createKeycloakClient, type KeycloakCallKind, type KeycloakRoundTrip } from 'keycloak-lambda-s2s';
import { createFakeFetch, formOf, jsonResponse, type Responder } from '../../helpers/fake-fetch';
import { basicHeader } from '../../helpers/fake-credentials';
import { INTROSPECTION_ENDPOINT, ISSUER, KEYCLOAK_URL, REALM, TOKEN_ENDPOINT, tokenAnswer } from '../../helpers/keycloak';

const AUTH = clientSecretBasic('service-b', 'secret-b');

function clientWith(respond: Responder) {
  const fake = createFakeFetch(respond);
  const roundTrips: KeycloakCallKind[] = [];
  const keycloak = createKeycloakClient({
    baseUrl: KEYCLOAK_URL,
    realm: REALM,
    fetch: fake.fetch,
    onRoundTrip: (kind) => roundTrips.push(kind),
  });
  return { fake, roundTrips, keycloak };
}

describe('createKeycloakClient', () => {
  describe('endpoints', () => {
    it("derives the issuer and JWKS URL from the base URL and realm, without discovery", () => {
      // Prepare
      const { keycloak, fake } = clientWith(() => jsonResponse({}));

      // Assess
      expect(keycloak.issuer).toBe(ISSUER);
      expect(keycloak.jwksUri).toBe(`${ISSUER}/protocol/openid-connect/certs`);
      expect(fake.calls).toHaveLength(0);
    });

    it('ignores trailing slashes of the base URL and encodes the realm', () => {
      // Act
      const keycloak = createKeycloakClient({ baseUrl: 'https://sso.example.com/auth//', realm: 'my realm' });

      // Assess
      expect(keycloak.issuer).toBe('https://sso.example.com/auth/realms/my%20realm');
    });

    it('sends every call to the back-channel URL while the issuer stays the public one', async () => {
      // Prepare
      const fake = createFakeFetch((call) =>
        jsonResponse(call.url.endsWith('/introspect') ? { active: false } : tokenAnswer('own-token')),
      );
      const keycloak = createKeycloakClient({
        baseUrl: 'https://sso.example.com',
        backchannelUrl: 'https://keycloak.internal:8443/',
        realm: REALM,
        fetch: fake.fetch,
      });

      // Act
      await keycloak.clientCredentials(AUTH);
      await keycloak.introspect(AUTH, 'some-token');
      await keycloak.exchange(AUTH, { subject_token: 'subject', audience: 'service-c' });

      // Assess
      expect(keycloak.issuer).toBe(`https://sso.example.com/realms/${REALM}`);
      expect(keycloak.jwksUri).toBe(`https://keycloak.internal:8443/realms/${REALM}/protocol/openid-connect/certs`);
      expect(fake.calls.map((call) => call.url)).toEqual([
        `https://keycloak.internal:8443/realms/${REALM}/protocol/openid-connect/token`,
        `https://keycloak.internal:8443/realms/${REALM}/protocol/openid-connect/token/introspect`,
        `https://keycloak.internal:8443/realms/${REALM}/protocol/openid-connect/token`,
      ]);
    });
  });

  describe('a plain-http back channel', () => {
    it('is accepted on a non-loopback host only with allowInsecureHttp', () => {
      // Prepare
      const options = { baseUrl: 'https://sso.example.com', backchannelUrl: 'http://keycloak.internal:8080', realm: REALM };

      // Act
      const refused = () => createKeycloakClient(options);
      const allowed = createKeycloakClient({ ...options, allowInsecureHttp: true });

      // Assess
      expect(refused).toThrow(ConfigError);
      expect(allowed.jwksUri).toBe(`http://keycloak.internal:8080/realms/${REALM}/protocol/openid-connect/certs`);
    });
  });

  describe('clientCredentials', () => {
    it('POSTs grant_type=client_credentials to the token endpoint with HTTP Basic', async () => {
      // Prepare
      const { keycloak, fake } = clientWith(() => jsonResponse(tokenAnswer('own-token')));

      // Act
      const response = await keycloak.clientCredentials(AUTH);

      // Assess
      expect(response.access_token).toBe('own-token');
      expect(fake.calls).toHaveLength(1);
      const [call] = fake.calls;
      expect(call?.url).toBe(TOKEN_ENDPOINT);
      expect(call?.method).toBe('POST');
      expect(call?.headers.get('authorization')).toBe(basicHeader('service-b', 'secret-b'));
      expect(call && formOf(call)).toEqual({ grant_type: 'client_credentials' });
    });

    it('sends the scope when one is asked for', async () => {
      // Prepare
      const { keycloak, fake } = clientWith(() => jsonResponse(tokenAnswer('own-token')));

      // Act
      await keycloak.clientCredentials(AUTH, { scope: 'orders' });

      // Assess
      expect(fake.calls[0] && formOf(fake.calls[0])).toEqual({ grant_type: 'client_credentials', scope: 'orders' });
    });

    it('reports one "token" round-trip', async () => {
      // Prepare
      const { keycloak, roundTrips } = clientWith(() => jsonResponse(tokenAnswer('own-token')));

      // Act
      await keycloak.clientCredentials(AUTH);

      // Assess
      expect(roundTrips).toEqual(['token']);
    });
  });

  describe('introspect', () => {
    it('POSTs the token with token_type_hint=access_token to the introspection endpoint with HTTP Basic', async () => {
      // Prepare
      const { keycloak, fake, roundTrips } = clientWith(() => jsonResponse({ active: false }));

      // Act
      const result = await keycloak.introspect(AUTH, 'the-token');

      // Assess
      expect(result).toEqual({ active: false });
      const [call] = fake.calls;
      expect(call?.url).toBe(INTROSPECTION_ENDPOINT);
      expect(call?.headers.get('authorization')).toBe(basicHeader('service-b', 'secret-b'));
      expect(call && formOf(call)).toEqual({ token: 'the-token', token_type_hint: 'access_token' });
      expect(roundTrips).toEqual(['introspect']);
    });
  });

  describe('exchange', () => {
    it('POSTs an RFC 8693 standard token exchange to the token endpoint with HTTP Basic', async () => {
      // Prepare
      const { keycloak, fake, roundTrips } = clientWith(() => jsonResponse(tokenAnswer('exchanged-token')));

      // Act
      const response = await keycloak.exchange(AUTH, { subject_token: 'subject', audience: 'service-c' });

      // Assess
      expect(response.access_token).toBe('exchanged-token');
      const [call] = fake.calls;
      expect(call?.url).toBe(TOKEN_ENDPOINT);
      expect(call?.headers.get('authorization')).toBe(basicHeader('service-b', 'secret-b'));
      expect(call && formOf(call)).toEqual({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: 'subject',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'service-c',
      });
      expect(roundTrips).toEqual(['exchange']);
    });

    it('sends the scope when one is asked for', async () => {
      // Prepare
      const { keycloak, fake } = clientWith(() => jsonResponse(tokenAnswer('exchanged-token')));

      // Act
      await keycloak.exchange(AUTH, { subject_token: 'subject', audience: 'service-c', scope: 'analytics' });

      // Assess
      expect(fake.calls[0] && formOf(fake.calls[0])).toMatchObject({ scope: 'analytics' });
    });

    it("judges a refusal as an exchange refusal, with Keycloak's code", async () => {
      // Prepare
      const { keycloak } = clientWith(() => jsonResponse({ error: 'access_denied', error_description: 'Client not allowed' }, 403));

      // Act
      const attempt = keycloak.exchange(AUTH, { subject_token: 'subject', audience: 'service-c' });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TokenExchangeDeniedError);
      await expect(attempt).rejects.toMatchObject({ error: 'access_denied' });
    });
  });

  describe('onRoundTrip', () => {
    it('reports the kind, the duration by the injected clock and an answered outcome', async () => {
      // Prepare
      const fake = createFakeFetch(() => jsonResponse({ active: false }));
      const times = [1_000, 1_042];
      const reported: Array<[KeycloakCallKind, KeycloakRoundTrip]> = [];
      const keycloak = createKeycloakClient({
        baseUrl: KEYCLOAK_URL,
        realm: REALM,
        fetch: fake.fetch,
        now: () => times.shift() ?? 0,
        onRoundTrip: (kind, roundTrip) => reported.push([kind, roundTrip]),
      });

      // Act
      await keycloak.introspect(AUTH, 'the-token');

      // Assess
      expect(reported).toEqual([['introspect', { durationMs: 42, outcome: 'answered' }]]);
    });

    it('counts a refusal Keycloak sent as answered: only unreachable or broken answers fail', async () => {
      // Prepare
      const fake = createFakeFetch(() => jsonResponse({ error: 'access_denied' }, 403));
      const reported: KeycloakRoundTrip[] = [];
      const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch, onRoundTrip: (_kind, trip) => reported.push(trip) });

      // Act
      await keycloak.exchange(AUTH, { subject_token: 's', audience: 'service-c' }).catch(() => undefined);

      // Assess
      expect(reported.map((trip) => trip.outcome)).toEqual(['answered']);
    });

    it('reports a 5xx answer as failed', async () => {
      // Prepare
      const fake = createFakeFetch(() => jsonResponse({}, 503));
      const reported: KeycloakRoundTrip[] = [];
      const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch, onRoundTrip: (_kind, trip) => reported.push(trip) });

      // Act
      const attempt = keycloak.clientCredentials(AUTH);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(KeycloakUnavailableError);
      expect(reported.map((trip) => trip.outcome)).toEqual(['failed']);
    });

    it('is reported for a round-trip that failed too', async () => {
      // Prepare
      const { keycloak, roundTrips } = clientWith(() => {
        throw new TypeError('fetch failed');
      });

      // Act
      const attempt = keycloak.introspect(AUTH, 'the-token');

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(KeycloakUnavailableError);
      expect(roundTrips).toEqual(['introspect']);
    });
  });

  it.each([
    ['the configured timeout', { timeoutMs: 1500 }, 1500],
    ['3000 ms by default', {}, 3000],
  ] as const)('passes %s to each call as an abort signal', async (_case, options, expected) => {
    // Prepare
    const timeouts = vi.spyOn(AbortSignal, 'timeout');
    const fake = createFakeFetch(() => jsonResponse({ active: false }));
    const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch, ...options });

    // Act
    await keycloak.introspect(AUTH, 't');

    // Assess
    expect(fake.calls[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(fake.calls[0]?.signal?.aborted).toBe(false);
    expect(timeouts.mock.calls).toEqual([[expected]]);
  });
});
