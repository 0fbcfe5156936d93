import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../../scripts/lib/config.mjs';
import {
  audienceFix,
  checkBruteForceProtection,
  checkUserFacingScopes,
  checkAudiencePath,
  checkClient,
  checkClientAuthenticator,
  checkClientKey,
  publishedKeySource,
  readClientAuthMethods,
  checkExchange,
  checkExchangeEnabled,
  checkIntrospection,
  hasIntrospectionAudienceRule,
  checkIssuer,
  checkLifespan,
  checkServiceToken,
  explainExchangeFailure,
  formatReport,
  readAuthorizerTtls,
} from '../../../../scripts/lib/doctor-checks.mjs';

const confidential = { clientId: 'service-b', enabled: true, publicClient: false, clientAuthenticatorType: 'client-secret', serviceAccountsEnabled: true };
const noPath = { fullScopeAllowed: false, scopeMappedRoles: [], heldRoles: [], audienceMapper: false };
const okToken = (claims: Record<string, unknown>) => ({ answer: { status: 200, body: { access_token: 'x' } }, claims });

describe('checkIssuer', () => {
  it('passes when Keycloak names itself with the URL the kit uses', () => {
    expect(checkIssuer('http://127.0.0.1:8080/realms/r', 'http://127.0.0.1:8080/realms/r').status).toBe('pass');
  });

  it('fails on localhost vs 127.0.0.1 and says to pin one URL', () => {
    const result = checkIssuer('http://localhost:8080/realms/r', 'http://127.0.0.1:8080/realms/r');

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('iss http://127.0.0.1:8080/realms/r but is reached as http://localhost:8080/realms/r');
    expect(result.fix).toContain('--hostname');
  });
});

describe('checkClient', () => {
  const options = { realm: 'r', serviceAccount: 'required' } as const;

  it('passes a confidential client with a service account', () => {
    expect(checkClient('service-b', confidential, options).status).toBe('pass');
  });

  it.each([
    ['missing', undefined, 'Realm r has no client "service-b".'],
    ['disabled', { ...confidential, enabled: false }, 'service-b is disabled'],
    ['public', { ...confidential, publicClient: true }, 'service-b is a public client'],
    ['without a service account', { ...confidential, serviceAccountsEnabled: false }, 'has no service account'],
  ])('fails a %s client with the reason and a fix', (_case, client, reason) => {
    const result = checkClient('service-b', client, options);

    expect(result.status).toBe('fail');
    expect(result.detail).toContain(reason);
    expect(result.fix).toBeTruthy();
  });

  it('passes a signed-JWT client too: how a client authenticates is checkClientAuthenticator\'s to judge', () => {
    expect(checkClient('service-b', { ...confidential, clientAuthenticatorType: 'client-jwt' }, options).status).toBe('pass');
  });

  it('only warns about a missing service account where the kit does not need one', () => {
    expect(checkClient('service-c', { ...confidential, serviceAccountsEnabled: false }, { realm: 'r', serviceAccount: 'recommended' }).status).toBe('warn');
  });
});

describe('checkExchangeEnabled', () => {
  it('passes with the attribute set to "true"', () => {
    const client = { attributes: { 'standard.token.exchange.enabled': 'true' } };

    expect(checkExchangeEnabled('service-b', client, { why: 'to reach C', required: true }).status).toBe('pass');
  });

  it('fails without it and names the attribute to set', () => {
    const result = checkExchangeEnabled('service-b', { attributes: {} }, { why: 'to reach C', required: true });

    expect(result.status).toBe('fail');
    expect(result.fix).toContain('"standard.token.exchange.enabled": "true" on service-b');
  });

  it('only warns where exchange serves an optional flow', () => {
    expect(checkExchangeEnabled('service-a', { attributes: {} }, { why: 'for delegation', required: false }).status).toBe('warn');
  });
});

