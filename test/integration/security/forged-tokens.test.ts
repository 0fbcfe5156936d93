import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COMPUTE,
  ORDER,
  b64url,
  expectRefused,
  lookAlikeClaims,
  partsOf,
  realmPublicKeyPem,
  realmSigningKey,
  signWithForeignKey,
  withoutIntrospection,
} from '../helpers/attack';
import { api, clientToken, exchangedToken, issuer } from '../helpers/stack';

// Hand-made and tampered JWTs. Each one is refused with 401 by the authorizer's local check
// (signature against the realm's JWKS, algorithm allow-list, claims) without asking Keycloak to
// introspect: a flood of forgeries costs Keycloak nothing.

let real: string; // A's real token for B
let realForC: string; // the token B obtains for C
let kid: string;
let publicKeyPem: string;

beforeAll(async () => {
  real = await clientToken('service-a');
  realForC = await exchangedToken('service-b', real, 'service-c');
  kid = (await realmSigningKey()).kid;
  publicKeyPem = await realmPublicKeyPem();
  // Warm B's authorizer (JWKS cached), so that what follows measures the verdicts only.
  expectRefused(await api('POST', '/api/process', { token: 'warm.up.call', body: ORDER }), 401);
});

/** `header.payload.signature` of raw segments. */
const jws = (header: unknown, payload: unknown, signature = '') => `${b64url(header)}.${b64url(payload)}.${signature}`;

/** An HS256 signature of `header.payload` with `secret` (the alg-confusion attack). */
function hs256(header: unknown, payload: unknown, secret: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const cases: [string, () => Promise<string> | string][] = [
  // Shape
  ['two segments', () => real.split('.').slice(0, 2).join('.')],
  ['four segments', () => `${real}.AAAA`],
  ['five segments (a JWE shape)', () => `${real}.AAAA.BBBB`],
  ['a header that is not base64url', () => `@@@@.${real.split('.')[1]}.${real.split('.')[2]}`],
  ['a header that is not JSON', () => `${b64url('not json')}.${real.split('.')[1]}.${real.split('.')[2]}`],
  ['a payload that is not JSON', () => `${real.split('.')[0]}.${b64url('{"iss":')}.${real.split('.')[2]}`],
  ['a payload that is a JSON array', () => `${real.split('.')[0]}.${b64url([1, 2])}.${real.split('.')[2]}`],
  // Algorithm
  ['alg none with the real payload and no signature', () => jws({ alg: 'none', typ: 'JWT' }, partsOf(real).payload)],
  ['alg "None" with the real payload', () => jws({ alg: 'None', typ: 'JWT' }, partsOf(real).payload)],
  ['alg none keeping the real signature', () => jws({ alg: 'none', kid }, partsOf(real).payload, partsOf(real).signature)],
  ['HS256 signed with the realm’s public key (PEM) under its kid', () => hs256({ alg: 'HS256', kid }, lookAlikeClaims(), publicKeyPem)],
  ['HS256 signed with the realm’s public key (DER) under its kid', () =>
    hs256({ alg: 'HS256', kid }, lookAlikeClaims(), Buffer.from(publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))],
  ['the real token with its header switched to RS512', () => `${b64url({ ...partsOf(real).header, alg: 'RS512' })}.${real.split('.')[1]}.${real.split('.')[2]}`],
  // Keys
  ['a look-alike signed by another key under the realm’s kid', () => signWithForeignKey(lookAlikeClaims(), { kid })],
  ['a look-alike signed by another key under an unknown kid', () => signWithForeignKey(lookAlikeClaims(), { kid: 'attacker-key' })],
  ['a look-alike carrying its own public key in a jwk header', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    return new SignJWT(lookAlikeClaims()).setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(publicKey) }).sign(privateKey);
  }],
  ['a look-alike pointing at the attacker’s key set (jku)', () => signWithForeignKey(lookAlikeClaims(), { kid, jku: 'http://127.0.0.1:9/certs' })],
  ['a look-alike whose kid is a path traversal', () => signWithForeignKey(lookAlikeClaims(), { kid: '../../../../dev/null' })],
  // Tampering
  ['the real token with its signature stripped', () => `${real.split('.').slice(0, 2).join('.')}.`],
  ['the real token with a flipped signature byte', () => {
    const signature = Buffer.from(partsOf(real).signature, 'base64url');
    signature[10] = (signature[10] ?? 0) ^ 0xff;
    return `${real.split('.').slice(0, 2).join('.')}.${signature.toString('base64url')}`;
  }],
  ['the real token with a role added to its payload', () => {
    const { payload } = partsOf(real);
    const tampered = { ...payload, resource_access: { 'service-b': { roles: ['orders.approve', 'inventory.adjust', 'admin'] } } };
    return `${real.split('.')[0]}.${b64url(tampered)}.${partsOf(real).signature}`;
  }],
  ['the real token with its expiry pushed a year ahead', () => {
    const { payload } = partsOf(real);
    return `${real.split('.')[0]}.${b64url({ ...payload, exp: (payload.exp ?? 0) + 31_536_000 })}.${partsOf(real).signature}`;
  }],
  // Claims (signed by another key: the claim checks are behind the signature check, and unit-tested)
  ['a look-alike that expired an hour ago', () => signWithForeignKey(lookAlikeClaims({ exp: Math.floor(Date.now() / 1000) - 3600 }), { kid })],
  ['a look-alike not valid before tomorrow (nbf)', () => signWithForeignKey(lookAlikeClaims({ nbf: Math.floor(Date.now() / 1000) + 86_400 }), { kid })],
  ['a look-alike of another issuer', () => signWithForeignKey(lookAlikeClaims({ iss: `${issuer}-evil` }), { kid })],
  ['a look-alike of the same realm reached by another host name', () =>
    signWithForeignKey(lookAlikeClaims({ iss: issuer.replace('127.0.0.1', 'localhost') }), { kid })],
  ['a look-alike with typ Refresh', () => signWithForeignKey(lookAlikeClaims({ typ: 'Refresh' }), { kid })],
];

describe('a forged or tampered token at B', () => {
  it('is measured against the real token, which B accepts (control)', async () => {
    const answer = await api('POST', '/api/process', { token: real, body: ORDER });

    expect(answer.status).toBe(200);
  });

  it.each(cases)('is refused with 401 without an introspection: %s', async (_name, make) => {
    const token = await make();

    await withoutIntrospection(async () => expectRefused(await api('POST', '/api/process', { token, body: ORDER }), 401, token, real));
  });
});

describe('a tampered token at C', () => {
  it('is refused with 401 when B’s token for C has its audience rewritten to name C and B', async () => {
    const { payload } = partsOf(realForC);
    const token = `${realForC.split('.')[0]}.${b64url({ ...payload, aud: ['service-c', 'service-b'] })}.${partsOf(realForC).signature}`;

    await withoutIntrospection(async () => expectRefused(await api('POST', '/api/compute', { token, body: COMPUTE }), 401, token, realForC));
  });

  it('is refused with 401 when A’s token has its audience rewritten to C', async () => {
    const { payload } = partsOf(real);
    const token = `${real.split('.')[0]}.${b64url({ ...payload, aud: 'service-c' })}.${partsOf(real).signature}`;

    await withoutIntrospection(async () => expectRefused(await api('POST', '/api/compute', { token, body: COMPUTE }), 401, token, real));
  });
});
