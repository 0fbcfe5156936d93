import { describe, expect, it } from 'vitest';
import {
  NO_AUTH_PRINCIPAL,
  NO_AUTH_TOKEN,
  clientCredentialsTokensFor,
  exchangedTokensFor,
  requestPrincipal,
} from '../../../shared/auth-strategy';
import { TokenRejectedError } from '../../../shared/errors';
import { createKeycloakClient } from '../../../shared/keycloak/client';
import { createServiceIdentity } from '../../../shared/keycloak/service-identity';
import { routeTable } from '../../../shared/routes';
import { FIXED_NOW_SECONDS, frozenClock } from '../helpers/clock';
import { authorizerContext, proxyEvent } from '../helpers/events';
import { fakeCredentials } from '../helpers/fake-credentials';
import { createFakeFetch, formOf, jsonResponse } from '../helpers/fake-fetch';
import { unsignedJwt } from '../helpers/jwt';
import { ISSUER, KEYCLOAK_URL, REALM, TOKEN_ENDPOINT, tokenAnswer } from '../helpers/keycloak';

const [computeRoute] = routeTable['service-c'];

/** A token as Keycloak issues it to `azp`, meant for `aud`; `serial` tells issued tokens apart. */
function issuedToken(aud: string, azp: string, serial: number): string {
  return unsignedJwt({ iss: ISSUER, sub: 'user-1', aud, azp, typ: 'Bearer', exp: FIXED_NOW_SECONDS + 300, jti: `t-${serial}` });
}

/** A fake Keycloak that issues tokens to `clientId`, for the asked audience unless `issuedAudience` says otherwise. */
function setup(clientId: string, { issuedAudience }: { issuedAudience?: string } = {}) {
  const clock = frozenClock();
  let issued = 0;
  const fake = createFakeFetch((call) => {
    issued++;
    const audience = issuedAudience ?? formOf(call).audience ?? 'service-b';
    return jsonResponse(tokenAnswer(issuedToken(audience, clientId, issued)));
  });
  const keycloak = createKeycloakClient({ baseUrl: KEYCLOAK_URL, realm: REALM, fetch: fake.fetch });
  const identity = createServiceIdentity(keycloak, fakeCredentials(clientId, 'secret'));
  return { fake, options: { identity, skewSeconds: 30, maxEntries: 10, now: clock.now } };
}

const SUBJECT = issuedToken('service-b', 'service-a', 0);

describe('clientCredentialsTokensFor', () => {
  it('kit: reuses one token across calls (the production cache)', async () => {
    // Prepare
    const { fake, options } = setup('service-a');
    const tokens = clientCredentialsTokensFor('kit', options);

    // Act
    const [first, second] = [await tokens.get(), await tokens.get()];

    // Assess
    expect(second).toBe(first);
    expect(fake.callsTo(TOKEN_ENDPOINT)).toHaveLength(1);
  });

  it('original: asks Keycloak for a new token on every call', async () => {
    // Prepare
    const { fake, options } = setup('service-a');
    const tokens = clientCredentialsTokensFor('original', options);

    // Act
    const [first, second] = [await tokens.get(), await tokens.get()];

    // Assess
    expect(second).not.toBe(first);
    expect(fake.callsTo(TOKEN_ENDPOINT).map((c) => formOf(c).grant_type)).toEqual(['client_credentials', 'client_credentials']);
  });

  it('off: hands out the placeholder without any Keycloak call', async () => {
    // Prepare
    const { fake, options } = setup('service-a');
    const tokens = clientCredentialsTokensFor('off', options);

    // Act
    const token = await tokens.get();

    // Assess
    expect(token).toBe(NO_AUTH_TOKEN);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('exchangedTokensFor', () => {
  it('kit: exchanges a subject token once and reuses the result', async () => {
    // Prepare
    const { fake, options } = setup('service-b');
    const tokens = exchangedTokensFor('kit', options);

    // Act
    await tokens.get(SUBJECT, 'service-c');
    await tokens.get(SUBJECT, 'service-c');

    // Assess
    expect(fake.callsTo(TOKEN_ENDPOINT)).toHaveLength(1);
  });

  it('original: exchanges on every call, and still checks what Keycloak issued', async () => {
    // Prepare
    const { fake, options } = setup('service-b');
    const tokens = exchangedTokensFor('original', options);

    // Act
    const [first, second] = [await tokens.get(SUBJECT, 'service-c'), await tokens.get(SUBJECT, 'service-c')];

    // Assess
    expect(second).not.toBe(first);
    const forms = fake.callsTo(TOKEN_ENDPOINT).map(formOf);
    expect(forms.map((f) => [f.subject_token, f.audience])).toEqual([
      [SUBJECT, 'service-c'],
      [SUBJECT, 'service-c'],
    ]);
  });

  it('original: refuses an exchanged token that is not meant for the asked audience', async () => {
    // Prepare
    const { options } = setup('service-b', { issuedAudience: 'service-b' });
    const tokens = exchangedTokensFor('original', options);

    // Act
    const error = await tokens.get(SUBJECT, 'service-c').catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ code: 'TOKEN_EXCHANGE_INVALID_RESULT' });
  });

  it('off: exchanges nothing and hands out the placeholder', async () => {
    // Prepare
    const { fake, options } = setup('service-b');
    const tokens = exchangedTokensFor('off', options);

    // Act
    const token = await tokens.get(NO_AUTH_TOKEN, 'service-c');

    // Assess
    expect(token).toBe(NO_AUTH_TOKEN);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('requestPrincipal', () => {
  const withContext = proxyEvent({
    resource: '/api/compute',
    authorizer: authorizerContext({ sub: 'user-1', clientId: 'service-b', exp: FIXED_NOW_SECONDS + 300, permissions: ['analytics.run'] }),
  });
  const withoutContext = proxyEvent({ resource: '/api/compute', authorizer: null });

  it.each(['kit', 'original'] as const)('%s: takes the principal from the authorizer context', (strategy) => {
    // Act
    const principal = requestPrincipal(strategy, withContext, computeRoute, frozenClock().now);

    // Assess
    expect(principal).toMatchObject({ sub: 'user-1', clientId: 'service-b', permissions: ['analytics.run'] });
  });

  it.each(['kit', 'original'] as const)('%s: refuses a request without authorizer context', (strategy) => {
    // Act
    const read = () => requestPrincipal(strategy, withoutContext, computeRoute, frozenClock().now);

    // Assess
    expect(read).toThrow(TokenRejectedError);
  });

  it('off: stands in a placeholder principal, since no route has an authorizer', () => {
    // Act
    const principal = requestPrincipal('off', withoutContext, computeRoute, frozenClock().now);

    // Assess
    expect(principal).toBe(NO_AUTH_PRINCIPAL);
  });
});
