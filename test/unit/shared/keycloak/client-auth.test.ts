import { describe, expect, it } from 'vitest';
import { publicClient, clientSecretBasic } from 'keycloak-lambda-s2s';

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
