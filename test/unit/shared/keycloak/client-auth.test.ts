import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  clientSecretBasic,
  privateKeyJwt,
  publicClient,
  type ClientAuth,
  type PrivateKeyJwtOptions,
} from 'keycloak-lambda-s2s';

function applied(clientId: string, secret: string): { headers: Headers; body: URLSearchParams } {
  const headers = new Headers();
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  clientSecretBasic(clientId, secret).apply(headers, body);
  return { headers, body };
}

describe('clientSecretBasic', () => {
  it('sets HTTP Basic with base64(client_id:client_secret)', () => {
    // Act
    const { headers } = applied('service-b', 's3cret');

    // Assess
    expect(headers.get('authorization')).toBe(`Basic ${Buffer.from('service-b:s3cret').toString('base64')}`);
  });

  it('form-encodes the id and secret before joining them (RFC 6749 section 2.3.1)', () => {
    // Act
    const { headers } = applied('svc:b', 'a b+c:d/é');

    // Assess
    const decoded = Buffer.from((headers.get('authorization') ?? '').replace(/^Basic /, ''), 'base64').toString();
    expect(decoded).toBe('svc%3Ab:a+b%2Bc%3Ad%2F%C3%A9');
  });

  it('leaves the form body alone, so the secret is not sent twice', () => {
    // Act
    const { body } = applied('service-b', 's3cret');

    // Assess
    expect(body.toString()).toBe('grant_type=client_credentials');
  });

  it('exposes the client id', () => {
    // Act
    const auth = clientSecretBasic('service-c', 'x');

    // Assess
    expect(auth.clientId).toBe('service-c');
  });

  it('does not reveal the secret when serialised or inspected', () => {
    // Prepare
    const auth = clientSecretBasic('service-c', 'TOP-SECRET-VALUE');

    // Act
    const serialised = `${JSON.stringify(auth)} ${Object.values(auth).map(String).join(' ')}`;

    // Assess
    expect(serialised).not.toContain('TOP-SECRET-VALUE');
    expect(serialised).not.toContain(Buffer.from('service-c:TOP-SECRET-VALUE').toString('base64'));
  });
});

describe('publicClient', () => {
  it('puts only the client_id in the form body and no Authorization header', () => {
    // Prepare
    const headers = new Headers();
    const body = new URLSearchParams({ grant_type: 'password' });

    // Act
    publicClient('demo-cli').apply(headers, body);

    // Assess
    expect(headers.get('authorization')).toBeNull();
    expect(body.get('client_id')).toBe('demo-cli');
    expect(publicClient('demo-cli').clientId).toBe('demo-cli');
  });
});

const AUDIENCE = 'http://127.0.0.1:8080/realms/microservices';
const FROZEN_MS = 1_800_000_000_000;

async function assertionOf(auth: ClientAuth): Promise<{ headers: Headers; body: URLSearchParams; assertion: string }> {
  const headers = new Headers();
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  await auth.apply(headers, body);
  return { headers, body, assertion: body.get('client_assertion') ?? '' };
}

