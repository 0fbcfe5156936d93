import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { audiences, authMethodOf, credentialsFromSecret, decodeClaims, formatExpiry, postForm, redactTokens, summarizeClaims } from '../../../../scripts/lib/oidc.mjs';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (payload: Record<string, unknown>) => `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(payload)}.c2lnbmF0dXJl`;

describe('redactTokens', () => {
  it('replaces every JWT-shaped string and leaves the rest of the text alone', () => {
    const token = jwt({ sub: 'x' });

    expect(redactTokens(`first ${token} then "${token}".`)).toBe('first <token redacted> then "<token redacted>".');
  });

  it('leaves text without a token unchanged', () => {
    expect(redactTokens('aud service-b, sub 4be7032c-6162-4dbe-8af6-b7540fb721c5')).toBe('aud service-b, sub 4be7032c-6162-4dbe-8af6-b7540fb721c5');
  });
});

describe('decodeClaims', () => {
  it('returns the payload of a JWT', () => {
    expect(decodeClaims(jwt({ sub: 'alice', aud: 'service-a' }))).toEqual({ sub: 'alice', aud: 'service-a' });
  });

  it('throws on something that is not a JWT', () => {
    expect(() => decodeClaims('opaque')).toThrow('not a JWT');
  });
});

describe('audiences', () => {
  it.each([
    ['service-b', ['service-b']],
    [['service-b', 'service-c', 7], ['service-b', 'service-c']],
    [undefined, []],
  ])('reads %j as %j', (aud, expected) => {
    expect(audiences(aud)).toEqual(expected);
  });
});

describe('summarizeClaims', () => {
  it('keeps who, for whom, which roles and until when', () => {
    const summary = summarizeClaims(
      {
        iss: 'http://127.0.0.1:8080/realms/microservices',
        sub: 'u-1',
        azp: 'service-b',
        aud: 'service-c',
        exp: 1_000_300,
        scope: '',
        resource_access: { 'service-c': { roles: ['analytics.run'] }, 'service-x': { roles: [] } },
        realm_access: { roles: ['offline_access'] },
      },
      1_000_000,
    );

    expect(summary).toEqual({
      iss: 'http://127.0.0.1:8080/realms/microservices',
      sub: 'u-1',
      azp: 'service-b',
      aud: ['service-c'],
      roles: ['service-c: analytics.run', 'realm: offline_access'],
      scope: '',
      exp: 1_000_300,
      expiresInSeconds: 300,
    });
  });

  it('falls back to client_id for the client, as introspection answers name it', () => {
    expect(summarizeClaims({ client_id: 'service-a' }, 0).azp).toBe('service-a');
  });
});

describe('formatExpiry', () => {
  it('gives the instant without milliseconds and the time left', () => {
    expect(formatExpiry(1_795_627_726, 300)).toBe('2026-11-25T17:28:46Z (in 300 s)');
  });

  it('says how long ago an expired token expired', () => {
    expect(formatExpiry(1_795_627_726, -5)).toBe('2026-11-25T17:28:46Z (expired 5 s ago)');
  });
});

