import { describe, expect, it } from 'vitest';
import { ConfigError, defineRouteTable } from 'keycloak-lambda-s2s';
import { readAuthorizerSettings, readCallerSettings, readMetricsNamespace, type Env } from 'keycloak-lambda-s2s/lambda';

const ROUTES = defineRouteTable({
  'service-b': { process: { method: 'POST', path: '/api/process', permissions: ['orders.approve'], callers: ['service-a'] } },
  'service-c': { compute: { method: 'POST', path: '/api/compute', permissions: ['analytics.run'], callers: ['service-a'] } },
});

const AUTHORIZER_ENV: Env = {
  SERVICE_NAME: 'service-b',
  CLIENT_SECRET_ID: 'dev/keycloak/service-b',
  KEYCLOAK_URL: 'http://127.0.0.1:8080',
  KEYCLOAK_REALM: 'microservices',
};

const CALLER_ENV: Env = {
  SERVICE_NAME: 'service-b',
  CLIENT_SECRET_ID: 'dev/keycloak/service-b',
  KEYCLOAK_URL: 'http://127.0.0.1:8080',
  KEYCLOAK_REALM: 'microservices',
  SERVICE_C_URL: 'http://127.0.0.1:3000/dev',
};

function configErrorOf(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('settings were accepted');
}

