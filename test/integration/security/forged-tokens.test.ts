import { createHmac } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPUTE,
  ORDER,
  type TrustedSigningKey,
  addTrustedSigningKey,
  b64url,
  expectRefused,
  lookAlikeClaims,
  partsOf,
  realmPublicKeyPem,
  realmSigningKey,
  signWithForeignKey,
  withoutIntrospection,
} from '../helpers/attack';
import { waitForLogLines, offlineLogOffset } from '../helpers/offline-log';
import { api, clientToken, exchangedToken, issuer, sleep } from '../helpers/stack';

// Hand-made and tampered JWTs. Each one is refused with 401 by the authorizer's local check
// (signature against the realm's JWKS, algorithm allow-list, claims) without asking Keycloak to
// introspect: a flood of forgeries costs Keycloak nothing. The claim checks behind the signature
// (expiry, nbf, typ) are exercised with tokens signed by a key the realm trusts, added for this file.

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

/** The code of the one refusal authorizer-b logs after `since` for the request `send` makes. */
async function refusalCodeAtB(send: () => Promise<void>): Promise<unknown> {
  const since = offlineLogOffset();
  await send();
  const lines = await waitForLogLines(
    'authorizer-b refused the token',
    (line) => line.service === 'authorizer-service-b' && line.message === 'unauthorized',
    { since },
  );
  return lines.map((line) => line.code).join(', ');
}

describe('a token refused by the check its name says', () => {
  // A token signed with a key the realm trusts passes the signature check; the control (A's real
  // claims, re-signed) is accepted end to end, so each case below, which differs from it in one
  // claim only, is refused by the check of that claim: the code authorizer-b logs names it, and
  // Keycloak is never asked to introspect.
  let trusted: TrustedSigningKey;
  let resigned: (overrides?: JWTPayload) => Promise<string>;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    trusted = await addTrustedSigningKey();
    resigned = async (overrides = {}) => trusted.sign({ ...partsOf(await clientToken('service-a')).payload, ...overrides });
    // authorizer-b refetches its key set on an unknown kid at most once per JWKS cooldown (30 s):
    // wait until it knows the new key, i.e. until the control is accepted.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await api('POST', '/api/process', { token: await resigned(), body: ORDER });
      if (answer.status === 200) break;
      if (Date.now() > deadline) throw new Error(`authorizer-b never accepted a token of the trusted key: ${answer.status}`);
      await sleep(2000);
    }
  }, 120_000);

  afterAll(async () => {
    await trusted?.remove();
  });

  it('accepts the control: A’s real claims signed by the trusted key, and with a past nbf', async () => {
    for (const token of [await resigned(), await resigned({ nbf: now() - 60 })]) {
      const answer = await api('POST', '/api/process', { token, body: ORDER });

      expect(answer.status).toBe(200);
      expect(answer.body.service_c.result).toBe(20);
    }
  });

  it.each([
    ['expired an hour ago', { iat: -3900, exp: -3600 }, 'TOKEN_EXPIRED'],
    // jose reports a failed nbf as an invalid claim (TOKEN_MALFORMED, as a bad signature is): that this
    // is the nbf check, not the signature, is shown by the control with a past nbf, accepted above.
    ['not valid before tomorrow (nbf)', { nbf: 86_400 }, 'TOKEN_MALFORMED'],
    ['of typ Refresh', { typ: 'Refresh' }, 'TOKEN_WRONG_TYPE'],
    ['of typ ID', { typ: 'ID' }, 'TOKEN_WRONG_TYPE'],
  ] as const)('refuses with 401, without an introspection, a token signed by the trusted key that is %s', async (_name, offsets, code) => {
    const claims = Object.fromEntries(Object.entries(offsets).map(([claim, value]) => [claim, typeof value === 'number' ? now() + value : value]));
    const token = await resigned(claims);

    const logged = await refusalCodeAtB(() =>
      withoutIntrospection(async () => expectRefused(await api('POST', '/api/process', { token, body: ORDER }), 401, token)),
    );

    expect(logged).toBe(code);
  });

  it.each([
    ['another issuer', `${issuer}-evil`],
    ['the same realm reached by another host name', issuer.replace('127.0.0.1', 'localhost')],
  ])('refuses with 401, by its unverified issuer before any key lookup, a look-alike of %s', async (_name, iss) => {
    const token = await trusted.sign(lookAlikeClaims({ iss }));

    const logged = await refusalCodeAtB(() =>
      withoutIntrospection(async () => expectRefused(await api('POST', '/api/process', { token, body: ORDER }), 401, token)),
    );

    expect(logged).toBe('TOKEN_WRONG_ISSUER');
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
