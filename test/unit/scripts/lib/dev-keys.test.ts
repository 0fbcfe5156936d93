import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, importJWK, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { devClientKey, signedJwtClients, withDevPublicKeys } from '../../../../scripts/lib/dev-keys.mjs';
import { devKeySecrets, devSecrets } from '../../../../scripts/lib/secrets.mjs';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-keys-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const REALM = {
  realm: 'microservices',
  clients: [
    { clientId: 'service-a', clientAuthenticatorType: 'client-secret', secret: 'dev-a' },
    { clientId: 'service-b', clientAuthenticatorType: 'client-jwt', attributes: { 'standard.token.exchange.enabled': 'true' } },
    { clientId: 'service-c', secret: 'dev-c' },
    { clientId: 'inventory', secret: 'dev-i' },
  ],
};

describe('devClientKey', () => {
  it('makes a P-256 key once per state folder, readable only by its owner, and returns the same key afterwards', () => {
    // Prepare
    const dir = scratch();

    // Act
    const first = devClientKey(dir, 'service-b');
    const again = devClientKey(dir, 'service-b');

    // Assess
    expect(again).toEqual(first);
    expect(first.privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: first.kid, alg: 'ES256' });
    expect(first.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: first.kid, use: 'sig', alg: 'ES256' });
    expect(first.publicJwk).not.toHaveProperty('d');
    expect(statSync(path.join(dir, 'keys', 'service-b.json')).mode & 0o777).toBe(0o600);
  });

  it('gives each state folder its own key', () => {
    // Act
    const one = devClientKey(scratch(), 'service-b');
    const other = devClientKey(scratch(), 'service-b');

    // Assess
    expect(one.kid).not.toBe(other.kid);
  });

  it('pairs the private and the public half: an assertion signed with one verifies with the other', async () => {
    // Prepare
    const { privateJwk, publicJwk } = devClientKey(scratch(), 'service-b');
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256' }).sign(await importJWK(privateJwk, 'ES256'));

    // Act
    const verifying = jwtVerify(assertion, await importJWK(publicJwk, 'ES256'));

    // Assess
    await expect(verifying).resolves.toBeDefined();
  });

  it('refuses a client id that would name a path', () => {
    // Act
    const act = () => devClientKey(scratch(), '../service-b');

    // Assess
    expect(act).toThrow('client id "../service-b" cannot name a key file');
  });
});

describe('withDevPublicKeys', () => {
  it('sets the JWKS of each client-jwt client and leaves the others and the input alone', () => {
    // Prepare
    const dir = scratch();

    // Act
    const realm = withDevPublicKeys(REALM, (clientId) => devClientKey(dir, clientId));

    // Assess
    const b = realm.clients.find((c) => c.clientId === 'service-b') as { attributes: Record<string, string> };
    expect(b.attributes['use.jwks.string']).toBe('true');
    expect(b.attributes['standard.token.exchange.enabled']).toBe('true');
    expect(JSON.parse(b.attributes['jwks.string'] ?? '{}')).toEqual({ keys: [devClientKey(dir, 'service-b').publicJwk] });
    expect(realm.clients.find((c) => c.clientId === 'service-a')).toBe(REALM.clients[0]);
    expect(REALM.clients[1]).not.toHaveProperty(['attributes', 'jwks.string']);
  });

  it('returns a realm without client-jwt clients unchanged', () => {
    // Prepare
    const realm = { clients: [{ clientId: 'service-a', secret: 's' }] };

    // Act
    const result = withDevPublicKeys(realm, () => {
      throw new Error('no key is needed');
    });

    // Assess
    expect(result).toBe(realm);
    expect(signedJwtClients(realm)).toEqual([]);
  });
});

describe('dev secrets seeded into the emulator', () => {
  function configWith(realm: unknown) {
    const dir = scratch();
    const realmFile = path.join(dir, 'realm.json');
    writeFileSync(realmFile, JSON.stringify(realm));
    return { realmFile, stateDir: dir, secretPrefix: 'keycloak-s2s/dev' } as unknown as Parameters<typeof devSecrets>[0];
  }

  it('seeds a client secret for secret clients and the dev private key for client-jwt ones, never both', () => {
    // Prepare
    const config = configWith(REALM);

    // Act
    const secrets = devSecrets(config);
    const keys = devKeySecrets(config);

    // Assess
    expect(secrets.map((s) => s.value.client_id)).toEqual(['service-a', 'service-c', 'inventory']);
    expect(keys).toEqual([
      {
        secretId: 'keycloak-s2s/dev/service-b',
        value: { client_id: 'service-b', client_auth: 'private_key_jwt', private_key_jwk: devClientKey(config.stateDir, 'service-b').privateJwk },
      },
    ]);
    expect(JSON.parse(readFileSync(config.realmFile, 'utf8'))).toEqual(REALM);
  });

  it('is readable by the kit: the seeded key is a P-256 private key with its kid', async () => {
    // Prepare
    const [seeded] = devKeySecrets(configWith(REALM));
    const { parseClientCredentials } = await import('keycloak-lambda-s2s');

    // Act
    const parsed = parseClientCredentials('id', { clientId: 'service-b', method: 'private_key_jwt' }, JSON.stringify(seeded?.value));

    // Assess
    expect(parsed).toMatchObject({ method: 'private_key_jwt', alg: 'ES256', kid: seeded?.value.private_key_jwk.kid });
  });
});
