import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';

/** The `kid` of the test signing key. */
export const TEST_KID = 'unit-test-key';

let keyPair: ReturnType<typeof generateKeyPair> | undefined;

function keys(): ReturnType<typeof generateKeyPair> {
  keyPair ??= generateKeyPair('RS256', { extractable: true });
  return keyPair;
}

/** The realm's RS256 key pair (published under {@link TEST_KID}), for tests that sign a token by hand. */
export function testKeyPair(): ReturnType<typeof generateKeyPair> {
  return keys();
}

/** A JWT signed with RS256 by a key generated once per test file, as Keycloak would issue it. */
export async function signJwt(claims: JWTPayload, header: { kid?: string } = {}): Promise<string> {
  const { privateKey } = await keys();
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid ?? TEST_KID, typ: 'JWT' }).sign(privateKey);
}

/** The realm's JWKS as Keycloak serves it: the signing key, plus an encryption key to skip. */
export async function testJwks(): Promise<{ keys: JWK[] }> {
  const { publicKey } = await keys();
  const jwk = await exportJWK(publicKey);
  return {
    keys: [
      { ...jwk, kid: 'unit-test-encryption-key', use: 'enc', alg: 'RSA-OAEP' },
      { ...jwk, kid: TEST_KID, use: 'sig', alg: 'RS256' },
    ],
  };
}

/** A JWT-shaped string whose signature is not a signature: enough for code that only decodes. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: TEST_KID, typ: 'JWT' })}.${part(claims)}.bm90LWEtc2lnbmF0dXJl`;
}
