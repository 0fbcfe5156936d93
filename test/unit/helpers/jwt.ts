import { SignJWT, generateKeyPair, type JWTPayload } from 'jose';

/** The `kid` of the test signing key. */
export const TEST_KID = 'unit-test-key';

let keyPair: ReturnType<typeof generateKeyPair> | undefined;

/** A JWT signed with RS256 by a key generated once per test file, as Keycloak would issue it. */
export async function signJwt(claims: JWTPayload): Promise<string> {
  keyPair ??= generateKeyPair('RS256');
  const { privateKey } = await keyPair;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: TEST_KID, typ: 'JWT' }).sign(privateKey);
}

/** A JWT-shaped string whose signature is not a signature: enough for code that only decodes. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: TEST_KID, typ: 'JWT' })}.${part(claims)}.bm90LWEtc2lnbmF0dXJl`;
}
