import { describe, expect, it } from 'vitest';
import { ConfigError, createKeycloakClient, createTokenAuthority, type ServiceIdentity } from 'keycloak-lambda-s2s';
import { thrownBy } from '../helpers/errors';

describe('createKeycloakClient options', () => {
  it.each([
    ['plain http to a host that is not loopback', { baseUrl: 'http://sso.example.com', realm: 'r' }, 'baseUrl must be an https: URL (plain http: is accepted for loopback hosts only)'],
    ['a back channel over plain http', { baseUrl: 'https://sso.example.com', backchannelUrl: 'http://10.0.0.5:8080', realm: 'r' }, 'backchannelUrl must be an https: URL (plain http: is accepted for loopback hosts only)'],
    ['a relative URL', { baseUrl: '/auth', realm: 'r' }, 'baseUrl must be an absolute URL'],
    ['another scheme', { baseUrl: 'ftp://sso.example.com', realm: 'r' }, 'baseUrl must be an http(s) URL'],
    ['an empty realm', { baseUrl: 'https://sso.example.com', realm: ' ' }, 'realm must be a non-empty string'],
    ['a timeout of zero', { baseUrl: 'https://sso.example.com', realm: 'r', timeoutMs: 0 }, 'timeoutMs must be an integer from 1 to 30000'],
    ['a timeout of ten minutes', { baseUrl: 'https://sso.example.com', realm: 'r', timeoutMs: 600_000 }, 'timeoutMs must be an integer from 1 to 30000'],
    ['a timeout just past the bound', { baseUrl: 'https://sso.example.com', realm: 'r', timeoutMs: 30_001 }, 'timeoutMs must be an integer from 1 to 30000'],
    ['an empty base URL', { baseUrl: '', realm: 'r' }, 'baseUrl must be a non-empty string'],
    ['a base URL of blanks', { baseUrl: '  ', realm: 'r' }, 'baseUrl must be a non-empty string'],
    ['a base URL that is not a string', { baseUrl: 42, realm: 'r' }, 'baseUrl must be a non-empty string'],
  ])('refuses %s when it is created, naming the field', (_, options, message) => {
    // Act
    const error = thrownBy(() => createKeycloakClient(options as Parameters<typeof createKeycloakClient>[0]));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
  });

  it('accepts plain http to a loopback host (a local run), and to any host when the caller vouches for the network', () => {
    // Act
    const local = createKeycloakClient({ baseUrl: 'http://127.0.0.1:8080/', realm: 'r' });
    const vouched = createKeycloakClient({ baseUrl: 'http://keycloak.internal', realm: 'r', allowInsecureHttp: true });

    // Assess
    expect(local.issuer).toBe('http://127.0.0.1:8080/realms/r');
    expect(createKeycloakClient({ baseUrl: ' https://sso.example.com/ ', realm: 'r' }).issuer).toBe('https://sso.example.com/realms/r');
    expect(vouched.issuer).toBe('http://keycloak.internal/realms/r');
  });
});

describe('createTokenAuthority options', () => {
  const identity = { clientId: 'inventory' } as unknown as ServiceIdentity;
  const base = { identity, mode: 'introspection' as const, issuer: 'https://sso.example.com/realms/r', cacheTtlSeconds: 60, cacheMaxEntries: 100 };

  it('accepts the bounds of each range', () => {
    // Act
    const build = () => {
      createTokenAuthority({ ...base, cacheTtlSeconds: 1, cacheMaxEntries: 1 });
      createTokenAuthority({ ...base, cacheTtlSeconds: 3600, cacheMaxEntries: 1_000_000 });
    };

    // Assess
    expect(build).not.toThrow();
  });

  it.each([
    ['an unknown mode', { mode: 'none' }, 'mode must be one of introspection, jwt, jwt+introspection'],
    ['no issuer', { issuer: '' }, 'issuer is required'],
    ['a cache cap of zero', { cacheTtlSeconds: 0 }, 'cacheTtlSeconds must be an integer from 1 to 3600'],
    ['a cache cap beyond an hour', { cacheTtlSeconds: 7200 }, 'cacheTtlSeconds must be an integer from 1 to 3600'],
    ['a fractional cache size', { cacheMaxEntries: 1.5 }, 'cacheMaxEntries must be an integer from 1 to 1000000'],
  ])('refuses %s when it is created, naming the field', (_, override, message) => {
    // Act
    const error = thrownBy(() => createTokenAuthority({ ...base, ...override } as never));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
  });
});