describe('privateKeyJwt', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  function es256(options: Partial<PrivateKeyJwtOptions> = {}): ClientAuth {
    return privateKeyJwt('service-b', ec.privateKey, { kid: 'b-1', alg: 'ES256', audience: AUDIENCE, now: () => FROZEN_MS, ...options });
  }

  it('sends a jwt-bearer client assertion and the client id in the form, and no Authorization header', async () => {
    // Act
    const { headers, body } = await assertionOf(es256());

    // Assess
    expect(headers.get('authorization')).toBeNull();
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(body.get('client_id')).toBe('service-b');
    expect(body.get('grant_type')).toBe('client_credentials');
  });

  it('signs an assertion the public key verifies, with iss = sub = client id, aud = the issuer, iat, exp 60 s later and a jti', async () => {
    // Act
    const { assertion } = await assertionOf(es256());

    // Assess
    const { payload, protectedHeader } = await jwtVerify(assertion, ec.publicKey, {
      algorithms: ['ES256'],
      currentDate: new Date(FROZEN_MS),
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'b-1', typ: 'JWT' });
    expect(payload).toEqual({
      iss: 'service-b',
      sub: 'service-b',
      aud: AUDIENCE,
      iat: FROZEN_MS / 1000,
      exp: FROZEN_MS / 1000 + 60,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('makes a new assertion with a new jti for every request', async () => {
    // Prepare
    const auth = es256();

    // Act
    const first = await assertionOf(auth);
    const second = await assertionOf(auth);

    // Assess
    expect(decodeJwt(first.assertion).jti).not.toBe(decodeJwt(second.assertion).jti);
    expect(first.assertion).not.toBe(second.assertion);
  });

  it('signs RS256 with an RSA key', async () => {
    // Prepare
    const auth = privateKeyJwt('service-b', rsa.privateKey, { kid: 'b-rsa', alg: 'RS256', audience: AUDIENCE, now: () => FROZEN_MS });

    // Act
    const { assertion } = await assertionOf(auth);

    // Assess
    const { protectedHeader } = await jwtVerify(assertion, rsa.publicKey, { algorithms: ['RS256'], currentDate: new Date(FROZEN_MS) });
    expect(protectedHeader.alg).toBe('RS256');
  });

  it('shortens the lifetime when asked', async () => {
    // Act
    const { assertion } = await assertionOf(es256({ lifetimeSeconds: 10 }));

    // Assess
    const { exp, iat } = decodeJwt(assertion);
    expect((exp ?? 0) - (iat ?? 0)).toBe(10);
  });

  it('is not verified by another key', async () => {
    // Prepare
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { assertion } = await assertionOf(es256());

    // Act
    const verifying = jwtVerify(assertion, other.publicKey, { algorithms: ['ES256'], currentDate: new Date(FROZEN_MS) });

    // Assess
    await expect(verifying).rejects.toThrow(/signature verification failed/);
  });

  it.each([
    ['kid', { kid: '' }, 'kid must be a non-empty string'],
    ['audience', { audience: ' ' }, 'audience must be a non-empty string'],
    ['lifetimeSeconds', { lifetimeSeconds: 61 }, 'lifetimeSeconds must be an integer from 1 to 60'],
    ['alg', { alg: 'HS256' as 'ES256' }, 'alg must be one of ES256, RS256'],
    ['alg (key of the other type)', { alg: 'RS256' as const }, 'key must be an RSA private key of at least 2048 bits for RS256'],
  ])('names %s when it is invalid', (_field, options, message) => {
    // Act
    const building = () => es256(options);

    // Assess
    expect(building).toThrow(new ConfigError(message));
  });

  it('refuses a public key, an RSA key under 2048 bits and an EC key on another curve', () => {
    // Prepare
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });

    // Act
    const attempts = [
      () => privateKeyJwt('service-b', ec.publicKey, { kid: 'k', alg: 'ES256', audience: AUDIENCE }),
      () => privateKeyJwt('service-b', small.privateKey, { kid: 'k', alg: 'RS256', audience: AUDIENCE }),
      () => privateKeyJwt('service-b', p384.privateKey, { kid: 'k', alg: 'ES256', audience: AUDIENCE }),
    ];

    // Assess
    expect(attempts[0]).toThrow('key must be a private key');
    expect(attempts[1]).toThrow('key must be an RSA private key of at least 2048 bits for RS256');
    expect(attempts[2]).toThrow('key must be an EC P-256 private key for ES256');
  });

  it('refuses an RSA-PSS key for RS256, however long', () => {
    // Prepare
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });

    // Act
    const building = () => privateKeyJwt('service-b', pss.privateKey, { kid: 'k', alg: 'RS256', audience: AUDIENCE });

    // Assess
    expect(building).toThrow(new ConfigError('key must be an RSA private key of at least 2048 bits for RS256'));
  });

  it('names clientId when it is empty', () => {
    // Act
    const building = () => privateKeyJwt('', ec.privateKey, { kid: 'k', alg: 'ES256', audience: AUDIENCE });

    // Assess
    expect(building).toThrow(new ConfigError('clientId must be a non-empty string'));
  });

  it('signs with a Web Crypto private key as well', async () => {
    // Prepare
    const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const auth = privateKeyJwt('service-b', pair.privateKey, { kid: 'b-1', alg: 'ES256', audience: AUDIENCE, now: () => FROZEN_MS });

    // Act
    const { assertion } = await assertionOf(auth);

    // Assess
    const { payload } = await jwtVerify(assertion, pair.publicKey, { audience: AUDIENCE, issuer: 'service-b', currentDate: new Date(FROZEN_MS) });
    expect(payload.sub).toBe('service-b');
  });

  it('refuses a value that is not a key', () => {
    // Act
    const building = () => privateKeyJwt('service-b', 'not a key' as never, { kid: 'k', alg: 'ES256', audience: AUDIENCE });

    // Assess
    expect(building).toThrow(new ConfigError('key must be a private key'));
  });

  it('does not reveal the key when serialised or inspected', () => {
    // Prepare
    const auth = es256();
    const d = String(ec.privateKey.export({ format: 'jwk' }).d);

    // Act
    const serialised = `${JSON.stringify(auth)} ${Object.values(auth).map(String).join(' ')}`;

    // Assess
    expect(serialised).not.toContain(d);
    expect(Object.keys(auth).sort()).toEqual(['apply', 'clientId']);
  });
});