describe('readAuthorizerSettings', () => {
  it('applies the documented defaults to a minimal environment', () => {
    // Act
    const settings = readAuthorizerSettings(AUTHORIZER_ENV, ROUTES);

    // Assess
    expect(settings).toEqual({
      service: 'service-b',
      clientId: 'service-b',
      secretId: 'dev/keycloak/service-b',
      clientAuthMethod: 'client_secret_basic',
      secretsMaxAgeSeconds: 300,
      secretsTimeoutMs: 3000,
      keycloak: { baseUrl: 'http://127.0.0.1:8080', realm: 'microservices', timeoutMs: 3000 },
      metricsNamespace: 'KeycloakS2S',
      routes: ROUTES['service-b'],
      mode: 'jwt+introspection',
      clockToleranceSeconds: 5,
      jwksCooldownSeconds: 30,
      introspectionCacheTtlSeconds: 60,
      introspectionCacheMaxEntries: 10_000,
      firstTokenByIntrospection: true,
    });
  });

  it('reads every variable that is set', () => {
    // Prepare
    const env: Env = {
      ...AUTHORIZER_ENV,
      SERVICE_NAME: 'service-c',
      KEYCLOAK_CLIENT_ID: 'service-c-prod',
      KEYCLOAK_REALM: 'other',
      KEYCLOAK_TIMEOUT_MS: '1500',
      SECRETS_CACHE_TTL_SECONDS: '120',
      SECRETS_TIMEOUT_MS: '900',
      CLIENT_AUTH_METHOD: 'private_key_jwt',
      AUTH_MODE: 'introspection',
      JWT_CLOCK_TOLERANCE_SECONDS: '0',
      JWKS_COOLDOWN_SECONDS: '45',
      INTROSPECTION_CACHE_TTL_SECONDS: '15',
      INTROSPECTION_CACHE_MAX_ENTRIES: '50',
      FIRST_TOKEN_BY_INTROSPECTION: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'Team/Orders',
    };

    // Act
    const settings = readAuthorizerSettings(env, ROUTES);

    // Assess
    expect(settings).toEqual({
      service: 'service-c',
      clientId: 'service-c-prod',
      secretId: 'dev/keycloak/service-b',
      clientAuthMethod: 'private_key_jwt',
      secretsMaxAgeSeconds: 120,
      secretsTimeoutMs: 900,
      keycloak: { baseUrl: 'http://127.0.0.1:8080', realm: 'other', timeoutMs: 1500 },
      metricsNamespace: 'Team/Orders',
      routes: ROUTES['service-c'],
      mode: 'introspection',
      clockToleranceSeconds: 0,
      jwksCooldownSeconds: 45,
      introspectionCacheTtlSeconds: 15,
      introspectionCacheMaxEntries: 50,
      firstTokenByIntrospection: false,
    });
  });

  it.each([
    ['TRUE', true],
    [' False ', false],
  ])('reads FIRST_TOKEN_BY_INTROSPECTION=%j in any case', (value, expected) => {
    // Act
    const settings = readAuthorizerSettings({ ...AUTHORIZER_ENV, FIRST_TOKEN_BY_INTROSPECTION: value }, ROUTES);

    // Assess
    expect(settings.firstTokenByIntrospection).toBe(expected);
  });

  it.each(['yes', '0', 'truth'])('names FIRST_TOKEN_BY_INTROSPECTION when it is %j, neither true nor false', (value) => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, FIRST_TOKEN_BY_INTROSPECTION: value }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable FIRST_TOKEN_BY_INTROSPECTION must be true or false');
  });

  it('names CLIENT_AUTH_METHOD when it is not a method the kit knows', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, CLIENT_AUTH_METHOD: 'client_secret_post' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable CLIENT_AUTH_METHOD must be one of client_secret_basic, private_key_jwt');
  });

  it('strips trailing slashes from KEYCLOAK_URL', () => {
    // Act
    const settings = readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_URL: 'https://sso.example.com/auth//' }, ROUTES);

    // Assess
    expect(settings.keycloak.baseUrl).toBe('https://sso.example.com/auth');
  });

  it('reads KEYCLOAK_BACKCHANNEL_URL without trailing slashes and leaves it out when unset or blank', () => {
    // Act
    const withIt = readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_BACKCHANNEL_URL: 'https://keycloak.internal:8443/' }, ROUTES);
    const blank = readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_BACKCHANNEL_URL: ' ' }, ROUTES);

    // Assess
    expect(withIt.keycloak.backchannelUrl).toBe('https://keycloak.internal:8443');
    expect(withIt.keycloak.baseUrl).toBe('http://127.0.0.1:8080');
    expect(blank.keycloak).not.toHaveProperty('backchannelUrl');
  });

  it('names KEYCLOAK_BACKCHANNEL_URL when it is not an http(s) URL', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_BACKCHANNEL_URL: 'keycloak.internal' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable KEYCLOAK_BACKCHANNEL_URL must be an absolute URL');
  });

  it('treats a blank variable as unset and falls back to its default', () => {
    // Act
    const settings = readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_CLIENT_ID: '  ', INTROSPECTION_CACHE_TTL_SECONDS: '', JWKS_COOLDOWN_SECONDS: '  ' }, ROUTES);

    // Assess
    expect(settings.clientId).toBe('service-b');
    expect(settings.introspectionCacheTtlSeconds).toBe(60);
    expect(settings.jwksCooldownSeconds).toBe(30);
  });

  it.each(['SERVICE_NAME', 'CLIENT_SECRET_ID', 'KEYCLOAK_URL', 'KEYCLOAK_REALM'])('names the missing required variable %s', (name) => {
    // Prepare
    const env: Env = { ...AUTHORIZER_ENV, [name]: undefined };

    // Act
    const error = configErrorOf(() => readAuthorizerSettings(env, ROUTES));

    // Assess
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(`Environment variable ${name} is required`);
  });

  it('names SERVICE_NAME and lists the services when it is not a known service', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, SERVICE_NAME: 'service-z' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable SERVICE_NAME must be one of service-b, service-c');
  });

  // Regression test: this failed before the fix found while writing these tests.
  it('rejects a SERVICE_NAME that is an Object.prototype member such as toString', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, SERVICE_NAME: 'toString' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable SERVICE_NAME must be one of service-b, service-c');
  });

  it.each(['0', '-5', '2.5', 'ten', '12abc'])('names the variable when a positive integer is malformed (%s)', (value) => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, INTROSPECTION_CACHE_TTL_SECONDS: value }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable INTROSPECTION_CACHE_TTL_SECONDS must be an integer from 1 to 3600');
  });

  it('accepts the upper bound of a range (a JWKS cooldown of an hour)', () => {
    // Act
    const settings = readAuthorizerSettings({ ...AUTHORIZER_ENV, JWKS_COOLDOWN_SECONDS: '3600' }, ROUTES);

    // Assess
    expect(settings.jwksCooldownSeconds).toBe(3600);
  });

  it('accepts a clock tolerance of zero', () => {
    // Act
    const settings = readAuthorizerSettings({ ...AUTHORIZER_ENV, JWT_CLOCK_TOLERANCE_SECONDS: '0' }, ROUTES);

    // Assess
    expect(settings.clockToleranceSeconds).toBe(0);
  });

  it('names JWT_CLOCK_TOLERANCE_SECONDS when it is negative', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, JWT_CLOCK_TOLERANCE_SECONDS: '-1' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable JWT_CLOCK_TOLERANCE_SECONDS must be an integer from 0 to 60');
  });

  it.each(['introspection', 'jwt', 'jwt+introspection'] as const)('accepts AUTH_MODE %s', (mode) => {
    // Act
    const settings = readAuthorizerSettings({ ...AUTHORIZER_ENV, AUTH_MODE: mode }, ROUTES);

    // Assess
    expect(settings.mode).toBe(mode);
  });

  it('names AUTH_MODE and lists the modes when it is unknown', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, AUTH_MODE: 'none' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable AUTH_MODE must be one of introspection, jwt, jwt+introspection');
  });

  it('names KEYCLOAK_URL when it has no scheme', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_URL: '127.0.0.1:8080/x' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable KEYCLOAK_URL must be an absolute URL');
  });

  it('names KEYCLOAK_URL when a host:port is mistaken for a scheme', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_URL: 'localhost:8080' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable KEYCLOAK_URL must be an http(s) URL');
  });

  it('names KEYCLOAK_URL when it is a relative path', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_URL: '/realms' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable KEYCLOAK_URL must be an absolute URL');
  });

  it.each(['KEYCLOAK_URL', 'KEYCLOAK_BACKCHANNEL_URL'])('refuses %s over plain http to a host that is not loopback', (name) => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, [name]: 'http://sso.example.com' }, ROUTES));

    // Assess
    expect(error.message).toBe(`Environment variable ${name} must be an https: URL (plain http: is accepted for loopback hosts only)`);
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080'])('accepts plain http to the loopback host of a local run (%s)', (url) => {
    // Act
    const settings = readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_URL: url }, ROUTES);

    // Assess
    expect(settings.keycloak.baseUrl).toBe(url);
  });

  it('names KEYCLOAK_URL when its scheme is not http or https', () => {
    // Act
    const error = configErrorOf(() => readAuthorizerSettings({ ...AUTHORIZER_ENV, KEYCLOAK_URL: 'ftp://keycloak.example.com' }, ROUTES));

    // Assess
    expect(error.message).toBe('Environment variable KEYCLOAK_URL must be an http(s) URL');
  });
});

