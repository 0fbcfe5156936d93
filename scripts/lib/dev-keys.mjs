// @ts-check
/**
 * Dev key pairs of the realm's clients that authenticate with a signed JWT (`"clientAuthenticatorType":
 * "client-jwt"`, `private_key_jwt`): made once per stack, kept in the stack's state folder (never in the
 * repository), the public half given to Keycloak in the realm it imports, the private half seeded into the
 * Secrets Manager emulator. docs/private-key-jwt.md says how the same is done outside the dev stack.
 */
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** @typedef {{ kid: string, privateJwk: Record<string, unknown>, publicJwk: Record<string, unknown> }} DevClientKey */
/** @typedef {{ clientId: string, clientAuthenticatorType?: string, attributes?: Record<string, string> }} RealmClient */

/**
 * The ids of the realm's clients that authenticate with a signed JWT.
 * @param {{ clients?: RealmClient[] }} realm
 */
export function signedJwtClients(realm) {
  return (realm.clients ?? []).filter((client) => client.clientAuthenticatorType === 'client-jwt').map((client) => client.clientId);
}

/**
 * The dev key of `clientId` in `stateDir` (`keys/<clientId>.json`, mode 0600), made on first use: an EC
 * P-256 key (ES256) with a `kid` of its own.
 * @param {string} stateDir
 * @param {string} clientId
 * @returns {DevClientKey}
 */
export function devClientKey(stateDir, clientId) {
  if (!/^[A-Za-z0-9._-]+$/.test(clientId)) throw new Error(`client id "${clientId}" cannot name a key file`);
  const dir = path.join(stateDir, 'keys');
  const file = path.join(dir, `${clientId}.json`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `${clientId}-dev-${randomUUID().slice(0, 8)}`;
    writeFileSync(file, JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256' }), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const privateJwk = JSON.parse(readFileSync(file, 'utf8'));
  const { kid } = privateJwk;
  const publicJwk = { ...createPublicKey({ key: privateJwk, format: 'jwk' }).export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' };
  return { kid, privateJwk, publicJwk };
}

/**
 * The realm with each signed-JWT client's public key set as its JWKS (`use.jwks.string`, `jwks.string`:
 * what Keycloak reads from an imported realm); other clients and the input are left as they are.
 * @template {{ clients?: RealmClient[] }} Realm
 * @param {Realm} realm
 * @param {(clientId: string) => DevClientKey} keyOf
 * @returns {Realm}
 */
export function withDevPublicKeys(realm, keyOf) {
  const jwtClients = new Set(signedJwtClients(realm));
  if (jwtClients.size === 0) return realm;
  return {
    ...realm,
    clients: (realm.clients ?? []).map((client) =>
      jwtClients.has(client.clientId)
        ? {
            ...client,
            attributes: {
              ...client.attributes,
              'use.jwks.string': 'true',
              'jwks.string': JSON.stringify({ keys: [keyOf(client.clientId).publicJwk] }),
            },
          }
        : client,
    ),
  };
}