describe('postForm (through the library transport)', () => {
  it('signs a client assertion for credentials with a private key: aud = the realm issuer of the URL, no Authorization header', async () => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateKeyJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'b-dev' };
    let seen: { headers: Headers; body: URLSearchParams } | undefined;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      seen = { headers: new Headers(init.headers), body: new URLSearchParams(String(init.body)) };
      return new Response('{"active":false}', { status: 200 });
    }) as unknown as typeof fetch;

    // Act
    await postForm('https://kc/realms/r/protocol/openid-connect/token/introspect', { token: 't' }, { clientId: 'service-b', privateKeyJwk }, { fetch: fakeFetch });

    // Assess
    expect(seen?.headers.get('authorization')).toBeNull();
    expect(seen?.body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const { payload, protectedHeader } = await jwtVerify(seen?.body.get('client_assertion') ?? '', publicKey, { audience: 'https://kc/realms/r' });
    expect(payload).toMatchObject({ iss: 'service-b', sub: 'service-b' });
    expect(protectedHeader.kid).toBe('b-dev');
  });

  it("sends the client credentials as the library does: HTTP Basic, form-encoded (a space is '+'), never in the body", async () => {
    let seen: { headers: Headers; body: string; redirect: RequestInit['redirect'] } | undefined;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      seen = { headers: new Headers(init.headers), body: String(init.body), redirect: init.redirect };
      return new Response('{"active":true}', { status: 200 });
    }) as unknown as typeof fetch;

    const answer = await postForm('https://kc/introspect', { token: 't' }, { clientId: 'service b', clientSecret: 's:1' }, { fetch: fakeFetch });

    expect(answer).toEqual({ status: 200, body: { active: true } });
    expect(seen?.headers.get('authorization')).toBe(`Basic ${Buffer.from('service+b:s%3A1').toString('base64')}`);
    expect(seen?.body).toBe('token=t');
    expect(seen?.redirect).toBe('manual');
  });

  it('sends a public client as its client_id in the body, with no Authorization header', async () => {
    let seen: { headers: Headers; body: string } | undefined;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      seen = { headers: new Headers(init.headers), body: String(init.body) };
      return new Response('{"access_token":"x"}', { status: 200 });
    }) as unknown as typeof fetch;

    await postForm('https://kc/token', { grant_type: 'password' }, { publicClientId: 'demo-cli' }, { fetch: fakeFetch });

    expect(seen?.headers.get('authorization')).toBeNull();
    expect(new URLSearchParams(seen?.body).get('client_id')).toBe('demo-cli');
  });

  it("turns a failure the library throws (a 502 with HTML) into an answer with the library's code", async () => {
    const fakeFetch = (async () => new Response('<html>bad gateway</html>', { status: 502 })) as unknown as typeof fetch;

    const answer = await postForm('https://kc/token', {}, undefined, { fetch: fakeFetch });

    expect(answer).toEqual({ status: 0, body: { error: 'KEYCLOAK_UNAVAILABLE', error_description: 'Keycloak answered HTTP 502' } });
  });

  it('reads an empty 200 (a revocation) as an empty answer', async () => {
    const fakeFetch = (async () => new Response('', { status: 200 })) as unknown as typeof fetch;

    const answer = await postForm('https://kc/revoke', { token: 't' }, { clientId: 'a', clientSecret: 'b' }, { fetch: fakeFetch });

    expect(answer).toEqual({ status: 200, body: {} });
  });
});

describe('credentialsFromSecret (a Secrets Manager value read by the library, as the functions read it)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyValue = JSON.stringify({ client_id: 'service-b', client_auth: 'private_key_jwt', private_key_jwk: { ...privateKey.export({ format: 'jwk' }), kid: 'b-1' } });

  it('gives a client secret for a value without client_auth, and a signing key for a private_key_jwt value', () => {
    // Act
    const secret = credentialsFromSecret('s/a', 'service-a', JSON.stringify({ client_id: 'service-a', client_secret: 'x' }));
    const signing = credentialsFromSecret('s/b', 'service-b', keyValue);

    // Assess
    expect(secret).toEqual({ clientId: 'service-a', clientSecret: 'x' });
    expect(authMethodOf(secret)).toBe('client_secret_basic');
    expect(signing).toMatchObject({ clientId: 'service-b', kid: 'b-1', alg: 'ES256' });
    expect(authMethodOf(signing)).toBe('private_key_jwt');
  });

  it('signs with the key it read: aud = the realm issuer, kid from the secret', async () => {
    // Prepare
    let body: URLSearchParams | undefined;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      body = new URLSearchParams(String(init.body));
      return new Response('{}', { status: 200 });
    }) as unknown as typeof fetch;

    // Act
    await postForm('https://kc/realms/r/protocol/openid-connect/token', {}, credentialsFromSecret('s/b', 'service-b', keyValue), { fetch: fakeFetch });

    // Assess
    const { protectedHeader } = await jwtVerify(body?.get('client_assertion') ?? '', publicKey, { audience: 'https://kc/realms/r', issuer: 'service-b' });
    expect(protectedHeader.kid).toBe('b-1');
  });

  it("throws the library's one-sentence SecretInvalidError naming the field, never the value", () => {
    const noKid = JSON.stringify({ client_id: 'service-b', client_auth: 'private_key_jwt', private_key_jwk: privateKey.export({ format: 'jwk' }) });

    expect(() => credentialsFromSecret('s/b', 'service-b', noKid)).toThrow(/^Secret "s\/b" is invalid: kid is missing/);
    expect(() => credentialsFromSecret('s/b', 'service-b', '{"client_secret":"leak')).toThrow('Secret "s/b" is invalid: the value is not JSON');
  });
});