describe('readCallerSettings', () => {
  it('reads the downstream URL from the variable it is told and applies the documented defaults', () => {
    // Act
    const settings = readCallerSettings(CALLER_ENV, { 'service-c': 'SERVICE_C_URL' });

    // Assess
    expect(settings).toMatchObject({
      service: 'service-b',
      downstreamUrls: { 'service-c': 'http://127.0.0.1:3000/dev' },
      downstreamTimeoutMs: 5000,
      tokenExpirySkewSeconds: 30,
      tokenCacheMaxEntries: 1000,
    });
  });

  it('reads the caller-specific variables that are set', () => {
    // Prepare
    const env: Env = {
      ...CALLER_ENV,
      SERVICE_C_URL: 'https://api.example.com/prod/',
      DOWNSTREAM_TIMEOUT_MS: '2500',
      TOKEN_EXPIRY_SKEW_SECONDS: '10',
      TOKEN_CACHE_MAX_ENTRIES: '20',
    };

    // Act
    const settings = readCallerSettings(env, { 'service-c': 'SERVICE_C_URL' });

    // Assess
    expect(settings).toMatchObject({
      downstreamUrls: { 'service-c': 'https://api.example.com/prod' },
      downstreamTimeoutMs: 2500,
      tokenExpirySkewSeconds: 10,
      tokenCacheMaxEntries: 20,
    });
  });

  it('refuses a caller that names no downstream service', () => {
    // Act
    const error = configErrorOf(() => readCallerSettings(CALLER_ENV, {}));

    // Assess
    expect(error.message).toBe('downstream must name at least one service and its URL variable');
  });

  it('names the missing downstream variable', () => {
    // Prepare
    const env: Env = { ...CALLER_ENV, SERVICE_NAME: 'service-a' };

    // Act
    const error = configErrorOf(() => readCallerSettings(env, { 'service-c': 'SERVICE_B_URL' }));

    // Assess
    expect(error.message).toBe('Environment variable SERVICE_B_URL is required');
  });

  it('names TOKEN_EXPIRY_SKEW_SECONDS when it is malformed', () => {
    // Act
    const error = configErrorOf(() => readCallerSettings({ ...CALLER_ENV, TOKEN_EXPIRY_SKEW_SECONDS: '-1' }, { 'service-c': 'SERVICE_C_URL' }));

    // Assess
    expect(error.message).toBe('Environment variable TOKEN_EXPIRY_SKEW_SECONDS must be an integer from 0 to 3600');
  });
});

describe('readMetricsNamespace', () => {
  it('is KeycloakS2S when POWERTOOLS_METRICS_NAMESPACE is unset or blank', () => {
    // Assess
    expect(readMetricsNamespace({})).toBe('KeycloakS2S');
    expect(readMetricsNamespace({ POWERTOOLS_METRICS_NAMESPACE: '  ' })).toBe('KeycloakS2S');
  });

  it('reads POWERTOOLS_METRICS_NAMESPACE', () => {
    // Assess
    expect(readMetricsNamespace({ POWERTOOLS_METRICS_NAMESPACE: 'Team/Orders' })).toBe('Team/Orders');
  });

  it('names the variable when the namespace holds a character CloudWatch refuses', () => {
    // Act
    const error = configErrorOf(() => readMetricsNamespace({ POWERTOOLS_METRICS_NAMESPACE: 'my namespace' }));

    // Assess
    expect(error.message).toContain('POWERTOOLS_METRICS_NAMESPACE');
  });
});