describe('checkAudiencePath', () => {
  it('passes with a scope mapping of the next service’s roles', () => {
    const result = checkAudiencePath('service-b', 'service-c', { ...noPath, scopeMappedRoles: ['analytics.run'] });

    expect(result.status).toBe('pass');
    expect(result.detail).toContain('analytics.run');
  });

  it('passes with an Audience mapper', () => {
    expect(checkAudiencePath('service-b', 'service-c', { ...noPath, audienceMapper: true }).status).toBe('pass');
  });

  it('warns about full scope: it works but leaks every role', () => {
    expect(checkAudiencePath('service-b', 'service-c', { ...noPath, fullScopeAllowed: true }).status).toBe('warn');
  });

  it('fails with nothing, predicting Keycloak’s "Requested audience not available"', () => {
    const result = checkAudiencePath('service-b', 'service-c', noPath);

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('"Requested audience not available: service-c"');
    expect(result.fix).toMatch(/^Add a client scope mapping of service-c's roles to service-b /);
  });
});

describe('audienceFix', () => {
  it('asks for a role on the service account when the scope mapping exists', () => {
    const fix = audienceFix('service-a', 'service-b', { ...noPath, scopeMappedRoles: ['orders.approve'] }, 'service-account-service-a');

    expect(fix).toBe(
      "Give service-account-service-a a role of service-b that service-a's scope lets through (orders.approve) " +
        '(admin console: Clients → service-a → Service accounts roles → Assign role).',
    );
  });
});

describe('checkServiceToken', () => {
  const facts = { path: noPath, otherServices: ['service-c'] };

  it('passes a token for exactly the next service', () => {
    const { answer, claims } = okToken({ aud: 'service-b', azp: 'service-a' });

    expect(checkServiceToken('service-a', 'service-b', answer, claims, facts).status).toBe('pass');
  });

  it('fails a token without the next service in aud and says how to add it', () => {
    const { answer, claims } = okToken({ azp: 'service-a' });

    const result = checkServiceToken('service-a', 'service-b', answer, claims, facts);

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('carry aud (none), not service-b');
    expect(result.fix).toContain('and give service-account-service-a that role');
  });

  it('fails a token that a later service would accept too', () => {
    const { answer, claims } = okToken({ aud: ['service-b', 'service-c'], azp: 'service-a' });

    const result = checkServiceToken('service-a', 'service-b', answer, claims, facts);

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('also carry aud service-c');
  });

  it('fails a refused grant with Keycloak’s error', () => {
    const answer = { status: 400, body: { error: 'unauthorized_client', error_description: 'Client not enabled to retrieve service account' } };

    const result = checkServiceToken('service-a', 'service-b', answer, undefined, facts);

    expect(result.detail).toContain('unauthorized_client');
    expect(result.fix).toBe('Turn on Service accounts for service-a.');
  });
});

describe('explainExchangeFailure', () => {
  const explain = (status: number, error: string, error_description?: string) =>
    explainExchangeFailure('service-b', 'service-c', 'service-a', { status, body: { error, error_description } });

  it('reads "not enabled" as the missing exchange attribute', () => {
    expect(explain(400, 'invalid_request', 'Standard token exchange is not enabled for the requested client').fix).toContain(
      '"standard.token.exchange.enabled": "true" on service-b',
    );
  });

  it('reads 403 access_denied as the requester missing from the subject token’s aud', () => {
    const { detail, fix } = explain(403, 'access_denied', 'Client is not within the token audience');

    expect(detail).toBe(
      'Keycloak answered 403 access_denied "Client is not within the token audience": service-b is not in the subject token\'s aud, and only a client the token was issued for may exchange it.',
    );
    expect(fix).toContain("Make service-a's tokens name service-b in aud");
  });

  it('reads "Requested audience not available" as a missing scope mapping or role', () => {
    const { detail, fix } = explain(400, 'invalid_request', 'Requested audience not available: service-c');

    expect(detail).toContain("no role or Audience mapper in service-b's scope puts service-c into aud");
    expect(fix).toContain('service-account-service-a');
  });

  it('reads "Invalid token" as a subject token of another realm, issuer or time', () => {
    expect(explain(400, 'invalid_request', 'Invalid token').detail).toContain('another iss');
  });

  it('reads 401 invalid_client as the requester’s own credentials', () => {
    expect(explain(401, 'unauthorized_client', 'Invalid client or Invalid client credentials').fix).toContain('its secret');
  });

  it('reads "Audience not found" as an audience that is no client', () => {
    expect(explain(400, 'invalid_client', 'Audience not found').fix).toBe('Create a client named service-c in this realm, or ask for an audience that exists.');
  });
});

describe('checkExchange', () => {
  const subject = { sub: 'sa-a' };

  it('passes a token for only the audience, issued to the requester, for the same subject', () => {
    const result = checkExchange('service-b', 'service-c', 'service-a', { status: 200, body: {} }, { aud: 'service-c', azp: 'service-b', sub: 'sa-a' }, subject);

    expect(result.status).toBe('pass');
  });

  it('fails a token with more audiences than asked for', () => {
    const claims = { aud: ['service-c', 'service-d'], azp: 'service-b', sub: 'sa-a' };

    expect(checkExchange('service-b', 'service-c', 'service-a', { status: 200, body: {} }, claims, subject).status).toBe('fail');
  });
});

describe('checkIntrospection', () => {
  const facts = { introspector: 'service-b', token: "A's token", tokenAudience: ['service-b'], expectActive: true };

  it('passes the expected verdict', () => {
    expect(checkIntrospection(facts, { status: 200, body: { active: true } }).status).toBe('pass');
  });

  it('explains active:false for a valid token by the 26.6.2 audience rule', () => {
    const result = checkIntrospection({ ...facts, tokenAudience: [] }, { status: 200, body: { active: false } });

    expect(result.detail).toContain(
      "since Keycloak 26.6.2 (26.4.12 on the 26.4 line, every release from 26.7.0) the introspecting client must be in the token's aud (none)",
    );
  });

  it('names the server version beside the rule when it is known', () => {
    const result = checkIntrospection({ ...facts, tokenAudience: [], serverVersion: '26.7.3' }, { status: 200, body: { active: false } });

    expect(result.detail).toMatch(/aud \(none\) \(this server is Keycloak 26\.7\.3\)\.$/);
  });

  it('warns, naming the version, when a server older than the rule lets a client outside aud introspect', () => {
    const result = checkIntrospection(
      { ...facts, introspector: 'service-c', expectActive: false, serverVersion: '26.2.5' },
      { status: 200, body: { active: true } },
    );

    expect(result.status).toBe('warn');
    expect(result.detail).toContain('Keycloak 26.2.5 predates the introspection audience rule of Keycloak 26.6.2');
    expect(result.detail).toContain('the authorizers still refuse it because they check aud themselves');
  });

  it('fails when a server that has the rule lets a client outside aud introspect', () => {
    const result = checkIntrospection(
      { ...facts, introspector: 'service-c', expectActive: false, serverVersion: '26.7.3' },
      { status: 200, body: { active: true } },
    );

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('this version should refuse it');
  });

  it('flags a Keycloak that lets a client outside aud introspect', () => {
    const result = checkIntrospection({ ...facts, introspector: 'service-c', expectActive: false }, { status: 200, body: { active: true } });

    expect(result.status).toBe('fail');
    expect(result.fix).toContain('26.6.2 or newer');
  });
});

describe('hasIntrospectionAudienceRule', () => {
  it('knows the releases of the fix on each line', () => {
    expect(hasIntrospectionAudienceRule('26.2.5')).toBe(false);
    expect(hasIntrospectionAudienceRule('26.4.11')).toBe(false);
    expect(hasIntrospectionAudienceRule('26.4.12')).toBe(true);
    expect(hasIntrospectionAudienceRule('26.5.4')).toBe(false);
    expect(hasIntrospectionAudienceRule('26.6.1')).toBe(false);
    expect(hasIntrospectionAudienceRule('26.6.2')).toBe(true);
    expect(hasIntrospectionAudienceRule('26.7.0')).toBe(true);
    expect(hasIntrospectionAudienceRule('27.0.0')).toBe(true);
    expect(hasIntrospectionAudienceRule(undefined)).toBeUndefined();
    expect(hasIntrospectionAudienceRule('nightly')).toBeUndefined();
  });
});

describe('readAuthorizerTtls', () => {
  const yaml = [
    'params:',
    '  default:',
    '    introspectionCacheTtlSeconds: 60',
    "    authorizerResultTtlSeconds: '90' # API Gateway cache",
    '  dev:',
    '    introspectionCacheTtlSeconds: ${env:INTROSPECTION_CACHE_TTL_SECONDS, 60}',
    '    resultTtlInSeconds: ${param:authorizerResultTtlSeconds}',
    '    authorizerResultTtlSeconds: ${env:AUTHORIZER_RESULT_TTL_SECONDS, env:INTROSPECTION_CACHE_TTL_SECONDS, 60}',
  ].join('\n');

  it('reads numbers, quoted numbers and env defaults with their lines', () => {
    expect(readAuthorizerTtls(yaml)).toEqual([
      { name: 'introspectionCacheTtlSeconds', seconds: 60, line: 3 },
      { name: 'authorizerResultTtlSeconds', seconds: 90, line: 4 },
      { name: 'introspectionCacheTtlSeconds', seconds: 60, line: 6 },
      { name: 'authorizerResultTtlSeconds', seconds: 60, line: 8 },
    ]);
  });

  it('resolves a chain of env fallbacks to the first variable that is set', () => {
    expect(readAuthorizerTtls(yaml, { INTROSPECTION_CACHE_TTL_SECONDS: '5' })[3]?.seconds).toBe(5);
    expect(readAuthorizerTtls(yaml, { INTROSPECTION_CACHE_TTL_SECONDS: '5', AUTHORIZER_RESULT_TTL_SECONDS: '7' })[3]?.seconds).toBe(7);
  });

  it('resolves an env reference from the environment when it is set', () => {
    expect(readAuthorizerTtls(yaml, { INTROSPECTION_CACHE_TTL_SECONDS: '5' })[2]?.seconds).toBe(5);
  });
});

describe('checkLifespan', () => {
  it('passes TTLs within the lifespan', () => {
    expect(checkLifespan(300, [{ name: 'authorizerResultTtlSeconds', seconds: 60, line: 38 }], 'the realm').status).toBe('pass');
  });

  it('fails a TTL longer than the lifespan and names its line', () => {
    const result = checkLifespan(45, [
      { name: 'introspectionCacheTtlSeconds', seconds: 30, line: 35 },
      { name: 'authorizerResultTtlSeconds', seconds: 60, line: 38 },
    ], 'the realm');

    expect(result.status).toBe('fail');
    expect(result.detail).toBe(
      'authorizerResultTtlSeconds 60 s (serverless.yml line 38) exceeds the access-token lifespan of 45 s (the realm), so a cached Allow could outlive the token it was given for.',
    );
    expect(result.fix).toBe("Lower authorizerResultTtlSeconds to at most 45 (or raise the realm's Access Token Lifespan).");
  });
});

describe('formatReport', () => {
  it('prints one line per check, the fix under failures, and a summary', () => {
    const report = formatReport([
      { name: 'realm', status: 'pass', detail: 'served' },
      { name: 'exchange on service-b', status: 'fail', detail: 'off.', fix: 'turn it on.' },
      { name: 'test exchange', status: 'skip', detail: 'needs a token' },
    ]);

    expect(report).toBe(
      [
        '  ✓ realm                  served',
        '  ✗ exchange on service-b  off.',
        '                           fix: turn it on.',
        '  – test exchange          needs a token',
        '',
        '✗ 1 passed, 1 failed, 1 skipped.',
      ].join('\n'),
    );
  });
});

describe('checkUserFacingScopes', () => {
  it('passes when every client that obtains users\' tokens has Full scope allowed off, whatever Keycloak\'s own clients do', () => {
    // Act
    const result = checkUserFacingScopes([
      { clientId: 'demo-cli', publicClient: true, directAccessGrantsEnabled: true, fullScopeAllowed: false },
      { clientId: 'service-a', serviceAccountsEnabled: true, fullScopeAllowed: true },
      { clientId: 'account-console', publicClient: true, standardFlowEnabled: true, fullScopeAllowed: true },
    ]);

    // Assess
    expect(result.status).toBe('pass');
  });

  it('flags a user-facing client with Full scope allowed on, by name, with the fix', () => {
    // Act
    const result = checkUserFacingScopes([
      { clientId: 'web', standardFlowEnabled: true },
      { clientId: 'old-spa', publicClient: true, standardFlowEnabled: true, fullScopeAllowed: true, enabled: false },
    ]);

    // Assess
    expect(result).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^web obtains users' tokens with Full scope allowed on/) });
    expect(result.fix).toContain('"fullScopeAllowed": false');
  });
});

describe('checkBruteForceProtection', () => {
  it('passes when the realm has brute-force detection on, and warns with the fix when it is off', () => {
    // Act
    const on = checkBruteForceProtection({ bruteForceProtected: true });
    const off = checkBruteForceProtection({ bruteForceProtected: false });

    // Assess
    expect(on.status).toBe('pass');
    expect(off).toMatchObject({ status: 'warn', fix: expect.stringContaining('"bruteForceProtected": true') });
  });
});

describe("checkClient for a client that calls nobody as itself ('unneeded')", () => {
  it('passes without a service account, and warns with the fix when one is on', () => {
    // Act
    const without = checkClient('service-c', { ...confidential, clientId: 'service-c', serviceAccountsEnabled: false }, { realm: 'r', serviceAccount: 'unneeded' });
    const withOne = checkClient('service-c', { ...confidential, clientId: 'service-c' }, { realm: 'r', serviceAccount: 'unneeded' });

    // Assess
    expect(without.status).toBe('pass');
    expect(withOne).toMatchObject({ status: 'warn', fix: expect.stringContaining('"serviceAccountsEnabled": false') });
  });
});

describe('readClientAuthMethods', () => {
  it('reads the project\'s serverless.yml: B\'s authorizer and service sign JWTs, A\'s and C\'s functions use the default (a secret)', () => {
    // Act
    const methods = readClientAuthMethods(readFileSync(path.join(projectRoot, 'serverless.yml'), 'utf8'));

    // Assess
    expect(methods['service-b']?.functions).toEqual([
      { name: 'authorizerB', method: 'private_key_jwt' },
      { name: 'serviceB', method: 'private_key_jwt' },
    ]);
    expect(methods['service-a']?.functions).toEqual([
      { name: 'authorizerA', method: 'client_secret_basic' },
      { name: 'serviceA', method: 'client_secret_basic' },
    ]);
    expect(methods['service-c']?.functions).toEqual([{ name: 'authorizerC', method: 'client_secret_basic' }]);
  });

  it('reads only the functions section, ignoring comments and other sections', () => {
    const text = [
      'custom:',
      '  x:',
      '    SERVICE_NAME: nope',
      'functions:',
      '  one:',
      '    environment:',
      '      SERVICE_NAME: svc # a comment',
      "      CLIENT_AUTH_METHOD: 'private_key_jwt'",
      '  two:',
      '    environment:',
      '      SERVICE_NAME: svc',
      'resources:',
      '  three:',
      '    SERVICE_NAME: svc',
    ].join('\n');

    expect(readClientAuthMethods(text)).toEqual({
      svc: { functions: [{ name: 'one', method: 'private_key_jwt' }, { name: 'two', method: 'client_secret_basic' }] },
    });
  });
});

describe('checkClientAuthenticator', () => {
  const jwtFunctions = { functions: [{ name: 'authorizerB', method: 'private_key_jwt' }, { name: 'serviceB', method: 'private_key_jwt' }] };

  it('passes a client-jwt client whose functions sign JWTs, and a client-secret client whose functions send a secret', () => {
    const signed = checkClientAuthenticator('service-b', { ...confidential, clientAuthenticatorType: 'client-jwt' }, jwtFunctions);
    const secret = checkClientAuthenticator('service-a', confidential, { functions: [{ name: 'serviceA', method: 'client_secret_basic' }] });

    expect(signed).toMatchObject({ status: 'pass', detail: expect.stringContaining('"Signed JWT" (client-jwt)') });
    expect(secret.status).toBe('pass');
  });

  it('fails a client-secret client whose functions are configured for private_key_jwt, naming both sides and the fix', () => {
    const result = checkClientAuthenticator('service-b', confidential, jwtFunctions);

    expect(result.status).toBe('fail');
    expect(result.detail).toBe(
      'Keycloak authenticates service-b with "Client Id and Secret" (client-secret) but its functions (authorizerB, serviceB) are configured for private_key_jwt (CLIENT_AUTH_METHOD), so Keycloak refuses every request they make.',
    );
    expect(result.fix).toContain('"Signed JWT"');
  });

  it('fails a client-jwt client whose functions send a secret (the default when CLIENT_AUTH_METHOD is unset)', () => {
    const result = checkClientAuthenticator('service-b', { ...confidential, clientAuthenticatorType: 'client-jwt' }, undefined);

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('configured for client_secret_basic');
    expect(result.fix).toContain('CLIENT_AUTH_METHOD=private_key_jwt');
  });

  it('fails when the functions of one service disagree, and on an authenticator the kit does not support', () => {
    const disagree = checkClientAuthenticator('service-b', { ...confidential, clientAuthenticatorType: 'client-jwt' }, {
      functions: [{ name: 'authorizerB', method: 'client_secret_basic' }, { name: 'serviceB', method: 'private_key_jwt' }],
    });
    const x509 = checkClientAuthenticator('service-b', { ...confidential, clientAuthenticatorType: 'client-x509' }, jwtFunctions);

    expect(disagree).toMatchObject({ status: 'fail', detail: expect.stringContaining('disagree on how to authenticate (authorizerB: client_secret_basic, serviceB: private_key_jwt)') });
    expect(x509).toMatchObject({ status: 'fail', detail: expect.stringContaining('"X509 Certificate" (client-x509)') });
  });
});

describe('checkClientKey', () => {
  const mine = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' });
  const secret = { secretId: 'keycloak-s2s/dev/service-b', credentials: { privateKey: mine.privateKey, kid: 'b-1' } };
  const privateD = mine.privateKey.export({ format: 'jwk' }).d as string;

  it('passes when Keycloak publishes the public half under the same kid (and names the other kids)', () => {
    const result = checkClientKey('service-b', secret, { source: 'jwks.string', keys: [jwk(other.publicKey, 'b-0'), jwk(mine.publicKey, 'b-1')] });

    expect(result).toMatchObject({ status: 'pass', detail: expect.stringContaining('under kid "b-1" in its JWKS (also: "b-0")') });
  });

  it('fails when no published key has the secret\'s kid, naming the kids Keycloak knows', () => {
    const result = checkClientKey('service-b', secret, { source: 'jwks.string', keys: [jwk(mine.publicKey, 'b-0')] });

    expect(result.status).toBe('fail');
    expect(result.detail).toContain('no public key of service-b with kid "b-1"');
    expect(result.detail).toContain('it knows "b-0"');
    expect(result.fix).toContain('Publish the public half');
  });

  it('fails when the key under that kid is another key\'s public half', () => {
    const result = checkClientKey('service-b', secret, { source: 'jwks.string', keys: [jwk(other.publicKey, 'b-1')] });

    expect(result).toMatchObject({ status: 'fail', detail: expect.stringContaining('is not the public half of the private key in keycloak-s2s/dev/service-b') });
  });

  it('fails when the secret could not be read, or Keycloak holds no key, and never prints key material', () => {
    const unreadable = checkClientKey('service-b', { secretId: secret.secretId, error: 'kid is missing.' }, { source: 'jwks.string', keys: [] });
    const none = checkClientKey('service-b', secret, { source: 'none' });

    expect(unreadable).toMatchObject({ status: 'fail', detail: 'The private key of service-b could not be read from Secrets Manager: kid is missing.' });
    expect(none).toMatchObject({ status: 'fail', detail: expect.stringContaining('holds no usable public key') });
    for (const result of [unreadable, none]) expect(JSON.stringify(result)).not.toContain(privateD);
  });
});

describe('publishedKeySource', () => {
  it('reads a JWKS string, a JWKS URL, and says when there is none or it is broken', () => {
    const keys = [{ kty: 'EC', kid: 'k' }];

    expect(publishedKeySource({ attributes: { 'use.jwks.string': 'true', 'jwks.string': JSON.stringify({ keys }) } })).toEqual({ source: 'jwks.string', keys });
    expect(publishedKeySource({ attributes: { 'use.jwks.url': 'true', 'jwks.url': 'https://keys.example/jwks' } })).toEqual({ source: 'jwks.url', url: 'https://keys.example/jwks' });
    expect(publishedKeySource({ attributes: {} })).toEqual({ source: 'none' });
    expect(publishedKeySource({ attributes: { 'use.jwks.string': 'true', 'jwks.string': '{' } })).toMatchObject({ source: 'invalid' });
  });
});
